//! A classroom joining late into a lesson whose board holds 10,000 strokes.
//!
//! Run: `cargo bench -p tests --bench late_join` (needs the release-built client in dist/ and
//! Chromium for the browser part: scripts/build-client.sh, scripts/setup.sh --with-chromium).
//!
//! 1. Relay: from sending Hello to having the snapshot decoded, in a Rust WebSocket client.
//! 2. Browser: a classroom page in headless Chromium; from the page sending Hello to the board
//!    drawn on the canvas (the client's `performance.mark`s `tongpin:hello`, `tongpin:snapshot`,
//!    `tongpin:drawn` once the canvas calls are issued, `tongpin:rendered` once a pixel read-back
//!    forced the rasterizing to finish), and from navigation start.

use relay::store::Store;
use shared::board::{Board, Op, Style, Tool};
use shared::ids::{PageId, Role};
use shared::points::Deltas;
use shared::protocol::ServerMsg;
use shared::testkit::{pen_path, Rng};
use std::time::{Duration, Instant};
use tests::browser::{dist, Browser, Chromedriver};
use tests::client::LessonClient;
use tests::relay::{TestRelay, CLASSROOMS, LESSON};

const STROKES: usize = 10_000;

fn board() -> Board {
    let mut rng = Rng::new(5);
    let mut b = Board::new();
    for i in 0..STROKES {
        let n = 10 + rng.below(30) as usize;
        let pts = pen_path(&mut rng, n, 1920.0, 8.0);
        let style = Style {
            tool: Tool::Pen,
            color: (i as u32 * 7919) & 0xFF_FFFF,
            width: 4,
        };
        b.apply(
            b.seq + 1,
            &Op::Begin {
                page: 0,
                style,
                start: pts[0],
                deltas: Deltas::walk(pts[0], &pts[1..]),
            },
        )
        .expect("begin");
        let id = shared::ids::StrokeId(b.seq);
        b.apply(b.seq + 1, &Op::End { stroke: id }).expect("end");
    }
    b
}

fn stats(mut v: Vec<f64>) -> String {
    v.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    format!(
        "p50 {:.1} ms, p90 {:.1} ms, max {:.1} ms (n = {})",
        p(0.5),
        p(0.9),
        p(1.0),
        v.len()
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // Seed a data folder with the demo lesson and a 10,000-stroke board, then start the relay on it.
    let tmp = tempfile::tempdir().expect("tmp");
    let url = format!("sqlite://{}", tmp.path().join("tongpin.db").display());
    let store = Store::open(&url).await.expect("store");
    relay::demo::seed(&store, 0).await.expect("demo");
    let b = board();
    store
        .save_snapshot(LESSON, &b, &Default::default())
        .await
        .expect("snapshot");
    drop(store);
    let relay = TestRelay::start_in(tmp.path(), "127.0.0.1:0").await;
    let bytes = shared::codec::encode_snapshot(&b).len();
    println!(
        "board: {STROKES} strokes, {} points, snapshot {:.0} KiB on the wire",
        b.pages[0]
            .strokes
            .iter()
            .map(|s| s.points.0.len())
            .sum::<usize>(),
        bytes as f64 / 1024.0
    );

    let mut relay_ms = Vec::new();
    for i in 0..20 {
        let start = Instant::now();
        let mut c = LessonClient::connect(
            &relay.ws_url(LESSON),
            &relay.token(Role::Observer),
            PageId(100 + i),
            None,
        )
        .await;
        loop {
            match c.recv(Duration::from_secs(10)).await.expect("snapshot") {
                ServerMsg::Snapshot(_) => break,
                _ => continue,
            }
        }
        relay_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(c.board.stroke_count(), STROKES);
        c.close().await;
    }
    println!(
        "relay: Hello -> snapshot decoded (Rust client): {}",
        stats(relay_ms)
    );

    if !dist().join("index.html").exists() {
        println!("browser: skipped, the client is not built (scripts/build-client.sh)");
        return;
    }
    let driver = Chromedriver::start().await;
    let mut from_hello = Vec::new();
    let mut from_snapshot = Vec::new();
    let mut from_nav = Vec::new();
    let mut draw_calls = Vec::new();
    let link = format!(
        "{}/lesson#token={}",
        relay.base,
        relay.token(Role::Classroom(CLASSROOMS[0]))
    );
    for _ in 0..5 {
        let browser = Browser::open(&driver, &[]).await;
        browser.client.goto(&link).await.expect("page");
        browser
            .until(
                "the board rendered",
                "performance.getEntriesByName('tongpin:rendered').length > 0",
                Duration::from_secs(30),
            )
            .await;
        let t = |name: &str| format!("performance.getEntriesByName('{name}')[0].startTime");
        let hello = browser
            .eval(&t("tongpin:hello"))
            .await
            .as_f64()
            .expect("hello mark");
        let snap = browser
            .eval(&t("tongpin:snapshot"))
            .await
            .as_f64()
            .expect("snapshot mark");
        let rendered = browser
            .eval(&t("tongpin:rendered"))
            .await
            .as_f64()
            .expect("rendered mark");
        let drawn = browser
            .eval(&t("tongpin:drawn"))
            .await
            .as_f64()
            .expect("drawn mark");
        draw_calls.push(drawn - snap);
        from_hello.push(rendered - hello);
        from_snapshot.push(rendered - snap);
        from_nav.push(rendered);
        let strokes = browser
            .eval("document.querySelector('#lesson').dataset.strokes")
            .await;
        assert_eq!(strokes, STROKES.to_string());
        browser.close().await;
    }
    println!(
        "browser: Hello sent -> board rendered: {}",
        stats(from_hello)
    );
    println!(
        "browser: snapshot received -> canvas calls issued (apply, draw calls): {}",
        stats(draw_calls)
    );
    println!(
        "browser: snapshot received -> pixels on the canvas (incl. rasterizing): {}",
        stats(from_snapshot)
    );
    println!(
        "browser: navigation start -> board rendered (includes loading the wasm): {}",
        stats(from_nav)
    );
}
