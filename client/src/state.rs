//! The lesson's state as a state machine: fed connection events and [`ServerMsg`]s, it keeps the
//! board, the status, the teacher's outbox and presence, and says what to send and what to
//! repaint. It owns no socket and no clock; the `net` module drives it.

use crate::board::local_ink::LocalInk;
use crate::board::redraw::Redraw;
use crate::labels;
use crate::net::outbox::Outbox;
use shared::board::Board;
use shared::ids::{PageId, Role};
use shared::link::ClassroomLink;
use shared::protocol::{
    Attendee, ClientMsg, ClientOp, CloseCode, Pointer, ServerMsg, PROTOCOL_VERSION,
};

/// Numbers the page's WebSockets, so that messages of an old socket are never mixed up with a
/// new one's.
pub type Conn = u32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The first connection is being made.
    Connecting,
    /// Welcomed by the relay, with the board in sync.
    Connected,
    /// The connection dropped; attempt `attempt` is under way or waiting.
    Reconnecting { attempt: u32 },
    /// Closed for good (bad link, replaced, ...): `reason` says why.
    Closed { reason: String },
}

impl Status {
    /// The value of the lesson root's `data-status`.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Connecting => "connecting",
            Status::Connected => "connected",
            Status::Reconnecting { .. } => "reconnecting",
            Status::Closed { .. } => "closed",
        }
    }
}

/// Close codes after which reconnecting can not help.
pub fn close_is_final(code: u16) -> bool {
    matches!(
        code,
        CloseCode::UNAUTHORIZED
            | CloseCode::VERSION_MISMATCH
            | CloseCode::NO_SUCH_LESSON
            | CloseCode::REPLACED
            | CloseCode::LESSON_OVER
    )
}

/// What handling one input asks of the edges.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Messages to send on the current connection, in order.
    pub send: Vec<ClientMsg>,
    /// What to repaint on the board canvas.
    pub board: Redraw,
    /// Repaint the overlay (laser pointer or the teacher's pending strokes changed).
    pub overlay: bool,
    /// Drop the connection and connect again (a gap or a divergence).
    pub reconnect: bool,
    /// Something shown in the page's markup changed.
    pub view: bool,
    /// A short message for a toast.
    pub notice: Option<String>,
    /// Media signalling for the page's camera, microphone and videos.
    pub media: Option<ServerMsg>,
}

pub struct LessonState {
    token: String,
    page: PageId,
    pub role: Role,
    pub title: String,
    pub board: Board,
    pub status: Status,
    /// The teacher's laser pointer, as the relay last said.
    pub pointer: Option<Pointer>,
    pub roster: Vec<Attendee>,
    /// How each classroom's link fares, as the relay last said (the teacher's and observers'
    /// pages).
    pub links: Vec<ClassroomLink>,
    /// The teacher's strokes not yet on the board.
    pub local: LocalInk,
    outbox: Outbox,
    /// The connection that has been opened, if any.
    conn: Option<Conn>,
    /// The relay welcomed the current connection: ops and presence may be sent.
    welcomed: bool,
    /// The current connection asked for a snapshot and it has not come yet: the page does not
    /// count as connected before it has the board.
    awaiting_board: bool,
    /// The board came from the relay at least once (so a reconnect can resume).
    has_board: bool,
    /// The board diverged: ask for a snapshot on the next connection.
    want_snapshot: bool,
    /// The message of the last `ServerMsg::Error`, shown if the socket then closes for good.
    error: Option<String>,
}

impl LessonState {
    /// `role` is the token's claim, until the relay's Welcome says otherwise.
    pub fn new(token: String, role: Role, page: PageId) -> Self {
        LessonState {
            token,
            page,
            role,
            title: String::new(),
            board: Board::new(),
            status: Status::Connecting,
            pointer: None,
            roster: Vec::new(),
            links: Vec::new(),
            local: LocalInk::default(),
            outbox: Outbox::default(),
            conn: None,
            welcomed: false,
            awaiting_board: false,
            has_board: false,
            want_snapshot: false,
            error: None,
        }
    }

    /// Ops sent but not acknowledged.
    pub fn unacked(&self) -> usize {
        self.outbox.len()
    }

    /// The connection that has been opened and not closed since.
    pub fn conn(&self) -> Option<Conn> {
        self.conn
    }

    /// A socket opened: the Hello to send on it.
    pub fn opened(&mut self, conn: Conn) -> ClientMsg {
        self.conn = Some(conn);
        self.welcomed = false;
        let resume = (self.has_board && !self.want_snapshot).then_some(self.board.seq);
        self.awaiting_board = resume.is_none();
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            token: self.token.clone(),
            page: self.page,
            resume,
        }
    }

    /// The socket closed. `retry` is the number of the reconnect attempt the caller will make, or
    /// `None` when it gives up (see [`close_is_final`]).
    pub fn closed(&mut self, code: u16, reason: &str, retry: Option<u32>) -> Outcome {
        self.conn = None;
        self.welcomed = false;
        self.status = match retry {
            Some(attempt) => Status::Reconnecting { attempt },
            None => Status::Closed {
                reason: labels::closed(code, reason, self.error.as_deref()),
            },
        };
        let overlay = self.pointer.take().is_some();
        Outcome {
            overlay,
            view: true,
            ..Outcome::default()
        }
    }

    /// A message arrived on socket `conn`.
    pub fn receive(&mut self, conn: Conn, msg: ServerMsg) -> Outcome {
        let mut out = Outcome::default();
        if self.conn != Some(conn) {
            return out;
        }
        match msg {
            ServerMsg::Welcome { role, title, .. } => {
                self.role = role;
                self.title = title;
                self.welcomed = true;
                if !self.awaiting_board {
                    self.status = Status::Connected;
                }
                self.error = None;
                out.send.extend(self.outbox.messages());
                out.view = true;
            }
            ServerMsg::Snapshot(board) => {
                self.board = *board;
                self.has_board = true;
                self.want_snapshot = false;
                self.board_arrived();
                out.board = Redraw::Full;
                out.overlay = self.local.board_at(self.board.seq);
                out.view = true;
            }
            ServerMsg::Ops { first, ops } => self.apply_ops(first, &ops, &mut out),
            ServerMsg::Ink { deltas } => match self.board.ink_op(deltas) {
                Some(op) => self.apply_ops(self.board.seq + 1, &[op], &mut out),
                None => {
                    // Ink with no stroke begun: this copy is out of step. Start over.
                    self.want_snapshot = true;
                    out.reconnect = true;
                }
            },
            ServerMsg::Ack { cseq, seq } => {
                self.outbox.ack(cseq);
                out.overlay = self.local.acked(cseq, seq, self.board.seq);
                out.view = true;
            }
            ServerMsg::Refused { cseq, reason } => {
                self.outbox.refuse(cseq);
                out.overlay = self.local.refused(cseq);
                out.notice = Some(labels::refusal(&reason));
                out.view = true;
            }
            ServerMsg::Pointer(p) => {
                out.overlay = self.pointer != p;
                self.pointer = p;
            }
            ServerMsg::Roster(roster) => {
                self.roster = roster;
                out.view = true;
            }
            ServerMsg::Links(links) => {
                out.view = self.links != links;
                self.links = links;
            }
            ServerMsg::Pong { .. } => {}
            msg @ (ServerMsg::MediaAnswer { .. }
            | ServerMsg::MediaRefused { .. }
            | ServerMsg::Sources { .. }
            | ServerMsg::MediaEnded { .. }
            | ServerMsg::MediaResumed { .. }
            | ServerMsg::IceServers(_)) => out.media = Some(msg),
            ServerMsg::Error { code, message } => {
                if close_is_final(code) {
                    self.error = Some(message);
                } else {
                    out.notice = Some(message);
                }
            }
        }
        out
    }

    fn apply_ops(&mut self, first: u64, ops: &[shared::board::Op], out: &mut Outcome) {
        if first > self.board.seq + 1 {
            // A gap: reconnecting with `resume` makes the relay send what is missing.
            out.reconnect = true;
            return;
        }
        self.has_board = true;
        self.board_arrived();
        for (op, seq) in ops.iter().zip(first..) {
            if seq <= self.board.seq {
                continue; // already applied
            }
            match self.board.apply(seq, op) {
                Ok(change) => out.board.note(&self.board, op, change),
                Err(_) => {
                    // This copy no longer folds like the relay's: start over from a snapshot.
                    self.want_snapshot = true;
                    out.reconnect = true;
                    break;
                }
            }
        }
        out.overlay |= self.local.board_at(self.board.seq);
        out.view = true;
    }

    fn board_arrived(&mut self) {
        self.awaiting_board = false;
        if self.welcomed {
            self.status = Status::Connected;
        }
    }

    /// The teacher did something to the board: queue it, and send it now if connected.
    pub fn local_op(&mut self, op: ClientOp) -> Option<ClientMsg> {
        if !self.role.may_draw() {
            return None;
        }
        let cseq = self.outbox.push(op.clone());
        self.local.queued(cseq, &op);
        self.welcomed.then_some(ClientMsg::Op { cseq, op })
    }

    /// The teacher's laser pointer moved or was put away. Presence is never queued.
    pub fn presence(&self, pointer: Option<Pointer>) -> Option<ClientMsg> {
        (self.role.may_point() && self.welcomed).then_some(ClientMsg::Pointer(pointer))
    }
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
