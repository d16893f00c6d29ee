//! Who receives what, enforced by the relay: a classroom without the floor receives no other
//! classroom; the teacher sees every classroom; giving a classroom the floor opens it to the
//! others and taking it back ends that; observers and classrooms can not do what only the
//! teacher may.

use shared::ids::{MediaId, Role};
use shared::protocol::{ClientMsg, Source};
use std::sync::Arc;
use std::time::Duration;
use tests::client::LessonClient;
use tests::media::{stream, TestPeer};
use tests::relay::{TestRelay, CLASSROOMS};
use tests::{wait, WAIT};

fn listed(c: &LessonClient, source: MediaId) -> bool {
    c.sources.iter().any(|s: &Source| s.id == source)
}

/// Subscribes and returns the peer once connected.
async fn receive(c: &mut LessonClient, source: MediaId) -> (MediaId, TestPeer) {
    let (peer, offer) = TestPeer::subscriber().await;
    let (media, answer) = c.offer(Some(source), offer).await.expect("subscribe");
    peer.accept(answer).await;
    assert!(peer.connected(Duration::from_secs(10)).await);
    (media, peer)
}

fn video_count(peer: &TestPeer) -> usize {
    peer.received().iter().filter(|r| r.video).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_floor_decides_which_classrooms_see_each_other() {
    let relay = TestRelay::start().await;
    let (room_a, room_b) = (CLASSROOMS[0], CLASSROOMS[1]);
    let mut teacher = relay.joined(Role::Teacher, 1).await;
    let mut a = relay.joined(Role::Classroom(room_a), 2).await;
    let mut b = relay.joined(Role::Classroom(room_b), 3).await;
    let mut observer = relay.joined(Role::Observer, 4).await;

    // Classroom A publishes its camera and microphone.
    let (publisher, offer) = TestPeer::publisher().await;
    let (_, answer) = a.offer(None, offer).await.expect("a classroom publishes");
    publisher.accept(answer).await;
    assert!(publisher.connected(Duration::from_secs(10)).await);
    let publisher = Arc::new(publisher);
    let flowing = tokio::spawn(stream(Arc::clone(&publisher), Duration::from_secs(14), 60));

    teacher
        .until("classroom A's source", |c| {
            c.sources.iter().any(|s| s.role == Role::Classroom(room_a))
        })
        .await;
    let source = teacher.sources[0].id;
    let (_, at_teacher) = receive(&mut teacher, source).await;

    // Without the floor, classroom B may not take A and is not offered it.
    let (peer, offer) = TestPeer::subscriber().await;
    let refused = b.offer(Some(source), offer).await;
    assert!(
        matches!(&refused, Err(reason) if reason.contains("may not receive")),
        "{refused:?}"
    );
    peer.close().await;
    // An absence, so a fixed window: the relay sent every member its sources when A's
    // publication was listed, B's with the teacher's (which has arrived); a listing of A for B
    // would have arrived by now or within 100 ms of quiet.
    while b.recv(Duration::from_millis(100)).await.is_some() {}
    assert!(!listed(&b, source), "B is not offered A before the floor");

    // Only the teacher gives the floor; observers never publish.
    b.send(&ClientMsg::Floor(Some(room_b))).await;
    b.until("an error", |c| !c.errors.is_empty()).await;
    assert!(b.errors[0].1.contains("only the teacher"), "{:?}", b.errors);
    let (peer, offer) = TestPeer::publisher().await;
    let refused = observer.offer(None, offer).await;
    assert!(
        matches!(&refused, Err(reason) if reason.contains("observers")),
        "{refused:?}"
    );
    peer.close().await;

    // The teacher gives A the floor: B is offered A and receives it.
    teacher.send(&ClientMsg::Floor(Some(room_a))).await;
    b.until("A's source with the floor", |c| {
        c.floor == Some(room_a) && listed(c, source)
    })
    .await;
    let (b_media, at_b) = receive(&mut b, source).await;
    wait::until_sync(
        "B receiving 30 of A's video packets",
        WAIT,
        || match video_count(&at_b) {
            n if n > 30 => Ok(()),
            n => Err(format!("{n} video packets")),
        },
    )
    .await;

    // Taking the floor back ends B's subscription; A's media stops reaching B.
    teacher.send(&ClientMsg::Floor(None)).await;
    b.until("the subscription ended and A no longer offered", |c| {
        c.ended.contains(&b_media) && !listed(c, source) && c.floor.is_none()
    })
    .await;
    let teacher_at_take_back = video_count(&at_teacher);
    // A sends 60 video packets a second: 200 ms without one means they stopped reaching B.
    let stopped_at = at_b
        .until_video_stops("A's video to stop reaching B", Duration::from_millis(200))
        .await;
    // An absence, so a fixed window (the length of 30 of A's video packets).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        video_count(&at_b),
        stopped_at,
        "nothing reaches B after the floor is taken back"
    );

    // The teacher saw A all along, and still does.
    wait::until_sync(
        "the teacher receiving 100 of A's video packets, some after the floor was taken back",
        WAIT,
        || match video_count(&at_teacher) {
            n if n > 100 && n > teacher_at_take_back => Ok(()),
            n => Err(format!(
                "{n} video packets, {teacher_at_take_back} at the take-back"
            )),
        },
    )
    .await;
    flowing.abort();
    for peer in [&at_teacher, &at_b] {
        peer.close().await;
    }
    publisher.close().await;
}
