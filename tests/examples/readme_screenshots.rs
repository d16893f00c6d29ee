//! Makes the README's screenshots: a teacher draws a small fractions lesson, a classroom watches.
//!
//! Run (as root: it makes a network namespace for the browsers' WebRTC):
//! `./scripts/build-client.sh && cargo run -p tests --example readme_screenshots`
//! Writes docs/screenshots/teacher.png, docs/screenshots/classroom.png and
//! docs/screenshots/console.png (the bureau console's week, with a demo timetable made through
//! the API). The cameras are Chromium's fake ones.

use shared::board::{Style, Tool};
use shared::ids::{PageId, Role};
use shared::points::{Deltas, Point};
use shared::protocol::{ClientMsg, ClientOp, Pointer};
use std::f64::consts::TAU;
use std::path::Path;
use std::time::Duration;
use tests::browser::{media_flags, Browser, Chromedriver, FAKE_MEDIA};
use tests::client::LessonClient;
use tests::netns::TestNet;
use tests::relay::{TestRelay, CLASSROOMS};

/// Strokes of a tiny stroke font, in a 0..=10 x 0..=16 cell.
fn glyph(c: char) -> Vec<Vec<(f64, f64)>> {
    match c {
        '1' => vec![vec![(3.0, 3.0), (6.0, 0.0), (6.0, 16.0)]],
        '2' => vec![vec![
            (0.5, 3.0),
            (3.0, 0.0),
            (7.5, 0.0),
            (10.0, 3.5),
            (9.0, 7.0),
            (0.0, 16.0),
            (10.0, 16.0),
        ]],
        '3' => vec![vec![
            (0.5, 1.5),
            (8.0, 0.0),
            (10.0, 3.5),
            (5.0, 7.5),
            (10.0, 11.0),
            (8.0, 16.0),
            (0.5, 14.5),
        ]],
        '4' => vec![vec![(8.0, 16.0), (8.0, 0.0), (0.0, 11.0), (10.5, 11.0)]],
        '+' => vec![vec![(5.0, 4.0), (5.0, 12.0)], vec![(1.0, 8.0), (9.0, 8.0)]],
        '=' => vec![vec![(1.0, 6.0), (9.0, 6.0)], vec![(1.0, 10.0), (9.0, 10.0)]],
        _ => vec![],
    }
}

fn pts(path: &[(f64, f64)]) -> Vec<Point> {
    path.iter().map(|&(x, y)| Point::clamped(x, y)).collect()
}

async fn stroke(t: &mut LessonClient, style: Style, points: Vec<Point>) {
    // Densify so the ink looks hand-drawn at any zoom.
    let mut dense = vec![points[0]];
    for w in points.windows(2) {
        for k in 1..=8 {
            let f = f64::from(k) / 8.0;
            let x = f64::from(w[0].x) + (f64::from(w[1].x) - f64::from(w[0].x)) * f;
            let y = f64::from(w[0].y) + (f64::from(w[1].y) - f64::from(w[0].y)) * f;
            dense.push(Point::clamped(x, y));
        }
    }
    t.op(ClientOp::Begin {
        page: 0,
        style,
        start: dense[0],
        deltas: Deltas::default(),
    })
    .await;
    for chunk in dense[1..].chunks(6) {
        let from = dense[dense
            .iter()
            .position(|p| p == &chunk[0])
            .unwrap_or(1)
            .saturating_sub(1)];
        t.op(ClientOp::Extend {
            deltas: Deltas::walk(from, chunk),
        })
        .await;
    }
    t.op(ClientOp::End).await;
}

/// Writes `text` (fractions as digit over bar over digit) starting at (x, y), glyph scale `s`.
async fn write(t: &mut LessonClient, style: Style, text: &str, mut x: f64, y: f64, s: f64) {
    for part in text.split(' ') {
        if let Some((num, den)) = part.split_once('/') {
            for (row, digit) in [(0.0, num), (22.0, den)] {
                for g in glyph(digit.chars().next().unwrap_or(' ')) {
                    stroke(
                        t,
                        style,
                        pts(&g
                            .iter()
                            .map(|&(gx, gy)| (x + gx * s, y + (gy + row) * s))
                            .collect::<Vec<_>>()),
                    )
                    .await;
                }
            }
            stroke(
                t,
                style,
                pts(&[(x - 2.0 * s, y + 19.0 * s), (x + 12.0 * s, y + 19.0 * s)]),
            )
            .await;
        } else {
            for g in glyph(part.chars().next().unwrap_or(' ')) {
                stroke(
                    t,
                    style,
                    pts(&g
                        .iter()
                        .map(|&(gx, gy)| (x + gx * s, y + (gy + 11.0) * s))
                        .collect::<Vec<_>>()),
                )
                .await;
            }
        }
        x += 20.0 * s;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let net = TestNet::create("shots");
    let relay = TestRelay::start_at(&net.host_ip, 0, &[]).await;
    let url = relay.ws_url(tests::relay::LESSON);
    let mut t = LessonClient::connect(&url, &relay.token(Role::Teacher), PageId(1), None).await;
    let ink = Style {
        tool: Tool::Pen,
        color: 0x1f2937,
        width: 8,
    };
    let blue = Style {
        tool: Tool::Pen,
        color: 0x2563eb,
        width: 10,
    };
    let red = Style {
        tool: Tool::Pen,
        color: 0xdc2626,
        width: 10,
    };
    let marker = Style {
        tool: Tool::Highlighter,
        color: 0xfacc15,
        width: 60,
    };
    // A circle cut in quarters, three of them shaded.
    let (cx, cy, r) = (800.0, 950.0, 520.0);
    let circle: Vec<(f64, f64)> = (0..=72)
        .map(|i| {
            let a = f64::from(i) / 72.0 * TAU;
            (cx + r * a.cos(), cy + r * a.sin())
        })
        .collect();
    stroke(&mut t, ink, pts(&circle)).await;
    stroke(&mut t, ink, pts(&[(cx - r, cy), (cx + r, cy)])).await;
    stroke(&mut t, ink, pts(&[(cx, cy - r), (cx, cy + r)])).await;
    for k in 0..14 {
        let y = cy - r + 40.0 + f64::from(k) * 70.0;
        if y > cy + r - 60.0 {
            break;
        }
        let half = (r * r - (y - cy).powi(2)).max(0.0).sqrt() - 40.0;
        let right_only = y > cy;
        let x0 = if right_only { cx + 30.0 } else { cx - half };
        stroke(&mut t, marker, pts(&[(x0, y), (cx + half, y)])).await;
    }
    write(&mut t, blue, "1/2 + 1/4", 1600.0, 520.0, 14.0).await;
    write(
        &mut t,
        red,
        "= 3/4",
        1600.0 + 14.0 * 20.0 * 3.0,
        520.0,
        14.0,
    )
    .await;
    t.until("the drawing stored", |c| c.outbox.is_empty()).await;

    let driver = Chromedriver::start_in(&net).await;
    let flags = media_flags(&relay.base, FAKE_MEDIA);
    let teacher = Browser::open_with(&driver, flags.clone()).await;
    let classroom = Browser::open_with(&driver, flags).await;
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
    let connected = "document.querySelector('#lesson[data-status=connected]')";
    teacher
        .until("teacher", connected, Duration::from_secs(15))
        .await;
    classroom
        .until("classroom", connected, Duration::from_secs(15))
        .await;
    classroom
        .until(
            "the classroom showing the teacher",
            "+(document.querySelector('figure:has(#teacher-video)')?.dataset.frames || 0) > 40",
            Duration::from_secs(30),
        )
        .await;
    teacher
        .until(
            "the teacher showing the classroom",
            "+(document.querySelector('.grid-cell .tile')?.dataset.frames || 0) > 40",
            Duration::from_secs(30),
        )
        .await;
    // The laser pointer on the answer.
    t.send(&ClientMsg::Pointer(Some(Pointer {
        page: 0,
        at: Point::new(2560, 700),
    })))
    .await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
    std::fs::create_dir_all(&out).expect("screenshots dir");
    std::fs::write(
        out.join("teacher.png"),
        teacher.client.screenshot().await.expect("shot"),
    )
    .expect("write");
    std::fs::write(
        out.join("classroom.png"),
        classroom.client.screenshot().await.expect("shot"),
    )
    .expect("write");
    teacher.close().await;
    classroom.close().await;

    // The bureau console with a week of timetable: a second teacher and classrooms (clear of the
    // demo lesson running now), a term from this Monday and five weekly series, made through the
    // API from the page, then the console's week grid.
    let console = Browser::open_with(&driver, media_flags(&relay.base, &[])).await;
    console
        .client
        .goto(&format!("{}/console", relay.base))
        .await
        .expect("console page");
    console
        .until(
            "the console",
            "document.querySelector('#console')",
            Duration::from_secs(15),
        )
        .await;
    console.eval(CONSOLE_DATA).await;
    console
        .until(
            "the demo timetable made",
            "window.__made === true || window.__failed",
            Duration::from_secs(30),
        )
        .await;
    assert_eq!(
        console.eval("window.__failed || null").await,
        serde_json::Value::Null
    );
    console.client.refresh().await.expect("reload");
    console
        .until(
            "the week grid",
            "document.querySelectorAll('#week li.slot').length >= 5",
            Duration::from_secs(15),
        )
        .await;
    console
        .eval("(() => { document.querySelector('#timetable').scrollIntoView(); return true; })()")
        .await;
    std::fs::write(
        out.join("console.png"),
        console.client.screenshot().await.expect("shot"),
    )
    .expect("write");
    console.close().await;
    println!("wrote {}", out.display());
}

/// Run in the console page: signs in as the demo's bureau admin and makes the demo timetable.
const CONSOLE_DATA: &str = r#"(() => {
  const day = (d) => new Date(Date.now() + 8 * 3600e3 + d * 86400e3).toISOString().slice(0, 10);
  const weekday = ((new Date(Date.now() + 8 * 3600e3).getUTCDay() + 6) % 7);
  const monday = day(-weekday);
  let csrf = '';
  const call = async (method, path, body) => {
    const r = await fetch(path, { method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: body ? JSON.stringify(body) : undefined });
    const j = await r.json().catch(() => null);
    if (!r.ok) throw new Error(method + ' ' + path + ': ' + r.status + ' ' + JSON.stringify(j));
    return j;
  };
  (async () => {
    const me = await call('POST', '/api/session', { login: 'admin', password: 'tongpin-demo-admin' });
    csrf = me.csrf;
    const li = await call('POST', '/api/schools/1/teachers', { name: '李老师' });
    const zhao = await call('POST', '/api/schools/1/teachers', { name: '赵老师' });
    const studio = await call('POST', '/api/schools/1/classrooms', { name: '二号录播教室' });
    const a = await call('POST', '/api/schools/2/classrooms', { name: '六年级' });
    const b = await call('POST', '/api/schools/3/classrooms', { name: '六年级' });
    const c = await call('POST', '/api/schools/4/classrooms', { name: '六年级' });
    const term = await call('POST', '/api/terms', { name: '演示学期', first: monday, last: day(120) });
    const series = [
      [1, '08:00', '08:45', '语文：草原上的小木屋', li, [a, b]],
      [2, '10:00', '10:45', '数学：分数的加减法', zhao, [a, b, c]],
      [3, '14:00', '14:45', '英语：My school', li, [b, c]],
      [4, '09:00', '09:45', '科学：植物的一生', zhao, [a, c]],
      [5, '15:00', '15:45', '音乐：草原牧歌', li, [a, b, c]],
    ];
    for (const [weekday, start, end, title, teacher, rooms] of series) {
      await call('POST', '/api/series', { term: term.id, weekday, start, end, title,
        teacher: teacher.id, master_classroom: studio.id, classrooms: rooms.map(r => r.id) });
    }
    window.__made = true;
  })().catch(e => { window.__failed = String(e); });
  return true;
})()"#;
