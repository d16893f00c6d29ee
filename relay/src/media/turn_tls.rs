//! TURN over TLS (`turns:`): the operator's certificate and key, read once at start-up into a
//! rustls [`ServerConfig`], and the TLS settings of the embedded TURN server.
//!
//! The streams themselves are served by [`crate::media::turn_io`], which wraps each accepted
//! TCP stream in TLS (within [`HANDSHAKE`]) and then frames it like a plain TCP stream.

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// A TLS stream whose handshake has not finished within this long is closed.
pub const HANDSHAKE: Duration = Duration::from_secs(10);

/// The embedded TURN server's TLS listener.
#[derive(Clone, Debug)]
pub struct TurnTlsConfig {
    /// TCP port of `turns:` on the media address (0: any free port, for tests).
    pub port: u16,
    /// The host in the pages' `turns:` URLs; `None`: the announced (or bound) media IP.
    pub name: Option<String>,
    /// The certificate chain and key, ready for handshakes.
    pub server: Arc<ServerConfig>,
}

/// Why the certificate or key cannot be used. Each names the file.
#[derive(Debug, Error)]
pub enum TurnTlsError {
    #[error("TURN TLS certificate {}: {source}", path.display())]
    Certificate {
        path: PathBuf,
        source: rustls_pki_types::pem::Error,
    },
    #[error("TURN TLS certificate {}: no CERTIFICATE in PEM", path.display())]
    NoCertificate { path: PathBuf },
    #[error("TURN TLS key {}: {source}", path.display())]
    Key {
        path: PathBuf,
        source: rustls_pki_types::pem::Error,
    },
    #[error(
        "TURN TLS certificate {} with key {}: {source}",
        cert.display(),
        key.display()
    )]
    Rejected {
        cert: PathBuf,
        key: PathBuf,
        source: rustls::Error,
    },
}

/// Reads the PEM certificate chain (leaf first) and PEM private key (PKCS#8, PKCS#1 or SEC1)
/// into a server config on ring's provider (named here, not taken from the process: the
/// workspace's builds enable more than one).
pub fn load(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, TurnTlsError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|source| TurnTlsError::Certificate {
            path: cert.to_path_buf(),
            source,
        })?;
    if chain.is_empty() {
        return Err(TurnTlsError::NoCertificate {
            path: cert.to_path_buf(),
        });
    }
    let private = PrivateKeyDer::from_pem_file(key).map_err(|source| TurnTlsError::Key {
        path: key.to_path_buf(),
        source,
    })?;
    let rejected = |source| TurnTlsError::Rejected {
        cert: cert.to_path_buf(),
        key: key.to_path_buf(),
        source,
    };
    let config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(rejected)?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(rejected)?;
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn a_matching_pair_loads_and_every_bad_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let made = rcgen::generate_simple_self_signed(vec!["turn.example".into()]).unwrap();
        let other = rcgen::generate_simple_self_signed(vec!["other.example".into()]).unwrap();
        let cert = write(dir.path(), "cert.pem", &made.cert.pem());
        let key = write(dir.path(), "key.pem", &made.signing_key.serialize_pem());
        let wrong_key = write(dir.path(), "other.pem", &other.signing_key.serialize_pem());
        let garbage = write(dir.path(), "garbage.pem", "not PEM at all\n");
        let missing = dir.path().join("missing.pem");
        assert!(load(&cert, &key).is_ok());

        let message = |e: TurnTlsError| e.to_string();
        let e = message(load(&missing, &key).unwrap_err());
        assert!(
            e.contains("missing.pem") && e.contains("certificate"),
            "{e}"
        );
        let e = message(load(&garbage, &key).unwrap_err());
        assert!(e.contains("garbage.pem"), "{e}");
        let e = message(load(&cert, &missing).unwrap_err());
        assert!(e.contains("missing.pem") && e.contains("key"), "{e}");
        let e = message(load(&cert, &garbage).unwrap_err());
        assert!(e.contains("garbage.pem"), "{e}");
        // A key is not a certificate, and a certificate is not a key.
        let e = message(load(&key, &key).unwrap_err());
        assert!(e.contains("key.pem"), "{e}");
        let e = message(load(&cert, &cert).unwrap_err());
        assert!(e.contains("cert.pem"), "{e}");
        let e = message(load(&cert, &wrong_key).unwrap_err());
        assert!(e.contains("other.pem") && e.contains("cert.pem"), "{e}");
    }
}
