//! P6: a rural classroom on rural DSL (P1, 2 Mbit/s down) whose link slows to 300 kbit/s both
//! ways for 30 s, then comes back. The relay steps the classroom down to the teacher's smallest
//! layer soon after the drop (the aim is 3 s) and back up once the link has recovered (the aim is
//! 20 s); the sound goes on throughout. Real Chromium on both ends, the slowdown made by the
//! user-space link emulator. The layer is the one the relay reports to the classroom's page
//! (`#own-link[data-picture]`, sent as the relay switches it and every 2 s), recorded by the page
//! itself every 50 ms.
//!
//! The assertions leave a margin for a loaded 2-core CI machine (down within 8 s, up within
//! 40 s); the measured figures are printed.

use std::time::Duration;
use tests::link::profiles::P6_SLOWDOWN;
use tests::rural::{epoch_ms, Camera, RuralDsl};

const DOWN_WITHIN: Duration = Duration::from_secs(8);
const UP_WITHIN: Duration = Duration::from_secs(40);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_layer_follows_a_slowdown_down_and_back_up() {
    let dsl = RuralDsl::start_on(&P6_SLOWDOWN, Camera::Default).await;
    dsl.watch_pictures().await;
    // Settled on rural DSL: the middle or high layer.
    let settled = dsl
        .picture_after(
            "the classroom on rural DSL getting the middle or high layer",
            epoch_ms(),
            Duration::from_secs(60),
            |p| p == "middle" || p == "high",
        )
        .await;
    let settled_on = dsl
        .pictures()
        .await
        .last()
        .map(|(_, p)| p.clone())
        .unwrap_or_default();
    eprintln!("slowdown: settled on the {settled_on} layer ({settled:.0})");
    tokio::time::sleep(Duration::from_secs(5)).await;

    // The slowdown: P6's settings 30 s in.
    let (from, length, _) = P6_SLOWDOWN.slowdown.expect("P6 has a slowdown");
    dsl.link.apply(&P6_SLOWDOWN, from);
    let slowed_at = epoch_ms();
    let heard_before = dsl.watched().await.heard();
    let down_at = dsl
        .picture_after(
            "the classroom stepped down to the low layer",
            slowed_at,
            Duration::from_secs(30),
            |p| p == "low",
        )
        .await;
    let down = Duration::from_millis((down_at - slowed_at).max(0.0) as u64);
    eprintln!("slowdown: down to the low layer {down:?} after the drop");

    let rest = (slowed_at + length.as_secs_f64() * 1000.0 - epoch_ms()).max(0.0);
    tokio::time::sleep(Duration::from_millis(rest as u64)).await;
    let during = dsl.watched().await;
    let heard = during.heard().saturating_sub(heard_before);
    let slow_secs = (epoch_ms() - slowed_at) / 1000.0;
    eprintln!(
        "slowdown: {:.1} s of sound heard in the {slow_secs:.1} s at 300 kbit/s; {during:?}",
        heard as f64 / 48_000.0
    );

    // The link back.
    dsl.link.apply(&P6_SLOWDOWN, from + length);
    let back_at = epoch_ms();
    let up_at = dsl
        .picture_after(
            "the classroom stepped back up",
            back_at,
            Duration::from_secs(60),
            |p| p == "middle" || p == "high",
        )
        .await;
    let up = Duration::from_millis((up_at - back_at).max(0.0) as u64);
    eprintln!(
        "slowdown: back up {up:?} after the recovery; pictures {:?}",
        dsl.pictures().await
    );

    assert!(
        down <= DOWN_WITHIN,
        "stepped down {down:?} after the drop (at most {DOWN_WITHIN:?})"
    );
    assert!(
        up <= UP_WITHIN,
        "stepped up {up:?} after the recovery (at most {UP_WITHIN:?})"
    );
    assert!(
        heard as f64 >= 0.8 * slow_secs * 48_000.0,
        "the sound goes on at 300 kbit/s: {:.1} s heard in {slow_secs:.1} s",
        heard as f64 / 48_000.0
    );
    dsl.close().await;
}
