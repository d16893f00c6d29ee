//! In headless Chromium: the teacher's undo/redo and laser pointer reach a classroom's screen, and a
//! classroom page shows "reconnecting" when the relay goes away and comes back by itself, with its
//! board, when the relay is back.

use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use shared::board::{Style, Tool};
use shared::ids::{PageId, Role};
use shared::points::{Deltas, Point};
use shared::protocol::ClientOp;
use std::time::Duration;
use tests::browser::{dist, strokes_are, Browser, Chromedriver, Device, CONNECTED};
use tests::client::LessonClient;
use tests::relay::{TestRelay, CLASSROOMS, LESSON};

const WAIT: Duration = Duration::from_secs(15);

/// Red laser pixels on the classroom's overlay canvas.
const LASER_PIXELS: &str = "(() => { const c = document.getElementById('overlay'); if (!c) return 0;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
    for (let i = 0; i < d.length; i += 4) { if (d[i + 3] > 128 && d[i] > 200 && d[i + 1] < 120 && d[i + 2] < 120) n++; }
    return n; })()";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_redo_and_the_laser_pointer_reach_the_classroom() {
    assert!(
        dist().join("index.html").exists(),
        "the client is not built: run scripts/build-client.sh"
    );
    let relay = TestRelay::start().await;
    let driver = Chromedriver::start().await;
    let teacher = Browser::join(&driver, &relay.link(Role::Teacher)).await;
    let classroom = Browser::join(&driver, &relay.link(Role::Classroom(CLASSROOMS[0]))).await;

    let board = teacher.element("#board").await;
    teacher
        .drag(Device::Mouse, Some((&board, -200, 0)), 8, (40, 6), true)
        .await;
    classroom.until("the stroke", &strokes_are(1), WAIT).await;
    assert!(classroom.ink_pixels().await > 100);
    // A finger and a stylus draw too (interactive whiteboards and tablets).
    teacher
        .drag(Device::Finger, Some((&board, -200, 80)), 6, (40, 0), true)
        .await;
    classroom
        .until("the finger's stroke", &strokes_are(2), WAIT)
        .await;
    teacher
        .drag(Device::Stylus, Some((&board, -200, 140)), 6, (40, 0), true)
        .await;
    classroom
        .until("the stylus's stroke", &strokes_are(3), WAIT)
        .await;
    for _ in 0..2 {
        teacher.element("#undo").await.click().await.expect("undo");
    }
    classroom
        .until("two strokes taken back", &strokes_are(1), WAIT)
        .await;

    teacher.element("#undo").await.click().await.expect("undo");
    classroom
        .until("the stroke taken back", &strokes_are(0), WAIT)
        .await;
    assert_eq!(
        classroom.ink_pixels().await,
        0,
        "undo leaves no ink on the classroom's canvas"
    );
    teacher.element("#redo").await.click().await.expect("redo");
    classroom
        .until("the stroke back again", &strokes_are(1), WAIT)
        .await;
    assert!(classroom.ink_pixels().await > 100);

    // The laser pointer: shown while the teacher points, gone when the teacher puts it away.
    teacher
        .element("#tool-laser")
        .await
        .click()
        .await
        .expect("laser tool");
    let point = MouseActions::new("mouse".into())
        .then(PointerAction::MoveToElement {
            element: board.clone(),
            duration: None,
            x: 0,
            y: 0,
        })
        .then(PointerAction::MoveBy {
            duration: Some(Duration::from_millis(100)),
            x: 30,
            y: 10,
        });
    teacher.client.perform_actions(point).await.expect("point");
    classroom
        .until(
            "the laser dot on the classroom's screen",
            &format!("{LASER_PIXELS} > 20"),
            WAIT,
        )
        .await;
    classroom.screenshot("classroom-laser.png").await;
    teacher
        .element("#tool-pen")
        .await
        .click()
        .await
        .expect("pen tool");
    classroom
        .until("the laser dot gone", &format!("{LASER_PIXELS} === 0"), WAIT)
        .await;
    let strokes = classroom
        .eval("document.querySelector('#lesson').dataset.strokes")
        .await;
    assert_eq!(strokes, "1", "the laser never draws");

    // A projector of another size: the board is redrawn at the new size, pixel for pixel.
    let before = classroom
        .eval("document.getElementById('board').width")
        .await;
    classroom
        .client
        .set_window_size(900, 700)
        .await
        .expect("resize");
    let crisp = "(() => { const c = document.getElementById('board'); const r = c.getBoundingClientRect();
        return Math.abs(c.width - Math.round(r.width * devicePixelRatio)) <= 1
            && Math.abs(c.height - Math.round(r.height * devicePixelRatio)) <= 1 && r.width <= 900; })()";
    classroom
        .until("the canvas matching its new size", crisp, WAIT)
        .await;
    let after = classroom
        .eval("document.getElementById('board').width")
        .await;
    assert_ne!(before, after, "the canvas was resized");
    assert!(
        classroom.ink_pixels().await > 100,
        "the board is redrawn after a resize"
    );

    teacher.close().await;
    classroom.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classroom_page_reconnects_by_itself_when_the_relay_restarts() {
    assert!(
        dist().join("index.html").exists(),
        "the client is not built: run scripts/build-client.sh"
    );
    let relay = TestRelay::start().await;
    let base = relay.base.clone();
    let listen = base.trim_start_matches("http://").to_string();
    let teacher_token = relay.token(Role::Teacher);
    let mut teacher =
        LessonClient::connect(&relay.ws_url(LESSON), &teacher_token, PageId(1), None).await;
    let style = Style {
        tool: Tool::Pen,
        color: 0x1f2937,
        width: 12,
    };
    let draw = |y: u16| {
        let start = Point::new(400, y);
        let deltas = Deltas::walk(start, &[Point::new(2400, y)]);
        ClientOp::Begin {
            page: 0,
            style,
            start,
            deltas,
        }
    };
    teacher.op(draw(600)).await;
    teacher.op(ClientOp::End).await;
    teacher.until("stored", |c| c.outbox.is_empty()).await;

    let driver = Chromedriver::start().await;
    let classroom = Browser::join(&driver, &relay.link(Role::Classroom(CLASSROOMS[1]))).await;
    classroom
        .until("the first stroke", &strokes_are(1), WAIT)
        .await;

    let data = relay.kill().await;
    classroom
        .until(
            "the reconnecting state",
            "document.querySelector('#lesson[data-status=reconnecting]')",
            WAIT,
        )
        .await;
    let status = classroom
        .eval("document.querySelector('#status').innerText")
        .await;
    assert!(
        status.as_str().unwrap_or("").contains("正在重新连接"),
        "status shows {status}"
    );
    assert!(
        classroom.ink_pixels().await > 100,
        "the board stays on screen while reconnecting"
    );
    classroom.screenshot("classroom-reconnecting.png").await;

    // The relay comes back on the same address with the same database.
    let relay = TestRelay::start_in(&data, &listen).await;
    classroom
        .until("reconnected by itself", CONNECTED, Duration::from_secs(30))
        .await;
    let mut teacher = teacher
        .reconnect(&relay.ws_url(LESSON), &teacher_token)
        .await;
    teacher.op(draw(1200)).await;
    teacher.op(ClientOp::End).await;
    classroom
        .until("the stroke drawn after the restart", &strokes_are(2), WAIT)
        .await;
    classroom.close().await;
    std::fs::remove_dir_all(&data).ok();
}
