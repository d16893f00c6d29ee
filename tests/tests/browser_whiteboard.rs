//! In headless Chromium: the teacher draws with a pointer drag; a classroom in another browser sees
//! the ink on its canvas within a second; a classroom that reloads shows the same board.

use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use shared::ids::Role;
use std::time::{Duration, Instant};
use tests::browser::{dist, Browser, Chromedriver};
use tests::relay::{TestRelay, CLASSROOMS};

const CONNECTED: &str = "document.querySelector('#lesson[data-status=connected]')";

fn strokes(n: u32) -> String {
    format!("document.querySelector('#lesson') && document.querySelector('#lesson').dataset.strokes === '{n}'")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stroke_drawn_by_the_teacher_appears_in_every_classroom() {
    assert!(
        dist().join("index.html").exists(),
        "the client is not built: run scripts/build-client.sh"
    );
    let relay = TestRelay::start().await;
    let driver = Chromedriver::start().await;
    let teacher = Browser::open(&driver, &[]).await;
    let classroom = Browser::open(&driver, &[]).await;
    let link = |role| format!("{}/lesson#token={}", relay.base, relay.token(role));
    teacher
        .client
        .goto(&link(Role::Teacher))
        .await
        .expect("teacher page");
    classroom
        .client
        .goto(&link(Role::Classroom(CLASSROOMS[0])))
        .await
        .expect("classroom page");
    teacher
        .until("the teacher connected", CONNECTED, Duration::from_secs(15))
        .await;
    classroom
        .until(
            "the classroom connected",
            CONNECTED,
            Duration::from_secs(15),
        )
        .await;
    assert_eq!(
        classroom
            .eval("document.querySelector('#lesson').dataset.role")
            .await,
        "classroom"
    );
    assert_eq!(classroom.ink_pixels().await, 0, "a new board is blank");

    // A pointer drag across the teacher's board.
    let board = teacher.element("#board").await;
    let mut drag = MouseActions::new("pen".into())
        .then(PointerAction::MoveToElement {
            element: board,
            duration: None,
            x: -250,
            y: -60,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        });
    for _ in 0..12 {
        drag = drag.then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(25)),
            x: 40,
            y: 10,
        });
    }
    // The pen is still down: the classroom already sees the ink (strokes stream while drawn).
    teacher
        .client
        .perform_actions(drag)
        .await
        .expect("pen down, moving");
    classroom
        .until(
            "the open stroke on the classroom's board",
            &strokes(1),
            Duration::from_secs(5),
        )
        .await;
    let while_drawing = classroom.ink_pixels().await;
    assert!(
        while_drawing > 50,
        "only {while_drawing} ink pixels while the pen is down"
    );
    let mut rest = MouseActions::new("pen".into());
    for _ in 0..4 {
        rest = rest.then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(25)),
            x: 40,
            y: 10,
        });
    }
    teacher
        .client
        .perform_actions(rest.then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        }))
        .await
        .expect("pen up");
    let lifted = Instant::now();

    classroom
        .until(
            "the stroke on the classroom's board",
            &strokes(1),
            Duration::from_secs(5),
        )
        .await;
    let mut ink = classroom.ink_pixels().await;
    while ink < 300 && lifted.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        ink = classroom.ink_pixels().await;
    }
    let seen_after = lifted.elapsed();
    assert!(
        ink >= 300,
        "the classroom canvas shows only {ink} ink pixels"
    );
    assert!(
        seen_after <= Duration::from_secs(1),
        "the classroom saw the stroke {seen_after:?} after pen-up"
    );
    teacher
        .until(
            "the teacher's own board holds the stroke",
            &strokes(1),
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
            &strokes(1),
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
