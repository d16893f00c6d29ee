//! Probing a Subscriber's link before a switch up (no IO).
//!
//! The relay learns whether a link carries a higher simulcast layer only by sending more. Sending
//! the layer itself is a bad test: its first key frame is large, and when the link cannot carry
//! it the picture freezes while the queue drains, and the estimate that follows can leave no
//! layer at all. So before a switch up the layer choice ([`super::simulcast::LayerChoice`])
//! orders a probe: for [`PROBE_LENGTH`] the pacer ([`super::pacing`]) adds, on top of the
//! picture, retransmissions of what it sent lately (on the retransmission SSRC, RFC 4588) at the
//! rate the switch would add. The Subscriber's browser drops them as duplicates, but reports
//! their arrival like any packet. If the estimator ([`super::estimator`]) finds the link full
//! while the probe's packets are in flight, the probe failed and the layer stays; otherwise the
//! switch is made, and the estimator is told the rate the link proved it carries.
//!
//! [`LinkProbe`] is what the three share on one connection (they all run on the connection's
//! worker, so the lock is never contended).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a probe sends.
pub const PROBE_LENGTH: Duration = Duration::from_millis(600);
/// After the probe, its last packets' feedback needs a round trip and this long to arrive.
pub const PROBE_SETTLE: Duration = Duration::from_millis(400);
/// A probe adds this share more than the switch would (a key frame's burst comes with it).
pub const PROBE_MARGIN: f64 = 1.2;
/// A probe adds at least this much: a layer the Publisher's encoder has just started again
/// sends little for a while, and a probe of almost nothing proves nothing.
pub const PROBE_LEAST_BPS: f64 = 200_000.0;

/// A probe takes the video to at most this times what the link carries (the video sent now, or
/// what the last passed step carried), or adds [`PROBE_LEAST_BPS`]. The estimator needs a round
/// trip and its queue window to find a link full, and meanwhile the probe fills the link's
/// queue: on P2 (800 kbit/s, 300 ms round trip, a 300 ms queue) probes of 916 kbit/s and of 1.25
/// Mbit/s on top of the middle layer overflowed it, and the audio went with the dropped packets
/// (the second was within an estimate that had grown while the relay sent less than the link
/// carried, which proves nothing). A larger layer is then reached in steps: a passed step
/// raises the estimate, and the next step follows at once.
pub const PROBE_MOST_OVER: f64 = 1.5;

/// What the pacer is to add: `extra_bps` on top of the media, until `until`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Order {
    pub extra_bps: f64,
    pub until: Instant,
}

#[derive(Debug, Default)]
struct Shared {
    able: bool,
    order: Option<Order>,
    fulls: u64,
    proven: Option<f64>,
}

/// One connection's probe, shared by its pacer, its estimator and the driver's layer choice.
#[derive(Clone, Debug, Default)]
pub struct LinkProbe(Arc<Mutex<Shared>>);

impl LinkProbe {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        // Nothing under the lock can panic half way; a poisoned lock still holds whole values.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pacer can probe: a video stream with a retransmission SSRC and transport-wide
    /// numbers is bound (without them a probe would be invisible to the estimator).
    pub fn set_able(&self) {
        self.lock().able = true;
    }

    pub fn able(&self) -> bool {
        self.lock().able
    }

    /// Orders a probe (the latest order replaces any earlier one).
    pub fn order(&self, order: Order) {
        self.lock().order = Some(order);
    }

    /// Whether an order is given and not yet seen to have ended.
    pub fn ordered(&self) -> bool {
        self.lock().order.is_some()
    }

    /// The order in force at `now`, if any.
    pub fn order_at(&self, now: Instant) -> Option<Order> {
        let mut shared = self.lock();
        if shared.order.is_some_and(|o| now >= o.until) {
            shared.order = None;
        }
        shared.order
    }

    /// The estimator found the link full.
    pub fn link_full(&self) {
        let mut shared = self.lock();
        shared.fulls = shared.fulls.wrapping_add(1);
        // A probe in flight has its answer: it stops at once.
        shared.order = None;
    }

    /// How many times the estimator found the link full so far.
    pub fn fulls(&self) -> u64 {
        self.lock().fulls
    }

    /// A probe passed: the link carried `bps`.
    pub fn prove(&self, bps: f64) {
        if bps.is_finite() && bps > 0.0 {
            self.lock().proven = Some(bps);
        }
    }

    /// What a passed probe proved, once.
    pub fn take_proven(&self) -> Option<f64> {
        self.lock().proven.take()
    }
}

/// One probe from the layer choice's side: when it started, what it is for, and how many times
/// the link had been found full then.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trial {
    pub layer: usize,
    pub started: Instant,
    /// The total rate (the media after the switch) the probe tests.
    pub total_bps: f64,
    /// A step towards `layer` ([`PROBE_MOST_OVER`]): passed, it raises the estimate to
    /// `total_bps` but switches nothing.
    pub step: bool,
    fulls: u64,
}

/// What became of a [`Trial`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Its packets are still sending or in flight.
    Pending,
    /// The link carried them without filling.
    Passed,
    /// The link filled while they were in flight.
    Failed,
}

impl Trial {
    /// A probe for `layer`, testing `total_bps`, started at `now` when the link had been found
    /// full `fulls` times.
    pub fn new(layer: usize, now: Instant, total_bps: f64, fulls: u64) -> Trial {
        Trial {
            layer,
            started: now,
            total_bps,
            step: false,
            fulls,
        }
    }

    /// This trial as a step towards its layer testing only `total_bps` (see [`Trial::step`]).
    pub fn as_step(self, total_bps: f64) -> Trial {
        Trial {
            step: true,
            total_bps,
            ..self
        }
    }

    /// When the probe's last packets' feedback has had time to arrive over a link with round
    /// trip `rtt` (unknown: 300 ms; at most 2 s counts): from then on it can pass.
    pub fn due(&self, rtt: Option<Duration>) -> Instant {
        let rtt = rtt
            .unwrap_or(Duration::from_millis(300))
            .min(Duration::from_secs(2));
        self.started + PROBE_LENGTH + PROBE_SETTLE + rtt
    }

    /// The verdict at `now`, given the estimator's count of full links and the round trip.
    pub fn verdict(&self, now: Instant, fulls: u64, rtt: Option<Duration>) -> Verdict {
        if fulls != self.fulls {
            return Verdict::Failed;
        }
        if now >= self.due(rtt) {
            Verdict::Passed
        } else {
            Verdict::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_lasts_until_its_end_and_a_full_link_ends_it_early() {
        let t = Instant::now();
        let probe = LinkProbe::default();
        let pacer = probe.clone();
        assert!(!probe.able());
        pacer.set_able();
        assert!(probe.able());
        assert_eq!(pacer.order_at(t), None);
        let order = Order {
            extra_bps: 300_000.0,
            until: t + PROBE_LENGTH,
        };
        probe.order(order);
        assert_eq!(pacer.order_at(t + Duration::from_millis(100)), Some(order));
        assert_eq!(pacer.order_at(t + PROBE_LENGTH), None);
        probe.order(order);
        pacer.link_full();
        assert_eq!(pacer.order_at(t), None);
        assert_eq!(probe.fulls(), 1);
    }

    #[test]
    fn what_a_probe_proved_is_taken_once() {
        let probe = LinkProbe::default();
        probe.prove(f64::NAN);
        probe.prove(-1.0);
        assert_eq!(probe.take_proven(), None);
        probe.prove(900_000.0);
        assert_eq!(probe.take_proven(), Some(900_000.0));
        assert_eq!(probe.take_proven(), None);
    }

    #[test]
    fn a_trial_passes_after_its_packets_settle_and_fails_on_a_full_link() {
        let t = Instant::now();
        let rtt = Some(Duration::from_millis(100));
        let trial = Trial::new(2, t, 1_300_000.0, 7);
        assert_eq!(trial.verdict(t, 7, rtt), Verdict::Pending);
        let settled = PROBE_LENGTH + PROBE_SETTLE + Duration::from_millis(100);
        assert_eq!(
            trial.verdict(t + settled - Duration::from_millis(1), 7, rtt),
            Verdict::Pending
        );
        assert_eq!(trial.verdict(t + settled, 7, rtt), Verdict::Passed);
        // The link found full once more since the start: failed, whenever it is asked.
        assert_eq!(trial.verdict(t, 8, rtt), Verdict::Failed);
        assert_eq!(trial.verdict(t + settled, 8, rtt), Verdict::Failed);
        // An unknown or absurd round trip is bounded.
        let most = PROBE_LENGTH + PROBE_SETTLE + Duration::from_secs(2);
        assert_eq!(
            trial.verdict(t + most, 7, Some(Duration::from_secs(3600))),
            Verdict::Passed
        );
        assert_eq!(trial.verdict(t + settled, 7, None), Verdict::Pending);
    }
}
