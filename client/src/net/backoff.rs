//! Reconnect delays: 0.5 s doubling up to 10 s, with jitter so that a whole county's classrooms
//! do not reconnect in the same instant after the relay restarts. Reset after a Welcome.

const FIRST_MS: u32 = 500;
const MAX_MS: u32 = 10_000;

#[derive(Debug, Default)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    /// The next attempt's number (1, 2, ..) and how long to wait before it. `random` is uniform in
    /// `[0, 1)` (the caller supplies it so this stays deterministic); the delay lies in
    /// `[base / 2, base]`, `base` being 0.5 s doubled per earlier attempt, at most 10 s.
    pub fn next(&mut self, random: f64) -> (u32, u32) {
        self.attempt = self.attempt.saturating_add(1);
        let doublings = (self.attempt - 1).min(16);
        let base = FIRST_MS.saturating_mul(1 << doublings).min(MAX_MS);
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let delay = f64::from(base) * (0.5 + random / 2.0);
        (self.attempt, delay.round() as u32)
    }

    /// A connection was established: the next failure starts again at 0.5 s.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
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
}
