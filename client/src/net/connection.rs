//! The lesson's connection loop, the one owner of the WebSocket: it connects, hands every decoded
//! message to the lesson component, sends what the component asks, pings, drops a socket that
//! never opened or went silent ([`crate::net::liveness`]) and reconnects: soon after a dead link,
//! with backoff after anything else. What the messages mean is the business of
//! [`crate::state`]; this module only moves them.

use crate::net::backoff::Backoff;
use crate::net::liveness::{Due, Liveness};
use crate::net::socket::{Socket, SocketEvent};
use crate::state::{close_is_final, Conn};
use futures::channel::mpsc;
use futures::{select, FutureExt, StreamExt};
use gloo_timers::future::{IntervalStream, TimeoutFuture};
use shared::codec::{decode_server as decode, encode_client};
use shared::protocol::{ClientMsg, InkCseq, ServerMsg};
use yew::Callback;

/// How often the loop asks [`Liveness`] what is due.
const CHECK_EVERY_MS: u32 = 250;

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
    /// The page gave the socket up: the link looks dead (see [`crate::net::liveness`]).
    Dead(u16),
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
        let (code, reason, dead) = match end {
            End::Closed(code, reason) => (code, reason, false),
            End::Dead(code) => (code, String::new(), true),
            End::Quit => return,
        };
        if close_is_final(code) {
            events.emit(Event::Closed {
                code,
                reason,
                retry: None,
            });
            return;
        }
        let (attempt, delay) = if dead {
            backoff.soon(js_sys::Math::random())
        } else {
            backoff.next(js_sys::Math::random())
        };
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
    let mut liveness = Liveness::new(now());
    let mut nonce: u32 = 0;
    // Pen batches go out as compact `Ink` (cseq implied) on this connection.
    let mut ink = InkCseq::default();
    loop {
        select! {
            event = frames.next() => match event {
                Some(SocketEvent::Open) => {
                    liveness.opened(now());
                    events.emit(Event::Opened(conn));
                }
                Some(SocketEvent::Frame(frame)) => {
                    match decode(&frame) {
                        Ok(msg) => {
                            let welcome = matches!(msg, ServerMsg::Welcome { .. });
                            liveness.heard(now(), welcome);
                            if welcome {
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
                    if matches!(msg, ClientMsg::Hello { .. }) {
                        liveness.greeted(now());
                    }
                    socket.send(&encode_client(&ink.compact(msg)));
                }
                Some(Command::Reconnect(to)) if to == conn => {
                    return End::Closed(DROPPED_RESYNC, String::new())
                }
                Some(Command::Send(..) | Command::Reconnect(_)) => {}
                None => return End::Quit,
            },
            _ = checks.next() => match liveness.check(now()) {
                Due::Nothing => {}
                Due::Ping => {
                    nonce = nonce.wrapping_add(1);
                    socket.send(&encode_client(&ClientMsg::Ping { nonce }));
                }
                // Dropping the socket (when this returns) closes it, open or still connecting.
                Due::Drop(_) => return End::Dead(DROPPED_SILENT),
            }
        }
    }
}
