//! A classroom joining in the same batch as ops gets each op exactly once: the ops before its join
//! inside its snapshot, the ops after it as live ops. (Found by the randomized sync test: the
//! snapshot used to include ops handled later in the same batch, which then arrived again.)

use relay::room::task::{self, Command, Outbound, OUTBOUND_CAPACITY};
use relay::room::ConnId;
use relay::store::Store;
use shared::codec::decode_server;
use shared::ids::{ClassroomId, PageId, Role};
use shared::protocol::{ClientMsg, ClientOp, ServerMsg};
use std::time::Duration;
use tokio::sync::mpsc;

#[tokio::test]
async fn a_joiner_mid_batch_receives_every_op_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    relay::demo::seed(&store, 0).await.unwrap();
    let (room_tx, room_rx) = mpsc::channel(task::COMMAND_CAPACITY);
    let (teacher_tx, _teacher_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    let (class_tx, mut class_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    let join = |conn: u64, role, outbound| Command::Join {
        conn: ConnId(conn),
        role,
        link: None,
        page: PageId(conn),
        resume: None,
        outbound,
    };
    let page = |cseq| Command::Msg {
        conn: ConnId(1),
        msg: ClientMsg::Op {
            cseq,
            op: ClientOp::AddPage,
        },
    };
    // Everything is queued before the room task starts, so it is handled as one batch.
    room_tx
        .send(join(1, Role::Teacher, teacher_tx))
        .await
        .unwrap();
    room_tx.send(page(1)).await.unwrap();
    room_tx.send(page(2)).await.unwrap();
    room_tx
        .send(join(2, Role::Classroom(ClassroomId(2)), class_tx))
        .await
        .unwrap();
    room_tx.send(page(3)).await.unwrap();
    room_tx.send(page(4)).await.unwrap();
    let room = tokio::spawn(task::run(relay::demo::DEMO_LESSON, store, room_rx));

    let mut seqs = Vec::new();
    let mut snapshot = None;
    while seqs.last() != Some(&4) {
        let item = tokio::time::timeout(Duration::from_secs(5), class_rx.recv())
            .await
            .expect("frames in time");
        let Some(Outbound::Frame(bytes)) = item else {
            panic!("closed")
        };
        match decode_server(&bytes).unwrap() {
            ServerMsg::Snapshot(b) => snapshot = Some(b.seq),
            ServerMsg::Ops { first, ops } => seqs.extend((0..ops.len() as u64).map(|i| first + i)),
            _ => {}
        }
    }
    assert_eq!(
        snapshot,
        Some(2),
        "the snapshot is the board the classroom joined"
    );
    assert_eq!(seqs, vec![3, 4], "then exactly the ops after it");
    drop(room_tx);
    let _ = tokio::time::timeout(Duration::from_secs(5), room).await;
}
