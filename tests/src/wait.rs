//! Waiting for a condition instead of sleeping for a guessed time: poll until it holds, and fail
//! naming what was awaited once a deadline passes.

use std::time::{Duration, Instant};

/// How often [`until`] asks again.
pub const POLL: Duration = Duration::from_millis(25);

/// Calls `probe` every [`POLL`] until it returns `Ok`, and returns that value. Panics naming
/// `what` and the last state `probe` reported (its `Err`) once `deadline` has passed.
pub async fn until<T>(
    what: &str,
    deadline: Duration,
    mut probe: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let start = Instant::now();
    loop {
        let last = match probe().await {
            Ok(value) => return value,
            Err(state) => state,
        };
        if start.elapsed() >= deadline {
            panic!("waited {deadline:?} for {what}; last seen: {last}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// [`until`] for a condition read without waiting: `check` returns `Ok` once it holds, or the
/// state it saw.
pub async fn until_sync<T>(
    what: &str,
    deadline: Duration,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    // Its own loop rather than `until(.., async || check())`: the future stays `Send` for
    // `tokio::spawn` (an async closure's future can not promise that for every borrow).
    let start = Instant::now();
    loop {
        let last = match check() {
            Ok(value) => return value,
            Err(state) => state,
        };
        if start.elapsed() >= deadline {
            panic!("waited {deadline:?} for {what}; last seen: {last}");
        }
        tokio::time::sleep(POLL).await;
    }
}
