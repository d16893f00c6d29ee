//! The reading side: every frame is size-checked, rate-limited and decoded; board messages go to
//! the room task, media signalling to the lesson's media plane.

use super::handshake::read_error;
use super::offers::{Offers, OFFERS_WAITING};
use super::write::fatal;
use crate::media::lesson::LessonMedia;
use crate::room::task::{Command, Outbound};
use crate::room::ConnId;
use crate::token_bucket::{Rate, TokenBucket};
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket};
use futures_util::stream::SplitStream;
use futures_util::StreamExt;
use shared::codec::{decode_client, encode_server, CodecError};
use shared::protocol::{ClientMsg, CloseCode, InkCseq, ServerMsg};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Sustained messages per second a connection may send, and the burst above that.
/// (A teacher's pen sends about 25 ink batches and 30 pointer moves a second.)
const MESSAGE_RATE: Rate = Rate {
    per_second: 500.0,
    burst: 1000.0,
};
/// Malformed frames tolerated before the connection is closed.
const MAX_MALFORMED: u32 = 20;

/// Where a connection's messages go: board messages to the room, media messages to the lesson's
/// media plane.
pub(super) struct Connection<'a> {
    pub room: &'a mpsc::Sender<Command>,
    pub media: &'a Arc<LessonMedia>,
    pub conn: ConnId,
    pub out: &'a mpsc::Sender<Outbound>,
    pub offers: Offers,
}

/// How a connection's reading ended.
pub(super) enum Ending {
    /// The page closed it (or was closed for a protocol error): its media ends now.
    Closed,
    /// Its link went silent or broke: its media waits for the page to come back.
    Lost,
    /// It sent a frame over the limit (closed with 1009; the rest of the frame is never read).
    Oversize,
}

pub(super) async fn read_loop(
    stream: &mut SplitStream<WebSocket>,
    connection: &Connection<'_>,
    idle_limit: Duration,
) -> Ending {
    let (room, conn, out) = (connection.room, connection.conn, connection.out);
    let mut bucket = TokenBucket::full(MESSAGE_RATE, Instant::now());
    let mut ink = InkCseq::default();
    let mut malformed = 0u32;
    loop {
        let frame = match tokio::time::timeout(idle_limit, stream.next()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return Ending::Lost,
            Err(_) => {
                let reason = format!("nothing received for {} seconds", idle_limit.as_secs());
                fatal(out, CloseCode::GOING_AWAY, &reason).await;
                return Ending::Lost;
            }
        };
        let bytes = match frame {
            Ok(Message::Binary(bytes)) => bytes,
            Ok(Message::Text(_)) => {
                malformed += 1;
                reply_error(
                    out,
                    CloseCode::MALFORMED,
                    "frames must be binary (postcard), not text",
                );
                if malformed > MAX_MALFORMED {
                    {
                        fatal(out, CloseCode::MALFORMED, "too many malformed frames").await;
                        return Ending::Closed;
                    }
                }
                continue;
            }
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Close(_)) => return Ending::Closed,
            Err(e) => {
                let (code, reason) = read_error(&e);
                fatal(out, code, &reason).await;
                if code == CloseCode::TOO_BIG {
                    return Ending::Oversize;
                }
                return Ending::Lost;
            }
        };
        if !bucket.take(MESSAGE_RATE, Instant::now()) {
            fatal(out, CloseCode::RATE_LIMITED, "too many messages; slow down").await;
            return Ending::Closed;
        }
        let decoded = decode_client(&bytes).and_then(|msg| {
            ink.expand(msg).ok_or_else(|| {
                CodecError::Malformed("Ink must follow an Op on the same connection".into())
            })
        });
        match decoded {
            Ok(msg) if is_media(&msg) => media_msg(connection, msg).await,
            Ok(msg) => {
                if room.send(Command::Msg { conn, msg }).await.is_err() {
                    fatal(
                        out,
                        CloseCode::GOING_AWAY,
                        "the lesson room stopped; reconnect",
                    )
                    .await;
                    return Ending::Lost;
                }
            }
            Err(e @ CodecError::TooBig { .. }) => {
                fatal(out, CloseCode::TOO_BIG, &e.to_string()).await;
                return Ending::Closed;
            }
            Err(e) => {
                malformed += 1;
                reply_error(out, CloseCode::MALFORMED, &e.to_string());
                if malformed > MAX_MALFORMED {
                    {
                        fatal(out, CloseCode::MALFORMED, "too many malformed frames").await;
                        return Ending::Closed;
                    }
                }
            }
        }
    }
}

fn is_media(msg: &ClientMsg) -> bool {
    matches!(
        msg,
        ClientMsg::Publish { .. }
            | ClientMsg::Subscribe { .. }
            | ClientMsg::EndMedia { .. }
            | ClientMsg::Floor(_)
    )
}

/// Media signalling. Offers are answered in a task of their own (gathering candidates takes a
/// moment), so the board keeps flowing meanwhile.
async fn media_msg(connection: &Connection<'_>, msg: ClientMsg) {
    let (media, conn, out) = (
        Arc::clone(connection.media),
        connection.conn,
        connection.out.clone(),
    );
    let reply = move |msg: ServerMsg| {
        let _ = out.try_send(Outbound::Frame(Bytes::from(encode_server(&msg))));
    };
    match msg {
        ClientMsg::Publish { req, .. } | ClientMsg::Subscribe { req, .. } => {
            let offers = connection.offers.clone();
            let answers = connection.out.clone();
            if !offers.admit() {
                return reply(ServerMsg::MediaRefused {
                    req,
                    reason: format!(
                        "more than {OFFERS_WAITING} offers are waiting on this connection; wait for their answers"
                    ),
                });
            }
            tokio::spawn(async move {
                let permit = Arc::clone(&offers.permits).acquire_owned().await;
                offers.served();
                let result = match (permit, msg) {
                    (Err(_), _) => return,
                    (Ok(_permit), ClientMsg::Publish { sdp, .. }) => media.publish(conn, sdp).await,
                    (Ok(_permit), ClientMsg::Subscribe { source, sdp, .. }) => {
                        media.subscribe(conn, source, sdp).await
                    }
                    _ => return,
                };
                let msg = match result {
                    Ok((id, sdp)) => ServerMsg::MediaAnswer {
                        req,
                        media: id,
                        sdp,
                    },
                    Err(e) => ServerMsg::MediaRefused {
                        req,
                        reason: e.to_string(),
                    },
                };
                // Waits for room in the outbound queue: an answer is never dropped while the
                // connection reads (one that stops reading is dealt with by the room).
                let frame = Outbound::Frame(Bytes::from(encode_server(&msg)));
                let _ = tokio::time::timeout(Duration::from_secs(30), answers.send(frame)).await;
            });
        }
        ClientMsg::EndMedia { media: id } => {
            if let Err(e) = media.end_media(conn, id).await {
                reply(ServerMsg::Error {
                    code: CloseCode::MALFORMED,
                    message: e.to_string(),
                });
            }
        }
        ClientMsg::Floor(floor) => {
            if let Err(e) = media.set_floor(conn, floor).await {
                reply(ServerMsg::Error {
                    code: CloseCode::UNAUTHORIZED,
                    message: e.to_string(),
                });
            }
        }
        _ => {}
    }
}

fn reply_error(out: &mpsc::Sender<Outbound>, code: u16, message: &str) {
    let frame = encode_server(&ServerMsg::Error {
        code,
        message: message.to_string(),
    });
    let _ = out.try_send(Outbound::Frame(Bytes::from(frame)));
}
