//! In headless Chromium: the teacher draws with a pointer drag; a classroom in another browser sees
//! the ink on its canvas while the pen moves and within a second of pen-up; a classroom that
//! reloads shows the same board.

use shared::ids::Role;
use std::time::{Duration, Instant};
use tests::browser::{dist, strokes_are, Browser, Chromedriver, Device, CONNECTED};
use tests::relay::{TestRelay, CLASSROOMS};
use tests::wait;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stroke_drawn_by_the_teacher_appears_in_every_classroom() {
    assert!(
        dist().join("index.html").exists(),
        "the client is not built: run scripts/build-client.sh"
    );
    let relay = TestRelay::start().await;
    let driver = Chromedriver::start().await;
    let teacher = Browser::join(&driver, &relay.link(Role::Teacher)).await;
    let classroom = Browser::join(&driver, &relay.link(Role::Classroom(CLASSROOMS[0]))).await;
    assert_eq!(
        classroom
            .eval("document.querySelector('#lesson').dataset.role")
            .await,
        "classroom"
    );
    assert_eq!(classroom.ink_pixels().await, 0, "a new board is blank");

    // Pen down and moving: the classroom already sees the ink (strokes stream while drawn).
    let board = teacher.element("#board").await;
    teacher
        .drag(
            Device::Mouse,
            Some((&board, -250, -60)),
            12,
            (40, 10),
            false,
        )
        .await;
    classroom
        .until(
            "the open stroke on the classroom's board",
            &strokes_are(1),
            Duration::from_secs(5),
        )
        .await;
    let while_drawing = classroom.ink_pixels().await;
    assert!(
        while_drawing > 50,
        "only {while_drawing} ink pixels while the pen is down"
    );

    // Pen up: the whole stroke is there within a second.
    teacher.drag(Device::Mouse, None, 4, (40, 10), true).await;
    let lifted = Instant::now();
    let ink = wait::until(
        "the whole stroke (300 ink pixels) on the classroom's canvas",
        Duration::from_secs(5),
        async || match classroom.ink_pixels().await {
            n if n >= 300 => Ok(n),
            n => Err(format!("{n} ink pixels")),
        },
    )
    .await;
    let seen_after = lifted.elapsed();
    assert!(
        seen_after <= Duration::from_secs(1),
        "the classroom saw the stroke {seen_after:?} after pen-up"
    );
    teacher
        .until(
            "the teacher's own board holds the stroke",
            &strokes_are(1),
            Duration::from_secs(5),
        )
        .await;
    assert!(teacher.ink_pixels().await >= 300);
    teacher.screenshot("teacher.png").await;
    classroom.screenshot("classroom.png").await;

    // Reloading the classroom page shows the same board.
    classroom.client.refresh().await.expect("reload");
    classroom
        .until(
            "reconnected after reload",
            CONNECTED,
            Duration::from_secs(15),
        )
        .await;
    classroom
        .until(
            "the board after reload",
            &strokes_are(1),
            Duration::from_secs(5),
        )
        .await;
    let after = classroom.ink_pixels().await;
    assert!(
        after.abs_diff(ink) * 10 <= ink,
        "ink before reload {ink}, after {after}"
    );
    classroom.screenshot("classroom-reloaded.png").await;

    teacher.close().await;
    classroom.close().await;
}
