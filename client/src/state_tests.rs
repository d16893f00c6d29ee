//! Scenarios of the session state machine, without sockets or timers.

use super::*;
use crate::board::redraw::InkRun;
use shared::board::{BoardError, Op, Style, Tool};
use shared::ids::{LessonId, StrokeId};
use shared::points::{Deltas, Point};
use shared::protocol::Refusal;

const STYLE: Style = Style {
    tool: Tool::Pen,
    color: 0x1f2937,
    width: 8,
};

fn begin(x: u16) -> Op {
    Op::Begin {
        page: 0,
        style: STYLE,
        start: Point::new(x, 100),
        deltas: Deltas::walk(Point::new(x, 100), &[Point::new(x + 10, 110)]),
    }
}

fn welcome(role: Role) -> ServerMsg {
    ServerMsg::Welcome {
        version: PROTOCOL_VERSION,
        lesson: LessonId(1),
        title: "数学".into(),
        role,
        server_time_ms: 0,
    }
}

/// A session that opened connection `conn`, was welcomed and got an empty board.
fn connected(role: Role, conn: Conn) -> Session {
    let mut s = Session::new("tok".into(), role, SessionId(42));
    s.opened(conn);
    s.receive(conn, welcome(role));
    s.receive(conn, ServerMsg::Snapshot(Box::new(Board::new())));
    s
}

fn resume_of(hello: ClientMsg) -> Option<u64> {
    match hello {
        ClientMsg::Hello { resume, .. } => resume,
        other => panic!("not a hello: {other:?}"),
    }
}

fn cseqs(msgs: &[ClientMsg]) -> Vec<u32> {
    msgs.iter()
        .filter_map(|m| match m {
            ClientMsg::Op { cseq, .. } => Some(*cseq),
            _ => None,
        })
        .collect()
}

#[test]
fn first_hello_has_no_resume_and_carries_token_and_session() {
    let mut s = Session::new("tok".into(), Role::Observer, SessionId(42));
    assert_eq!(
        s.opened(1),
        ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            token: "tok".into(),
            session: SessionId(42),
            resume: None
        }
    );
    assert_eq!(s.status, Status::Connecting);
}

#[test]
fn ops_are_applied_in_order_and_drawn_incrementally() {
    let mut s = connected(Role::Observer, 1);
    assert_eq!(s.status, Status::Connected);
    let out = s.receive(
        1,
        ServerMsg::Ops {
            first: 1,
            ops: vec![begin(10), begin(50)],
        },
    );
    assert_eq!(s.board.seq, 2);
    assert_eq!(s.board.stroke_count(), 2);
    assert!(!out.reconnect);
    assert_eq!(
        out.board,
        Redraw::Ink(vec![
            InkRun {
                stroke: StrokeId(1),
                from: 0
            },
            InkRun {
                stroke: StrokeId(2),
                from: 0
            }
        ])
    );
}

#[test]
fn duplicate_ops_are_skipped() {
    let mut s = connected(Role::Observer, 1);
    s.receive(
        1,
        ServerMsg::Ops {
            first: 1,
            ops: vec![begin(10), begin(50)],
        },
    );
    // Ops 1-2 again, with op 3 behind them.
    let out = s.receive(
        1,
        ServerMsg::Ops {
            first: 1,
            ops: vec![begin(10), begin(50), begin(90)],
        },
    );
    assert!(!out.reconnect);
    assert_eq!(s.board.seq, 3);
    assert_eq!(s.board.stroke_count(), 3);
    // Entirely old ops change nothing.
    let out = s.receive(
        1,
        ServerMsg::Ops {
            first: 2,
            ops: vec![begin(50)],
        },
    );
    assert!(out.board.is_nothing() && !out.reconnect);
    assert_eq!(s.board.seq, 3);
}

#[test]
fn a_gap_reconnects_and_resumes_from_the_last_op() {
    let mut s = connected(Role::Observer, 1);
    s.receive(
        1,
        ServerMsg::Ops {
            first: 1,
            ops: vec![begin(10)],
        },
    );
    let out = s.receive(
        1,
        ServerMsg::Ops {
            first: 3,
            ops: vec![begin(50)],
        },
    );
    assert!(out.reconnect);
    assert_eq!(s.board.seq, 1, "nothing after the gap is applied");
    s.closed(1000, "", Some(1));
    assert_eq!(s.status, Status::Reconnecting { attempt: 1 });
    assert_eq!(resume_of(s.opened(2)), Some(1));
}

#[test]
fn a_divergence_asks_for_a_snapshot() {
    let mut s = connected(Role::Observer, 1);
    // Extending a stroke that does not exist can not apply.
    let bad = Op::End {
        stroke: StrokeId(9),
    };
    let out = s.receive(
        1,
        ServerMsg::Ops {
            first: 1,
            ops: vec![bad],
        },
    );
    assert!(out.reconnect);
    s.closed(1000, "", Some(1));
    assert_eq!(resume_of(s.opened(2)), None);
    // Once the snapshot came, later reconnects resume again.
    let mut board = Board::new();
    board.apply(1, &begin(10)).unwrap();
    s.receive(2, welcome(Role::Observer));
    s.receive(2, ServerMsg::Snapshot(Box::new(board)));
    s.closed(1006, "", Some(1));
    assert_eq!(resume_of(s.opened(3)), Some(1));
}

#[test]
fn snapshot_replaces_the_board() {
    let mut s = connected(Role::Observer, 1);
    s.receive(
        1,
        ServerMsg::Ops {
            first: 1,
            ops: vec![begin(10), begin(20), begin(30)],
        },
    );
    let mut board = Board::new();
    board.apply(1, &begin(70)).unwrap();
    board.apply(2, &Op::AddPage).unwrap();
    let out = s.receive(1, ServerMsg::Snapshot(Box::new(board.clone())));
    assert_eq!(out.board, Redraw::Full);
    assert_eq!(s.board, board);
    assert_eq!(s.board.current, 1);
}

#[test]
fn ack_pops_the_outbox() {
    let mut s = connected(Role::Teacher, 1);
    let sent: Vec<ClientMsg> = [ClientOp::AddPage, ClientOp::Undo, ClientOp::Redo]
        .into_iter()
        .filter_map(|op| s.local_op(op))
        .collect();
    assert_eq!(cseqs(&sent), [1, 2, 3]);
    assert_eq!(s.unacked(), 3);
    s.receive(1, ServerMsg::Ack { cseq: 2, seq: 7 });
    assert_eq!(s.unacked(), 1);
    let out = s.receive(
        1,
        ServerMsg::Refused {
            cseq: 3,
            reason: Refusal::Board(BoardError::NothingToRedo),
        },
    );
    assert_eq!(s.unacked(), 0);
    assert_eq!(out.notice.as_deref(), Some("没有可重做的操作"));
}

#[test]
fn outbox_is_resent_after_reconnect_with_the_same_cseqs() {
    let mut s = connected(Role::Teacher, 1);
    s.local_op(ClientOp::AddPage);
    s.local_op(ClientOp::Undo);
    s.receive(1, ServerMsg::Ack { cseq: 1, seq: 1 });
    s.closed(1006, "", Some(1));
    // While disconnected ops are queued, not sent.
    assert_eq!(s.local_op(ClientOp::Redo), None);
    assert!(s.presence(None).is_none());
    // Messages of the dead connection are ignored.
    s.receive(1, ServerMsg::Ack { cseq: 3, seq: 9 });
    assert_eq!(s.unacked(), 2);
    s.opened(2);
    let out = s.receive(2, welcome(Role::Teacher));
    assert_eq!(cseqs(&out.send), [2, 3]);
    assert_eq!(s.status, Status::Connected);
    // New ops continue the numbering.
    let next = s.local_op(ClientOp::AddPage).unwrap();
    assert_eq!(cseqs(&[next]), [4]);
}

#[test]
fn classrooms_never_send_ops() {
    let mut s = connected(Role::Observer, 1);
    assert_eq!(s.local_op(ClientOp::Undo), None);
    assert_eq!(s.unacked(), 0);
    assert!(s.presence(None).is_none());
}

#[test]
fn final_close_codes_stop_with_a_reason() {
    assert!(close_is_final(4401) && close_is_final(4426));
    assert!(close_is_final(4404) && close_is_final(4409));
    assert!(!close_is_final(1006) && !close_is_final(4429) && !close_is_final(1001));

    let mut s = Session::new("tok".into(), Role::Observer, SessionId(1));
    s.opened(1);
    s.receive(
        1,
        ServerMsg::Error {
            code: 4401,
            message: "token expired".into(),
        },
    );
    s.closed(4401, "unauthorized", None);
    assert_eq!(
        s.status,
        Status::Closed {
            reason: "链接无效或已过期（token expired）".into()
        }
    );
    assert_eq!(s.status.name(), "closed");
}

#[test]
fn pointer_is_presence_and_goes_away_on_disconnect() {
    let mut s = connected(Role::Observer, 1);
    let p = Pointer {
        page: 0,
        at: Point::new(5, 5),
    };
    assert!(s.receive(1, ServerMsg::Pointer(Some(p))).overlay);
    assert!(!s.receive(1, ServerMsg::Pointer(Some(p))).overlay);
    assert_eq!(s.board.seq, 0);
    assert!(s.closed(1006, "", Some(1)).overlay);
    assert_eq!(s.pointer, None);
}

#[test]
fn own_stroke_leaves_the_overlay_when_the_board_has_its_end() {
    let mut s = connected(Role::Teacher, 1);
    let start = Point::new(10, 100);
    s.local_op(ClientOp::Begin {
        page: 0,
        style: STYLE,
        start,
        deltas: Deltas::default(),
    });
    s.local_op(ClientOp::End);
    assert_eq!(s.local.strokes().len(), 1);
    // Acked as ops 1 and 2, but the echo has not arrived yet.
    assert!(!s.receive(1, ServerMsg::Ack { cseq: 2, seq: 2 }).overlay);
    let echo = vec![
        Op::Begin {
            page: 0,
            style: STYLE,
            start,
            deltas: Deltas::default(),
        },
        Op::End {
            stroke: StrokeId(1),
        },
    ];
    let out = s.receive(
        1,
        ServerMsg::Ops {
            first: 1,
            ops: echo,
        },
    );
    assert!(out.overlay);
    assert!(s.local.strokes().is_empty());
}

#[test]
fn a_fresh_page_counts_as_connected_only_once_it_has_the_board() {
    let mut s = Session::new("tok".into(), Role::Teacher, SessionId(1));
    s.opened(1);
    s.receive(1, welcome(Role::Teacher));
    assert_eq!(s.status, Status::Connecting);
    // Welcomed: the teacher's ops go out even before the board is there.
    assert!(s.local_op(ClientOp::AddPage).is_some());
    let mut board = Board::new();
    board.apply(1, &begin(10)).unwrap();
    s.receive(1, ServerMsg::Snapshot(Box::new(board)));
    assert_eq!(s.status, Status::Connected);
    // A reconnect that resumes is connected on the Welcome (the relay may send nothing more).
    s.closed(1006, "", Some(1));
    s.opened(2);
    s.receive(2, welcome(Role::Teacher));
    assert_eq!(s.status, Status::Connected);
}

#[test]
fn the_current_connection_is_the_one_opened_and_not_closed() {
    let mut s = Session::new("tok".into(), Role::Teacher, SessionId(42));
    assert_eq!(s.conn(), None);
    s.opened(3);
    assert_eq!(s.conn(), Some(3));
    s.closed(1006, "", Some(1));
    assert_eq!(s.conn(), None);
}
