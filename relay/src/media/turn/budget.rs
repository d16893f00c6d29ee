//! How many answers the server sends, per client IP, to requests it has not authenticated over
//! UDP (Binding responses, 401/438 challenges, 400s): a token bucket per IP.
//!
//! Over UDP the source address of a request can be forged, and an answer is larger than the
//! request (a 401 carries REALM and NONCE), so without a budget the TURN port reflects and
//! amplifies traffic at anyone. A browser needs a handful of such answers per allocation, so a
//! budget of a few per second per IP never stands in a school's way. Over TCP and TLS the
//! handshake proves the address, and authenticated answers prove the credentials: neither is
//! counted. No IO: driven by the time passed in.

use crate::token_bucket::{Rate, TokenBucket};
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The budget's limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BudgetLimits {
    /// Answers per second an IP earns.
    pub per_second: f64,
    /// Answers an IP may have in hand (a burst after a quiet while).
    pub burst: f64,
    /// IPs tracked at most; beyond that, new IPs share one bucket of
    /// [`Self::SHARED_FACTOR`] times one IP's budget.
    pub max_ips: usize,
}

impl BudgetLimits {
    pub const SHARED_FACTOR: f64 = 4.0;

    /// One IP's rate.
    fn rate(&self) -> Rate {
        Rate {
            per_second: self.per_second,
            burst: self.burst,
        }
    }

    /// The rate of the bucket the untracked IPs share.
    fn shared_rate(&self) -> Rate {
        Rate {
            per_second: self.per_second * Self::SHARED_FACTOR,
            burst: self.burst * Self::SHARED_FACTOR,
        }
    }
}

impl Default for BudgetLimits {
    fn default() -> Self {
        // A school behind one NAT address may start thirty classroom PCs at once, each needing
        // two or three such answers.
        BudgetLimits {
            per_second: 20.0,
            burst: 60.0,
            max_ips: 4_096,
        }
    }
}

/// The buckets of every IP answered lately.
pub struct AnswerBudget {
    limits: BudgetLimits,
    buckets: HashMap<IpAddr, TokenBucket>,
    /// The bucket of IPs beyond [`BudgetLimits::max_ips`].
    shared: TokenBucket,
    /// Answers refused since the start.
    refused: u64,
    /// When the table was last swept for refilled buckets.
    swept: Option<Instant>,
}

/// A full table is swept for refilled buckets at most this often: under a flood from many
/// (forged) addresses, a sweep per request would cost a walk of the whole table per datagram.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

impl AnswerBudget {
    pub fn new(limits: BudgetLimits, now: Instant) -> AnswerBudget {
        AnswerBudget {
            limits,
            buckets: HashMap::new(),
            shared: TokenBucket::full(limits.shared_rate(), now),
            refused: 0,
            swept: None,
        }
    }

    /// Whether `ip` may be sent one more unauthenticated answer now (and counts it).
    pub fn allow(&mut self, ip: IpAddr, now: Instant) -> bool {
        let rate = self.limits.rate();
        let sweep_due = self
            .swept
            .is_none_or(|at| now.saturating_duration_since(at) >= SWEEP_EVERY);
        if sweep_due && !self.buckets.contains_key(&ip) && self.buckets.len() >= self.limits.max_ips
        {
            // Buckets that have refilled carry no information: forget them first.
            self.buckets.retain(|_, b| !b.refilled(rate, now));
            self.swept = Some(now);
        }
        let allowed = if let Some(bucket) = self.buckets.get_mut(&ip) {
            bucket.take(rate, now)
        } else if self.buckets.len() < self.limits.max_ips {
            let mut bucket = TokenBucket::full(rate, now);
            let allowed = bucket.take(rate, now);
            self.buckets.insert(ip, bucket);
            allowed
        } else {
            self.shared.take(self.limits.shared_rate(), now)
        };
        if !allowed {
            self.refused += 1;
        }
        allowed
    }

    /// IPs tracked now.
    pub fn tracked(&self) -> usize {
        self.buckets.len()
    }

    /// Answers refused since the start.
    pub fn refused(&self) -> u64 {
        self.refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(n: u32) -> IpAddr {
        IpAddr::from(n.to_be_bytes())
    }

    fn limits() -> BudgetLimits {
        BudgetLimits {
            per_second: 10.0,
            burst: 20.0,
            max_ips: 8,
        }
    }

    #[test]
    fn an_ip_gets_its_burst_then_its_rate() {
        let t0 = Instant::now();
        let mut b = AnswerBudget::new(limits(), t0);
        let burst = (0..100).filter(|_| b.allow(ip(1), t0)).count();
        assert_eq!(burst, 20);
        assert_eq!(b.refused(), 80);
        // One second later: ten more, not twenty.
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!((0..100).filter(|_| b.allow(ip(1), t1)).count(), 10);
    }

    #[test]
    fn one_flooded_ip_leaves_the_others_their_budget() {
        let t0 = Instant::now();
        let mut b = AnswerBudget::new(limits(), t0);
        for _ in 0..1_000 {
            b.allow(ip(1), t0);
        }
        assert!(b.allow(ip(2), t0), "another IP is answered");
        assert!(!b.allow(ip(1), t0), "the flooded one is not");
    }

    #[test]
    fn beyond_the_table_new_ips_share_one_bucket() {
        let t0 = Instant::now();
        let mut b = AnswerBudget::new(limits(), t0);
        for n in 0..8 {
            assert!(b.allow(ip(n), t0));
        }
        assert_eq!(b.tracked(), 8);
        // The table is full of buckets in use: IPs 100.. share 4 x 20 answers.
        let shared = (100..1_000).filter(|n| b.allow(ip(*n), t0)).count();
        assert_eq!(shared, 80);
        assert_eq!(b.tracked(), 8);
        // Once the tracked IPs' buckets refilled, new IPs get buckets of their own again.
        let later = t0 + Duration::from_secs(10);
        assert!(b.allow(ip(5_000), later));
        assert_eq!(b.tracked(), 1);
    }

    #[test]
    fn a_full_table_is_swept_at_most_once_a_second() {
        let t0 = Instant::now();
        let mut b = AnswerBudget::new(limits(), t0);
        for n in 0..8 {
            b.allow(ip(n), t0);
        }
        // A new IP sweeps the full table (nothing has refilled) and goes to the shared bucket.
        b.allow(ip(100), t0);
        // 2.5 s later the tracked buckets have refilled; 0.9 s after the sweep a new IP would
        // find them so, but waits for the next sweep.
        let refilled = t0 + Duration::from_millis(2_500);
        b.swept = Some(refilled - Duration::from_millis(900));
        b.allow(ip(101), refilled);
        assert_eq!(b.tracked(), 8, "no sweep within a second of the last");
        b.allow(ip(102), refilled + Duration::from_millis(100));
        assert_eq!(b.tracked(), 1, "the next one sweeps them away");
    }

    proptest! {
        /// Whatever the traffic: the table stays bounded, and no IP gets more than its burst
        /// plus what it earned over the time that passed.
        #[test]
        fn the_budget_holds(steps in proptest::collection::vec((0u32..40, 0u64..300), 1..400)) {
            let t0 = Instant::now();
            let mut b = AnswerBudget::new(limits(), t0);
            let mut now = t0;
            let mut answered: HashMap<u32, u32> = HashMap::new();
            for (who, ms) in steps {
                now += Duration::from_millis(ms);
                if b.allow(ip(who), now) {
                    *answered.entry(who).or_default() += 1;
                }
                prop_assert!(b.tracked() <= 8);
            }
            let secs = now.saturating_duration_since(t0).as_secs_f64();
            // An IP's own bucket, or the shared one: never more than the shared one's share.
            let most = BudgetLimits::SHARED_FACTOR * (20.0 + 10.0 * secs) + 20.0 + 10.0 * secs;
            for (_, n) in answered {
                prop_assert!(f64::from(n) <= most + 1e-9);
            }
        }
    }
}
