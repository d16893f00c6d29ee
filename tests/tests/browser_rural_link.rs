//! A rural classroom on "rural DSL" — profile P1 through the user-space link emulator
//! (`tests::link`): 2 Mbit/s down, 1 Mbit/s up, 40 ms one-way delay and 0.5% random loss each
//! way — sees and hears the master classroom, and the teacher sees it; the sound goes both ways
//! as redundant audio (RED). The school is a namespace
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
    // stands still for at most a second in all.
    let from = dsl.watched().await;
    let sent_from = dsl.teacher_audio_bytes_sent().await;
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
    let audio_bits = 8 * dsl
        .teacher_audio_bytes_sent()
        .await
        .saturating_sub(sent_from);
    eprintln!(
        "rural DSL: {from:?} -> {to:?}; the teacher's audio (RED) {:.0} kbit/s of RTP (headers \
         included, IP and UDP not); emulator counters {}",
        audio_bits as f64 / (to.heard().saturating_sub(from.heard()) as f64 / 48.0),
        dsl.link.stats()
    );
    assert!(to.width > 0, "the teacher's video has a picture: {to:?}");
    // A freeze (`freezeCount`) is a frame late by 150 ms over the usual gap: on this link one
    // lasts about a quarter of a second, when a lost packet's retransmission or a keyframe
    // comes late. What a person notices is how long the picture stood still: at most a second
    // of the window. (Counting freezes instead, at most one, failed a third of the runs on
    // 2026-12-03, with the relay of before the media driver too: two freezes of ~240 ms.)
    let freezes = to.freezes.saturating_sub(from.freezes);
    let frozen_ms = to.freeze_ms.saturating_sub(from.freeze_ms);
    assert!(
        frozen_ms <= 1_000,
        "the picture stood still at most 1 s while 13 s of audio arrived \
         ({frozen_ms} ms in {freezes} freezes)"
    );

    // The teacher sees the rural classroom through its 1 Mbit/s, lossy uplink.
    dsl.teacher
        .until(
            "the teacher decoding the rural classroom",
            &dsl.teacher_decodes_the_classroom(30),
            Duration::from_secs(30),
        )
        .await;
    // Both ways the sound is redundant audio (RFC 2198): each packet carries the one before, so
    // a packet lost on the rural link is played from the next.
    // (What each page's browser negotiated: Chrome's stats do not say which packets were RED;
    // `media_red` checks what the relay forwards.)
    assert!(
        to.audio_red,
        "the classroom receives the teacher as RED: {to:?}"
    );
    wait::until(
        "both pages sending RED, and the teacher receiving the rural classroom as RED",
        Duration::from_secs(10),
        async || {
            let sending = dsl.both_send_red().await;
            let teacher_receives = dsl.teacher_hears_the_classroom_as_red().await;
            if sending == (true, true) && teacher_receives {
                Ok(())
            } else {
                Err(format!(
                    "sending RED (teacher, classroom): {sending:?}, the teacher receiving it: \
                     {teacher_receives}"
                ))
            }
        },
    )
    .await;
    // The teacher's grid says how the rural classroom's link fares: rural DSL (0.5% loss, 80 ms
    // round trip) is a good link.
    let seen = wait::until(
        "the teacher's grid grading the rural classroom's link good",
        Duration::from_secs(30),
        async || match dsl.link_seen_by_the_teacher().await {
            Some(seen) if seen.grade == "good" => Ok(seen),
            other => Err(format!("{other:?}")),
        },
    )
    .await;
    eprintln!("rural DSL: the teacher sees {seen:?}");
    assert!(
        (60..300).contains(&seen.rtt_ms)
            && seen.receiving_kbps > 0
            && seen.tooltip.contains("往返"),
        "the figures behind the grade: {seen:?}"
    );
    // The classroom's page says the same of its own link, in plain words.
    dsl.classroom
        .until(
            "the classroom's page saying its link is good",
            "document.querySelector('#own-link')?.dataset.link === 'good' && \
             document.querySelector('#own-link').textContent.includes('网络良好')",
            Duration::from_secs(10),
        )
        .await;
    dsl.teacher.screenshot("rural-dsl-teacher.png").await;
    dsl.classroom.screenshot("rural-dsl-classroom.png").await;
    dsl.close().await;
}
