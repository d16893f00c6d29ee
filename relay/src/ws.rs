//! The lesson WebSocket (`/lessons/{lesson}/ws`): handshake, token check, then two pumps between
//! the socket and the lesson's room. Decoding and limits live here; the room sees only valid messages.

use crate::auth::now_secs;
use crate::media::lesson::{LessonMedia, MAX_SUBSCRIPTIONS};
use crate::room::task::{Command, Outbound, OUTBOUND_CAPACITY};
use crate::room::ConnId;
use crate::state::AppState;
use crate::store::links::LinkState;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{Path, State, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use shared::codec::{decode_client, encode_server, CodecError};
use shared::ids::LessonId;
use shared::protocol::{ClientMsg, CloseCode, InkCseq, ServerMsg, MAX_FRAME_BYTES};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};

/// The WebSocket layer refuses a frame (or a fragmented message) over [`MAX_FRAME_BYTES`] as soon
/// as its header arrives, before buffering it, even before the Hello: every message of the
/// protocol fits (a Hello's token is at most 1 KiB, an SDP offer at most 32 KiB). The connection
/// is closed with 1009, and kept open unread for [`LINGER`] so the close frame reaches the peer
/// before the unread rest of its frame resets the connection.
pub const FRAME_LIMIT: usize = MAX_FRAME_BYTES;
const LINGER: Duration = Duration::from_secs(1);
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Sustained messages per second a connection may send, and the burst above that.
/// (A teacher's pen sends about 25 ink batches and 30 pointer moves a second.)
const RATE_PER_SEC: f64 = 500.0;
const RATE_BURST: f64 = 1000.0;
/// How long a lost connection's media carries on for its page to reconnect.
const MEDIA_GRACE: Duration = Duration::from_secs(15);
/// Malformed frames tolerated before the connection is closed.
const MAX_MALFORMED: u32 = 20;

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

pub async fn serve(socket: WebSocket, state: AppState, lesson: LessonId) {
    let (mut sink, mut stream) = socket.split();
    let hello = match tokio::time::timeout(HELLO_TIMEOUT, next_frame(&mut stream)).await {
        Err(_) => Err((
            CloseCode::MALFORMED,
            "no Hello within 10 seconds".to_string(),
        )),
        Ok(frame) => frame.and_then(|bytes| decode_client(&bytes).map_err(codec_close)),
    };
    let (token, page, resume) = match hello {
        Ok(ClientMsg::Hello {
            token,
            page,
            resume,
            ..
        }) => (token, page, resume),
        Ok(_) => {
            return close(
                &mut sink,
                CloseCode::MALFORMED,
                "the first message must be Hello",
            )
            .await
        }
        Err((code, reason)) => {
            close(&mut sink, code, &reason).await;
            if code == CloseCode::TOO_BIG {
                tokio::time::sleep(LINGER).await;
            }
            return;
        }
    };
    let claims = match state.signer().verify(&token, lesson, now_secs()) {
        Ok(claims) => claims,
        Err(e) => {
            return close(
                &mut sink,
                CloseCode::UNAUTHORIZED,
                &format!("join link refused: {e}"),
            )
            .await
        }
    };
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
            return close(&mut sink, code, reason).await;
        }
    }
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
    let link = Link {
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
        ending = read_loop(&mut stream, &link, state.idle_limit()) => (false, ending),
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

fn codec_close(e: CodecError) -> (u16, String) {
    let code = match e {
        CodecError::TooBig { .. } => CloseCode::TOO_BIG,
        CodecError::Version { .. } => CloseCode::VERSION_MISMATCH,
        _ => CloseCode::MALFORMED,
    };
    (code, e.to_string())
}

fn read_error(e: &axum::Error) -> (u16, String) {
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

/// Where a connection's messages go: board messages to the room, media messages to the lesson's
/// media plane.
struct Link<'a> {
    room: &'a mpsc::Sender<Command>,
    media: &'a Arc<LessonMedia>,
    conn: ConnId,
    out: &'a mpsc::Sender<Outbound>,
    offers: Offers,
}

/// Offers of one connection being answered: at most [`OFFERS_AT_ONCE`] peer connections are set
/// up at a time (each costs a port, a certificate and candidate gathering), the rest wait in line,
/// and at most [`OFFERS_WAITING`] may wait; beyond that an offer is refused. A teacher joining a
/// lesson of 200 classrooms subscribes to all of them at once, and they all get answered.
#[derive(Clone)]
struct Offers {
    permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
}

const OFFERS_AT_ONCE: usize = 4;
const OFFERS_WAITING: usize = MAX_SUBSCRIPTIONS + 8;

impl Offers {
    fn new() -> Offers {
        Offers {
            permits: Arc::new(Semaphore::new(OFFERS_AT_ONCE)),
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Takes a place in line; false when the line is full.
    fn admit(&self) -> bool {
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= OFFERS_WAITING {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Leaves the line (its turn came).
    fn served(&self) {
        self.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How a connection's reading ended.
enum Ending {
    /// The page closed it (or was closed for a protocol error): its media ends now.
    Closed,
    /// Its link went silent or broke: its media waits for the page to come back.
    Lost,
    /// It sent a frame over the limit (closed with 1009; the rest of the frame is never read).
    Oversize,
}

async fn read_loop(
    stream: &mut SplitStream<WebSocket>,
    link: &Link<'_>,
    idle_limit: Duration,
) -> Ending {
    let (room, conn, out) = (link.room, link.conn, link.out);
    let mut bucket = TokenBucket::new();
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
        if !bucket.take() {
            fatal(out, CloseCode::RATE_LIMITED, "too many messages; slow down").await;
            return Ending::Closed;
        }
        let decoded = decode_client(&bytes).and_then(|msg| {
            ink.expand(msg).ok_or_else(|| {
                CodecError::Malformed("Ink must follow an Op on the same connection".into())
            })
        });
        match decoded {
            Ok(msg) if is_media(&msg) => media_msg(link, msg).await,
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
async fn media_msg(link: &Link<'_>, msg: ClientMsg) {
    let (media, conn, out) = (Arc::clone(link.media), link.conn, link.out.clone());
    let reply = move |msg: ServerMsg| {
        let _ = out.try_send(Outbound::Frame(Bytes::from(encode_server(&msg))));
    };
    match msg {
        ClientMsg::Publish { req, .. } | ClientMsg::Subscribe { req, .. } => {
            let offers = link.offers.clone();
            let answers = link.out.clone();
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

/// Closes the connection: the writer sends an Error message, then the close frame.
async fn fatal(out: &mpsc::Sender<Outbound>, code: u16, reason: &str) {
    let _ = tokio::time::timeout(
        Duration::from_secs(1),
        out.send(Outbound::Close {
            code,
            reason: reason.to_string(),
        }),
    )
    .await;
}

async fn write_loop(mut sink: SplitSink<WebSocket, Message>, mut rx: mpsc::Receiver<Outbound>) {
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
async fn close(sink: &mut SplitSink<WebSocket, Message>, code: u16, reason: &str) {
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

struct TokenBucket {
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    fn new() -> Self {
        TokenBucket {
            tokens: RATE_BURST,
            at: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.at).as_secs_f64() * RATE_PER_SEC)
            .min(RATE_BURST);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_of_offers_is_bounded() {
        let offers = Offers::new();
        for _ in 0..OFFERS_WAITING {
            assert!(offers.admit());
        }
        assert!(!offers.admit(), "past the bound an offer is refused");
        offers.served();
        assert!(offers.admit(), "a place freed is taken again");
        assert!(!offers.admit());
    }
}
