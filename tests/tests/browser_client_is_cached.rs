//! In headless Chromium: the client (wasm, JavaScript, CSS) reaches a classroom's browser
//! compressed, and once: opening the lesson again takes the files from the browser's cache
//! without asking the relay (a rural school's link carries each build once, not each lesson).
//! The page itself is asked for each time, so a new build still reaches every classroom.

use serde_json::Value;
use std::time::Duration;
use tests::browser::{Browser, Chromedriver};
use tests::relay::TestRelay;

/// The page's Resource Timing entries: name, bytes over the wire (0 from the cache), body bytes
/// as sent (compressed) and as used.
const RESOURCES: &str = "performance.getEntriesByType('resource').map(e => \
    [e.name, e.transferSize, e.encodedBodySize, e.decodedBodySize])";

/// The entry of the built file ending with `suffix` (`_bg.wasm`, `.js`, `.css`).
fn entry<'a>(entries: &'a Value, suffix: &str) -> &'a Value {
    entries
        .as_array()
        .and_then(|a| {
            a.iter().find(|e| {
                e[0].as_str()
                    .is_some_and(|n| n.contains("/client-") || n.contains("/style-"))
                    && e[0].as_str().is_some_and(|n| n.ends_with(suffix))
            })
        })
        .unwrap_or_else(|| panic!("no {suffix} among the page's resources: {entries}"))
}

fn bytes(e: &Value, i: usize) -> u64 {
    e[i].as_f64().unwrap_or(-1.0) as u64
}

async fn open(b: &Browser, url: &str) -> Value {
    b.client.goto(url).await.expect("open the page");
    b.until(
        "the client running",
        "window.__tongpin_ready",
        Duration::from_secs(20),
    )
    .await;
    b.eval(RESOURCES).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_arrives_compressed_and_then_comes_from_the_cache() {
    let relay = TestRelay::start().await;
    let driver = Chromedriver::start().await;
    let b = Browser::open(&driver, &[]).await;

    let first = open(&b, &format!("{}/", relay.base)).await;
    eprintln!("first load, every resource [name, wire, sent, used]: {first}");
    for suffix in ["_bg.wasm", ".js", ".css"] {
        let e = entry(&first, suffix);
        let (wire, sent, used) = (bytes(e, 1), bytes(e, 2), bytes(e, 3));
        eprintln!(
            "first load: {} {wire} bytes over the wire, {sent} sent, {used} used",
            e[0]
        );
        assert!(wire > 0, "the first load fetched {}: {e}", e[0]);
        assert!(
            sent * 2 < used,
            "{} went out compressed to less than half: {sent} of {used} bytes",
            e[0]
        );
    }

    // Opening the client again (another route of it, as a later lesson would).
    let second = open(&b, &format!("{}/console", relay.base)).await;
    for suffix in ["_bg.wasm", ".js", ".css"] {
        let e = entry(&second, suffix);
        assert_eq!(
            bytes(e, 1),
            0,
            "the second load took {} from the cache, not the relay: {e}",
            e[0]
        );
    }
    b.close().await;
}
