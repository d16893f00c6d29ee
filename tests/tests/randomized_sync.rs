//! A seeded randomized lesson on the real relay: a teacher and 20 classrooms, random ops, random
//! disconnects and reconnects. At the end every classroom's board equals the relay's, and each
//! received every op exactly once. A seed that ever fails is kept below as its own test.

use shared::ids::{PageId, Role};
use shared::testkit::{client_op, Rng};
use std::time::Duration;
use tests::client::LessonClient;
use tests::relay::{extra_classroom, TestRelay, LESSON};

const CLASSROOMS: u32 = 20;
const STEPS: usize = 400;

async fn drain(c: &mut LessonClient) {
    while c.recv(Duration::ZERO).await.is_some() {}
}

async fn run(seed: u64) {
    let relay = TestRelay::start_with(CLASSROOMS).await;
    let url = relay.ws_url(LESSON);
    let mut rng = Rng::new(seed);
    let teacher_token = relay.token(Role::Teacher);
    let mut teacher = LessonClient::connect(&url, &teacher_token, PageId(seed), None).await;
    let tokens: Vec<String> = (0..CLASSROOMS)
        .map(|k| relay.token(Role::Classroom(extra_classroom(k))))
        .collect();
    // Some(client) while connected; None while its link is down (its board kept in `parked`).
    let mut online: Vec<Option<LessonClient>> = Vec::new();
    for (k, token) in tokens.iter().enumerate() {
        online.push(Some(
            LessonClient::connect(&url, token, PageId(1_000 + k as u64), None).await,
        ));
    }
    let mut parked: Vec<Option<LessonClient>> = (0..CLASSROOMS).map(|_| None).collect();
    let mut drawing = false;

    for _ in 0..STEPS {
        let op = client_op(&mut rng, &teacher.board, drawing);
        drawing = match op {
            shared::protocol::ClientOp::Begin { .. } => true,
            shared::protocol::ClientOp::End => false,
            _ => drawing,
        };
        teacher.op(op).await;
        let k = rng.below(u64::from(CLASSROOMS)) as usize;
        if rng.chance(6) {
            if let Some(mut c) = online[k].take() {
                c.disconnect().await;
                parked[k] = Some(c);
            } else if let Some(c) = parked[k].take() {
                online[k] = Some(c.reconnect(&url, &tokens[k]).await);
            }
        }
        if rng.chance(2) {
            // The teacher's link drops: reconnect, catch up, send again whatever was not acknowledged.
            teacher.disconnect().await;
            teacher = teacher.reconnect(&url, &teacher_token).await;
            teacher.resend_outbox().await;
        }
        drain(&mut teacher).await;
        for c in online.iter_mut().flatten() {
            drain(c).await;
        }
    }
    for (k, slot) in parked.iter_mut().enumerate() {
        if let Some(c) = slot.take() {
            online[k] = Some(c.reconnect(&url, &tokens[k]).await);
        }
    }
    teacher
        .until("every teacher op acknowledged", |c| c.outbox.is_empty())
        .await;
    let mut relay_view =
        LessonClient::connect(&url, &relay.token(Role::Observer), PageId(9), None).await;
    relay_view
        .until("the relay's board", |c| c.board.seq > 0)
        .await;
    let head = relay_view.board.seq;
    teacher
        .until("the teacher's echo", |c| c.board.seq == head)
        .await;
    assert_eq!(teacher.board, relay_view.board);
    for (k, c) in online.iter_mut().enumerate() {
        let c = c.as_mut().expect("all reconnected");
        c.until("the classroom catches up", |c| c.board.seq == head)
            .await;
        assert_eq!(
            c.board, relay_view.board,
            "seed {seed}: classroom {k} differs from the relay"
        );
        // One snapshot when it first joined; after that every op exactly once, resumes included.
        assert_eq!(
            c.snapshots.len(),
            1,
            "seed {seed}: classroom {k} was resynced instead of resumed"
        );
        let from = c.snapshots[0] + 1;
        assert_eq!(
            c.applied,
            (from..=head).collect::<Vec<_>>(),
            "seed {seed}: classroom {k} missed or doubled ops"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_classrooms_converge_under_random_disconnects_seed_1() {
    run(1).await;
}

/// Seed 2 once made a classroom that joined in the middle of a busy batch receive ops twice (its
/// snapshot included ops handled after its join). Kept as its own test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_2_a_joiner_mid_batch_received_ops_twice() {
    run(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_classrooms_converge_under_random_disconnects_seed_3() {
    run(3).await;
}
