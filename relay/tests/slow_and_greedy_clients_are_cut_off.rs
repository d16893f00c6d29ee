//! The HTTP server's own limits (relay::server): a client that trickles its request headers is
//! disconnected after the header deadline; a request with 100 KB of headers is refused (431);
//! one address may hold only so many connections (the next is closed at once, the first ones
//! keep working).

mod common;

use relay::server::{serve, Limits};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(limits: Limits) -> (SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let router = common::router(dir.path()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, router, limits, std::future::pending()));
    (addr, dir)
}

/// Reads until the peer closes (or `wait` passes); what came, and whether it closed.
async fn read_all(tcp: &mut TcpStream, wait: Duration) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, tcp.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into(), true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&got).into(), false),
        }
    }
}

/// One request on a fresh connection (`Connection: close`); the status line's code.
async fn status_of(addr: SocketAddr, request: &str) -> u16 {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let (text, _) = read_all(&mut tcp, Duration::from_secs(10)).await;
    text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0)
}

/// A keep-alive GET /healthz on an open connection: its status.
async fn healthz(tcp: &mut TcpStream) -> u16 {
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf))
        .await
        .expect("an answer in time")
        .unwrap();
    String::from_utf8_lossy(&buf[..n])
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_disconnected_after_the_deadline() {
    let (addr, _dir) = start(Limits {
        header_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: rel")
        .await
        .unwrap();
    let started = Instant::now();
    let (_, closed) = read_all(&mut slow, Duration::from_secs(5)).await;
    assert!(closed, "a half-sent request is not kept open");
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
    // A client that says nothing at all is let go too.
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let (_, closed) = read_all(&mut silent, Duration::from_secs(5)).await;
    assert!(closed, "a silent connection is not kept open");
    // Normal requests are unaffected.
    let mut fine = TcpStream::connect(addr).await.unwrap();
    assert_eq!(healthz(&mut fine).await, 200);
}

#[tokio::test]
async fn a_request_with_huge_headers_is_refused() {
    let (addr, _dir) = start(Limits::default()).await;
    let big = "x".repeat(100_000);
    let request = format!("GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Big: {big}\r\n\r\n");
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    // The relay may stop reading before all of it is written.
    let _ = tcp.write_all(request.as_bytes()).await;
    let (text, closed) = read_all(&mut tcp, Duration::from_secs(5)).await;
    assert!(
        text.starts_with("HTTP/1.1 431") || (text.is_empty() && closed),
        "{text}"
    );
    // 16 KB of headers are fine.
    let ok = "x".repeat(16_000);
    let request =
        format!("GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Ok: {ok}\r\nConnection: close\r\n\r\n");
    assert_eq!(status_of(addr, &request).await, 200);
}

#[tokio::test]
async fn one_address_may_hold_only_so_many_connections() {
    let (addr, _dir) = start(Limits {
        per_address: 3,
        ..Limits::default()
    })
    .await;
    let mut first = TcpStream::connect(addr).await.unwrap();
    assert_eq!(healthz(&mut first).await, 200);
    let mut second = TcpStream::connect(addr).await.unwrap();
    let mut third = TcpStream::connect(addr).await.unwrap();
    assert_eq!(healthz(&mut second).await, 200);
    assert_eq!(healthz(&mut third).await, 200);

    let mut fourth = TcpStream::connect(addr).await.unwrap();
    let _ = fourth
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
        .await;
    let (text, closed) = read_all(&mut fourth, Duration::from_secs(5)).await;
    assert!(closed && text.is_empty(), "the fourth is closed: {text:?}");

    assert_eq!(healthz(&mut first).await, 200, "the first still works");
    drop(third);
    // Its place is given back once the relay sees it closed.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut again = TcpStream::connect(addr).await.unwrap();
        let _ = again
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
            .await;
        let mut buf = [0u8; 64];
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(1), again.read(&mut buf)).await
        {
            if buf[..n].starts_with(b"HTTP/1.1 200") {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the freed place is taken again");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
