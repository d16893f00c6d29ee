//! The "rural DSL" scenario measured: what the rural classroom receives of the teacher over
//! profile P1 (2 Mbit/s down, 1 Mbit/s up, 40 ms one way, 0.5% loss each way, through the
//! user-space link emulator), and what the teacher receives back through the uplink.
//!
//! Run (as root, with Chromium and the built client):
//! `./scripts/build-client.sh && cargo bench -p tests --bench rural_link`.
//! The scenario is [`tests::rural::RuralDsl`], the same as `tests/browser_rural_link.rs`: the
//! relay and two headless Chromiums (fake camera and microphone), the school in a network
//! namespace of its own, the rural classroom behind an emulated link. Once the rural classroom
//! decodes the teacher, its tile's browser stats are read at the start and the end of a fixed
//! window: frames decoded (`framesDecoded`), freezes (`freezeCount`) and audio samples received
//! (`totalSamplesReceived`); and the emulator's counters (packets in, dropped by the random loss
//! and by the rate bottleneck's queue) over the same window.

use std::time::{Duration, Instant};
use tests::rural::RuralDsl;

/// The measured window.
const WINDOW: Duration = Duration::from_secs(30);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too, but only to build it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("rural_link: run with `cargo bench -p tests --bench rural_link`");
        return;
    }
    let started = Instant::now();
    let dsl = RuralDsl::start().await;
    let ready = started.elapsed();
    let from = dsl.watched().await;
    let uplink_from = dsl.teacher_frames_of_the_classroom().await;
    let link_from = dsl.link.stats();
    let at = Instant::now();
    // A fixed window: the figures are rates over it.
    tokio::time::sleep(WINDOW).await;
    let to = dsl.watched().await;
    let uplink_to = dsl.teacher_frames_of_the_classroom().await;
    let link_to = dsl.link.stats();
    let secs = at.elapsed().as_secs_f64();
    let frames = to.frames.saturating_sub(from.frames);
    let freezes = to.freezes.saturating_sub(from.freezes);
    let audio = to.heard().saturating_sub(from.heard());
    let uplink = uplink_to.saturating_sub(uplink_from);
    let p = tests::rural::PROFILE;
    println!(
        "{} ({} kbit/s down, {} kbit/s up, {} ms one way, {}% loss), window {secs:.1} s, set-up {:.1} s",
        p.name,
        p.down.rate_bps / 1000,
        p.up.rate_bps / 1000,
        p.down.delay.as_millis(),
        p.down.loss * 100.0,
        ready.as_secs_f64()
    );
    println!("| what | figure |");
    println!("|---|---:|");
    println!(
        "| classroom: teacher's video frames/s | {:.1} |",
        frames as f64 / secs
    );
    println!("| classroom: teacher's video freezes (freezeCount) | {freezes} |");
    println!("| classroom: teacher's video width (px) | {} |", to.width);
    println!(
        "| classroom: teacher's audio samples received | {audio} ({:.1} s of 48 kHz audio in {secs:.1} s) |",
        audio as f64 / 48_000.0
    );
    println!(
        "| teacher: rural classroom's video frames/s (uplink) | {:.1} |",
        uplink as f64 / secs
    );
    for way in ["down", "up"] {
        let count = |field: &str| {
            let at = |v: &serde_json::Value| v[way][field].as_u64().unwrap_or(0);
            at(&link_to).saturating_sub(at(&link_from))
        };
        println!(
            "| link {way}: packets in / lost (random) / dropped (queue full) | {} / {} / {} |",
            count("in_packets"),
            count("dropped_loss"),
            count("dropped_queue")
        );
    }
    dsl.close().await;
}
