//! The lesson WebSocket refuses a frame over the protocol's limit as soon as its header arrives,
//! even before the Hello: it is never buffered (it was, up to 16 MiB, for anyone who connected),
//! the connection is closed with 1009 at once, and others are served meanwhile.

mod common;

use relay::auth::{now_secs, Signer};
use shared::ids::Role;
use shared::protocol::{CloseCode, MAX_FRAME_BYTES};
use shared::token::Claims;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A WebSocket handshake by hand, so that a frame can be sent in part.
async fn upgraded(addr: SocketAddr) -> TcpStream {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /lessons/1/ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        assert_eq!(
            tcp.read(&mut byte).await.unwrap(),
            1,
            "the handshake answer"
        );
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    tcp
}

/// The header of a masked binary frame announcing `len` bytes.
fn frame_header(len: u64) -> Vec<u8> {
    let mut h = vec![0x82, 0x80 | 127];
    h.extend_from_slice(&len.to_be_bytes());
    h.extend_from_slice(&[1, 2, 3, 4]);
    h
}

/// Reads the server's frames until its close frame; returns the close code.
async fn close_code(tcp: &mut TcpStream) -> Option<u16> {
    loop {
        let mut h = [0u8; 2];
        tcp.read_exact(&mut h).await.ok()?;
        let mut len = u64::from(h[1] & 0x7f);
        if len == 126 {
            let mut b = [0u8; 2];
            tcp.read_exact(&mut b).await.ok()?;
            len = u64::from(u16::from_be_bytes(b));
        } else if len == 127 {
            let mut b = [0u8; 8];
            tcp.read_exact(&mut b).await.ok()?;
            len = u64::from_be_bytes(b);
        }
        let mut payload = vec![0u8; len as usize];
        tcp.read_exact(&mut payload).await.ok()?;
        if h[0] & 0x0f == 0x8 {
            return payload.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
        }
    }
}

#[tokio::test]
async fn a_frame_over_the_limit_is_refused_at_its_header_before_hello() {
    let dir = tempfile::tempdir().unwrap();
    let router = common::router(dir.path()).await;
    let (addr, server) = common::serve(&router).await;

    // One byte over the limit, announced, and only the first kilobyte sent: refused at once,
    // without waiting for (or keeping) the rest.
    for len in [MAX_FRAME_BYTES as u64 + 1, 16 * 1024 * 1024] {
        let mut tcp = upgraded(addr).await;
        let mut frame = frame_header(len);
        frame.extend_from_slice(&[0u8; 1024]);
        tcp.write_all(&frame).await.unwrap();
        let started = Instant::now();
        let code = tokio::time::timeout(Duration::from_secs(3), close_code(&mut tcp))
            .await
            .expect("closed promptly, not after the Hello timeout");
        assert_eq!(code, Some(CloseCode::TOO_BIG), "{len} bytes");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    // A frame at the limit is read (and, not being a Hello, refused, but not as too big).
    let mut tcp = upgraded(addr).await;
    let mut frame = frame_header(MAX_FRAME_BYTES as u64);
    frame.extend(std::iter::repeat_n(0xffu8, MAX_FRAME_BYTES));
    tcp.write_all(&frame).await.unwrap();
    let code = tokio::time::timeout(Duration::from_secs(5), close_code(&mut tcp))
        .await
        .expect("closed in time");
    assert!(code.is_some_and(|c| c != CloseCode::TOO_BIG), "{code:?}");

    // Others are served meanwhile: a rogue connection is left hanging mid-frame, a teacher joins.
    let mut rogue = upgraded(addr).await;
    rogue.write_all(&frame_header(4096)).await.unwrap();
    let token = Signer::new(common::KEY).mint(&Claims {
        lesson: relay::demo::DEMO_LESSON,
        role: Role::Teacher,
        not_before: now_secs() - 60,
        expires: now_secs() + 3600,
        link: None,
    });
    assert!(common::join(addr, &format!("x#token={token}"))
        .await
        .is_ok());
    server.abort();
}
