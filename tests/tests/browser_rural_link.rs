//! A rural classroom on "rural DSL" — profile P1 through the user-space link emulator
//! (`tests::link`): 2 Mbit/s down, 1 Mbit/s up, 40 ms one-way delay and 0.5% random loss each
//! way — sees and hears the master classroom, and the teacher sees it. The school is a namespace
//! of the test's own; the rural classroom sits behind the emulated link, and the relay listens on
//! the link's relay side. The scenario is [`tests::rural::RuralDsl`]; its frame rate is measured
//! by `cargo bench -p tests --bench rural_link`, not asserted here.

use std::time::Duration;
use tests::rural::RuralDsl;
use tests::wait;

/// 48 kHz audio.
const SAMPLES_PER_SECOND: u64 = 48_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classroom_on_rural_dsl_sees_and_hears_the_teacher() {
    let dsl = RuralDsl::start().await;

    // What a person in the rural classroom notices: the sound keeps coming (13 s of it within
    // 15 s, allowing for the stats' one-second granularity), the picture keeps moving, and it
    // freezes at most once.
    let from = dsl.watched().await;
    let window = Duration::from_secs(15);
    let to = wait::until(
        "13 s of the teacher's audio and new video frames in the rural classroom",
        window,
        async || {
            let now = dsl.watched().await;
            let audio = now.heard().saturating_sub(from.heard());
            if audio >= SAMPLES_PER_SECOND * 13 && now.frames > from.frames {
                Ok(now)
            } else {
                Err(format!(
                    "{audio} audio samples since the start, {from:?} -> {now:?}"
                ))
            }
        },
    )
    .await;
    eprintln!(
        "rural DSL: {from:?} -> {to:?}; emulator counters {}",
        dsl.link.stats()
    );
    assert!(to.width > 0, "the teacher's video has a picture: {to:?}");
    let freezes = to.freezes.saturating_sub(from.freezes);
    assert!(
        freezes <= 1,
        "at most one freeze while 13 s of audio arrived ({freezes} counted)"
    );

    // The teacher sees the rural classroom through its 1 Mbit/s, lossy uplink.
    dsl.teacher
        .until(
            "the teacher decoding the rural classroom",
            &dsl.teacher_decodes_the_classroom(30),
            Duration::from_secs(30),
        )
        .await;
    dsl.classroom.screenshot("rural-dsl-classroom.png").await;
    dsl.close().await;
}
