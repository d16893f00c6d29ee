//! Test certificates for the relay's TURN over TLS (`--turn-tls-cert`, `--turn-tls-key`).

use base64::Engine;
use rcgen::PublicKeyData;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// A self-signed certificate for one IP address (an IP SAN), as PEM files.
pub struct TestCertificate {
    pub cert: PathBuf,
    pub key: PathBuf,
    /// Base64 of the SHA-256 of its SubjectPublicKeyInfo, as Chromium's
    /// `--ignore-certificate-errors-spki-list` takes it (headless Chromium checks `turns:`
    /// servers' certificates as it does web sites').
    pub spki: String,
}

impl TestCertificate {
    /// Writes `turn-cert.pem` and `turn-key.pem` into `dir`, for `ip`.
    pub fn create(dir: &Path, ip: &str) -> TestCertificate {
        let made = rcgen::generate_simple_self_signed(vec![ip.to_string()])
            .expect("a self-signed certificate");
        let (cert, key) = (dir.join("turn-cert.pem"), dir.join("turn-key.pem"));
        std::fs::write(&cert, made.cert.pem()).expect("write the certificate");
        std::fs::write(&key, made.signing_key.serialize_pem()).expect("write the key");
        let digest = Sha256::digest(made.signing_key.subject_public_key_info());
        let spki = base64::engine::general_purpose::STANDARD.encode(digest);
        TestCertificate { cert, key, spki }
    }

    /// The relay's options for TURN over TLS on `port` with this certificate.
    pub fn relay_options(&self, port: u16) -> Vec<String> {
        vec![
            "--turn-tls-port".into(),
            port.to_string(),
            "--turn-tls-cert".into(),
            self.cert.display().to_string(),
            "--turn-tls-key".into(),
            self.key.display().to_string(),
        ]
    }
}
