//! The writing side: one task drains the connection's outbound queue into the socket; closing
//! sends an Error message, then the close frame.

use crate::room::task::Outbound;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::SinkExt;
use shared::codec::encode_server;
use shared::protocol::ServerMsg;
use std::time::Duration;
use tokio::sync::mpsc;

/// Closes the connection: the writer sends an Error message, then the close frame.
pub(super) async fn fatal(out: &mpsc::Sender<Outbound>, code: u16, reason: &str) {
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        out.send(Outbound::Close {
            code,
            reason: reason.to_string(),
        }),
    )
    .await;
}

pub(super) async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Outbound>,
) {
    while let Some(out) = rx.recv().await {
        match out {
            Outbound::Frame(bytes) => {
                if sink.send(Message::Binary(bytes)).await.is_err() {
                    return;
                }
            }
            Outbound::Close { code, reason } => return close(&mut sink, code, &reason).await,
        }
    }
}

/// Sends an Error message and a close frame with `code` and `reason`.
pub(super) async fn close(sink: &mut SplitSink<WebSocket, Message>, code: u16, reason: &str) {
    let frame = encode_server(&ServerMsg::Error {
        code,
        message: reason.to_string(),
    });
    let _ = sink.send(Message::Binary(Bytes::from(frame))).await;
    let frame = CloseFrame {
        code,
        reason: truncate(reason, 120).into(),
    };
    let _ = sink.send(Message::Close(Some(frame))).await;
    let _ = sink.close().await;
}

/// A close reason may hold at most 123 bytes.
fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
