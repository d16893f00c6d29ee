//! The lesson WebSocket (`/lessons/{lesson}/ws`): the handshake, then two pumps between the
//! socket and the lesson's room. Decoding and limits live here; the room sees only valid messages.
//!
//! - [`handshake`]: the Hello, its token and its join link.
//! - [`read`]: frames in: limits, rate, decoding; board messages to the room, media to the plane.
//! - [`write`]: frames out, and closing with a reason.
//! - [`offers`]: how many media offers of a connection are answered at once.

mod handshake;
mod offers;
mod read;
mod write;

use crate::auth::now_secs;
use crate::room::task::{Command, OUTBOUND_CAPACITY};
use crate::state::AppState;
use axum::extract::ws::WebSocket;
use axum::extract::{Path, State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use handshake::{handshake, Admitted};
use offers::Offers;
use read::{read_loop, Connection, Ending};
use shared::ids::LessonId;
use shared::protocol::{CloseCode, MAX_FRAME_BYTES};
use std::time::Duration;
use tokio::sync::mpsc;
use write::{close, fatal, write_loop};

/// The WebSocket layer refuses a frame (or a fragmented message) over [`MAX_FRAME_BYTES`] as soon
/// as its header arrives, before buffering it, even before the Hello: every message of the
/// protocol fits (a Hello's token is at most 1 KiB, an SDP offer at most 32 KiB). The connection
/// is closed with 1009, and kept open unread for [`LINGER`] so the close frame reaches the peer
/// before the unread rest of its frame resets the connection.
pub const FRAME_LIMIT: usize = MAX_FRAME_BYTES;
const LINGER: Duration = Duration::from_secs(1);
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a lost connection's media carries on for its page to reconnect.
const MEDIA_GRACE: Duration = Duration::from_secs(15);

/// `GET /lessons/{lesson}/ws`: upgrades to the lesson WebSocket.
pub async fn upgrade(
    Path(lesson): Path<String>,
    State(state): State<AppState>,
    ws: WebSocketUpgrade,
) -> Response {
    let Ok(lesson) = lesson.parse::<u64>() else {
        return (StatusCode::BAD_REQUEST, "the lesson id must be a number").into_response();
    };
    ws.max_message_size(FRAME_LIMIT)
        .max_frame_size(FRAME_LIMIT)
        .on_upgrade(move |socket| serve(socket, state, LessonId(lesson)))
}

/// One lesson connection from its first frame to its last.
pub async fn serve(socket: WebSocket, state: AppState, lesson: LessonId) {
    let (mut sink, mut stream) = socket.split();
    let Admitted {
        claims,
        page,
        resume,
    } = match handshake(&mut stream, &state, lesson).await {
        Ok(admitted) => admitted,
        Err((code, reason)) => {
            close(&mut sink, code, &reason).await;
            if code == CloseCode::TOO_BIG {
                tokio::time::sleep(LINGER).await;
            }
            return;
        }
    };
    let (out_tx, out_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    let conn = state.next_conn();
    let join = Command::Join {
        conn,
        role: claims.role,
        page,
        resume,
        link: claims.link,
        outbound: out_tx.clone(),
    };
    let room = match state.rooms().join(lesson, join).await {
        Ok(room) => room,
        Err(e) => return close(&mut sink, CloseCode::GOING_AWAY, &e.to_string()).await,
    };
    tracing::debug!(%lesson, %conn, role = %claims.role, "joined");
    let media = state.media().lesson(lesson);
    media.join(conn, claims.role, page, out_tx.clone());
    let mut writer = tokio::spawn(write_loop(sink, out_rx));
    let connection = Connection {
        room: &room,
        media: &media,
        conn,
        out: &out_tx,
        offers: Offers::new(),
    };
    // The lesson closes for this connection when its join link expires (a configurable time
    // after the lesson's end).
    let over = Duration::from_secs(claims.expires.saturating_sub(now_secs()));
    let (writer_done, ending) = tokio::select! {
        ending = read_loop(&mut stream, &connection, state.idle_limit()) => (false, ending),
        _ = &mut writer => (true, Ending::Lost),
        _ = tokio::time::sleep(over) => {
            fatal(&out_tx, CloseCode::LESSON_OVER, "the lesson is over: its join link expired").await;
            (false, Ending::Closed)
        }
    };
    let _ = room.send(Command::Leave { conn }).await;
    let oversize = matches!(ending, Ending::Oversize);
    match ending {
        Ending::Closed | Ending::Oversize => media.leave(conn).await,
        // The page will likely reconnect: its peer connections may well still be up.
        Ending::Lost => media.detach(conn, MEDIA_GRACE),
    }
    state.media().release(lesson);
    drop(out_tx);
    if !writer_done {
        // Keep reading (and discarding) while the close frame goes out: closing a socket with
        // unread input resets it, and the client would never see why it was closed.
        let drain = async { while stream.next().await.is_some() {} };
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            tokio::join!(drain, writer)
        })
        .await;
        if oversize {
            tokio::time::sleep(LINGER).await;
        }
    }
    tracing::debug!(%lesson, %conn, "left");
}
