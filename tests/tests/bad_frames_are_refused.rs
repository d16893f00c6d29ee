//! Malformed and oversized frames get a clear error; the lesson carries on for everyone else.

use shared::ids::{PageId, Role};
use shared::protocol::{ClientOp, CloseCode, MAX_FRAME_BYTES};
use tests::client::LessonClient;
use tests::relay::{TestRelay, CLASSROOMS, LESSON};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn malformed_frames_get_an_error_and_the_connection_stays() {
    let relay = TestRelay::start().await;
    let url = relay.ws_url(LESSON);
    let mut teacher =
        LessonClient::connect(&url, &relay.token(Role::Teacher), PageId(1), None).await;
    teacher
        .send_raw(Message::Binary(vec![0xde, 0xad, 0xbe, 0xef].into()))
        .await;
    teacher
        .send_raw(Message::Text("{\"op\":\"draw\"}".into()))
        .await;
    // An Extend announcing 2^32 deltas with none behind them.
    teacher
        .send_raw(Message::Binary(
            vec![1, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f].into(),
        ))
        .await;
    teacher.until("three errors", |c| c.errors.len() == 3).await;
    assert!(
        teacher
            .errors
            .iter()
            .all(|(code, _)| *code == CloseCode::MALFORMED),
        "{:?}",
        teacher.errors
    );
    assert!(teacher.errors[1].1.contains("binary"));
    let cseq = teacher.op(ClientOp::AddPage).await;
    teacher.until("still drawing", |c| c.acked == cseq).await;
}

#[tokio::test]
async fn an_oversized_frame_closes_with_1009_and_others_carry_on() {
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
    let mut rogue = LessonClient::connect(
        &url,
        &relay.token(Role::Classroom(CLASSROOMS[1])),
        PageId(3),
        None,
    )
    .await;
    rogue.until("joined", |c| !c.snapshots.is_empty()).await;

    rogue
        .send_raw(Message::Binary(vec![1u8; MAX_FRAME_BYTES + 1].into()))
        .await;
    let (code, reason) = rogue.closed().await;
    assert_eq!(code, CloseCode::TOO_BIG);
    assert!(reason.contains("exceeds"), "{reason}");

    // Far bigger than the protocol limit (but under the WebSocket layer's 16 MiB cut-off): still 1009.
    let mut huge = LessonClient::connect(
        &url,
        &relay.token(Role::Classroom(CLASSROOMS[2])),
        PageId(4),
        None,
    )
    .await;
    huge.send_raw(Message::Binary(vec![1u8; 2 * 1024 * 1024].into()))
        .await;
    let (code, _) = huge.closed().await;
    assert_eq!(code, CloseCode::TOO_BIG);

    let cseq = teacher.op(ClientOp::AddPage).await;
    teacher
        .until("the teacher carries on", |c| c.acked == cseq)
        .await;
    classroom
        .until("the classroom carries on", |c| c.board.seq == 1)
        .await;
}

#[tokio::test]
async fn a_connection_that_never_says_hello_is_closed() {
    let relay = TestRelay::start().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(relay.ws_url(LESSON))
        .await
        .unwrap();
    use futures_util::{SinkExt, StreamExt};
    ws.send(Message::Binary(
        shared::codec::encode_client(&shared::protocol::ClientMsg::Ping { nonce: 1 }).into(),
    ))
    .await
    .unwrap();
    let mut code = None;
    while let Some(Ok(m)) = ws.next().await {
        if let Message::Close(Some(f)) = m {
            code = Some(u16::from(f.code));
        }
    }
    assert_eq!(code, Some(CloseCode::MALFORMED));
}
