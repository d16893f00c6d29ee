//! A classroom whose firewall lets neither UDP nor TCP reach the relay's media port, but does
//! let TCP (or, second test, UDP) reach its TURN port, still has the lesson: its Chromium allocates a relayed address
//! on the relay's embedded TURN server (`--turn-port`) with the credentials the relay handed its
//! page, and its media goes through it. The link emulator drops every TCP and UDP packet to or
//! from the media port (and in the first test every UDP packet); the teacher's school is not
//! blocked. Each test runs on a link of its own, with its own relay address.

use tests::link::pipeline::Settings;
use tests::link::profiles::{Profile, P5_UDP_BLOCKED};
use tests::rural::{Camera, RuralDsl};
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

    let (from, to) = site.plays_both_ways("through TURN").await;
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
