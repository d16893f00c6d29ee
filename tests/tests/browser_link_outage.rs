//! P4: a rural classroom on rural DSL (P1) whose link goes dead for 15 s in the middle of the
//! lesson — both directions drop everything, as when a microwave hop or the school's router
//! fails — gets its lesson back by itself once the link returns: the strokes the teacher drew
//! meanwhile, the teacher's sound and picture, without a reload and without anyone doing
//! anything. The attendance report counts the outage. Real Chromium on both ends, the outage
//! made by the user-space link emulator.
//!
//! Before the page had a liveness check of its own, its WebSocket still said "connected" through
//! the outage, and the board caught up only when TCP gave up on the dead connection, about 12 s
//! after the link's return. The aim (Rural links issue) is 3 s; the assertions leave a margin for
//! a loaded CI machine: the board within 4 s, sound and picture within 5 s (the page's media
//! stats are refreshed once a second). `cargo bench -p tests --bench rural_link` reports the
//! figures.

use std::time::Duration;
use tests::browser::Device;
use tests::link::profiles::P4_OUTAGE;
use tests::rural::{epoch_ms, Camera, RuralDsl};
use tests::wait;

/// Records in the classroom's page when its board first held each number of strokes.
const WATCH_STROKES: &str = "(() => { window.__strokesSeen = {}; setInterval(() => { \
    const n = +(document.querySelector('#lesson')?.dataset.strokes || 0); \
    if (!(n in window.__strokesSeen)) window.__strokesSeen[n] = Date.now(); }, 10); \
    return true; })()";

const BOARD_BACK: Duration = Duration::from_secs(4);
const MEDIA_BACK: Duration = Duration::from_secs(5);

/// When the classroom's board first held `n` strokes (page clock, ms), waiting up to `wait`.
async fn stroke_seen(dsl: &RuralDsl, n: u32, wait: Duration) -> f64 {
    wait::until(
        &format!("{n} strokes on the classroom's board"),
        wait,
        async || {
            let seen = dsl
                .classroom
                .eval(&format!("window.__strokesSeen[{n}] || 0"))
                .await;
            match seen.as_f64() {
                Some(t) if t > 0.0 => Ok(t),
                _ => Err(format!(
                    "not yet; the page says {}",
                    dsl.classroom
                        .eval("document.querySelector('#lesson')?.dataset.status || ''")
                        .await
                )),
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_outage_the_classroom_has_its_lesson_back_within_seconds() {
    let dsl = RuralDsl::start_on(&P4_OUTAGE, Camera::Default).await;
    dsl.classroom.eval(WATCH_STROKES).await;
    dsl.watch_media().await;
    dsl.classroom.eval("(window.__sameDocument = 'yes')").await;
    let board = dsl.teacher.element("#board").await;

    dsl.teacher
        .drag(Device::Mouse, Some((&board, -250, -100)), 6, (40, 4), true)
        .await;
    stroke_seen(&dsl, 1, Duration::from_secs(20)).await;

    // The outage: P4's settings 30 s in (both directions drop everything) for its 15 s.
    let (from, length) = P4_OUTAGE.outage.expect("P4 has an outage");
    dsl.link.apply(&P4_OUTAGE, from);
    let cut_at = epoch_ms();
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The teacher goes on teaching: a stroke the classroom cannot receive yet.
    dsl.teacher
        .drag(Device::Mouse, Some((&board, -250, -40)), 6, (40, 4), true)
        .await;
    let rest = Duration::from_millis((cut_at + length.as_secs_f64() * 1000.0 - epoch_ms()) as u64);
    tokio::time::sleep(rest).await;
    dsl.link.apply(&P4_OUTAGE, from + length);
    let back_at = epoch_ms();
    eprintln!(
        "outage: the link was dead for {:.1} s",
        (back_at - cut_at) / 1000.0
    );

    // The board: the stroke drawn during the outage, seen by the page itself.
    let seen = stroke_seen(&dsl, 2, Duration::from_secs(40)).await;
    let board_back = Duration::from_millis((seen - back_at).max(0.0) as u64);
    eprintln!("outage: the board caught up {board_back:?} after the link's return");

    // Sound and picture: the first new video frame and the first new audio after the link's
    // return, as the page saw them (nothing new arrives in a dead link's last second and a half:
    // the jitter buffer is empty by then).
    let quiet_from = cut_at + 1_500.0;
    let media = dsl
        .media_after(
            "the teacher's sound and picture back in the classroom",
            quiet_from,
            Duration::from_secs(40),
        )
        .await;
    let log = dsl
        .classroom
        .eval(&format!(
            "[window.__framesAt.filter(t => t > {cut_at} - 3000).map(t => t - {back_at}), \
              window.__heardAt.filter(t => t > {cut_at} - 3000).map(t => t - {back_at})]"
        ))
        .await;
    eprintln!("outage: tile updates (ms after the link's return; frames, audio): {log}");
    let after = |t: f64| Duration::from_millis((t - back_at).max(0.0) as u64);
    let (video_back, audio_back) = (after(media.0), after(media.1));
    let media_back = video_back.max(audio_back);
    eprintln!(
        "outage: picture back {video_back:?}, sound back {audio_back:?} after the link's return \
         (stats refreshed each second); emulator counters {}",
        dsl.link.stats()
    );

    let same = dsl.classroom.eval("window.__sameDocument || ''").await;
    assert_eq!(same, "yes", "the classroom's page was not reloaded");
    assert!(
        board_back <= BOARD_BACK,
        "the board caught up {board_back:?} after the link's return (at most {BOARD_BACK:?})"
    );
    assert!(
        media_back <= MEDIA_BACK,
        "sound and picture came back {media_back:?} after the link's return (at most {MEDIA_BACK:?})"
    );
    // The attendance report counts the outage and its seconds (noticed 4 to 6 s in: at least 6 of
    // its 15 s) beside the time on the picture.
    let time = dsl
        .link_time_until(
            "the outage in the attendance report",
            Duration::from_secs(30),
            |t| t["outages"].as_u64() >= Some(1) && t["outage_seconds"].as_u64() >= Some(6),
        )
        .await;
    eprintln!("outage: the classroom's link time in the report: {time}");
    dsl.close().await;
}
