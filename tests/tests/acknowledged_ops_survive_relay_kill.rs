//! SIGKILL the relay during a burst of strokes, restart it on the same database: every
//! acknowledged op is there; the teacher resends what was not acknowledged and nothing is doubled.

use shared::board::{Board, Style, Tool};
use shared::ids::{PageId, Role};
use shared::points::Deltas;
use shared::protocol::ClientOp;
use shared::testkit::{pen_path, resolve, Rng};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tests::client::LessonClient;
use tests::relay::{TestRelay, CLASSROOMS, LESSON};
use tests::{wait, WAIT};

/// A burst of strokes: Begin, 8 Extends, End each.
fn burst(strokes: usize) -> Vec<ClientOp> {
    let mut rng = Rng::new(7);
    let mut ops = Vec::new();
    for i in 0..strokes {
        let pts = pen_path(&mut rng, 17, 1600.0, 6.0);
        let style = Style {
            tool: Tool::Pen,
            color: (i as u32 * 977) & 0xFF_FFFF,
            width: 4,
        };
        ops.push(ClientOp::Begin {
            page: 0,
            style,
            start: pts[0],
            deltas: Deltas::walk(pts[0], &pts[1..2]),
        });
        for w in pts[1..].chunks(2).collect::<Vec<_>>().windows(2) {
            let from = *w[0].last().unwrap_or(&pts[0]);
            ops.push(ClientOp::Extend {
                deltas: Deltas::walk(from, w[1]),
            });
        }
        ops.push(ClientOp::End);
    }
    ops
}

#[tokio::test]
async fn every_acknowledged_op_survives_sigkill() {
    let relay = TestRelay::start().await;
    let url = relay.ws_url(LESSON);
    let teacher_token = relay.token(Role::Teacher);
    let mut teacher = LessonClient::connect(&url, &teacher_token, PageId(77), None).await;
    teacher.until("joined", |c| !c.snapshots.is_empty()).await;
    let ops = burst(90);
    assert!(ops.len() > 800);
    let (first, rest) = ops.split_at(ops.len() / 2);
    for op in first {
        teacher.op(op.clone()).await;
    }
    // Kill while the rest of the burst is still being sent, one op a millisecond.
    teacher
        .until("the first acknowledgements", |c| c.acked >= 50)
        .await;
    let sent = Arc::new(AtomicUsize::new(0));
    let killer = {
        let sent = Arc::clone(&sent);
        tokio::spawn(async move {
            wait::until_sync(
                "the second half of the burst under way",
                WAIT,
                || match sent.load(Ordering::Relaxed) {
                    n if n >= 25 => Ok(()),
                    n => Err(format!("{n} ops sent")),
                },
            )
            .await;
            relay.kill().await
        })
    };
    for op in rest {
        teacher.op(op.clone()).await;
        sent.fetch_add(1, Ordering::Relaxed);
        // The pace of the burst (a pen sending an op a millisecond), not a wait for anything.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let data = killer.await.expect("the relay was killed");
    while teacher.recv(Duration::from_millis(100)).await.is_some() {}
    let acked = teacher.acked;
    let seen = teacher.board.clone();
    assert!(
        acked < ops.len() as u32,
        "the kill landed after the burst; make the burst longer"
    );

    // Restart on the same database.
    let relay = TestRelay::start_in(&data, "127.0.0.1:0").await;
    let url = relay.ws_url(LESSON);
    let mut fresh = LessonClient::connect(
        &url,
        &relay.token(Role::Classroom(CLASSROOMS[0])),
        PageId(78),
        None,
    )
    .await;
    fresh
        .until("the stored board", |c| c.board.seq >= seen.seq)
        .await;
    // Every op the teacher saw acknowledged (and echoed) is stored, exactly as it was.
    assert!(fresh.board.seq >= seen.seq);
    if fresh.board.seq == seen.seq {
        assert_eq!(fresh.board, seen);
    }

    // The teacher reconnects, catches up and resends what was never acknowledged.
    let mut teacher = teacher.reconnect(&url, &teacher_token).await;
    teacher.resend_outbox().await;
    let total = ops.len() as u32;
    teacher
        .until("every op acknowledged", |c| c.acked == total)
        .await;
    teacher
        .until("every op echoed", |c| c.outbox.is_empty())
        .await;

    // The board equals every op applied exactly once, in order.
    let mut expected = Board::new();
    for op in &ops {
        let op = resolve(&expected, op.clone()).expect("resolvable");
        expected.apply(expected.seq + 1, &op).expect("valid op");
    }
    fresh
        .until("the classroom catches up", |c| c.board.seq == expected.seq)
        .await;
    assert_eq!(fresh.board, expected, "lost or doubled ops after the kill");
    assert_eq!(teacher.board, expected);
    std::fs::remove_dir_all(&data).ok();
}
