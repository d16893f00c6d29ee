//! A classroom that joins late receives the whole board, then live ops; the teacher's strokes
//! stream to every classroom as they are drawn.

use shared::board::{Style, Tool};
use shared::ids::{PageId, Role};
use shared::points::{Deltas, Point};
use shared::protocol::{ClientOp, ServerMsg};
use tests::client::LessonClient;
use tests::relay::{TestRelay, CLASSROOMS, LESSON};
use tests::WAIT;

fn pen() -> Style {
    Style {
        tool: Tool::Pen,
        color: 0x1f2937,
        width: 6,
    }
}

async fn draw_stroke(teacher: &mut LessonClient, y: u16) {
    let start = Point::new(100, y);
    teacher
        .op(ClientOp::Begin {
            page: 0,
            style: pen(),
            start,
            deltas: Deltas::default(),
        })
        .await;
    let mut last = start;
    for i in 1..=5u16 {
        let next = Point::new(100 + i * 40, y + i);
        teacher
            .op(ClientOp::Extend {
                deltas: Deltas::walk(last, &[next]),
            })
            .await;
        last = next;
    }
    teacher.op(ClientOp::End).await;
}

#[tokio::test]
async fn late_joiner_gets_the_full_board_then_live_ops() {
    let relay = TestRelay::start().await;
    let url = relay.ws_url(LESSON);
    let mut teacher =
        LessonClient::connect(&url, &relay.token(Role::Teacher), PageId(1), None).await;
    let early_token = relay.token(Role::Classroom(CLASSROOMS[0]));
    let mut early = LessonClient::connect(&url, &early_token, PageId(2), None).await;
    early
        .until("the early classroom's snapshot", |c| c.snapshots == [0])
        .await;

    for i in 0..10 {
        draw_stroke(&mut teacher, 100 + i * 50).await;
    }
    teacher.op(ClientOp::AddPage).await;
    let cseq = teacher
        .op(ClientOp::Erase {
            page: 0,
            strokes: vec![shared::ids::StrokeId(1)],
        })
        .await;
    teacher
        .until("every op acknowledged", |c| c.acked >= cseq)
        .await;
    let head = teacher.board.seq;
    assert_eq!(teacher.board.stroke_count(), 9);

    // The early classroom saw every op live, each once and in order.
    early.until("live ops", |c| c.board.seq == head).await;
    assert_eq!(early.applied, (1..=head).collect::<Vec<_>>());
    assert_eq!(early.board, teacher.board);

    // A late classroom gets the same board in one snapshot.
    let late_token = relay.token(Role::Classroom(CLASSROOMS[1]));
    let mut late = LessonClient::connect(&url, &late_token, PageId(3), None).await;
    let mut got_snapshot = false;
    while late.board.seq < head {
        match late.recv(WAIT).await.expect("the late joiner's board") {
            ServerMsg::Snapshot(_) => got_snapshot = true,
            ServerMsg::Ops { .. } => panic!("a fresh joiner gets a snapshot, not a replay"),
            _ => {}
        }
    }
    assert!(got_snapshot);
    assert_eq!(late.board, teacher.board);
    assert_eq!(
        late.board.current, 1,
        "classrooms follow the page the teacher shows"
    );

    // ...and live ops after it.
    draw_stroke(&mut teacher, 900).await;
    let head = head + 7;
    late.until("live ops after the snapshot", |c| c.board.seq == head)
        .await;
    teacher.until("teacher echo", |c| c.board.seq == head).await;
    assert_eq!(late.board, teacher.board);
}

#[tokio::test]
async fn a_reconnecting_classroom_receives_exactly_what_it_missed() {
    let relay = TestRelay::start().await;
    let url = relay.ws_url(LESSON);
    let mut teacher =
        LessonClient::connect(&url, &relay.token(Role::Teacher), PageId(10), None).await;
    let token = relay.token(Role::Classroom(CLASSROOMS[2]));
    let mut classroom = LessonClient::connect(&url, &token, PageId(11), None).await;
    // Joined (the media Sources follow the Welcome and the board) before the teacher draws, so
    // every op arrives as an op, not inside the joining snapshot.
    classroom.until("joined", |c| c.sources_seen > 0).await;
    draw_stroke(&mut teacher, 200).await;
    classroom.until("first stroke", |c| c.board.seq == 7).await;
    classroom.disconnect().await;

    draw_stroke(&mut teacher, 400).await;
    teacher
        .until("second stroke stored", |c| c.acked == 14)
        .await;

    // It resumes at 7 and must receive 8..=14 only.
    let mut again = classroom.reconnect(&url, &token).await;
    again.until("the missed ops", |c| c.board.seq == 14).await;
    assert_eq!(again.applied, (1..=14).collect::<Vec<_>>());
    assert_eq!(again.board, teacher.board);

    // A second resume in a row, with nothing missed, replays nothing and keeps working.
    again.disconnect().await;
    let mut third = again.reconnect(&url, &token).await;
    draw_stroke(&mut teacher, 600).await;
    third
        .until("live ops after an empty resume", |c| c.board.seq == 21)
        .await;
    assert_eq!(third.applied, (1..=21).collect::<Vec<_>>());
}
