//! A token bucket (no IO: the time is passed in): the one rate limit of the relay's message
//! limits (a WebSocket connection's messages, the TURN server's unauthenticated answers per IP).
//!
//! Hand-written rather than the `governor` crate: each bucket has one owner (no sharing, no
//! atomics, no clock abstraction), so these lines say all of it and cost nothing per message.

use std::time::Instant;

/// A rate and the most tokens a bucket may hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

#[derive(Debug, Clone, Copy)]
pub struct TokenBucket {
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    /// A full bucket at `now`.
    pub fn full(rate: Rate, now: Instant) -> TokenBucket {
        TokenBucket {
            tokens: rate.burst,
            at: now,
        }
    }

    /// Refills for the time since the last call, then takes one token if there is one.
    pub fn take(&mut self, rate: Rate, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(rate.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether it would be full again by `now` (so forgetting it changes nothing).
    pub fn refilled(&self, rate: Rate, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens + elapsed * rate.per_second >= rate.burst
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate() {
        let rate = Rate {
            per_second: 4.0,
            burst: 8.0,
        };
        let t0 = Instant::now();
        let mut b = TokenBucket::full(rate, t0);
        assert_eq!((0..20).filter(|_| b.take(rate, t0)).count(), 8);
        assert!(!b.refilled(rate, t0));
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!((0..20).filter(|_| b.take(rate, t1)).count(), 2);
        assert!(b.refilled(rate, t1 + Duration::from_secs(2)));
        // A clock that goes backwards earns nothing.
        assert!(!b.take(rate, t0));
    }
}
