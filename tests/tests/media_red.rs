//! Redundant audio (RFC 2198 `audio/red`): a teacher whose browser sends its microphone as RED of
//! Opus (each packet carrying a copy of the one before, so a classroom that loses one plays it
//! from the next) reaches a classroom that negotiated RED as RED, its blocks typed as that
//! classroom's Opus, and a classroom that did not as plain Opus: the primary block alone, every
//! packet, in order. Malformed RED from the teacher is dropped and the next packets still flow.

use shared::ids::Role;
use std::sync::Arc;
use std::time::Duration;
use tests::media::{stream, Received, TestPeer, RED_COPY};
use tests::relay::{extra_classroom, TestRelay};
use tests::{wait, WAIT};

/// The RED payload type the RED-capable classroom offers (its Opus is 109).
const CLASSROOM_RED_PT: u8 = 62;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn red_goes_to_classrooms_that_negotiated_it_and_plain_opus_to_the_others() {
    let relay = TestRelay::start_with(2).await;
    let mut teacher = relay.joined(Role::Teacher, 1).await;
    let (publisher, offer) = TestPeer::publisher_with_red().await;
    let (_, answer) = teacher.offer(None, offer).await.expect("publish accepted");
    assert!(
        answer.contains("red/48000/2"),
        "the relay accepts RED from the teacher:\n{answer}"
    );
    publisher.accept(answer).await;
    assert!(publisher.connected(Duration::from_secs(10)).await);
    let publisher = Arc::new(publisher);
    let warmup = tokio::spawn(stream(Arc::clone(&publisher), Duration::from_secs(2), 50));

    let mut subscribers = Vec::new();
    for (k, red) in [(0u32, true), (1, false)] {
        let mut c = relay
            .joined(Role::Classroom(extra_classroom(k)), 100 + u64::from(k))
            .await;
        c.until("the teacher's source", |c| {
            c.sources.iter().any(|s| s.role == Role::Teacher && s.audio)
        })
        .await;
        let source = c.sources[0].id;
        let (peer, offer) = if red {
            TestPeer::subscriber_with_red(CLASSROOM_RED_PT).await
        } else {
            TestPeer::subscriber().await
        };
        let (_, answer) = c.offer(Some(source), offer).await.expect("subscribed");
        assert_eq!(
            answer.contains("red/48000/2"),
            red,
            "RED is negotiated where the classroom offers it:\n{answer}"
        );
        peer.accept(answer).await;
        assert!(peer.connected(Duration::from_secs(15)).await);
        subscribers.push((c, peer));
    }
    warmup.await.expect("warm-up");
    let sent = stream(Arc::clone(&publisher), Duration::from_secs(2), 50).await;
    assert!(sent > 100, "the teacher sent {sent} packets");
    for (i, (_, peer)) in subscribers.iter().enumerate() {
        wait::until_sync(
            &format!("classroom {i} receiving the last packet sent"),
            WAIT,
            || {
                let got = peer.received();
                let last = publisher.last_sent_at_us(false);
                let audio: Vec<_> = got.iter().filter(|r| !r.video).collect();
                // RED: the stamp follows the 5 bytes of headers and the 4-byte copy.
                let stamp = |r: &&Received| match i {
                    0 => r.head[9..17].try_into().map_or(0, u64::from_be_bytes),
                    _ => r.sent_at_us,
                };
                if audio.iter().any(|r| stamp(r) >= last) {
                    Ok(())
                } else {
                    Err(format!("{} audio packets, not the last one", audio.len()))
                }
            },
        )
        .await;
    }
    let (red_peer, plain_peer) = (&subscribers[0].1, &subscribers[1].1);
    let red_audio: Vec<_> = red_peer
        .received()
        .into_iter()
        .filter(|r| !r.video)
        .collect();
    let plain_audio: Vec<_> = plain_peer
        .received()
        .into_iter()
        .filter(|r| !r.video)
        .collect();
    assert!(red_audio.len() > 50 && plain_audio.len() > 50);
    for r in &red_audio {
        assert_eq!(
            r.payload_type, CLASSROOM_RED_PT,
            "RED as the classroom's RED"
        );
        // The redundant block's header and the primary's, typed as the classroom's Opus (109).
        assert_eq!((r.head[0], r.head[4]), (0x80 | 109, 109), "{:?}", r.head);
        assert_eq!(r.head[5..9], RED_COPY, "the copy is kept");
    }
    for r in &plain_audio {
        assert_eq!(r.payload_type, 109, "plain Opus as the classroom's Opus");
        assert!(r.sent_at_us > 0 && r.head[..4] != RED_COPY, "{:?}", r.head);
    }
    for pair in plain_audio.windows(2) {
        assert_eq!(
            pair[1].seq,
            pair[0].seq.wrapping_add(1),
            "in order, none missing"
        );
    }

    // Malformed RED: a header that says more follows but ends, a block longer than the packet.
    for bad in [
        vec![0x80 | 111, 0],
        vec![0x80 | 111, 0, 3, 0xFF, 111, 1, 2],
        Vec::new(),
    ] {
        for _ in 0..10 {
            publisher.send_audio_as_is(9_000_000, bad.clone()).await;
        }
    }
    let before = plain_peer.received().len();
    stream(Arc::clone(&publisher), Duration::from_secs(1), 50).await;
    wait::until_sync("plain Opus flowing after malformed RED", WAIT, || {
        let after = plain_peer.received();
        let new_audio = after[before..].iter().filter(|r| !r.video).count();
        if new_audio > 20
            && after[before..]
                .iter()
                .all(|r| r.video || r.payload_type == 109)
        {
            Ok(())
        } else {
            Err(format!("{new_audio} audio packets since"))
        }
    })
    .await;
    for (_, peer) in &subscribers {
        peer.close().await;
    }
    publisher.close().await;
}
