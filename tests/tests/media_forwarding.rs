//! The relay forwards a teacher's camera and microphone to 20 classrooms: every classroom gets
//! the packets in order, with the SSRC the relay announced to it and its own payload types; a
//! late classroom's keyframe request reaches the teacher; keyframe requests are coalesced.

use shared::ids::Role;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tests::media::{answer_ssrcs, stream, TestPeer, Video};
use tests::relay::{extra_classroom, TestRelay};
use tests::{wait, WAIT};

const SUBSCRIBERS: u32 = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_classrooms_receive_the_teacher_in_order_with_their_own_ssrc_and_payload_type() {
    let relay = TestRelay::start_with(SUBSCRIBERS).await;
    let mut teacher = relay.joined(Role::Teacher, 1).await;
    let (publisher, offer) = TestPeer::publisher().await;
    let (_, answer) = teacher.offer(None, offer).await.expect("publish accepted");
    publisher.accept(answer).await;
    assert!(publisher.connected(Duration::from_secs(10)).await);
    let publisher = Arc::new(publisher);
    // Something flows before anyone subscribes, so the publication gets listed.
    let warmup = tokio::spawn(stream(Arc::clone(&publisher), Duration::from_secs(2), 100));

    let mut classrooms = Vec::new();
    for k in 0..SUBSCRIBERS {
        let mut c = relay
            .joined(Role::Classroom(extra_classroom(k)), 100 + u64::from(k))
            .await;
        c.until("the teacher's source", |c| {
            c.sources
                .iter()
                .any(|s| s.role == Role::Teacher && s.video && s.audio)
        })
        .await;
        classrooms.push(c);
    }
    warmup.await.unwrap();
    let source = classrooms[0].sources[0].id;
    let mut subscribers = Vec::new();
    for c in classrooms.iter_mut() {
        let (peer, offer) = TestPeer::subscriber().await;
        let (_, answer) = c
            .offer(Some(source), offer)
            .await
            .expect("subscribe accepted");
        let ssrcs = answer_ssrcs(&answer);
        peer.accept(answer).await;
        subscribers.push((peer, ssrcs));
    }
    for (peer, _) in &subscribers {
        assert!(
            peer.connected(Duration::from_secs(15)).await,
            "subscriber connects"
        );
    }
    let before = publisher.keyframe_requests.load(Ordering::Relaxed);
    let sent = stream(Arc::clone(&publisher), Duration::from_secs(3), 100).await;
    assert!(sent > 300, "the publisher sent {sent} packets");
    // Until the packets still in flight have landed: every subscriber has the last one sent.
    for (i, (peer, _)) in subscribers.iter().enumerate() {
        wait::until_sync(
            &format!("subscriber {i} receiving the last packet sent"),
            WAIT,
            || peer.has_received_the_last_of(&publisher),
        )
        .await;
    }

    let publisher_ssrcs = publisher.ssrcs();
    for (i, (peer, announced)) in subscribers.iter().enumerate() {
        let got = peer.received();
        for video in [false, true] {
            let packets: Vec<_> = got.iter().filter(|r| r.video == video).collect();
            let kind = if video { "video" } else { "audio" };
            assert!(
                packets.len() > 100,
                "subscriber {i} received only {} {kind} packets",
                packets.len()
            );
            let expected_pt = if video { 100 } else { 109 };
            let ssrc = announced
                .iter()
                .find(|(v, _)| *v == video)
                .map(|(_, s)| *s)
                .expect("the answer announces an SSRC");
            assert!(!publisher_ssrcs.contains(&ssrc), "the SSRC is rewritten");
            for p in &packets {
                assert_eq!(
                    p.payload_type, expected_pt,
                    "subscriber {i} {kind} payload type"
                );
                assert_eq!(p.ssrc, ssrc, "subscriber {i} {kind} SSRC");
            }
            for pair in packets.windows(2) {
                assert_eq!(
                    pair[1].seq,
                    pair[0].seq.wrapping_add(1),
                    "subscriber {i} {kind} packets in order, none missing"
                );
            }
        }
    }
    // Each subscriber's join asked the teacher for a keyframe, coalesced into a few requests.
    let after = publisher.keyframe_requests.load(Ordering::Relaxed);
    assert!(
        after > before || before > 0,
        "a keyframe request reached the teacher"
    );
    assert!(
        after < u64::from(SUBSCRIBERS),
        "keyframe requests are coalesced: {after} reached the teacher for {SUBSCRIBERS} subscribers"
    );

    // A late classroom: its keyframe request reaches the publisher. (The requests of the
    // subscribers' joins went out during the 3 s stream above: the relay holds one back for at
    // most its 300 ms gap.)
    let before = publisher.keyframe_requests.load(Ordering::Relaxed);
    let flowing = tokio::spawn(stream(Arc::clone(&publisher), WAIT, 100));
    let late = &mut classrooms[0];
    let (peer, offer) = TestPeer::subscriber().await;
    let (_, answer) = late.offer(Some(source), offer).await.expect("resubscribe");
    peer.accept(answer).await;
    assert!(peer.connected(Duration::from_secs(10)).await);
    // Its video track exists once video arrives; the keyframe request goes out on it.
    wait::until_sync("the late subscriber receiving video", WAIT, || {
        let n = peer.video_count();
        if n > 0 {
            Ok(())
        } else {
            Err("no video".into())
        }
    })
    .await;
    peer.request_keyframe().await;
    wait::until_sync(
        "the late subscriber's keyframe request reaching the teacher, and 50 video packets",
        WAIT,
        || {
            let requests = publisher.keyframe_requests.load(Ordering::Relaxed);
            let video = peer.video_count();
            if requests > before && video > 50 {
                Ok(())
            } else {
                Err(format!(
                    "{requests} keyframe requests (before: {before}), {video} video packets"
                ))
            }
        },
    )
    .await;
    flowing.abort();
    for (peer, _) in &subscribers {
        peer.close().await;
    }
    publisher.close().await;
}

/// Hardware encoders and some browsers send H.264: it is forwarded the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn h264_from_the_teacher_reaches_the_classrooms() {
    let relay = TestRelay::start_with(3).await;
    let mut teacher = relay.joined(Role::Teacher, 1).await;
    let (publisher, offer) = TestPeer::publisher_of(Video::H264).await;
    let (source, answer) = teacher.offer(None, offer).await.expect("publish H.264");
    assert!(
        answer.contains("H264/90000"),
        "the relay accepts H.264: {answer}"
    );
    publisher.accept(answer).await;
    assert!(publisher.connected(Duration::from_secs(10)).await);
    let publisher = Arc::new(publisher);
    let flowing = tokio::spawn(stream(Arc::clone(&publisher), WAIT, 60));
    let mut peers = Vec::new();
    for k in 0..3 {
        let mut c = relay
            .joined(Role::Classroom(extra_classroom(k)), 10 + u64::from(k))
            .await;
        c.until("the H.264 source", |c| {
            c.sources.iter().any(|s| s.id == source)
        })
        .await;
        let (peer, offer) = TestPeer::subscriber_of(Video::H264).await;
        let (_, answer) = c.offer(Some(source), offer).await.expect("subscribe");
        assert!(answer.contains("H264/90000"), "{answer}");
        peer.accept(answer).await;
        assert!(peer.connected(Duration::from_secs(10)).await);
        peers.push((c, peer));
    }
    for (i, (_, peer)) in peers.iter().enumerate() {
        wait::until_sync(
            &format!("classroom {i} receiving 60 H.264 packets"),
            WAIT,
            || match peer.video_count() {
                n if n > 60 => Ok(()),
                n => Err(format!("{n} packets")),
            },
        )
        .await;
        let video: Vec<_> = peer.received().into_iter().filter(|r| r.video).collect();
        assert!(
            video.iter().all(|r| r.payload_type == 100),
            "rewritten to its own payload type"
        );
    }
    flowing.abort();
    for (_, peer) in &peers {
        peer.close().await;
    }
    publisher.close().await;
}
