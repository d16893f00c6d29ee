//! The room of one lesson as a plain state machine: who is connected with which role, the board,
//! the laser pointer. Feed it [`Input`]s with [`Room::handle`], then take the [`Output`]s.
//! It does no IO and reads no clock, so tests drive it directly.

use super::ConnId;
use crate::pages::Pages;
use crate::store::{LessonInfo, LoadedBoard, StoredOp};
use shared::board::{Board, BoardError, Op};
use shared::ids::{ClassroomId, PageId, Role};
use shared::protocol::{
    Attendee, ClientMsg, ClientOp, CloseCode, Pointer, Refusal, ServerMsg, PROTOCOL_VERSION,
};
use std::collections::{BTreeMap, VecDeque};

/// How many recent ops are kept in memory so a reconnecting client gets exactly what it missed.
pub const RESUME_WINDOW: usize = 4096;

/// Connections one lesson serves at most (classrooms, observers, the teacher's devices).
pub const MAX_MEMBERS: usize = 1000;

/// A snapshot is stored after this many ops.
pub const SNAPSHOT_EVERY: u64 = 500;

#[derive(Debug)]
pub enum Input {
    /// A connection passed the handshake (its token is verified) and joins.
    Join {
        conn: ConnId,
        role: Role,
        page: PageId,
        resume: Option<u64>,
        now_ms: u64,
        /// The join link its token belongs to (revoking the link closes the connection).
        link: Option<u64>,
    },
    /// A join link was revoked: connections made with it are closed.
    Revoke { link: u64 },
    /// A connection closed.
    Leave { conn: ConnId, now_ms: u64 },
    /// A message from a joined connection.
    Msg { conn: ConnId, msg: ClientMsg },
}

#[derive(Debug, PartialEq)]
pub enum Output {
    /// To one connection.
    Send { conn: ConnId, msg: ServerMsg },
    /// The current board as a snapshot, to one connection (encoded by the driver, not cloned here).
    Snapshot { conn: ConnId },
    /// To every joined connection except `except`.
    Broadcast {
        msg: ServerMsg,
        except: Option<ConnId>,
    },
    /// Must be durably stored before any later output is delivered.
    Store(StoredOp),
    /// A classroom came into the lesson or left it (for attendance; not for every reconnect
    /// of the same classroom).
    Attendance {
        classroom: ClassroomId,
        present: bool,
        at_ms: u64,
    },
    /// Close a connection: it is sent an Error message with the reason, then a WebSocket close frame.
    Close {
        conn: ConnId,
        code: u16,
        reason: String,
    },
}

#[derive(Clone, Debug)]
struct Member {
    role: Role,
    page: PageId,
    link: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
#[error("stored op {seq} does not apply to the stored board: {error}")]
pub struct RestoreError {
    pub seq: u64,
    pub error: BoardError,
}

pub struct Room {
    info: LessonInfo,
    board: Board,
    pages: Pages,
    members: BTreeMap<ConnId, Member>,
    /// The latest ops, for resuming clients: `recent[i]` has seq `recent_first + i`.
    recent: VecDeque<Op>,
    recent_first: u64,
    /// Ops applied since the last flush, broadcast together.
    /// With whether each can travel as a compact `Ink` message.
    unflushed: Vec<(Op, bool)>,
    /// Acks to send after the next broadcast: (conn, cseq, seq).
    acks: Vec<(ConnId, u32, u64)>,
    pointer: Option<Pointer>,
    /// Classrooms with at least one connection.
    present: std::collections::BTreeSet<ClassroomId>,
    snapshot_seq: u64,
    out: Vec<Output>,
}

impl Room {
    /// A room for `info` with the board as stored (snapshot, then the ops after it).
    pub fn restore(info: LessonInfo, loaded: LoadedBoard) -> Result<Room, RestoreError> {
        let LoadedBoard {
            mut board,
            mut pages,
            tail,
        } = loaded;
        let snapshot_seq = board.seq;
        let mut recent = VecDeque::new();
        for stored in tail {
            board
                .apply(stored.seq, &stored.op)
                .map_err(|error| RestoreError {
                    seq: stored.seq,
                    error,
                })?;
            pages.record_applied(stored.page, stored.cseq, stored.seq, &stored.op);
            recent.push_back(stored.op);
        }
        while recent.len() > RESUME_WINDOW {
            recent.pop_front();
        }
        let recent_first = board.seq + 1 - recent.len() as u64;
        Ok(Room {
            info,
            board,
            pages,
            members: BTreeMap::new(),
            recent,
            recent_first,
            unflushed: Vec::new(),
            acks: Vec::new(),
            pointer: None,
            present: Default::default(),
            snapshot_seq,
            out: Vec::new(),
        })
    }

    pub fn board(&self) -> &Board {
        &self.board
    }

    pub fn pages(&self) -> &Pages {
        &self.pages
    }

    pub fn info(&self) -> &LessonInfo {
        &self.info
    }

    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    pub fn pointer(&self) -> Option<Pointer> {
        self.pointer
    }

    /// The last cseq processed for the page of `conn` (to re-acknowledge after a resync).
    pub fn last_cseq_of(&self, conn: ConnId) -> Option<u32> {
        self.members
            .get(&conn)
            .map(|m| self.pages.get(m.page).last_cseq)
    }

    /// Whether enough ops accumulated since the last stored snapshot.
    pub fn wants_snapshot(&self) -> bool {
        self.board.seq >= self.snapshot_seq + SNAPSHOT_EVERY
    }

    pub fn snapshot_saved(&mut self, seq: u64) {
        self.snapshot_seq = seq;
    }

    /// Everything the room wants done since the last call, in order.
    pub fn take_outputs(&mut self) -> Vec<Output> {
        self.flush();
        std::mem::take(&mut self.out)
    }

    pub fn handle(&mut self, input: Input) {
        match input {
            Input::Join {
                conn,
                role,
                page,
                resume,
                now_ms,
                link,
            } => self.join(conn, role, page, resume, now_ms, link),
            Input::Revoke { link } => self.revoke(link),
            Input::Leave { conn, now_ms } => self.leave(conn, now_ms),
            Input::Msg { conn, msg } => self.message(conn, msg),
        }
    }

    fn join(
        &mut self,
        conn: ConnId,
        role: Role,
        page: PageId,
        resume: Option<u64>,
        now_ms: u64,
        link: Option<u64>,
    ) {
        self.flush();
        if let Role::Classroom(id) = role {
            if !self.info.classrooms.iter().any(|(c, _)| *c == id) {
                let reason = format!("classroom {id} is not part of lesson {}", self.info.id);
                self.out.push(Output::Close {
                    conn,
                    code: CloseCode::UNAUTHORIZED,
                    reason,
                });
                return;
            }
        }
        // The teacher always gets in; others only while the lesson has room.
        if role != Role::Teacher && self.members.len() >= MAX_MEMBERS {
            let reason = format!("the lesson is full ({MAX_MEMBERS} connections); try again later");
            self.out.push(Output::Close {
                conn,
                code: CloseCode::TRY_AGAIN_LATER,
                reason,
            });
            return;
        }
        // The same classroom (or the same page) joining again replaces the older connection.
        let replaced: Vec<ConnId> = self
            .members
            .iter()
            .filter(|(_, m)| {
                m.page == page || (matches!(role, Role::Classroom(_)) && m.role == role)
            })
            .map(|(c, _)| *c)
            .collect();
        for old in replaced {
            self.members.remove(&old);
            let reason = "this classroom joined again from another connection".to_string();
            self.out.push(Output::Close {
                conn: old,
                code: CloseCode::REPLACED,
                reason,
            });
        }
        self.members.insert(conn, Member { role, page, link });
        self.out.push(Output::Send {
            conn,
            msg: ServerMsg::Welcome {
                version: PROTOCOL_VERSION,
                lesson: self.info.id,
                title: self.info.title.clone(),
                role,
                server_time_ms: now_ms,
            },
        });
        match resume {
            Some(have) if have == self.board.seq => {}
            Some(have) if have < self.board.seq && have + 1 >= self.recent_first => {
                let from = (have + 1 - self.recent_first) as usize;
                let ops: Vec<Op> = self.recent.iter().skip(from).cloned().collect();
                self.out.push(Output::Send {
                    conn,
                    msg: ServerMsg::Ops {
                        first: have + 1,
                        ops,
                    },
                });
            }
            _ => self.out.push(Output::Snapshot { conn }),
        }
        if self.pointer.is_some() {
            self.out.push(Output::Send {
                conn,
                msg: ServerMsg::Pointer(self.pointer),
            });
        }
        self.broadcast_roster();
        if let Role::Classroom(id) = role {
            if self.present.insert(id) {
                self.out.push(Output::Attendance {
                    classroom: id,
                    present: true,
                    at_ms: now_ms,
                });
            }
        }
    }

    /// Closes every connection made with `link`; they leave as if they had closed.
    fn revoke(&mut self, link: u64) {
        let gone: Vec<ConnId> = self
            .members
            .iter()
            .filter(|(_, m)| m.link == Some(link))
            .map(|(c, _)| *c)
            .collect();
        for conn in gone {
            self.out.push(Output::Close {
                conn,
                code: CloseCode::UNAUTHORIZED,
                reason: "the join link was revoked".into(),
            });
        }
    }

    fn leave(&mut self, conn: ConnId, now_ms: u64) {
        self.flush();
        let Some(member) = self.members.remove(&conn) else {
            return;
        };
        if let Role::Classroom(id) = member.role {
            if !self.members.values().any(|m| m.role == member.role) && self.present.remove(&id) {
                self.out.push(Output::Attendance {
                    classroom: id,
                    present: false,
                    at_ms: now_ms,
                });
            }
        }
        if member.role == Role::Teacher
            && !self.members.values().any(|m| m.role == Role::Teacher)
            && self.pointer.is_some()
        {
            self.pointer = None;
            self.out.push(Output::Broadcast {
                msg: ServerMsg::Pointer(None),
                except: None,
            });
        }
        self.broadcast_roster();
    }

    fn message(&mut self, conn: ConnId, msg: ClientMsg) {
        let Some(member) = self.members.get(&conn).cloned() else {
            return;
        };
        match msg {
            ClientMsg::Hello { .. } => self.error(
                conn,
                CloseCode::MALFORMED,
                "already joined: Hello is only the first message",
            ),
            // The WebSocket edge expands `Ink` into the `Op` it stands for before the room sees it.
            ClientMsg::Ink { .. } => self.error(
                conn,
                CloseCode::MALFORMED,
                "Ink must follow an Op on the same connection",
            ),
            // The WebSocket edge hands media signalling to the lesson's media plane.
            ClientMsg::Publish { .. }
            | ClientMsg::Subscribe { .. }
            | ClientMsg::EndMedia { .. }
            | ClientMsg::Floor(_) => {}
            ClientMsg::Ping { nonce } => self.out.push(Output::Send {
                conn,
                msg: ServerMsg::Pong { nonce },
            }),
            ClientMsg::Pointer(pointer) => {
                if !member.role.may_point() {
                    return self.error(conn, 4403, "only the teacher moves the laser pointer");
                }
                if let Some(p) = pointer {
                    if self.board.page(p.page).is_none() || !p.at.on_board() {
                        return self.error(
                            conn,
                            CloseCode::MALFORMED,
                            "the pointer is not on the board",
                        );
                    }
                }
                self.flush();
                self.pointer = pointer;
                self.out.push(Output::Broadcast {
                    msg: ServerMsg::Pointer(pointer),
                    except: Some(conn),
                });
            }
            ClientMsg::Op { cseq, op } => self.op(conn, &member, cseq, op),
        }
    }

    fn op(&mut self, conn: ConnId, member: &Member, cseq: u32, op: ClientOp) {
        if !member.role.may_draw() {
            self.out.push(Output::Send {
                conn,
                msg: ServerMsg::Refused {
                    cseq,
                    reason: Refusal::NotAllowed,
                },
            });
            return;
        }
        let page = self.pages.get(member.page);
        if cseq <= page.last_cseq {
            // Sent again after a reconnect: already processed.
            self.acks.push((conn, cseq, self.board.seq));
            return;
        }
        // A new stroke while one is still open (a lost pen-up) finishes the open one first.
        if let (ClientOp::Begin { .. }, Some(open)) = (&op, page.open) {
            if self.board.stroke(open).is_some_and(|(_, s)| s.open) {
                self.apply(conn, member.page, cseq, Op::End { stroke: open }, false);
            }
        }
        let op = match op.resolve(page.open) {
            Ok(op) => op,
            Err(reason) => return self.refuse(conn, member.page, cseq, reason),
        };
        self.apply(conn, member.page, cseq, op, true);
    }

    /// Applies a resolved op: sequence it, queue it for storage and broadcast, acknowledge it.
    fn apply(&mut self, conn: ConnId, page: PageId, cseq: u32, op: Op, ack: bool) {
        let seq = self.board.seq + 1;
        let ink = self.board.is_ink(&op);
        if let Err(e) = self.board.apply(seq, &op) {
            return self.refuse(conn, page, cseq, Refusal::Board(e));
        }
        self.pages.record_applied(page, cseq, seq, &op);
        self.out.push(Output::Store(StoredOp {
            seq,
            page,
            cseq,
            op: op.clone(),
        }));
        self.recent.push_back(op.clone());
        if self.recent.len() > RESUME_WINDOW {
            self.recent.pop_front();
            self.recent_first += 1;
        }
        self.unflushed.push((op, ink));
        if ack {
            self.acks.push((conn, cseq, seq));
        }
    }

    fn refuse(&mut self, conn: ConnId, page: PageId, cseq: u32, reason: Refusal) {
        self.pages.record_refused(page, cseq);
        self.out.push(Output::Send {
            conn,
            msg: ServerMsg::Refused { cseq, reason },
        });
    }

    fn error(&mut self, conn: ConnId, code: u16, message: &str) {
        self.out.push(Output::Send {
            conn,
            msg: ServerMsg::Error {
                code,
                message: message.to_string(),
            },
        });
    }

    /// Broadcasts the ops applied since the last flush, then their acknowledgements.
    fn flush(&mut self) {
        if !self.unflushed.is_empty() {
            // Runs of ops go out as `Ops`; the pen's batches for the stroke begun last as `Ink`.
            let ops = std::mem::take(&mut self.unflushed);
            let mut seq = self.board.seq + 1 - ops.len() as u64;
            let mut run: Vec<Op> = Vec::new();
            for (op, ink) in ops {
                match op {
                    Op::Extend { deltas, .. } if ink => {
                        self.broadcast_ops(seq - run.len() as u64, &mut run);
                        let msg = ServerMsg::Ink { deltas };
                        self.out.push(Output::Broadcast { msg, except: None });
                    }
                    op => run.push(op),
                }
                seq += 1;
            }
            self.broadcast_ops(seq - run.len() as u64, &mut run);
        }
        for (conn, cseq, seq) in self.acks.drain(..) {
            self.out.push(Output::Send {
                conn,
                msg: ServerMsg::Ack { cseq, seq },
            });
        }
    }

    fn broadcast_ops(&mut self, first: u64, run: &mut Vec<Op>) {
        if !run.is_empty() {
            let ops = std::mem::take(run);
            self.out.push(Output::Broadcast {
                msg: ServerMsg::Ops { first, ops },
                except: None,
            });
        }
    }

    fn broadcast_roster(&mut self) {
        let online = |members: &BTreeMap<ConnId, Member>, role: Role| {
            members.values().any(|m| m.role == role)
        };
        let mut roster = vec![Attendee {
            role: Role::Teacher,
            name: self.info.teacher.clone(),
            online: online(&self.members, Role::Teacher),
        }];
        roster.extend(
            self.info
                .classrooms
                .iter()
                .map(|(id, name): &(ClassroomId, String)| Attendee {
                    role: Role::Classroom(*id),
                    name: name.clone(),
                    online: online(&self.members, Role::Classroom(*id)),
                }),
        );
        self.out.push(Output::Broadcast {
            msg: ServerMsg::Roster(roster),
            except: None,
        });
    }
}
