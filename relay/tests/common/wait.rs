//! Waiting for a condition instead of sleeping for a guessed time (as `tests::wait` does for the
//! end-to-end tests): poll until it holds, and fail naming what was awaited after a deadline.

use std::time::{Duration, Instant};

/// How often [`until`] asks again.
pub const POLL: Duration = Duration::from_millis(25);

/// Calls `probe` every [`POLL`] until it returns `Ok`, and returns that value. Panics naming
/// `what` and the last state `probe` reported once `deadline` has passed.
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
