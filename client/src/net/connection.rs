//! The lesson's connection loop, the one owner of the WebSocket: it connects, hands every decoded
//! message to the lesson component, sends what the component asks, pings every 10 s, drops a
//! connection that has been silent for 25 s and reconnects with backoff. What the messages mean
//! is the business of [`crate::state`]; this module only moves them.

use crate::net::backoff::Backoff;
use crate::net::socket::{Socket, SocketEvent};
use crate::state::{close_is_final, Conn};
use futures::channel::mpsc;
use futures::{select, FutureExt, StreamExt};
use gloo_timers::future::{IntervalStream, TimeoutFuture};
use shared::codec::{decode_server as decode, encode_client};
use shared::protocol::{ClientMsg, InkCseq, ServerMsg};
use yew::Callback;

const PING_EVERY_MS: f64 = 10_000.0;
const SILENCE_LIMIT_MS: f64 = 25_000.0;
/// How often the loop checks the two timers above.
const CHECK_EVERY_MS: u32 = 1_000;

/// Close codes the loop uses for connections it drops itself (never sent; not final).
const DROPPED_SILENT: u16 = 4000;
const DROPPED_RESYNC: u16 = 4001;
const DROPPED_GARBLED: u16 = 4002;
const NO_SOCKET: u16 = 1006;

pub enum Event {
    /// Socket `Conn` is open: the session's Hello goes first.
    Opened(Conn),
    Message(Conn, ServerMsg),
    /// The connection is gone; `retry` is the number of the next attempt, `None` if there is none.
    Closed {
        code: u16,
        reason: String,
        retry: Option<u32>,
    },
}

enum Command {
    Send(Conn, ClientMsg),
    Reconnect(Conn),
}

/// The component's handle on the loop; dropping it ends the loop and closes the socket.
pub struct Net {
    commands: mpsc::UnboundedSender<Command>,
}

impl Net {
    pub fn start(url: String, events: Callback<Event>) -> Net {
        let (commands, rx) = mpsc::unbounded();
        wasm_bindgen_futures::spawn_local(run(url, events, rx));
        Net { commands }
    }

    /// Sends on connection `conn`; dropped if that connection is gone.
    pub fn send(&self, conn: Conn, msg: ClientMsg) {
        let _ = self.commands.unbounded_send(Command::Send(conn, msg));
    }

    /// Drops connection `conn` (if it is still the current one) and connects again.
    pub fn reconnect(&self, conn: Conn) {
        let _ = self.commands.unbounded_send(Command::Reconnect(conn));
    }
}

enum End {
    Closed(u16, String),
    /// The component is gone.
    Quit,
}

fn now() -> f64 {
    js_sys::Date::now()
}

async fn run(url: String, events: Callback<Event>, mut commands: mpsc::UnboundedReceiver<Command>) {
    let mut backoff = Backoff::default();
    let mut conn: Conn = 0;
    loop {
        conn += 1;
        let end = match Socket::open(&url) {
            Ok((socket, frames)) => {
                connection(conn, socket, frames, &events, &mut commands, &mut backoff).await
            }
            Err(_) => End::Closed(NO_SOCKET, String::new()),
        };
        let End::Closed(code, reason) = end else {
            return;
        };
        if close_is_final(code) {
            events.emit(Event::Closed {
                code,
                reason,
                retry: None,
            });
            return;
        }
        let (attempt, delay) = backoff.next(js_sys::Math::random());
        events.emit(Event::Closed {
            code,
            reason,
            retry: Some(attempt),
        });
        // Wait, dropping whatever was meant for the dead connection (the outbox keeps the ops).
        let mut wait = TimeoutFuture::new(delay).fuse();
        loop {
            select! {
                _ = wait => break,
                cmd = commands.next() => if cmd.is_none() { return },
            }
        }
    }
}

async fn connection(
    conn: Conn,
    socket: Socket,
    mut frames: mpsc::UnboundedReceiver<SocketEvent>,
    events: &Callback<Event>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    backoff: &mut Backoff,
) -> End {
    let mut checks = IntervalStream::new(CHECK_EVERY_MS).fuse();
    let mut heard = now();
    let mut pinged = now();
    let mut nonce: u32 = 0;
    let mut greeted = false;
    // Pen batches go out as compact `Ink` (cseq implied) on this connection.
    let mut ink = InkCseq::default();
    loop {
        select! {
            event = frames.next() => match event {
                Some(SocketEvent::Open) => {
                    heard = now();
                    events.emit(Event::Opened(conn));
                }
                Some(SocketEvent::Frame(frame)) => {
                    heard = now();
                    match decode(&frame) {
                        Ok(msg) => {
                            if matches!(msg, ServerMsg::Welcome { .. }) {
                                backoff.reset();
                            }
                            events.emit(Event::Message(conn, msg));
                        }
                        Err(e) => return End::Closed(DROPPED_GARBLED, e.to_string()),
                    }
                }
                Some(SocketEvent::Closed { code, reason }) => return End::Closed(code, reason),
                None => return End::Closed(NO_SOCKET, String::new()),
            },
            command = commands.next() => match command {
                Some(Command::Send(to, msg)) if to == conn => {
                    greeted |= matches!(msg, ClientMsg::Hello { .. });
                    socket.send(&encode_client(&ink.compact(msg)));
                }
                Some(Command::Reconnect(to)) if to == conn => {
                    return End::Closed(DROPPED_RESYNC, String::new())
                }
                Some(Command::Send(..) | Command::Reconnect(_)) => {}
                None => return End::Quit,
            },
            _ = checks.next() => {
                let t = now();
                if t - heard > SILENCE_LIMIT_MS {
                    return End::Closed(DROPPED_SILENT, String::new());
                }
                if greeted && t - pinged >= PING_EVERY_MS {
                    nonce = nonce.wrapping_add(1);
                    pinged = t;
                    socket.send(&encode_client(&ClientMsg::Ping { nonce }));
                }
            }
        }
    }
}
