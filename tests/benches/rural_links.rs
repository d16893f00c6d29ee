//! Every rural link profile measured (Rural links issue): what a classroom behind the user-space
//! link emulator receives of the teacher on P1-P6, with real Chromium on both ends (the
//! scenario of [`tests::rural::RuralDsl`]: the teacher at the school, the classroom behind the
//! link, the teacher's camera sent as three simulcast layers).
//!
//! Run (as root, with Chromium and the built client; about 12 minutes):
//! `./scripts/build-client.sh && cargo bench -p tests --bench rural_links`; some profiles only:
//! `RURAL_LINKS=P2,P3 cargo bench -p tests --bench rural_links`. The teacher's camera sends 30
//! frames/s (Chromium's fake one at its own 20: `RURAL_LINKS_CAMERA=default`).
//!
//! Per scenario, over a window of 30 s once the classroom decodes (and 5 s more):
//! - the picture: the width the classroom decodes and the layer the relay says it sends;
//! - frames decoded per second; freezes (`freezeCount`, `totalFreezesDuration`) and the longest
//!   time without a new frame (the page's decoded frame count, read every 10 ms);
//! - audio concealed: concealed samples over samples played out;
//! - glass to glass, estimated: half the round trip plus the average time a frame spent in the
//!   jitter buffer and decoding (`getStats`; the teacher's own leg is on the school's LAN);
//! - "page to picture": from the classroom page's navigation to 30 frames and sound decoded;
//!   the steps on the way (board on screen; offer, answer, connection and first frame of the
//!   teacher's picture and of the page's own camera, from the page's performance marks) go to
//!   stderr as "steps of the rural page".
//!
//! P2 and P3 run with a second classroom at the school (P0) at the same time. P4 reports how long
//! after the link's return the picture and sound come back; P5 runs at P2's rate with UDP
//! blocked; P6 when the layer steps down after the drop and up after the recovery. The page
//! refreshes its stats each second; it hears of its layer when the relay switches it.

use std::time::{Duration, Instant};
use tests::browser::Browser;
use tests::link::pipeline::Settings;
use tests::link::profiles::{
    Profile, P1_RURAL_DSL, P2_SLOW, P3_SLOW_LOSSY, P4_OUTAGE, P6_SLOWDOWN,
};
use tests::rural::{
    epoch_ms, longest_freeze_ms, media_steps, watch_freezes, watched_in, Camera, RuralDsl, Watched,
};

const WINDOW: Duration = Duration::from_secs(30);

/// P5 as the issue measures it: P2's link with UDP blocked both ways.
const P5_ON_P2: Profile = Profile {
    name: "P5 UDP blocked, at P2's rate",
    down: Settings {
        block_udp: true,
        ..P2_SLOW.down
    },
    up: Settings {
        block_udp: true,
        ..P2_SLOW.up
    },
    ..P2_SLOW
};

/// One classroom's figures over a window.
struct Steady {
    width: u64,
    layer: String,
    fps: f64,
    freezes: u64,
    freeze_ms: u64,
    longest_freeze_ms: Option<u64>,
    concealed_percent: f64,
    glass_ms: Option<f64>,
}

fn steady(from: &Watched, to: &Watched, secs: f64, layer: String, longest: Option<u64>) -> Steady {
    let samples = to.audio_samples.saturating_sub(from.audio_samples);
    let concealed = to.audio_concealed.saturating_sub(from.audio_concealed);
    Steady {
        width: to.width,
        layer,
        fps: to.frames.saturating_sub(from.frames) as f64 / secs,
        freezes: to.freezes.saturating_sub(from.freezes),
        freeze_ms: to.freeze_ms.saturating_sub(from.freeze_ms),
        longest_freeze_ms: longest,
        concealed_percent: if samples == 0 {
            100.0
        } else {
            concealed as f64 * 100.0 / samples as f64
        },
        glass_ms: Watched::glass_to_glass_ms(from, to),
    }
}

fn row(scenario: &str, who: &str, s: &Steady, page_to_picture: Option<f64>) -> String {
    format!(
        "| {scenario} | {who} | {} ({}) | {:.1} | {} / {} ms | {} | {:.2}% | {} | {} |",
        s.width,
        s.layer,
        s.fps,
        s.freezes,
        s.freeze_ms,
        s.longest_freeze_ms
            .map(|g| format!("{g} ms"))
            .unwrap_or_else(|| "–".into()),
        s.concealed_percent,
        s.glass_ms
            .map(|g| format!("{g:.0} ms"))
            .unwrap_or_else(|| "–".into()),
        page_to_picture
            .map(|t| format!("{:.1} s", t / 1000.0))
            .unwrap_or_else(|| "–".into()),
    )
}

async fn layer_of(page: &Browser) -> String {
    page.eval("document.querySelector('#own-link')?.dataset.picture || '–'")
        .await
        .as_str()
        .unwrap_or("–")
        .to_string()
}

/// From the page's navigation to now, in ms (the page's own clock).
async fn since_navigation(page: &Browser) -> Option<f64> {
    page.eval("performance.now()").await.as_f64()
}

/// Packets the rural link's queue dropped towards the classroom so far (what the relay sent
/// beyond the link's rate, as against its random loss).
fn queue_drops(dsl: &RuralDsl) -> u64 {
    dsl.link.stats()["down"]["dropped_queue"]
        .as_u64()
        .unwrap_or(0)
}

/// The rural classroom (and the school's, if any) over [`WINDOW`], 5 s after both decode.
async fn measure_steady(profile: &Profile, with_school: bool) -> Vec<String> {
    let dsl = RuralDsl::start_on(profile, camera()).await;
    let rural_ready = since_navigation(&dsl.classroom).await;
    let steps = media_steps(&dsl.classroom).await;
    eprintln!(
        "rural_links: {}: steps of the rural page: {steps}",
        profile.name
    );
    let school = if with_school {
        let page = dsl.open_school_classroom().await;
        tests::wait::until(
            "the school's classroom decoding",
            Duration::from_secs(60),
            async || {
                let w = watched_in(&page).await;
                if w.frames > 30 {
                    Ok(())
                } else {
                    Err(format!("{w:?}"))
                }
            },
        )
        .await;
        Some(page)
    } else {
        None
    };
    let school_ready = match &school {
        Some(page) => since_navigation(page).await,
        None => None,
    };
    tokio::time::sleep(Duration::from_secs(5)).await;
    watch_freezes(&dsl.classroom).await;
    if let Some(page) = &school {
        watch_freezes(page).await;
    }
    let drops_from = queue_drops(&dsl);
    let from = dsl.watched().await;
    let school_from = match &school {
        Some(page) => Some(watched_in(page).await),
        None => None,
    };
    let at = Instant::now();
    tokio::time::sleep(WINDOW).await;
    let secs = at.elapsed().as_secs_f64();
    let to = dsl.watched().await;
    let drops = queue_drops(&dsl).saturating_sub(drops_from);
    eprintln!(
        "rural_links: {}: the link's queue dropped {drops} packets towards the rural classroom",
        profile.name
    );
    let mut rows = vec![row(
        profile.name,
        "rural",
        &steady(
            &from,
            &to,
            secs,
            layer_of(&dsl.classroom).await,
            longest_freeze_ms(&dsl.classroom).await,
        ),
        rural_ready,
    )];
    if let (Some(page), Some(school_from)) = (&school, school_from) {
        let school_to = watched_in(page).await;
        rows.push(row(
            profile.name,
            "school (P0)",
            &steady(
                &school_from,
                &school_to,
                secs,
                layer_of(page).await,
                longest_freeze_ms(page).await,
            ),
            school_ready,
        ));
    }
    if let Some(page) = school {
        page.close().await;
    }
    dsl.close().await;
    rows
}

/// P4: the outage, then how long after the link's return new frames and new sound show. The
/// page records them itself: nothing may be asked of it while the link is dead (the WebDriver
/// connection to the classroom's browser goes through the link too).
async fn measure_outage() -> String {
    let dsl = RuralDsl::start_on(&P4_OUTAGE, camera()).await;
    dsl.watch_media().await;
    let (from, length) = P4_OUTAGE.outage.expect("P4 has an outage");
    dsl.link.apply(&P4_OUTAGE, from);
    let cut = epoch_ms();
    tokio::time::sleep(length).await;
    dsl.link.apply(&P4_OUTAGE, from + length);
    let back = epoch_ms();
    // Nothing new arrives in a dead link's last second and a half (the jitter buffer is empty).
    let (picture, sound) = dsl
        .media_after(
            "picture and sound back",
            cut + 1_500.0,
            Duration::from_secs(40),
        )
        .await;
    dsl.close().await;
    format!(
        "| P4: a {} s outage on P1 | picture back {:.1} s after the link's return | sound back {:.1} s |",
        length.as_secs(),
        (picture - back) / 1000.0,
        (sound - back) / 1000.0
    )
}

/// P6: when the layer steps down after the drop and back up after the recovery.
async fn measure_slowdown() -> String {
    let dsl = RuralDsl::start_on(&P6_SLOWDOWN, camera()).await;
    dsl.watch_pictures().await;
    dsl.watch_widths().await;
    dsl.picture_after(
        "the middle or high layer",
        epoch_ms(),
        Duration::from_secs(60),
        |p| p == "middle" || p == "high",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (from, length, rate) = P6_SLOWDOWN.slowdown.expect("P6 has a slowdown");
    dsl.link.apply(&P6_SLOWDOWN, from);
    let slowed = epoch_ms();
    let down = dsl
        .picture_after("a step down", slowed, Duration::from_secs(30), |p| {
            p == "low" || p == "paused"
        })
        .await;
    let rest = (slowed + length.as_secs_f64() * 1000.0 - epoch_ms()).max(0.0);
    tokio::time::sleep(Duration::from_millis(rest as u64)).await;
    dsl.link.apply(&P6_SLOWDOWN, from + length);
    let recovered = epoch_ms();
    let up = dsl
        .picture_after("a step up", recovered, Duration::from_secs(60), |p| {
            p == "middle" || p == "high"
        })
        .await;
    // What the person sees: the decoded picture's width. The page hears of a switch as the relay
    // makes it, before the new layer's key frame has come and been decoded: a few seconds more
    // for that.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let seconds = |t: Option<f64>, from: f64| {
        t.map_or_else(
            || "–".to_string(),
            |t| format!("{:.1} s", (t - from) / 1000.0),
        )
    };
    let smaller = seconds(dsl.width_changed_after(slowed, true).await, slowed);
    let larger = seconds(dsl.width_changed_after(recovered, false).await, recovered);
    let pictures: Vec<String> = dsl
        .pictures()
        .await
        .into_iter()
        .map(|(t, p)| format!("{p} at {:+.1} s", (t - slowed) / 1000.0))
        .collect();
    dsl.close().await;
    format!(
        "| P6: P1 down to {} kbit/s for {} s | down {:.1} s after the drop (the picture smaller after {smaller}) | up {:.1} s after the recovery (larger after {larger}) | {} |",
        rate / 1000,
        length.as_secs(),
        (down - slowed) / 1000.0,
        (up - recovered) / 1000.0,
        pictures.join(", ")
    )
}

/// The teacher's camera: Chromium's fake one at 30 frames/s, as a school's webcam sends, or at
/// its own 20 with `RURAL_LINKS_CAMERA=default` (as the browser tests run it, and the runs
/// before 2026-12-05 08:20 UTC in docs/benchmarks.md).
fn camera() -> Camera {
    match std::env::var("RURAL_LINKS_CAMERA").as_deref() {
        Ok("default") => Camera::Default,
        _ => Camera::Smooth,
    }
}

/// Whether the profile named `name` ("P2 slow", "P4") runs: all of them, or those whose number
/// `RURAL_LINKS` lists (e.g. `RURAL_LINKS=P2,P5`).
fn chosen(name: &str) -> bool {
    let number = name.split(' ').next().unwrap_or(name);
    std::env::var("RURAL_LINKS").map_or(true, |list| list.split(',').any(|p| p.trim() == number))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too, but only to build it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("rural_links: run with `cargo bench -p tests --bench rural_links`");
        return;
    }
    let started = Instant::now();
    println!(
        "| profile | classroom | width (layer) | frames/s | freezes / total | longest freeze | audio concealed | glass to glass (est.) | page to picture |"
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|");
    for (profile, with_school) in [
        (&P1_RURAL_DSL, false),
        (&P2_SLOW, true),
        (&P3_SLOW_LOSSY, true),
        (&P5_ON_P2, false),
    ] {
        if !chosen(profile.name) {
            continue;
        }
        eprintln!("rural_links: {}", profile.name);
        for row in measure_steady(profile, with_school).await {
            println!("{row}");
        }
    }
    println!();
    if chosen("P4") {
        eprintln!("rural_links: P4");
        println!("{}", measure_outage().await);
        println!();
    }
    if chosen("P6") {
        eprintln!("rural_links: P6");
        println!("{}", measure_slowdown().await);
        println!();
    }
    println!(
        "(window {} s per profile; all scenarios in {:.0} s)",
        WINDOW.as_secs(),
        started.elapsed().as_secs_f64()
    );
}
