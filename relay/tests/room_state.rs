//! The room as a plain state machine: no sockets, no clock, no sleeps.

use relay::room::state::{Input, Output, Room, RESUME_WINDOW};
use relay::room::ConnId;
use relay::store::{LessonInfo, LoadedBoard};
use shared::board::{Board, Op, Style, Tool};
use shared::ids::{ClassroomId, LessonId, PageId, Role};
use shared::points::{Deltas, Point};
use shared::protocol::{ClientMsg, ClientOp, CloseCode, Refusal, ServerMsg};

fn room() -> Room {
    let info = LessonInfo {
        id: LessonId(1),
        title: "分数".into(),
        teacher: "王老师".into(),
        starts_at: 0,
        ends_at: 1,
        classrooms: vec![(ClassroomId(2), "A".into()), (ClassroomId(3), "B".into())],
    };
    Room::restore(
        info,
        LoadedBoard {
            board: Board::new(),
            pages: Default::default(),
            tail: vec![],
        },
    )
    .unwrap()
}

fn join(r: &mut Room, conn: u64, role: Role, page: u64, resume: Option<u64>) -> Vec<Output> {
    r.handle(Input::Join {
        conn: ConnId(conn),
        role,
        link: None,
        page: PageId(page),
        resume,
        now_ms: 0,
    });
    r.take_outputs()
}

fn op(r: &mut Room, conn: u64, cseq: u32, op: ClientOp) -> Vec<Output> {
    r.handle(Input::Msg {
        conn: ConnId(conn),
        msg: ClientMsg::Op { cseq, op },
    });
    r.take_outputs()
}

fn begin() -> ClientOp {
    ClientOp::Begin {
        page: 0,
        style: Style {
            tool: Tool::Pen,
            color: 0,
            width: 3,
        },
        start: Point::new(1, 1),
        deltas: Deltas::default(),
    }
}

#[test]
fn a_fresh_joiner_gets_welcome_snapshot_and_roster() {
    let mut r = room();
    let out = join(&mut r, 1, Role::Classroom(ClassroomId(2)), 10, None);
    assert!(matches!(
        &out[0],
        Output::Send {
            conn: ConnId(1),
            msg: ServerMsg::Welcome { .. }
        }
    ));
    assert_eq!(out[1], Output::Snapshot { conn: ConnId(1) });
    match &out[2] {
        Output::Broadcast {
            msg: ServerMsg::Roster(list),
            ..
        } => {
            assert_eq!(list.len(), 3);
            assert!(list[1].online && !list[2].online && !list[0].online);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ops_are_stored_before_they_are_broadcast_and_acknowledged() {
    let mut r = room();
    join(&mut r, 1, Role::Teacher, 10, None);
    let out = op(&mut r, 1, 1, begin());
    assert!(matches!(out[0], Output::Store(ref s) if s.seq == 1 && s.cseq == 1));
    assert!(matches!(
        out[1],
        Output::Broadcast {
            msg: ServerMsg::Ops { first: 1, .. },
            except: None
        }
    ));
    assert_eq!(
        out[2],
        Output::Send {
            conn: ConnId(1),
            msg: ServerMsg::Ack { cseq: 1, seq: 1 }
        }
    );
}

#[test]
fn a_resent_op_is_acknowledged_not_applied_twice() {
    let mut r = room();
    join(&mut r, 1, Role::Teacher, 10, None);
    op(&mut r, 1, 1, begin());
    r.handle(Input::Leave {
        conn: ConnId(1),
        now_ms: 0,
    });
    r.take_outputs();
    join(&mut r, 2, Role::Teacher, 10, Some(1));
    let out = op(&mut r, 2, 1, begin());
    assert_eq!(
        out,
        vec![Output::Send {
            conn: ConnId(2),
            msg: ServerMsg::Ack { cseq: 1, seq: 1 }
        }]
    );
    assert_eq!(r.board().seq, 1);
}

#[test]
fn resume_sends_exactly_the_missing_ops_or_a_snapshot_when_too_old() {
    let mut r = room();
    join(&mut r, 1, Role::Teacher, 10, None);
    for cseq in 1..=5 {
        op(&mut r, 1, cseq, ClientOp::AddPage);
    }
    let out = join(&mut r, 2, Role::Observer, 11, Some(3));
    assert!(out.iter().any(|o| matches!(o, Output::Send { conn: ConnId(2), msg: ServerMsg::Ops { first: 4, ops } } if ops.len() == 2)));
    let out = join(&mut r, 3, Role::Observer, 12, Some(5));
    assert!(!out.iter().any(|o| matches!(
        o,
        Output::Snapshot { .. }
            | Output::Send {
                msg: ServerMsg::Ops { .. },
                ..
            }
    )));
    // A client claiming to be ahead of the relay gets the relay's board.
    let out = join(&mut r, 4, Role::Observer, 13, Some(99));
    assert!(out.contains(&Output::Snapshot { conn: ConnId(4) }));
}

#[test]
fn resume_older_than_the_window_gets_a_snapshot() {
    let mut r = room();
    join(&mut r, 1, Role::Teacher, 10, None);
    // Strokes of Begin + End: 2 ops each.
    for i in 0..(RESUME_WINDOW as u32 / 2 + 10) {
        op(&mut r, 1, 2 * i + 1, begin());
        op(&mut r, 1, 2 * i + 2, ClientOp::End);
    }
    let out = join(&mut r, 2, Role::Observer, 11, Some(1));
    assert!(out.contains(&Output::Snapshot { conn: ConnId(2) }));
    let head = r.board().seq;
    let out = join(&mut r, 3, Role::Observer, 12, Some(head - 10));
    assert!(out.iter().any(|o| matches!(o, Output::Send { msg: ServerMsg::Ops { first, ops }, .. } if *first == head - 9 && ops.len() == 10)));
}

#[test]
fn classrooms_may_not_draw_and_strangers_may_not_join() {
    let mut r = room();
    join(&mut r, 1, Role::Classroom(ClassroomId(2)), 10, None);
    let out = op(&mut r, 1, 1, begin());
    assert_eq!(
        out,
        vec![Output::Send {
            conn: ConnId(1),
            msg: ServerMsg::Refused {
                cseq: 1,
                reason: Refusal::NotAllowed
            }
        }]
    );
    let out = join(&mut r, 2, Role::Classroom(ClassroomId(9)), 11, None);
    assert!(
        matches!(&out[0], Output::Close { conn: ConnId(2), code, .. } if *code == CloseCode::UNAUTHORIZED)
    );
    assert_eq!(r.member_count(), 1);
}

#[test]
fn the_same_classroom_twice_closes_the_older_connection() {
    let mut r = room();
    join(&mut r, 1, Role::Classroom(ClassroomId(3)), 10, None);
    let out = join(&mut r, 2, Role::Classroom(ClassroomId(3)), 11, None);
    assert!(
        matches!(&out[0], Output::Close { conn: ConnId(1), code, .. } if *code == CloseCode::REPLACED)
    );
    assert_eq!(r.member_count(), 1);
}

#[test]
fn a_new_stroke_finishes_a_stroke_left_open() {
    let mut r = room();
    join(&mut r, 1, Role::Teacher, 10, None);
    op(&mut r, 1, 1, begin());
    op(&mut r, 1, 2, begin());
    let first = r.board().stroke(shared::ids::StrokeId(1)).unwrap().1;
    assert!(!first.open);
    assert_eq!(r.board().seq, 3);
    let out = op(&mut r, 1, 3, ClientOp::End);
    assert!(out.iter().any(
        |o| matches!(o, Output::Store(s) if s.op == Op::End { stroke: shared::ids::StrokeId(3) })
    ));
    // With nothing open, Extend is refused with a reason.
    let out = op(
        &mut r,
        1,
        4,
        ClientOp::Extend {
            deltas: Deltas::default(),
        },
    );
    assert_eq!(
        out,
        vec![Output::Send {
            conn: ConnId(1),
            msg: ServerMsg::Refused {
                cseq: 4,
                reason: Refusal::NoOpenStroke
            }
        }]
    );
}

#[test]
fn only_the_teacher_moves_the_pointer_and_it_is_never_stored() {
    let mut r = room();
    join(&mut r, 1, Role::Teacher, 10, None);
    join(&mut r, 2, Role::Classroom(ClassroomId(2)), 11, None);
    let p = shared::protocol::Pointer {
        page: 0,
        at: Point::new(5, 5),
    };
    r.handle(Input::Msg {
        conn: ConnId(1),
        msg: ClientMsg::Pointer(Some(p)),
    });
    let out = r.take_outputs();
    assert_eq!(
        out,
        vec![Output::Broadcast {
            msg: ServerMsg::Pointer(Some(p)),
            except: Some(ConnId(1))
        }]
    );
    r.handle(Input::Msg {
        conn: ConnId(2),
        msg: ClientMsg::Pointer(None),
    });
    let out = r.take_outputs();
    assert!(matches!(
        &out[0],
        Output::Send {
            conn: ConnId(2),
            msg: ServerMsg::Error { code: 4403, .. }
        }
    ));
    assert_eq!(r.board().seq, 0);
    // A late joiner sees where the pointer is.
    let out = join(&mut r, 3, Role::Observer, 12, None);
    assert!(out.contains(&Output::Send {
        conn: ConnId(3),
        msg: ServerMsg::Pointer(Some(p))
    }));
}

#[test]
fn pen_batches_for_the_stroke_begun_last_go_out_as_ink() {
    let mut r = room();
    join(&mut r, 1, Role::Teacher, 10, None);
    op(&mut r, 1, 1, begin());
    let deltas = Deltas::walk(Point::new(1, 1), &[Point::new(5, 5)]);
    let out = op(
        &mut r,
        1,
        2,
        ClientOp::Extend {
            deltas: deltas.clone(),
        },
    );
    assert_eq!(
        out[1],
        Output::Broadcast {
            msg: ServerMsg::Ink { deltas },
            except: None
        }
    );
    // A batch of several ops keeps their order: Ops, Ink, Ops.
    r.handle(Input::Msg {
        conn: ConnId(1),
        msg: ClientMsg::Op {
            cseq: 3,
            op: ClientOp::AddPage,
        },
    });
    let d2 = Deltas::walk(Point::new(5, 5), &[Point::new(6, 6)]);
    r.handle(Input::Msg {
        conn: ConnId(1),
        msg: ClientMsg::Op {
            cseq: 4,
            op: ClientOp::Extend { deltas: d2.clone() },
        },
    });
    r.handle(Input::Msg {
        conn: ConnId(1),
        msg: ClientMsg::Op {
            cseq: 5,
            op: ClientOp::End,
        },
    });
    let out = r.take_outputs();
    let sent: Vec<&ServerMsg> = out
        .iter()
        .filter_map(|o| {
            if let Output::Broadcast { msg, .. } = o {
                Some(msg)
            } else {
                None
            }
        })
        .collect();
    assert!(matches!(sent[0], ServerMsg::Ops { first: 3, ops } if ops == &vec![Op::AddPage]));
    assert_eq!(sent[1], &ServerMsg::Ink { deltas: d2 });
    assert!(
        matches!(sent[2], ServerMsg::Ops { first: 5, ops } if matches!(ops[..], [Op::End { .. }]))
    );
}

#[test]
fn a_full_lesson_refuses_more_connections_but_not_the_teacher() {
    let mut r = room();
    for conn in 0..relay::room::state::MAX_MEMBERS as u64 {
        join(&mut r, conn, Role::Observer, 1_000 + conn, None);
    }
    let out = join(&mut r, 5_000, Role::Observer, 9_000, None);
    assert!(
        matches!(&out[0], Output::Close { conn: ConnId(5_000), code, .. } if *code == CloseCode::TRY_AGAIN_LATER)
    );
    let out = join(&mut r, 5_001, Role::Teacher, 9_001, None);
    assert!(matches!(
        &out[0],
        Output::Send {
            conn: ConnId(5_001),
            msg: ServerMsg::Welcome { .. }
        }
    ));
}

#[test]
fn attendance_counts_a_classroom_once_across_reconnects() {
    let mut r = room();
    let joined = join(&mut r, 1, Role::Classroom(ClassroomId(2)), 10, None);
    assert!(joined.contains(&Output::Attendance {
        classroom: ClassroomId(2),
        present: true,
        at_ms: 0
    }));
    // The same classroom from another connection (the older one is replaced): still present.
    let again = join(&mut r, 2, Role::Classroom(ClassroomId(2)), 11, None);
    assert!(!again.iter().any(|o| matches!(o, Output::Attendance { .. })));
    r.handle(Input::Leave {
        conn: ConnId(1),
        now_ms: 5,
    });
    assert!(
        !r.take_outputs()
            .iter()
            .any(|o| matches!(o, Output::Attendance { .. })),
        "the replaced connection leaving is no leave"
    );
    r.handle(Input::Leave {
        conn: ConnId(2),
        now_ms: 9_000,
    });
    assert!(r.take_outputs().contains(&Output::Attendance {
        classroom: ClassroomId(2),
        present: false,
        at_ms: 9_000
    }));
    // Teachers and observers are not classroom attendance.
    let out = join(&mut r, 3, Role::Observer, 12, None);
    assert!(!out.iter().any(|o| matches!(o, Output::Attendance { .. })));
}
