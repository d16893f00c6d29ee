//! Failed sign-ins spread over many logins from one client address are held back (429) after
//! the per-address limit, through the real server (which tells the handler the peer's address).

mod common;

use relay::server::{serve, Limits};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request on a fresh connection (`Connection: close`); the status line's code.
async fn status_of(addr: SocketAddr, request: &str) -> u16 {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut text = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut text)).await;
    String::from_utf8_lossy(&text)
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn failed_sign_ins_over_many_logins_from_one_address_are_held_back() {
    let dir = tempfile::tempdir().unwrap();
    let router = common::router(dir.path()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(
        listener,
        router,
        Limits::default(),
        std::future::pending(),
    ));
    let mut statuses = Vec::new();
    for i in 0..50 {
        let body = format!(r#"{{"login":"guess-{i}","password":"not the password"}}"#);
        let request = format!(
            "POST /api/session HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        statuses.push(status_of(addr, &request).await);
    }
    let limit = relay::accounts::throttle::ADDRESS_FAILURES;
    assert!(statuses[..limit].iter().all(|s| *s == 403), "{statuses:?}");
    assert!(statuses[limit..].iter().all(|s| *s == 429), "{statuses:?}");
}
