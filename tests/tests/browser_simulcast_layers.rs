//! Simulcast: the teacher's camera goes out as three layers (a quarter, half and the whole of a
//! 1280x720 picture), and each classroom receives the one its link carries. A rural classroom
//! on P2 (800 kbit/s down, 150 ms each way, 1% loss, through the user-space link emulator) gets
//! a lower layer than a classroom at the school on an unshaped link, which gets the top one (the
//! relay does not keep the rural one on the top layer); both keep decoding. When the rural link
//! then drops to 100 kbit/s, less than the smallest layer and the sound together, the relay
//! pauses that classroom's picture and keeps its sound, the page says so, and the picture comes
//! back when the link does; the attendance report counts the classroom's time on each. Real
//! Chromium everywhere.

use std::time::Duration;
use tests::link::control::Direction;
use tests::link::pipeline::Settings;
use tests::link::profiles::P2_SLOW;
use tests::rural::{picture_in, watched_in, Camera, RuralDsl};
use tests::wait;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_classroom_gets_the_layer_its_link_carries() {
    let dsl = RuralDsl::start_on(&P2_SLOW, Camera::Default).await;
    let school = dsl.open_school_classroom().await;

    // Ten seconds once both decode: the sizes each showed, and the frames they decoded.
    wait::until(
        "both classrooms decoding the teacher",
        Duration::from_secs(60),
        async || {
            let (s, r) = (watched_in(&school).await, dsl.watched().await);
            if s.frames > 0 && r.frames > 0 {
                Ok(())
            } else {
                Err(format!("school {s:?}, rural {r:?}"))
            }
        },
    )
    .await;
    // The school's classroom climbs to the top layer as its link estimate grows (each step up
    // waits 5 s and a probe); the rural one, on 800 kbit/s, does not keep the 1.2 Mbit/s layer.
    // What each page gets is read each second for up to 60 s, until the school's classroom
    // decodes the top layer: the relay's word for it on the page (`high`) and a picture wider
    // than the low layer's 320. The widths alone do not tell the layer: on a loaded 2-core
    // machine the teacher's browser scales all its layers down for want of CPU (1280 becomes
    // 960, `limitedBy: cpu` below).
    let (mut school_seen, mut rural_seen) = (Vec::new(), Vec::new());
    let mut sending = Vec::new();
    for i in 0..60 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (s, r) = (watched_in(&school).await, dsl.watched().await);
        let (sp, rp) = (picture_in(&school).await, picture_in(&dsl.classroom).await);
        let top = sp == "high" && s.width > 320;
        school_seen.push((sp, s.width));
        rural_seen.push((rp, r.width));
        if i % 5 == 0 {
            sending.push(dsl.teacher_sending().await);
        }
        if top {
            break;
        }
    }
    eprintln!("simulcast: each second: school {school_seen:?}, rural {rural_seen:?}");
    eprintln!("simulcast: the teacher sending, every 5 s: {sending:?}");
    assert!(
        school_seen
            .last()
            .is_some_and(|(p, w)| p == "high" && *w > 320),
        "the school's classroom gets the top layer: {school_seen:?}; the teacher sending \
         (every 5 s): {sending:?}"
    );
    // Both keep decoding, each at its own size, for 5 s more.
    let first = (watched_in(&school).await, dsl.watched().await);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let end = (watched_in(&school).await, dsl.watched().await);
    rural_seen.push((picture_in(&dsl.classroom).await, end.1.width));
    eprintln!("simulcast: school {:?}; rural {:?}", end.0, end.1);
    assert!(
        end.0.frames > first.0.frames + 50 && end.1.frames > first.1.frames + 25,
        "both keep decoding: {first:?} -> {end:?}; the teacher sending: {}",
        dsl.teacher_sending().await
    );
    // A switch up waits for a probe of the link that passed, and a layer counts at the most it
    // sent over the last 20 s (`media::probe`, `simulcast::LayerRates`), so the rural classroom
    // on 800 kbit/s is not sent the 1.2 Mbit/s layer. One case is left: when the teacher's
    // encoder starts that layer for the first time, or after more than 20 s without it (a loaded
    // 2-core machine makes it drop layers), it sends little at first, a probe of it passes, and
    // the switch is undone within seconds once the layer grows. So the classroom never stays on
    // it: each time it is back under it within 10 s, and it is under it most of the time.
    let on_top = |seen: &(String, u64)| seen.0 == "high";
    if rural_seen.last().is_some_and(on_top) {
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let seen = (picture_in(&dsl.classroom).await, dsl.watched().await.width);
            let done = !on_top(&seen);
            rural_seen.push(seen);
            if done {
                break;
            }
        }
    }
    eprintln!("simulcast: the rural classroom each second: {rural_seen:?}");
    let longest_on_top = rural_seen
        .split(|s| !on_top(s))
        .map(<[(String, u64)]>::len)
        .max()
        .unwrap_or(0);
    let under = rural_seen.iter().filter(|s| !on_top(s)).count();
    assert!(
        rural_seen.iter().all(|(_, w)| *w > 0)
            && rural_seen.last().is_some_and(|s| !on_top(s))
            && longest_on_top < 10
            && under * 10 >= rural_seen.len() * 7,
        "the rural classroom on 800 kbit/s does not stay on the 1.2 Mbit/s layer: {rural_seen:?}"
    );

    // Audio first: a link too slow for any picture keeps the sound.
    dsl.link.set(
        Direction::Down,
        &Settings {
            rate_bps: 100_000,
            ..P2_SLOW.down
        },
    );
    dsl.classroom
        .until(
            "the rural classroom's page saying the picture is paused, the sound kept",
            "document.querySelector('#own-link')?.dataset.picture === 'paused' && \
             document.querySelector('#own-link').textContent.includes('仅保留声音')",
            Duration::from_secs(40),
        )
        .await;
    let paused = dsl.watched().await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    let later = dsl.watched().await;
    let heard = later.heard().saturating_sub(paused.heard());
    eprintln!(
        "simulcast: paused at 100 kbit/s: {paused:?} -> {later:?} ({:.1} s of sound in 6 s)",
        heard as f64 / 48_000.0
    );
    assert!(
        heard >= 4 * 48_000,
        "the sound goes on while the picture is paused: {paused:?} -> {later:?}"
    );
    // The link back: the picture comes back by itself.
    dsl.link.set(Direction::Down, &P2_SLOW.down);
    dsl.classroom
        .until(
            "the rural classroom's picture back",
            "document.querySelector('#own-link') && \
             document.querySelector('#own-link').dataset.picture !== 'paused'",
            Duration::from_secs(60),
        )
        .await;
    let back = dsl.watched().await;
    wait::until(
        "new frames of the teacher in the rural classroom",
        Duration::from_secs(20),
        async || {
            let now = dsl.watched().await;
            if now.frames > back.frames + 10 {
                Ok(())
            } else {
                Err(format!("{back:?} -> {now:?}"))
            }
        },
    )
    .await;
    // The attendance report has the rural classroom's time on a lower layer and on the sound
    // alone (stored every 10 s while the lesson has media).
    let time = dsl
        .link_time_until(
            "the rural classroom's time on a layer and on the sound alone in the report",
            Duration::from_secs(30),
            |t| {
                let s = |k: &str| t[k].as_u64().unwrap_or(0);
                s("audio_only_seconds") >= 4 && s("low_seconds") + s("middle_seconds") >= 10
            },
        )
        .await;
    eprintln!("simulcast: the rural classroom's link time in the report: {time}");
    school.close().await;
    dsl.close().await;
}
