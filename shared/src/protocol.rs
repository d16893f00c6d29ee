//! Messages on a lesson's WebSocket (`/lessons/{lesson}/ws`). See `docs/protocol.md`.
//!
//! Every frame is one binary WebSocket message holding one postcard-encoded [`ClientMsg`] or
//! [`ServerMsg`]. The first message of a connection must be [`ClientMsg::Hello`]; it is variant 0
//! and starts with the protocol version, so any later version can still read it and answer with a
//! clear close reason.

use crate::board::{Board, BoardError, Op, Style};
use crate::ids::{ClassroomId, LessonId, MediaId, PageId, Role};
use crate::points::{Deltas, Point};
use serde::{Deserialize, Serialize};

/// The version of this protocol. A client speaking another version is closed with
/// [`CloseCode::VERSION_MISMATCH`].
pub const PROTOCOL_VERSION: u16 = 1;

/// Largest frame the relay accepts from a client. Bigger frames are refused with WebSocket close 1009.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Largest frame a client accepts from the relay. Snapshots of a full board are large (a
/// 10,000-stroke board is about 1.3 MB), so this direction has its own, larger bound.
pub const MAX_SERVER_FRAME_BYTES: usize = 32 * 1024 * 1024;

/// Largest token in a Hello.
pub const MAX_TOKEN_BYTES: usize = 1024;

/// Largest SDP offer the relay reads (a browser's offer with audio and video is 4-8 KiB).
pub const MAX_SDP_BYTES: usize = 32 * 1024;

/// The teacher's client batches pen points for this long before sending them.
pub const INK_BATCH_MS: u32 = 50;

/// From a browser to the relay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientMsg {
    /// Must be first. `resume` is the last board sequence number the client already has
    /// (`None` for a fresh page): the relay then sends exactly the ops after it, or a snapshot.
    Hello {
        version: u16,
        token: String,
        page: PageId,
        resume: Option<u64>,
    },
    /// A change to the board. `cseq` counts this page's ops from 1; the relay acknowledges each
    /// once it is stored, and ignores (but acknowledges again) a `cseq` it has already applied.
    Op { cseq: u32, op: ClientOp },
    /// The teacher's laser pointer moved (`Some`) or was put away (`None`). Never stored.
    Pointer(Option<Pointer>),
    /// Keep-alive; answered with [`ServerMsg::Pong`].
    Ping { nonce: u32 },
    /// Compact form of `Op { cseq: <this connection's previous cseq> + 1, op: Extend { deltas } }`,
    /// for the pen's 50 ms batches. Only valid after an `Op` on the same connection.
    Ink { deltas: Deltas },
    /// Publish this connection's camera and microphone: `sdp` is a WebRTC offer whose media
    /// sections are send-only (at most one audio and one video). Answered with
    /// [`ServerMsg::MediaAnswer`] or [`ServerMsg::MediaRefused`] carrying the same `req`. A
    /// second `Publish` replaces the first (e.g. after switching the camera on).
    Publish { req: u32, sdp: String },
    /// Receive one [`Source`] listed in [`ServerMsg::Sources`]: `sdp` is a receive-only offer.
    Subscribe {
        req: u32,
        source: MediaId,
        sdp: String,
    },
    /// End one Publication or Subscription of this connection.
    EndMedia { media: MediaId },
    /// The teacher gives a classroom the floor (`Some`): every classroom then sees and hears it.
    /// `None` takes the floor back.
    Floor(Option<ClassroomId>),
}

/// One published camera/microphone a connection may receive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The Publication's id; pass it to [`ClientMsg::Subscribe`].
    pub id: MediaId,
    /// Who publishes it.
    pub role: Role,
    pub audio: bool,
    pub video: bool,
}

/// What a drawing client asks for. The relay turns it into a sequenced [`Op`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientOp {
    /// Pen down: begins this page's open stroke.
    Begin {
        page: u16,
        style: Style,
        start: Point,
        deltas: Deltas,
    },
    /// Pen moved: more points for this page's open stroke.
    Extend {
        deltas: Deltas,
    },
    /// Pen up: the open stroke is finished.
    End,
    Erase {
        page: u16,
        strokes: Vec<crate::ids::StrokeId>,
    },
    Clear {
        page: u16,
    },
    Undo,
    Redo,
    AddPage,
    ShowPage {
        page: u16,
    },
}

impl ClientOp {
    /// The board op this asks for, given the sender's open stroke (the one its Extend and End mean).
    pub fn resolve(self, open: Option<crate::ids::StrokeId>) -> Result<Op, Refusal> {
        Ok(match self {
            ClientOp::Begin {
                page,
                style,
                start,
                deltas,
            } => Op::Begin {
                page,
                style,
                start,
                deltas,
            },
            ClientOp::Extend { deltas } => Op::Extend {
                stroke: open.ok_or(Refusal::NoOpenStroke)?,
                deltas,
            },
            ClientOp::End => Op::End {
                stroke: open.ok_or(Refusal::NoOpenStroke)?,
            },
            ClientOp::Erase { page, strokes } => Op::Erase { page, strokes },
            ClientOp::Clear { page } => Op::Clear { page },
            ClientOp::Undo => Op::Undo,
            ClientOp::Redo => Op::Redo,
            ClientOp::AddPage => Op::AddPage,
            ClientOp::ShowPage { page } => Op::ShowPage { page },
        })
    }
}

/// One connection's side of the compact [`ClientMsg::Ink`]: the sender compacts an `Extend` whose
/// cseq follows the previous op's, the receiver expands it back. Start a new one per connection.
#[derive(Clone, Copy, Debug, Default)]
pub struct InkCseq {
    last: Option<u32>,
}

impl InkCseq {
    /// The message to send for `msg` (an `Ink` where the cseq is implied).
    pub fn compact(&mut self, msg: ClientMsg) -> ClientMsg {
        match msg {
            ClientMsg::Op {
                cseq,
                op: ClientOp::Extend { deltas },
            } if self.last.and_then(|c| c.checked_add(1)) == Some(cseq) => {
                self.last = Some(cseq);
                ClientMsg::Ink { deltas }
            }
            msg => {
                if let ClientMsg::Op { cseq, .. } = &msg {
                    self.last = Some(*cseq);
                }
                msg
            }
        }
    }

    /// The message `msg` stands for (`Ink` becomes its `Op`); `None` for an `Ink` with no op before it.
    pub fn expand(&mut self, msg: ClientMsg) -> Option<ClientMsg> {
        let msg = match msg {
            ClientMsg::Ink { deltas } => {
                let cseq = self.last?.checked_add(1)?;
                ClientMsg::Op {
                    cseq,
                    op: ClientOp::Extend { deltas },
                }
            }
            other => other,
        };
        if let ClientMsg::Op { cseq, .. } = &msg {
            self.last = Some(*cseq);
        }
        Some(msg)
    }
}

/// The laser pointer: live presence, never part of the board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    pub page: u16,
    pub at: Point,
}

/// Someone expected in, or present in, the lesson.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    pub role: Role,
    pub name: String,
    pub online: bool,
}

/// From the relay to a browser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerMsg {
    /// Answer to Hello. The board follows as a [`ServerMsg::Snapshot`] or as [`ServerMsg::Ops`].
    Welcome {
        version: u16,
        lesson: LessonId,
        title: String,
        role: Role,
        server_time_ms: u64,
    },
    /// The whole board; replaces whatever the client had.
    Snapshot(Box<Board>),
    /// Consecutive ops: the first has sequence number `first`, the next `first + 1`, ...
    Ops {
        first: u64,
        ops: Vec<Op>,
    },
    /// The op the page sent as `cseq` is stored (it is op `seq`, or was already applied).
    Ack {
        cseq: u32,
        seq: u64,
    },
    /// The op the page sent as `cseq` was not applied.
    Refused {
        cseq: u32,
        reason: Refusal,
    },
    /// The teacher's laser pointer.
    Pointer(Option<Pointer>),
    /// Who is in the lesson.
    Roster(Vec<Attendee>),
    Pong {
        nonce: u32,
    },
    /// A protocol error. For fatal errors the relay closes the socket right after, with the
    /// matching [`CloseCode`].
    Error {
        code: u16,
        message: String,
    },
    /// Compact form of `Ops { first: <the client's board seq> + 1, ops: [Extend { stroke:
    /// <board.last_begun>, deltas }] }`: the next op, more points for the stroke begun last.
    Ink {
        deltas: Deltas,
    },
    /// The answer to a [`ClientMsg::Publish`] or [`ClientMsg::Subscribe`] with this `req`;
    /// `media` names the new Publication or Subscription (for [`ClientMsg::EndMedia`]).
    MediaAnswer {
        req: u32,
        media: MediaId,
        sdp: String,
    },
    /// The `Publish` or `Subscribe` with this `req` was not accepted.
    MediaRefused {
        req: u32,
        reason: String,
    },
    /// What this connection may receive now, and who has the floor. Sent on joining and
    /// whenever it changes; a subscription to a source no longer listed has been ended.
    Sources {
        floor: Option<ClassroomId>,
        sources: Vec<Source>,
    },
    /// The relay ended this Publication or Subscription (its source left, or the floor was taken
    /// back).
    MediaEnded {
        media: MediaId,
    },
    /// Sent on joining, before `Sources`: which Publication and Subscriptions of this page's
    /// previous connection (same `PageId`, its link lost moments ago) continue on this one. The
    /// page keeps those peer connections and closes the others. Empty for a fresh page.
    MediaResumed {
        publication: Option<MediaId>,
        /// `(source, media)` of each Subscription that continues.
        subscriptions: Vec<(MediaId, MediaId)>,
    },
    /// Sent on joining, first of the media messages: the STUN/TURN servers the page's own peer
    /// connections use (for classrooms whose network blocks UDP or hides them behind strict NAT).
    /// Empty unless the relay is configured with some.
    IceServers(Vec<IceServer>),
    /// To the teacher (and observers), every 2 s while classrooms receive the lesson: how each
    /// classroom's link fares (what the relay measures on the media it sends there).
    Links(Vec<crate::link::ClassroomLink>),
}

/// A STUN or TURN server, as `RTCIceServer` takes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    pub username: String,
    pub credential: String,
}

/// Why an op was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum Refusal {
    #[error("your role may not change the board")]
    NotAllowed,
    #[error("no stroke is being drawn")]
    NoOpenStroke,
    #[error("{0}")]
    Board(#[from] BoardError),
    #[error("the board could not be saved; try again")]
    NotStored,
}

/// WebSocket close codes the relay uses (4000-4999 are application codes).
pub struct CloseCode;

impl CloseCode {
    /// A frame was larger than [`MAX_FRAME_BYTES`].
    pub const TOO_BIG: u16 = 1009;
    /// The frame could not be decoded.
    pub const MALFORMED: u16 = 4400;
    /// The token is missing, forged, altered, expired or for another lesson.
    pub const UNAUTHORIZED: u16 = 4401;
    /// The client speaks another protocol version.
    pub const VERSION_MISMATCH: u16 = 4426;
    /// The same page connected again; this older connection is closed.
    pub const REPLACED: u16 = 4409;
    /// The lesson does not exist.
    pub const NO_SUCH_LESSON: u16 = 4404;
    /// The lesson's time is over: the join link it was opened with expired while connected.
    pub const LESSON_OVER: u16 = 4410;
    /// The client sent too much too fast.
    pub const RATE_LIMITED: u16 = 4429;
    /// The lesson has as many connections as it serves; try again later.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The relay is shutting down or the lesson was closed.
    pub const GOING_AWAY: u16 = 1001;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn extend(cseq: u32) -> ClientMsg {
        ClientMsg::Op {
            cseq,
            op: ClientOp::Extend {
                deltas: Deltas(vec![crate::points::Delta { dx: 1, dy: 2 }]),
            },
        }
    }

    #[test]
    fn consecutive_extends_travel_as_ink_and_expand_back() {
        let (mut tx, mut rx) = (InkCseq::default(), InkCseq::default());
        let sent = [
            ClientMsg::Op {
                cseq: 7,
                op: ClientOp::End,
            },
            extend(8),
            extend(9),
            extend(11),
            ClientMsg::Ping { nonce: 1 },
            extend(12),
        ];
        let wire: Vec<ClientMsg> = sent.iter().cloned().map(|m| tx.compact(m)).collect();
        assert!(matches!(wire[0], ClientMsg::Op { cseq: 7, .. }));
        assert!(matches!(wire[1], ClientMsg::Ink { .. }));
        assert!(matches!(wire[2], ClientMsg::Ink { .. }));
        assert!(
            matches!(wire[3], ClientMsg::Op { cseq: 11, .. }),
            "a gap in cseq is sent in full"
        );
        assert!(matches!(wire[5], ClientMsg::Ink { .. }));
        let back: Vec<ClientMsg> = wire.into_iter().map(|m| rx.expand(m).unwrap()).collect();
        assert_eq!(back, sent);
    }

    #[test]
    fn ink_first_on_a_connection_is_refused() {
        assert_eq!(
            InkCseq::default().expand(ClientMsg::Ink {
                deltas: Deltas::default()
            }),
            None
        );
    }
}
