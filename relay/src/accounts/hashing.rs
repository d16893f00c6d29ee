//! A bound on password hashing: Argon2id takes ~19 MiB and a blocking thread per hash, so
//! unbounded sign-in attempts would take as much memory and as many threads as an attacker
//! sends. At most `slots` hashes run at once (one per core); the rest wait up to `wait`, then
//! are refused ([`Busy`], answered 429 with Retry-After) rather than queuing without end.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a sign-in waits for a free slot before it is refused.
pub const WAIT: Duration = Duration::from_secs(3);

/// No hashing slot came free in time.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the server is busy checking passwords; try again in a moment")]
pub struct Busy;

#[derive(Clone)]
pub struct Hashing(Arc<Inner>);

struct Inner {
    slots: Arc<Semaphore>,
    wait: Duration,
    running: AtomicUsize,
    peak: AtomicUsize,
}

impl Hashing {
    pub fn new(slots: usize, wait: Duration) -> Hashing {
        Hashing(Arc::new(Inner {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            wait,
            running: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        }))
    }

    /// One slot per core.
    pub fn per_core() -> Hashing {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Hashing::new(cores, WAIT)
    }

    /// Runs `hash` on a blocking thread once a slot is free; [`Busy`] if none is within the wait.
    pub async fn run<T: Send + 'static>(
        &self,
        hash: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let permit = tokio::time::timeout(self.0.wait, Arc::clone(&self.0.slots).acquire_owned())
            .await
            .map_err(|_| Busy)?
            .map_err(|_| Busy)?;
        let running = self.0.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.0.peak.fetch_max(running, Ordering::SeqCst);
        let inner = Arc::clone(&self.0);
        // The thread holds the slot until the hash is done, even if the request that started it
        // is dropped meanwhile (the client went away): the bound holds for threads, not requests.
        tokio::task::spawn_blocking(move || {
            let out = hash();
            inner.running.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            out
        })
        .await
        .map_err(|_| Busy)
    }

    /// The most hashes that ever ran at once.
    pub fn peak(&self) -> usize {
        self.0.peak.load(Ordering::SeqCst)
    }
}

/// Makes glibc give large freed blocks back to the system at once. By default glibc raises its
/// mmap threshold to the size of the largest block freed (up to 32 MiB), after which each hash's
/// 19 MiB comes from, and stays in, a per-thread heap: measured, 40 sign-ins left the relay at
/// 582 MiB even with the bound; with a fixed threshold it peaked at 51 MiB and went back to 13.
/// Call once at start, before other threads exist.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; called before other threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn at_most_the_slots_run_at_once_and_the_rest_are_refused_in_time() {
        let hashing = Hashing::new(2, Duration::from_millis(300));
        let started = std::time::Instant::now();
        let tries: Vec<_> = (0..20)
            .map(|_| {
                let h = hashing.clone();
                tokio::spawn(async move {
                    h.run(|| std::thread::sleep(Duration::from_millis(200)))
                        .await
                })
            })
            .collect();
        let mut done = 0;
        let mut busy = 0;
        for t in tries {
            match t.await.unwrap() {
                Ok(()) => done += 1,
                Err(Busy) => busy += 1,
            }
        }
        assert_eq!(hashing.peak(), 2, "never more than the slots at once");
        assert!((2..=6).contains(&done), "{done} ran");
        assert_eq!(done + busy, 20);
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "nobody queued for long"
        );
    }
}
