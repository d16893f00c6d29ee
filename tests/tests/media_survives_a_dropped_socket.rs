//! A WebSocket that drops while media flows does not take the media with it: the page reconnects
//! with the same page id, the relay says which publications and subscriptions continue
//! (`MediaResumed`), and the packets never stopped. A page that closes its socket properly leaves
//! at once.

use shared::ids::{PageId, Role};
use shared::protocol::ServerMsg;
use std::sync::Arc;
use std::time::Duration;
use tests::client::LessonClient;
use tests::media::{stream, TestPeer};
use tests::relay::{TestRelay, CLASSROOMS, LESSON};
use tests::{wait, WAIT};

async fn joined(relay: &TestRelay, role: Role, page: u64) -> (LessonClient, ServerMsg) {
    let mut c = LessonClient::connect(
        &relay.ws_url(LESSON),
        &relay.token(role),
        PageId(page),
        None,
    )
    .await;
    let mut resumed = None;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while resumed.is_none() || c.sources_seen == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no MediaResumed and Sources"
        );
        if let Some(msg @ ServerMsg::MediaResumed { .. }) = c.recv(Duration::from_secs(1)).await {
            resumed = Some(msg);
        }
    }
    (c, resumed.unwrap_or(ServerMsg::Pong { nonce: 0 }))
}

fn video_seqs(peer: &TestPeer) -> Vec<u16> {
    peer.received()
        .iter()
        .filter(|r| r.video)
        .map(|r| r.seq)
        .collect()
}

/// Waits until `peer` has received at least `n` video packets; returns how many it has.
async fn until_video(peer: &TestPeer, what: &str, n: usize) -> usize {
    wait::until_sync(what, WAIT, || match peer.video_count() {
        got if got >= n => Ok(got),
        got => Err(format!("{got} of {n} video packets")),
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_carries_on_across_a_dropped_websocket() {
    let relay = TestRelay::start().await;
    let room = Role::Classroom(CLASSROOMS[0]);
    let (mut teacher, fresh) = joined(&relay, Role::Teacher, 1).await;
    assert_eq!(
        fresh,
        ServerMsg::MediaResumed {
            publication: None,
            subscriptions: vec![]
        }
    );
    let (publisher, offer) = TestPeer::publisher().await;
    let (publication, answer) = teacher.offer(None, offer).await.expect("publish");
    publisher.accept(answer).await;
    assert!(publisher.connected(Duration::from_secs(10)).await);
    let publisher = Arc::new(publisher);
    let flowing = tokio::spawn(stream(Arc::clone(&publisher), Duration::from_secs(12), 50));

    let (mut classroom, _) = joined(&relay, room, 2).await;
    classroom
        .until("the teacher's source", |c| {
            c.sources.iter().any(|s| s.id == publication)
        })
        .await;
    let (peer, offer) = TestPeer::subscriber().await;
    let (subscription, answer) = classroom
        .offer(Some(publication), offer)
        .await
        .expect("subscribe");
    peer.accept(answer).await;
    assert!(peer.connected(Duration::from_secs(10)).await);
    until_video(&peer, "video flowing to the classroom", 25).await;

    // Both sockets drop without a close (a link going down), then come back as the same pages.
    // They stay down while a second's worth of video (50 packets) keeps arriving.
    let before = video_seqs(&peer).len();
    drop(classroom);
    drop(teacher);
    let during = until_video(&peer, "video arriving with both sockets down", before + 50).await;
    let (_teacher, resumed) = joined(&relay, Role::Teacher, 1).await;
    assert_eq!(
        resumed,
        ServerMsg::MediaResumed {
            publication: Some(publication),
            subscriptions: vec![]
        },
        "the teacher's publication carries on"
    );
    let (mut classroom, resumed) = joined(&relay, room, 2).await;
    assert_eq!(
        resumed,
        ServerMsg::MediaResumed {
            publication: None,
            subscriptions: vec![(publication, subscription)]
        },
        "the classroom's subscription carries on"
    );
    until_video(&peer, "packets arriving after the reconnect", during + 51).await;
    let seqs = video_seqs(&peer);
    for pair in seqs.windows(2) {
        assert_eq!(
            pair[1],
            pair[0].wrapping_add(1),
            "no packet lost while the sockets were down"
        );
    }
    assert!(
        classroom.ended.is_empty(),
        "no publication or subscription was ended"
    );

    // A page that closes its socket properly leaves at once: its subscription ends.
    classroom.disconnect().await;
    // The teacher sends 50 video packets a second: 200 ms without one means they stopped.
    let stopped = peer
        .until_video_stops(
            "the closed page's video to stop",
            Duration::from_millis(200),
        )
        .await;
    // An absence, so a fixed window (the length of 25 of the teacher's video packets).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        video_seqs(&peer).len() <= stopped + 2,
        "the closed page's subscription ended"
    );
    flowing.abort();
    peer.close().await;
    publisher.close().await;
}
