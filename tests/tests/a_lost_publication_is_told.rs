//! A Publisher whose connection the relay loses is told (`MediaEnded` for its own Publication), as
//! its Subscribers are told of their Subscriptions. A page that was not told went on holding a
//! connection the relay had closed: a classroom on a lossy link whose camera connection the relay
//! gave up on was never seen by the teacher again (its page sent only STUN the relay no longer
//! knew). Told, the page publishes again (`client::media::plan`).

use shared::ids::Role;
use shared::protocol::ClientMsg;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tests::media::{stream, TestPeer};
use tests::relay::{TestRelay, CLASSROOMS};

/// ICE's 5 s to disconnected and 25 s to failed, and a margin for a loaded machine.
const FAILS_WITHIN: Duration = Duration::from_secs(45);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publisher_whose_connection_closed_is_told_and_may_publish_again() {
    let relay = TestRelay::start().await;
    let room = CLASSROOMS[0];
    let mut teacher = relay.joined(Role::Teacher, 1).await;
    let mut classroom = relay.joined(Role::Classroom(room), 2).await;

    let (publisher, offer) = TestPeer::publisher().await;
    let (first, answer) = classroom.offer(None, offer).await.expect("publish");
    publisher.accept(answer).await;
    assert!(publisher.connected(Duration::from_secs(10)).await);
    let publisher = Arc::new(publisher);
    let flowing = tokio::spawn(stream(Arc::clone(&publisher), Duration::from_secs(2), 60));
    teacher
        .until("the classroom's source", |c| {
            c.sources.iter().any(|s| s.id == first)
        })
        .await;
    let _ = flowing.await;

    // The publisher's side goes silent (closed: it answers no more consent checks). The relay
    // gives the connection up (ICE: disconnected after 5 s, failed 25 s later; a close_notify
    // alone leaves webrtc-rs's connection state "connected"), ends the Publication and says so
    // to the page that published it; the teacher no longer has the Source.
    publisher.close().await;
    let deadline = Instant::now() + FAILS_WITHIN;
    let mut ping_at = Instant::now();
    while !classroom.ended.contains(&first) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no MediaEnded for the classroom's own Publication within {FAILS_WITHIN:?}: {:?}, \
             closed: {:?}",
            classroom.ended,
            classroom.closed
        );
        // A page pings its relay every few seconds; a silent one is closed (`--idle-limit`).
        if Instant::now() >= ping_at {
            classroom.send(&ClientMsg::Ping { nonce: 1 }).await;
            teacher.send(&ClientMsg::Ping { nonce: 1 }).await;
            ping_at = Instant::now() + Duration::from_secs(5);
        }
        classroom
            .recv(left.min(ping_at.saturating_duration_since(Instant::now())))
            .await;
    }
    teacher
        .until("the classroom's source gone", |c| {
            !c.sources.iter().any(|s| s.id == first)
        })
        .await;

    // The page publishes again and is listed again.
    let (again, offer) = TestPeer::publisher().await;
    let (second, answer) = classroom.offer(None, offer).await.expect("publish again");
    assert_ne!(second, first);
    again.accept(answer).await;
    assert!(again.connected(Duration::from_secs(10)).await);
    let again = Arc::new(again);
    let flowing = tokio::spawn(stream(Arc::clone(&again), Duration::from_secs(2), 60));
    teacher
        .until("the classroom's new source", |c| {
            c.sources.iter().any(|s| s.id == second)
        })
        .await;
    let _ = flowing.await;
    // Replacing a Publication by publishing again is the page's own doing: it is not told of
    // that end (its earlier Publication here had ended already; the count stays one).
    assert_eq!(
        classroom.ended.iter().filter(|m| **m == first).count(),
        1,
        "{:?}",
        classroom.ended
    );
    again.close().await;
}
