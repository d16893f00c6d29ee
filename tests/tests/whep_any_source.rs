//! A WHEP player receives any source its token's holder may see, not only the teacher's: with a
//! teacher token, `?classroom=N` plays classroom N's camera; an observer token may not take a
//! classroom that does not hold the floor (403); a classroom that publishes nothing is "not yet"
//! (503); a malformed or unknown parameter is a 400. The number of WHIP/WHEP participants per
//! lesson is the relay's `--whip-whep-limit` (here 2): the third player is told to try later.

use shared::ids::Role;
use std::sync::Arc;
use std::time::Duration;
use tests::http::{request, Reply};
use tests::media::{stream, TestPeer};
use tests::relay::{TestRelay, CLASSROOMS, LESSON};
use tests::wait;

/// A WHEP player's POST for `query` with `token`: its peer and the relay's reply.
async fn play(relay: &TestRelay, query: &str, token: &str) -> (TestPeer, Reply) {
    let (peer, offer) = TestPeer::subscriber().await;
    let path = format!("/lessons/{}/whep{query}", LESSON.0);
    let reply = request(&relay.base, "POST", &path, token, &offer).await;
    (peer, reply)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whep_player_plays_a_classroom_its_token_may_see() {
    let relay = TestRelay::start_with_options(0, &["--whip-whep-limit", "2"]).await;
    let (room_a, room_b) = (CLASSROOMS[0], CLASSROOMS[1]);
    let mut teacher = relay.joined(Role::Teacher, 1).await;
    let mut a = relay.joined(Role::Classroom(room_a), 2).await;

    let (publisher, offer) = TestPeer::publisher().await;
    let (_, answer) = a.offer(None, offer).await.expect("classroom A publishes");
    publisher.accept(answer).await;
    assert!(publisher.connected(Duration::from_secs(10)).await);
    let publisher = Arc::new(publisher);
    let flowing = tokio::spawn(stream(Arc::clone(&publisher), Duration::from_secs(8), 60));
    teacher
        .until("classroom A's source", |c| {
            c.sources.iter().any(|s| s.role == Role::Classroom(room_a))
        })
        .await;

    let teacher_token = relay.token(Role::Teacher);
    let observer_token = relay.token(Role::Observer);

    // The teacher's token plays classroom A.
    let (player, reply) = play(&relay, &format!("?classroom={}", room_a.0), &teacher_token).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    assert!(reply.header("location").is_some(), "{reply:?}");
    player.accept(reply.body.clone()).await;
    assert!(player.connected(Duration::from_secs(10)).await);
    wait::until_sync(
        "classroom A's video at the WHEP player",
        tests::WAIT,
        || match player.video_count() {
            0 => Err("no video yet".to_string()),
            n => Ok(n),
        },
    )
    .await;

    // An observer may not take a classroom without the floor.
    let (refused, reply) = play(&relay, &format!("?classroom={}", room_a.0), &observer_token).await;
    assert_eq!(reply.status, 403, "{reply:?}");
    refused.close().await;

    // A classroom that publishes nothing is not there yet.
    let (waiting, reply) = play(&relay, &format!("?classroom={}", room_b.0), &teacher_token).await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert!(reply.header("retry-after").is_some(), "{reply:?}");
    waiting.close().await;

    // Parameters are checked.
    for query in ["?classroom=abc", "?room=2", "?classroom="] {
        let path = format!("/lessons/{}/whep{query}", LESSON.0);
        let reply = request(&relay.base, "POST", &path, &teacher_token, "v=0").await;
        assert_eq!(reply.status, 400, "{query}: {reply:?}");
    }

    // The limit: the player above is one; a second fits, a third is told to try later.
    let (second, reply) = play(&relay, &format!("?classroom={}", room_a.0), &teacher_token).await;
    assert_eq!(reply.status, 201, "{reply:?}");
    let (third, reply) = play(&relay, &format!("?classroom={}", room_a.0), &teacher_token).await;
    assert_eq!(reply.status, 503, "{reply:?}");
    assert!(reply.body.contains("2 WHIP/WHEP participants"), "{reply:?}");
    for p in [&second, &third, &player] {
        p.close().await;
    }
    flowing.abort();
}
