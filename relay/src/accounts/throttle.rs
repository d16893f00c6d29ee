//! Slowing down password guessing: sign-in attempts are counted per login over a sliding window
//! as they start (so a burst of simultaneous guesses counts in full); past the limit, that
//! login's sign-ins are refused (429 with Retry-After) until the oldest attempt leaves the window.
//! A success clears the count. Plain data with the clock passed in.
//!
//! Counted per login, and separately per client address ([`Throttle::per_address`], with a
//! higher limit: behind the school's proxy or NAT every classroom shares one address), so that
//! guesses spread over many logins from one address are held back too. A guesser can hold one
//! login (or address) back for the window, not lock it for good. The address is the TCP peer's:
//! behind a reverse proxy it is the proxy's, so all clients share its count.
//!
//! Why not the `governor` crate: its GCRA limiter also counts at the start (a burst gets only the
//! burst size), but it has no way to forgive one key's attempts on a successful sign-in, nor to
//! tell the Retry-After from the oldest failure in a fixed window, and its keyed store needs its
//! own pruning. This is 100 lines of plain data with the clock passed in, tested without sleeps.

use std::collections::{HashMap, VecDeque};

/// How many failures a login may have in the window.
pub const FAILURES: usize = 10;
/// The window, in seconds.
pub const WINDOW_SECS: u64 = 15 * 60;
/// How many failures one address may have in the window (over all logins).
pub const ADDRESS_FAILURES: usize = 30;
/// Logins tracked at most; past this, the stalest are forgotten first.
const MAX_LOGINS: usize = 100_000;

#[derive(Debug)]
pub struct Throttle {
    /// Per login: the times of its recent failures, oldest first.
    failures: HashMap<String, VecDeque<u64>>,
    /// Failures allowed per key in the window.
    limit: usize,
}

impl Default for Throttle {
    fn default() -> Throttle {
        Throttle::new()
    }
}

impl Throttle {
    /// Per login: [`FAILURES`] in the window.
    pub fn new() -> Throttle {
        Throttle {
            failures: HashMap::new(),
            limit: FAILURES,
        }
    }

    /// Per client address: [`ADDRESS_FAILURES`] in the window.
    pub fn per_address() -> Throttle {
        Throttle {
            failures: HashMap::new(),
            limit: ADDRESS_FAILURES,
        }
    }

    /// A sign-in of `login` starts: counted as a failure until it [`Throttle::succeeded`].
    /// `Err(seconds)` while `login` has had too many: when it may try again (not counted).
    pub fn attempt(&mut self, login: &str, now: u64) -> Result<(), u64> {
        if let Some(times) = self.failures.get_mut(login) {
            forget_old(times, now);
            if let Some(oldest) = times.front().filter(|_| times.len() >= self.limit) {
                return Err((oldest + WINDOW_SECS - now).max(1));
            }
        }
        self.failed(login, now);
        Ok(())
    }

    fn failed(&mut self, login: &str, now: u64) {
        if self.failures.len() >= MAX_LOGINS && !self.failures.contains_key(login) {
            self.failures.retain(|_, times| {
                forget_old(times, now);
                !times.is_empty()
            });
            if self.failures.len() >= MAX_LOGINS {
                // Still full of fresh failures: drop the login whose last failure is oldest.
                if let Some(stalest) = self
                    .failures
                    .iter()
                    .min_by_key(|(_, t)| t.back().copied().unwrap_or(0))
                    .map(|(l, _)| l.clone())
                {
                    self.failures.remove(&stalest);
                }
            }
        }
        let times = self.failures.entry(login.to_string()).or_default();
        times.push_back(now);
        while times.len() > self.limit {
            times.pop_front();
        }
    }

    pub fn succeeded(&mut self, login: &str) {
        self.failures.remove(login);
    }

    /// One attempt of `key` succeeded: it no longer counts (the others still do). For addresses,
    /// where one person's success must not wipe out another's guesses.
    pub fn forgive_one(&mut self, key: &str) {
        if let Some(times) = self.failures.get_mut(key) {
            times.pop_back();
            if times.is_empty() {
                self.failures.remove(key);
            }
        }
    }

    pub fn tracked(&self) -> usize {
        self.failures.len()
    }
}

fn forget_old(times: &mut VecDeque<u64>, now: u64) {
    while times.front().is_some_and(|t| t + WINDOW_SECS <= now) {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_held_back_after_too_many_failures_until_the_window_moves_on() {
        let mut t = Throttle::new();
        for i in 0..FAILURES as u64 {
            assert_eq!(t.attempt("wang", 1000 + i), Ok(()));
        }
        assert_eq!(t.attempt("wang", 1010), Err(WINDOW_SECS - 10));
        assert_eq!(
            t.attempt("wang", 1011),
            Err(WINDOW_SECS - 11),
            "refusals are not counted"
        );
        assert_eq!(
            t.attempt("li", 1010),
            Ok(()),
            "other logins are not affected"
        );
        // The first attempt leaves the window: one more try.
        assert_eq!(t.attempt("wang", 1000 + WINDOW_SECS), Ok(()));
        assert_eq!(t.attempt("wang", 1000 + WINDOW_SECS), Err(1));
    }

    #[test]
    fn a_success_clears_the_count() {
        let mut t = Throttle::new();
        for i in 0..FAILURES as u64 - 1 {
            assert_eq!(t.attempt("wang", i), Ok(()));
        }
        t.succeeded("wang");
        for i in 0..FAILURES as u64 {
            assert_eq!(t.attempt("wang", 20 + i), Ok(()));
        }
        assert_eq!(t.tracked(), 1);
    }

    #[test]
    fn an_address_is_held_back_over_many_logins_and_a_success_forgives_only_itself() {
        let mut t = Throttle::per_address();
        for i in 0..ADDRESS_FAILURES as u64 {
            assert_eq!(t.attempt("10.0.0.9", 100 + i), Ok(()));
        }
        assert_eq!(t.attempt("10.0.0.9", 200), Err(WINDOW_SECS - 100));
        t.forgive_one("10.0.0.9");
        assert_eq!(t.attempt("10.0.0.9", 200), Ok(()), "one place back");
        assert!(t.attempt("10.0.0.9", 200).is_err());
        assert_eq!(t.attempt("10.0.0.10", 200), Ok(()));
    }

    #[test]
    fn memory_is_bounded() {
        let mut t = Throttle::new();
        for i in 0..(MAX_LOGINS as u64 + 10) {
            let _ = t.attempt(&format!("guess-{i}"), i / 1000);
        }
        assert!(t.tracked() <= MAX_LOGINS);
        // Old entries go first once they are out of the window.
        let _ = t.attempt("late", WINDOW_SECS * 10);
        assert_eq!(t.tracked(), 1);
    }
}
