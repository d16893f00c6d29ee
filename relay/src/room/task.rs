//! The task that owns one lesson's room: it loads the board, feeds commands to the room, stores
//! new ops (one transaction per batch) and only then delivers frames, so nothing is acknowledged
//! or shown before it is durable. Each connection has a bounded outbound queue; a connection whose
//! queue is full stops receiving ops and is resynced with a snapshot once it has drained.

use super::state::{Input, Output, Room};
use super::ConnId;
use crate::store::{Store, StoredOp};
use axum::body::Bytes;
use shared::codec::{encode_server, encode_snapshot};
use shared::ids::{ClassroomId, LessonId, PageId, Role};
use shared::protocol::{ClientMsg, CloseCode, ServerMsg};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Frames queued for one connection before it counts as too slow.
pub const OUTBOUND_CAPACITY: usize = 256;
/// Commands queued for one room.
pub const COMMAND_CAPACITY: usize = 1024;
/// Commands handled (and stored) together in one batch at most.
const BATCH: usize = 128;
/// A room with nobody in it stops after this long (its board is stored; it loads again on demand).
const IDLE_GRACE: Duration = Duration::from_secs(60);
const TICK: Duration = Duration::from_millis(200);

/// What a connection tells its room.
#[derive(Debug)]
pub enum Command {
    Join {
        conn: ConnId,
        role: Role,
        page: PageId,
        resume: Option<u64>,
        link: Option<u64>,
        outbound: mpsc::Sender<Outbound>,
    },
    /// A join link was revoked.
    Revoke {
        link: u64,
    },
    Leave {
        conn: ConnId,
    },
    Msg {
        conn: ConnId,
        msg: ClientMsg,
    },
}

/// What a room sends to a connection's writer.
#[derive(Debug, Clone)]
pub enum Outbound {
    Frame(Bytes),
    Close { code: u16, reason: String },
}

struct Conn {
    tx: mpsc::Sender<Outbound>,
    /// Its queue overflowed: it gets no more ops until it is resynced with a snapshot.
    lagging: bool,
}

/// Runs the room of `lesson` until it has been empty for a while or its store fails.
pub async fn run(lesson: LessonId, store: Store, mut rx: mpsc::Receiver<Command>) {
    let mut room = match load(lesson, &store).await {
        Ok(room) => room,
        Err((code, reason)) => {
            tracing::warn!(%lesson, reason, "room not started");
            refuse_all(&mut rx, code, &reason).await;
            return;
        }
    };
    tracing::info!(%lesson, seq = room.board().seq, "room started");
    let mut conns: HashMap<ConnId, Conn> = HashMap::new();
    let mut snapshot_cache: Option<(u64, Bytes)> = None;
    let mut empty_since = Some(Instant::now());
    let mut tick = tokio::time::interval(TICK);
    loop {
        let mut batch = Vec::with_capacity(BATCH);
        tokio::select! {
            n = rx.recv_many(&mut batch, BATCH) => if n == 0 { break },
            _ = tick.tick() => {}
        }
        let mut driver = Driver {
            lesson,
            store: &store,
            room: &mut room,
            conns: &mut conns,
            cache: &mut snapshot_cache,
        };
        let mut failed = false;
        for cmd in batch {
            match cmd {
                Command::Join {
                    conn,
                    role,
                    page,
                    resume,
                    link,
                    outbound,
                } => {
                    // What happened before the join is stored and delivered first, to the members
                    // of that time only; the joiner's snapshot is then exactly the board it joins.
                    failed |= driver.flush().await.is_err();
                    driver.conns.insert(
                        conn,
                        Conn {
                            tx: outbound,
                            lagging: false,
                        },
                    );
                    driver.room.handle(Input::Join {
                        conn,
                        role,
                        page,
                        resume,
                        now_ms: now_ms(),
                        link,
                    });
                    failed |= driver.flush().await.is_err();
                }
                Command::Revoke { link } => driver.room.handle(Input::Revoke { link }),
                Command::Leave { conn } => {
                    driver.conns.remove(&conn);
                    driver.room.handle(Input::Leave {
                        conn,
                        now_ms: now_ms(),
                    });
                }
                Command::Msg { conn, msg } => driver.room.handle(Input::Msg { conn, msg }),
            }
            if failed {
                break;
            }
        }
        failed |= driver.flush().await.is_err();
        if failed {
            // Nothing that failed to store was acknowledged or shown. Close everyone; clients
            // reconnect and resend their unacknowledged ops to a freshly loaded room.
            for conn in conns.values() {
                let _ = conn.tx.try_send(Outbound::Close {
                    code: CloseCode::GOING_AWAY,
                    reason: "the board could not be saved; reconnecting".into(),
                });
            }
            return;
        }
        resync_lagging(&room, &mut conns, &mut snapshot_cache);
        if room.wants_snapshot() {
            match store
                .save_snapshot(lesson, room.board(), room.pages())
                .await
            {
                Ok(()) => room.snapshot_saved(room.board().seq),
                Err(e) => {
                    tracing::warn!(%lesson, error = %e, "saving a board snapshot failed; will retry")
                }
            }
        }
        if room.member_count() == 0 {
            let since = *empty_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= IDLE_GRACE {
                break;
            }
        } else {
            empty_since = None;
        }
    }
    // Close the channel; anyone who reached it meanwhile is asked to reconnect to a new room task.
    rx.close();
    while let Some(cmd) = rx.recv().await {
        if let Command::Join { outbound, .. } = cmd {
            let _ = outbound.try_send(Outbound::Close {
                code: CloseCode::GOING_AWAY,
                reason: "the lesson room restarted; reconnect".into(),
            });
        }
    }
    if room.board().seq > 0 {
        if let Err(e) = store
            .save_snapshot(lesson, room.board(), room.pages())
            .await
        {
            tracing::warn!(%lesson, error = %e, "saving the final snapshot failed (ops are stored)");
        }
    }
    tracing::info!(%lesson, "room stopped");
}

async fn load(lesson: LessonId, store: &Store) -> Result<Room, (u16, String)> {
    let info = match store.lesson(lesson).await {
        Ok(Some(info)) => info,
        Ok(None) => {
            return Err((
                CloseCode::NO_SUCH_LESSON,
                format!("lesson {lesson} does not exist"),
            ))
        }
        Err(e) => {
            return Err((
                CloseCode::GOING_AWAY,
                format!("the lesson could not be loaded: {e}"),
            ))
        }
    };
    let loaded = store.load_board(lesson).await.map_err(|e| {
        (
            CloseCode::GOING_AWAY,
            format!("the board could not be loaded: {e}"),
        )
    })?;
    Room::restore(info, loaded).map_err(|e| {
        (
            CloseCode::GOING_AWAY,
            format!("the stored board is inconsistent: {e}"),
        )
    })
}

async fn refuse_all(rx: &mut mpsc::Receiver<Command>, code: u16, reason: &str) {
    rx.close();
    while let Some(cmd) = rx.recv().await {
        if let Command::Join { outbound, .. } = cmd {
            let _ = outbound.try_send(Outbound::Close {
                code,
                reason: reason.to_string(),
            });
        }
    }
}

/// Stores a room's new ops, then delivers its outputs.
struct Driver<'a> {
    lesson: LessonId,
    store: &'a Store,
    room: &'a mut Room,
    conns: &'a mut HashMap<ConnId, Conn>,
    cache: &'a mut Option<(u64, Bytes)>,
}

impl Driver<'_> {
    async fn flush(&mut self) -> Result<(), crate::store::StoreError> {
        let outputs = self.room.take_outputs();
        if outputs.is_empty() {
            return Ok(());
        }
        // Ops and attendance go to the store (moved, not cloned); the rest is delivered after.
        let mut stored: Vec<StoredOp> = Vec::new();
        let mut attendance: Vec<(ClassroomId, bool, i64)> = Vec::new();
        let mut rest = Vec::with_capacity(outputs.len());
        for output in outputs {
            match output {
                Output::Store(op) => stored.push(op),
                Output::Attendance {
                    classroom,
                    present,
                    at_ms,
                } => attendance.push((classroom, present, (at_ms / 1000) as i64)),
                other => rest.push(other),
            }
        }
        if !attendance.is_empty() {
            if let Err(e) = self.store.record_attendance(self.lesson, &attendance).await {
                tracing::warn!(lesson = %self.lesson, error = %e, "recording attendance failed");
            }
        }
        if let Err(e) = self.store.append(self.lesson, &stored).await {
            tracing::error!(lesson = %self.lesson, error = %e, "storing board ops failed; restarting the room");
            return Err(e);
        }
        deliver(self.room, self.conns, self.cache, rest);
        Ok(())
    }
}

fn deliver(
    room: &Room,
    conns: &mut HashMap<ConnId, Conn>,
    cache: &mut Option<(u64, Bytes)>,
    outputs: Vec<Output>,
) {
    for out in outputs {
        match out {
            // Taken out by the driver before delivery.
            Output::Store(_) | Output::Attendance { .. } => {}
            Output::Send { conn, msg } => {
                if let Some(c) = conns.get_mut(&conn) {
                    push(c, Bytes::from(encode_server(&msg)));
                }
            }
            Output::Snapshot { conn } => {
                let frame = snapshot(room, cache);
                if let Some(c) = conns.get_mut(&conn) {
                    push(c, frame);
                }
            }
            Output::Broadcast { msg, except } => {
                let frame = Bytes::from(encode_server(&msg));
                for (id, c) in conns.iter_mut() {
                    if Some(*id) != except {
                        push(c, frame.clone());
                    }
                }
            }
            Output::Close { conn, code, reason } => {
                if let Some(c) = conns.remove(&conn) {
                    // If the queue is full the sender is dropped here, which ends the writer too.
                    let _ = c.tx.try_send(Outbound::Close { code, reason });
                }
            }
        }
    }
}

fn push(conn: &mut Conn, frame: Bytes) {
    if conn.lagging {
        return;
    }
    if let Err(mpsc::error::TrySendError::Full(_)) = conn.tx.try_send(Outbound::Frame(frame)) {
        conn.lagging = true;
    }
}

/// Gives every lagging connection whose queue has drained half-way the current board.
fn resync_lagging(
    room: &Room,
    conns: &mut HashMap<ConnId, Conn>,
    cache: &mut Option<(u64, Bytes)>,
) {
    for (id, conn) in conns.iter_mut() {
        if !conn.lagging || conn.tx.capacity() < OUTBOUND_CAPACITY / 2 {
            continue;
        }
        conn.lagging = false;
        tracing::debug!(conn = %id, "resyncing a slow connection with a snapshot");
        push(conn, snapshot(room, cache));
        if let Some(cseq) = room.last_cseq_of(*id).filter(|c| *c > 0) {
            push(
                conn,
                Bytes::from(encode_server(&ServerMsg::Ack {
                    cseq,
                    seq: room.board().seq,
                })),
            );
        }
        push(
            conn,
            Bytes::from(encode_server(&ServerMsg::Pointer(room.pointer()))),
        );
    }
}

fn snapshot(room: &Room, cache: &mut Option<(u64, Bytes)>) -> Bytes {
    let seq = room.board().seq;
    match cache {
        Some((s, bytes)) if *s == seq => bytes.clone(),
        _ => {
            let bytes = Bytes::from(encode_snapshot(room.board()));
            *cache = Some((seq, bytes.clone()));
            bytes
        }
    }
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
