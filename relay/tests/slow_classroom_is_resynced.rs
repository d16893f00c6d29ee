//! A classroom too slow to keep up is resynced from a snapshot; its queue never grows past its
//! bound and nobody else waits for it. Drives the real room task and SQLite store through the
//! channels a connection uses, without sockets.

mod common;

use common::wait::until;
use relay::room::task::{self, Command, Outbound, OUTBOUND_CAPACITY};
use relay::room::ConnId;
use relay::store::Store;
use shared::codec::decode_server;
use shared::ids::{ClassroomId, PageId, Role};
use shared::protocol::{ClientMsg, ClientOp, ServerMsg};
use std::time::Duration;
use tokio::sync::mpsc;

fn begin() -> ClientOp {
    let style = shared::board::Style {
        tool: shared::board::Tool::Pen,
        color: 0,
        width: 3,
    };
    let start = shared::points::Point::new(10, 10);
    ClientOp::Begin {
        page: 0,
        style,
        start,
        deltas: shared::points::Deltas::default(),
    }
}

fn frames(rx: &mut mpsc::Receiver<Outbound>) -> Vec<ServerMsg> {
    let mut out = Vec::new();
    while let Ok(item) = rx.try_recv() {
        if let Outbound::Frame(bytes) = item {
            out.push(decode_server(&bytes).expect("valid frame"));
        }
    }
    out
}

#[tokio::test]
async fn a_slow_classroom_is_resynced_and_the_others_are_not_held_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    relay::demo::seed(&store, 0).await.unwrap();
    let (room_tx, room_rx) = mpsc::channel(task::COMMAND_CAPACITY);
    let room = tokio::spawn(task::run(relay::demo::DEMO_LESSON, store.clone(), room_rx));

    let (teacher_tx, mut teacher_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    let (slow_tx, mut slow_rx) = mpsc::channel(OUTBOUND_CAPACITY);
    let join = |conn: u64, role, outbound| Command::Join {
        conn: ConnId(conn),
        role,
        link: None,
        page: PageId(conn),
        resume: None,
        outbound,
    };
    room_tx
        .send(join(1, Role::Teacher, teacher_tx))
        .await
        .unwrap();
    room_tx
        .send(join(2, Role::Classroom(ClassroomId(2)), slow_tx))
        .await
        .unwrap();

    // Far more ops than the slow classroom's queue holds. The teacher reads everything: each op
    // is acknowledged before the next is sent, so each becomes its own frame.
    let total = 3 * OUTBOUND_CAPACITY as u32;
    let mut teacher_seen = 0u64;
    for cseq in 1..=total {
        let op = if cseq % 2 == 1 {
            begin()
        } else {
            ClientOp::End
        };
        room_tx
            .send(Command::Msg {
                conn: ConnId(1),
                msg: ClientMsg::Op { cseq, op },
            })
            .await
            .unwrap();
        loop {
            let item = tokio::time::timeout(Duration::from_secs(5), teacher_rx.recv()).await;
            let Ok(Some(Outbound::Frame(bytes))) = item else {
                panic!("the teacher was held back at op {cseq}")
            };
            match decode_server(&bytes).unwrap() {
                ServerMsg::Ops { first, ops } => teacher_seen = first + ops.len() as u64 - 1,
                ServerMsg::Ack { cseq: acked, .. } if acked == cseq => break,
                _ => {}
            }
        }
    }
    assert_eq!(teacher_seen, u64::from(total), "the teacher saw every op");
    // The slow queue is at its bound, not beyond.
    assert_eq!(slow_rx.len(), OUTBOUND_CAPACITY);

    // It drains; on the next tick it gets the whole board as a snapshot.
    let stale = frames(&mut slow_rx);
    assert_eq!(stale.len(), OUTBOUND_CAPACITY);
    let snapshot = until("a resync snapshot", Duration::from_secs(5), async || {
        let fresh = frames(&mut slow_rx);
        let found = fresh.iter().find_map(|m| match m {
            ServerMsg::Snapshot(b) => Some(b.clone()),
            _ => None,
        });
        found.ok_or_else(|| format!("{} other frames", fresh.len()))
    })
    .await;
    assert_eq!(snapshot.seq, u64::from(total));
    assert_eq!(snapshot.stroke_count(), total as usize / 2);

    // And it follows live ops again.
    room_tx
        .send(Command::Msg {
            conn: ConnId(1),
            msg: ClientMsg::Op {
                cseq: total + 1,
                op: ClientOp::AddPage,
            },
        })
        .await
        .unwrap();
    let next = u64::from(total) + 1;
    until("the next live op", Duration::from_secs(5), async || {
        let fresh = frames(&mut slow_rx);
        if fresh
            .iter()
            .any(|m| matches!(m, ServerMsg::Ops { first, .. } if *first == next))
        {
            Ok(())
        } else {
            Err(format!("{fresh:?}"))
        }
    })
    .await;
    drop(room_tx);
    let _ = tokio::time::timeout(Duration::from_secs(5), room).await;
}
