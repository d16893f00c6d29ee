//! A classroom whose firewall lets neither UDP nor TCP reach the relay's media port, but does
//! let TCP (or, second test, UDP) reach its TURN port, still has the lesson: its Chromium allocates a relayed address
//! on the relay's embedded TURN server (`--turn-port`) with the credentials the relay handed its
//! page, and its media goes through it. The link emulator drops every TCP and UDP packet to or
//! from the media port (and in the first test every UDP packet); the teacher's school is not
//! blocked. Each test runs on a link of its own, with its own relay address.

use std::time::Duration;
use tests::link::pipeline::Settings;
use tests::link::profiles::{Profile, P5_UDP_BLOCKED};
use tests::rural::{Camera, RuralDsl};
use tests::wait;

/// 48 kHz audio.
const SAMPLES_PER_SECOND: u64 = 48_000;
/// The relay listens on the link's own address, so fixed ports clash with no other test.
const MEDIA_PORT: u16 = 21_531;
const TURN_PORT: u16 = 21_532;

/// One after the other (two sites at once would be four Chromiums on two cores): UDP blocked
/// and the media port closed, so TURN over TCP; then only the media port closed, so TURN over
/// UDP (or TCP).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classroom_that_reaches_only_the_turn_port_has_the_lesson() {
    turn_only(true).await;
    turn_only(false).await;
}

async fn turn_only(block_udp: bool) {
    let closed = Settings {
        block_port: MEDIA_PORT,
        block_udp,
        ..P5_UDP_BLOCKED.down
    };
    let profile = Profile {
        name: "media port closed",
        down: closed,
        up: closed,
        ..P5_UDP_BLOCKED
    };
    let (media, turn) = (MEDIA_PORT.to_string(), TURN_PORT.to_string());
    let site = RuralDsl::start_with(
        &profile,
        Camera::Default,
        &["--media-port", &media, "--turn-port", &turn],
    )
    .await;

    let from = site.watched().await;
    let to = wait::until(
        "4 s of the teacher's audio and new video frames through TURN",
        Duration::from_secs(10),
        async || {
            let now = site.watched().await;
            let heard = now.heard().saturating_sub(from.heard());
            if heard >= SAMPLES_PER_SECOND * 4 && now.frames > from.frames + 40 {
                Ok(now)
            } else {
                Err(format!(
                    "{heard} samples heard since the start, {from:?} -> {now:?}"
                ))
            }
        },
    )
    .await;
    assert!(to.width > 0, "the teacher's video has a picture: {to:?}");
    site.teacher
        .until(
            "the teacher decoding the classroom behind TURN",
            &site.teacher_decodes_the_classroom(30),
            Duration::from_secs(30),
        )
        .await;
    let stats = site.link.stats();
    eprintln!(
        "TURN only (UDP blocked: {block_udp}): {from:?} -> {to:?}; emulator counters {stats}"
    );
    let blocked = |dir: &str| stats[dir]["dropped_blocked"].as_u64().unwrap_or(0);
    assert!(
        blocked("up") > 0,
        "the classroom's browser tried the media port and the link dropped it: {stats}"
    );
    site.close().await;
}
