//! TURN over TLS (`--turn-tls-port`): a TLS client that trusts the relay's certificate
//! allocates over it (and is asked for credentials, as over TCP); garbage instead of a
//! ClientHello costs only its own stream; the page is handed the `turns:` URL in the same entry
//! as `turn:`; and a relay told to serve TLS without a usable certificate refuses to start,
//! naming what is wrong.

mod common;

use futures_util::{SinkExt, StreamExt};
use relay::media::config::MediaConfig;
use relay::media::turn_tls::{self, TurnTlsConfig};
use relay::state::{AppState, Config};
use rustls::pki_types::{CertificateDer, ServerName};
use shared::codec::{decode_server, encode_client};
use shared::ids::{PageId, Role};
use shared::protocol::{ClientMsg, IceServer, ServerMsg, PROTOCOL_VERSION};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;

/// A certificate for 127.0.0.1 (an IP SAN) and its key, as PEM files in `dir`.
fn certificate(dir: &Path) -> (PathBuf, PathBuf, CertificateDer<'static>) {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()]).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    (cert, key, made.cert.der().clone())
}

/// The relay's router and media plane with TURN on UDP/TCP and TLS (both on any free port),
/// served on 127.0.0.1; `name`: `--turn-tls-name`.
async fn relay_with_tls(dir: &Path, cert: &Path, key: &Path, name: Option<&str>) -> SocketAddr {
    let store = relay::store::Store::open(&format!("sqlite://{}", dir.join("t.db").display()))
        .await
        .unwrap();
    relay::demo::seed(&store, 0).await.unwrap();
    let config = Config {
        media: MediaConfig {
            turn_port: Some(0),
            turn_tls: Some(TurnTlsConfig {
                port: 0,
                name: name.map(str::to_string),
                server: turn_tls::load(cert, key).expect("the test certificate loads"),
            }),
            ..MediaConfig::default()
        },
        ..Config::default()
    };
    let state = AppState::with_config(
        store,
        relay::auth::Signer::new(common::KEY),
        dir.join("dist"),
        config,
    )
    .expect("the media plane starts");
    common::serve(&relay::http::app(state)).await.0
}

/// The STUN/TURN servers the relay hands a teacher's page (before or after its Welcome).
async fn ice_servers(addr: SocketAddr) -> Vec<IceServer> {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/lessons/1/ws"))
        .await
        .unwrap();
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        token: common::token(Role::Teacher),
        page: PageId(common::rand_page()),
        resume: None,
    };
    ws.send(Message::Binary(encode_client(&hello).into()))
        .await
        .unwrap();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("the IceServers message in time");
        if let Some(Ok(Message::Binary(b))) = message {
            if let Ok(ServerMsg::IceServers(servers)) = decode_server(&b) {
                return servers;
            }
        } else {
            panic!("the lesson socket ended before IceServers: {message:?}");
        }
    }
}

/// A TURN Allocate request (UDP relaying), without credentials.
fn allocate() -> Vec<u8> {
    let mut m = vec![0x00, 0x03, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42];
    m.extend_from_slice(&rand::random::<[u8; 12]>());
    // REQUESTED-TRANSPORT: UDP.
    m.extend_from_slice(&[0x00, 0x19, 0x00, 0x04, 17, 0, 0, 0]);
    m
}

/// Reads one STUN message; returns its type and attribute types.
async fn read_stun(stream: &mut (impl AsyncRead + Unpin)) -> (u16, Vec<u16>) {
    let mut header = [0u8; 20];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut header))
        .await
        .expect("a reply in time")
        .expect("a STUN header");
    let len = u16::from_be_bytes([header[2], header[3]]) as usize;
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await.expect("the STUN body");
    let mut attrs = Vec::new();
    let mut at = 0;
    while at + 4 <= body.len() {
        attrs.push(u16::from_be_bytes([body[at], body[at + 1]]));
        let alen = u16::from_be_bytes([body[at + 2], body[at + 3]]) as usize;
        at += 4 + alen.div_ceil(4) * 4;
    }
    (u16::from_be_bytes([header[0], header[1]]), attrs)
}

/// Sends an Allocate without credentials and checks the answer: 401 with REALM and NONCE.
async fn asks_for_credentials(stream: &mut (impl AsyncRead + AsyncWrite + Unpin), how: &str) {
    stream.write_all(&allocate()).await.unwrap();
    stream.flush().await.unwrap();
    let (typ, attrs) = read_stun(stream).await;
    assert_eq!(typ, 0x0113, "an Allocate error response {how}");
    for (attr, name) in [(0x0009, "ERROR-CODE"), (0x0014, "REALM"), (0x0015, "NONCE")] {
        assert!(attrs.contains(&attr), "{name} in the 401 {how}: {attrs:x?}");
    }
}

/// A TLS client that trusts only `cert`.
fn connector(cert: CertificateDer<'static>) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// The port of a URL like `turns:127.0.0.1:5349?transport=tcp`.
fn port(url: &str) -> u16 {
    let host_port = url.split('?').next().unwrap();
    host_port.rsplit(':').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_client_allocates_and_garbage_harms_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, der) = certificate(dir.path());
    let addr = relay_with_tls(dir.path(), &cert, &key, None).await;

    let servers = ice_servers(addr).await;
    assert_eq!(
        servers.len(),
        1,
        "one entry, one set of credentials: {servers:?}"
    );
    let urls = &servers[0].urls;
    assert_eq!(urls.len(), 3, "turn: over UDP and TCP, and turns: {urls:?}");
    assert!(urls[0].starts_with("turn:127.0.0.1:") && urls[0].ends_with("?transport=udp"));
    assert!(urls[1].starts_with("turn:127.0.0.1:") && urls[1].ends_with("?transport=tcp"));
    assert!(
        urls[2].starts_with("turns:127.0.0.1:") && urls[2].ends_with("?transport=tcp"),
        "the TLS URL names the media IP: {urls:?}"
    );
    assert!(!servers[0].username.is_empty() && !servers[0].credential.is_empty());
    let tls_port = port(&urls[2]);
    assert_ne!(tls_port, port(&urls[1]), "TLS has a port of its own");
    let tls_at = SocketAddr::from(([127, 0, 0, 1], tls_port));
    let name = ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());

    let connector = connector(der);
    let tcp = TcpStream::connect(tls_at).await.unwrap();
    let mut tls =
        tokio::time::timeout(Duration::from_secs(5), connector.connect(name.clone(), tcp))
            .await
            .expect("the handshake in time")
            .expect("the handshake succeeds with the relay's certificate");
    asks_for_credentials(&mut tls, "over TLS").await;

    // Not a ClientHello: the relay closes that stream (with an alert at most), promptly.
    let mut garbage = TcpStream::connect(tls_at).await.unwrap();
    garbage
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), garbage.read_to_end(&mut rest)).await;
    assert!(ended.is_ok(), "the garbage stream is closed");
    assert!(rest.len() < 64, "nothing but an alert: {rest:?}");

    // The server is unharmed: the first client still talks, and a new one is served.
    asks_for_credentials(&mut tls, "again on the first TLS stream").await;
    let tcp = TcpStream::connect(tls_at).await.unwrap();
    let mut second = connector
        .connect(name, tcp)
        .await
        .expect("a second handshake");
    asks_for_credentials(&mut second, "over a second TLS stream").await;

    // The plain TCP port of the same server still speaks TURN.
    let mut plain = TcpStream::connect(SocketAddr::from(([127, 0, 0, 1], port(&urls[1]))))
        .await
        .unwrap();
    asks_for_credentials(&mut plain, "over TCP").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_stream_is_closed_after_the_handshake_limit() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = certificate(dir.path());
    let addr = relay_with_tls(dir.path(), &cert, &key, Some("turn.tongpin.test")).await;
    let servers = ice_servers(addr).await;
    assert!(
        servers[0].urls[2].starts_with("turns:turn.tongpin.test:"),
        "the TLS URL carries --turn-tls-name: {servers:?}"
    );
    let tls_at = SocketAddr::from(([127, 0, 0, 1], port(&servers[0].urls[2])));

    // Connects and says nothing: no ClientHello.
    let started = std::time::Instant::now();
    let mut silent = TcpStream::connect(tls_at).await.unwrap();
    let mut rest = Vec::new();
    let limit = turn_tls::HANDSHAKE + Duration::from_secs(5);
    let ended = tokio::time::timeout(limit, silent.read_to_end(&mut rest)).await;
    assert!(ended.is_ok(), "closed within {limit:?}");
    assert!(
        started.elapsed() >= turn_tls::HANDSHAKE - Duration::from_secs(1),
        "not before the limit: {:?}",
        started.elapsed()
    );
}

/// Runs the relay binary with `options` (and a data folder of its own); it must exit with an
/// error. Returns what it printed on stderr.
fn refused(options: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["--listen", "127.0.0.1:0", "--media-port", "0", "--data"])
        .arg(dir.path())
        .args(options)
        .env_remove("TONGPIN_TURN_TLS_CERT")
        .env_remove("TONGPIN_TURN_TLS_KEY")
        .env_remove("TONGPIN_TURN_TLS_PORT")
        .env_remove("TONGPIN_TURN_TLS_NAME")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !out.status.success(),
        "the relay refuses to start with {options:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "no panic: {stderr}");
    stderr
}

#[test]
fn tls_without_a_usable_certificate_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, _) = certificate(dir.path());
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let missing = dir.path().join("nowhere.pem");
    let missing = missing.to_str().unwrap();

    let e = refused(&["--turn-tls-port", "0"]);
    assert!(
        e.contains("--turn-tls-cert") && e.contains("--turn-tls-key"),
        "{e}"
    );
    let e = refused(&["--turn-tls-port", "0", "--turn-tls-cert", cert]);
    assert!(e.contains("--turn-tls-key"), "{e}");
    let e = refused(&["--turn-tls-cert", cert, "--turn-tls-key", key]);
    assert!(e.contains("--turn-tls-port"), "{e}");
    let e = refused(&[
        "--turn-tls-port",
        "0",
        "--turn-tls-cert",
        missing,
        "--turn-tls-key",
        key,
    ]);
    assert!(
        e.contains("nowhere.pem") && e.contains("certificate"),
        "{e}"
    );
    let e = refused(&[
        "--turn-tls-port",
        "0",
        "--turn-tls-cert",
        cert,
        "--turn-tls-key",
        cert,
    ]);
    assert!(e.contains("cert.pem") && e.contains("key"), "{e}");
    let e = refused(&[
        "--turn-tls-port",
        "0",
        "--turn-tls-cert",
        cert,
        "--turn-tls-key",
        key,
        "--turn-tls-name",
        "turn.example.org:443",
    ]);
    assert!(e.contains("--turn-tls-name"), "{e}");

    // A taken port.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = taken.local_addr().unwrap().port().to_string();
    let e = refused(&[
        "--turn-tls-port",
        &taken,
        "--turn-tls-cert",
        cert,
        "--turn-tls-key",
        key,
    ]);
    assert!(e.contains("TURN TLS port") && e.contains(&taken), "{e}");
}
