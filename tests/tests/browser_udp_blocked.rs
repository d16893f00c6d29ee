//! A classroom whose network passes no UDP at all (profile P5: the link emulator drops every UDP
//! packet both ways) still has the lesson: its Chromium reaches the relay's media port over TCP
//! (ICE-TCP, the relay's passive candidate on the same port number) and sees and hears the
//! teacher, and the teacher sees it. Real Chromium on both ends; the teacher's school is not
//! blocked.

use tests::link::profiles::P5_UDP_BLOCKED;
use tests::rural::{Camera, RuralDsl};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classroom_that_passes_no_udp_has_the_lesson_over_tcp() {
    // Returns once the classroom decodes the teacher's video and plays its audio.
    let site = RuralDsl::start_on(&P5_UDP_BLOCKED, Camera::Default).await;

    let (from, to) = site.plays_both_ways("over TCP").await;

    // UDP was really tried and really blocked: what arrived came over TCP.
    let stats = site.link.stats();
    eprintln!("P5: {from:?} -> {to:?}; emulator counters {stats}");
    let blocked = |dir: &str| stats[dir]["dropped_blocked"].as_u64().unwrap_or(0);
    assert!(
        blocked("up") > 0,
        "the classroom's browser tried UDP and the link dropped it: {stats}"
    );
    assert_eq!(
        stats["down"]["rtp_packets"].as_u64().unwrap_or(0),
        0,
        "no RTP reached the classroom over UDP: {stats}"
    );
    site.classroom.screenshot("udp-blocked-classroom.png").await;
    site.close().await;
}
