//! The handshake: the first frame must be a Hello within [`HELLO_TIMEOUT`], whose token is
//! signed for this lesson and whose join link (if it names one) is not revoked.

use crate::auth::now_secs;
use crate::state::AppState;
use crate::store::links::LinkState;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket};
use futures_util::stream::SplitStream;
use futures_util::StreamExt;
use shared::codec::{decode_client, CodecError};
use shared::ids::{LessonId, PageId};
use shared::protocol::{ClientMsg, CloseCode, MAX_FRAME_BYTES};
use shared::token::Claims;

use super::HELLO_TIMEOUT;

/// A connection let in: who it is, which page, and the board seq it already has.
pub(super) struct Admitted {
    pub claims: Claims,
    pub page: PageId,
    pub resume: Option<u64>,
}

/// Reads the Hello and checks its token and link; `Err` is the close code and reason.
pub(super) async fn handshake(
    stream: &mut SplitStream<WebSocket>,
    state: &AppState,
    lesson: LessonId,
) -> Result<Admitted, (u16, String)> {
    let hello = match tokio::time::timeout(HELLO_TIMEOUT, next_frame(stream)).await {
        Err(_) => Err((
            CloseCode::MALFORMED,
            "no Hello within 10 seconds".to_string(),
        )),
        Ok(frame) => frame.and_then(|bytes| decode_client(&bytes).map_err(codec_close)),
    };
    let (token, page, resume) = match hello? {
        ClientMsg::Hello {
            token,
            page,
            resume,
            ..
        } => (token, page, resume),
        _ => {
            return Err((
                CloseCode::MALFORMED,
                "the first message must be Hello".into(),
            ))
        }
    };
    let claims = state
        .signer()
        .verify(&token, lesson, now_secs())
        .map_err(|e| (CloseCode::UNAUTHORIZED, format!("join link refused: {e}")))?;
    if let Some(link) = claims.link {
        let refused = match state.store().link_state(link, lesson).await {
            Ok(LinkState::Valid) => None,
            Ok(LinkState::Revoked) => Some((
                CloseCode::UNAUTHORIZED,
                "join link refused: the link was revoked",
            )),
            Ok(LinkState::Unknown) => {
                Some((CloseCode::UNAUTHORIZED, "join link refused: no such link"))
            }
            Err(_) => Some((
                CloseCode::GOING_AWAY,
                "the link could not be checked; try again",
            )),
        };
        if let Some((code, reason)) = refused {
            return Err((code, reason.to_string()));
        }
    }
    Ok(Admitted {
        claims,
        page,
        resume,
    })
}

/// The next binary frame before the Hello; anything else is an error.
async fn next_frame(stream: &mut SplitStream<WebSocket>) -> Result<Bytes, (u16, String)> {
    loop {
        match stream.next().await {
            Some(Ok(Message::Binary(bytes))) => return Ok(bytes),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Text(_))) => {
                return Err((CloseCode::MALFORMED, "frames must be binary".into()))
            }
            Some(Ok(Message::Close(_))) | None => {
                return Err((CloseCode::GOING_AWAY, "closed".into()))
            }
            Some(Err(e)) => return Err(read_error(&e)),
        }
    }
}

pub(super) fn codec_close(e: CodecError) -> (u16, String) {
    let code = match e {
        CodecError::TooBig { .. } => CloseCode::TOO_BIG,
        CodecError::Version { .. } => CloseCode::VERSION_MISMATCH,
        _ => CloseCode::MALFORMED,
    };
    (code, e.to_string())
}

pub(super) fn read_error(e: &axum::Error) -> (u16, String) {
    let text = e.to_string();
    if text.contains("too long") || text.contains("Space limit") || text.contains("capacity") {
        (
            CloseCode::TOO_BIG,
            format!("frame exceeds the limit of {MAX_FRAME_BYTES} bytes"),
        )
    } else {
        (CloseCode::MALFORMED, format!("websocket error: {text}"))
    }
}
