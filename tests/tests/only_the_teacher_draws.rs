//! Who may draw is decided by the relay, not hidden in the UI.

use shared::board::{Style, Tool};
use shared::ids::{PageId, Role};
use shared::points::{Deltas, Point};
use shared::protocol::{ClientMsg, ClientOp, Pointer, Refusal};
use tests::client::LessonClient;
use tests::relay::{TestRelay, CLASSROOMS, LESSON};

#[tokio::test]
async fn classrooms_and_observers_can_not_change_the_board_or_point() {
    let relay = TestRelay::start().await;
    let url = relay.ws_url(LESSON);
    let mut teacher =
        LessonClient::connect(&url, &relay.token(Role::Teacher), PageId(1), None).await;
    let mut classroom = LessonClient::connect(
        &url,
        &relay.token(Role::Classroom(CLASSROOMS[0])),
        PageId(2),
        None,
    )
    .await;
    let mut observer =
        LessonClient::connect(&url, &relay.token(Role::Observer), PageId(3), None).await;
    let style = Style {
        tool: Tool::Pen,
        color: 0,
        width: 4,
    };
    for client in [&mut classroom, &mut observer] {
        let begin = client
            .op(ClientOp::Begin {
                page: 0,
                style,
                start: Point::new(1, 1),
                deltas: Deltas::default(),
            })
            .await;
        let clear = client.op(ClientOp::Clear { page: 0 }).await;
        let page = client.op(ClientOp::AddPage).await;
        client
            .send(&ClientMsg::Pointer(Some(Pointer {
                page: 0,
                at: Point::new(5, 5),
            })))
            .await;
        client
            .until("refusals", |c| c.refused.len() == 3 && !c.errors.is_empty())
            .await;
        assert_eq!(
            client.refused,
            vec![
                (begin, Refusal::NotAllowed),
                (clear, Refusal::NotAllowed),
                (page, Refusal::NotAllowed)
            ]
        );
        assert!(
            client.errors[0].1.contains("only the teacher"),
            "{:?}",
            client.errors
        );
    }
    // Nothing reached the board, and the teacher still draws.
    let cseq = teacher
        .op(ClientOp::Begin {
            page: 0,
            style,
            start: Point::new(1, 1),
            deltas: Deltas::default(),
        })
        .await;
    teacher.until("the teacher's op", |c| c.acked == cseq).await;
    assert_eq!(teacher.board.seq, 1);
    classroom
        .until("the teacher's op reaches the classroom", |c| {
            c.board.seq == 1
        })
        .await;
    assert!(classroom.refused.len() == 3 && classroom.board.stroke_count() == 1);
}

#[tokio::test]
async fn the_same_classroom_joining_twice_closes_the_older_connection() {
    let relay = TestRelay::start().await;
    let url = relay.ws_url(LESSON);
    let token = relay.token(Role::Classroom(CLASSROOMS[1]));
    let mut first = LessonClient::connect(&url, &token, PageId(20), None).await;
    first.until("joined", |c| !c.snapshots.is_empty()).await;
    let mut second = LessonClient::connect(&url, &token, PageId(21), None).await;
    let (code, reason) = first.closed().await;
    assert_eq!(code, shared::protocol::CloseCode::REPLACED);
    assert!(reason.contains("joined again"), "{reason}");
    let mut teacher =
        LessonClient::connect(&url, &relay.token(Role::Teacher), PageId(22), None).await;
    teacher.op(ClientOp::AddPage).await;
    second
        .until("the newer connection keeps the lesson", |c| {
            c.board.seq == 1
        })
        .await;
}
