//! Reconnect delays: 0.5 s doubling up to 10 s, with jitter so that a whole county's classrooms
//! do not reconnect in the same instant after the relay restarts. Reset after a Welcome.
//!
//! A socket the page gave up on because the link went dead (it never opened, or fell silent:
//! [`crate::net::liveness`]) is followed by an attempt [`Backoff::soon`] instead: the relay
//! heard nothing of it, so there is no crowd to spread, and a fresh attempt every few seconds is
//! what brings the lesson back as soon as the link returns.

const FIRST_MS: u32 = 500;
const MAX_MS: u32 = 10_000;
/// The delay before an attempt after a dead link: half to all of it.
const SOON_MS: u32 = 500;

#[derive(Debug, Default)]
pub struct Backoff {
    /// Attempts since the last Welcome (shown on the page).
    attempt: u32,
    /// Of those, the ones that doubled the delay ([`Backoff::next`]).
    doublings: u32,
}

impl Backoff {
    /// The next attempt's number (1, 2, ..) and how long to wait before it. `random` is uniform in
    /// `[0, 1)` (the caller supplies it so this stays deterministic); the delay lies in
    /// `[base / 2, base]`, `base` being 0.5 s doubled per earlier attempt, at most 10 s.
    pub fn next(&mut self, random: f64) -> (u32, u32) {
        self.attempt = self.attempt.saturating_add(1);
        let doublings = self.doublings.min(16);
        self.doublings = self.doublings.saturating_add(1);
        let base = FIRST_MS.saturating_mul(1 << doublings).min(MAX_MS);
        (self.attempt, jittered(base, random))
    }

    /// The next attempt's number and its delay after a dead link: a quarter to half a second,
    /// whatever came before; the doubling delays of [`Backoff::next`] are left where they were.
    pub fn soon(&mut self, random: f64) -> (u32, u32) {
        self.attempt = self.attempt.saturating_add(1);
        (self.attempt, jittered(SOON_MS, random))
    }

    /// A connection was established: the next failure starts again at 0.5 s.
    pub fn reset(&mut self) {
        self.attempt = 0;
        self.doublings = 0;
    }
}

/// `base` scaled into `[base / 2, base]` by `random` (uniform in `[0, 1)`; anything else counts
/// as the middle).
fn jittered(base: u32, random: f64) -> u32 {
    let random = if random.is_finite() {
        random.clamp(0.0, 1.0)
    } else {
        0.5
    };
    (f64::from(base) * (0.5 + random / 2.0)).round() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_ten_seconds() {
        let mut b = Backoff::default();
        let top: Vec<u32> = (0..8).map(|_| b.next(1.0).1).collect();
        assert_eq!(top, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    }

    #[test]
    fn jitter_stays_within_half_to_full_base() {
        let mut b = Backoff::default();
        assert_eq!(b.next(0.0), (1, 250));
        assert_eq!(b.next(0.5), (2, 750));
        assert_eq!(b.next(f64::NAN), (3, 1500));
    }

    #[test]
    fn reset_starts_over() {
        let mut b = Backoff::default();
        b.next(1.0);
        b.next(1.0);
        b.reset();
        assert_eq!(b.next(1.0), (1, 500));
    }

    #[test]
    fn after_a_dead_link_the_next_attempt_comes_within_half_a_second() {
        let mut b = Backoff::default();
        b.next(1.0);
        b.next(1.0);
        b.next(1.0);
        assert_eq!(b.soon(1.0), (4, 500));
        assert_eq!(b.soon(0.0), (5, 250));
        // The doubling carries on where it stopped: 4 s after 0.5, 1 and 2.
        assert_eq!(b.next(1.0), (6, 4_000));
        b.reset();
        assert_eq!(b.soon(1.0), (1, 500));
        assert_eq!(b.next(1.0), (2, 500));
    }
}
