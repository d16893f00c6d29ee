//! How much a Subscriber's link carries, estimated from its transport-wide feedback (no IO).
//!
//! `rtc-interceptor`'s GCC was tried first and measured on the emulated rural links: its
//! delay-based half never saw the bottleneck's queue (it kept raising its estimate to 5 Mbit/s on
//! an 800 kbit/s link), and its loss-based half, which only ever holds between 2% and 10% loss and
//! cuts above, ratchets a link with 5% random loss down to the floor and never lets it up. Rural
//! links lose packets at random without being full; the signal that a link is full is its queue.
//!
//! So this estimator reads the queue:
//!
//! - each packet's one-way delay is its arrival (the Subscriber's clock) less its departure (the
//!   relay's), up to a constant; the smallest over the last [`BASE_WINDOW`] is the empty link, and
//!   the excess of a feedback batch's packets over it is the queueing delay. The queue that
//!   counts is the one that stands: the smallest of every batch's smallest excess over the last
//!   [`QUEUE_WINDOW`]. A link's queue delays every packet; a busy Subscriber's computer (its
//!   browser stamps arrivals late when it gets no CPU) delays some, and a full link must not be
//!   read from that;
//! - the delivered rate is what arrived over the last second;
//! - loss is counted over the last second, from each batch's first reported arrival on (a lost
//!   feedback packet leaves the packets it covered unreported, which is not loss on the link);
//! - a queue above [`FULL_QUEUE`], or loss above [`HEAVY_LOSS`] (more than a random-loss link
//!   has), means the link is full: the estimate drops to 85% of the delivered rate, at most once
//!   per [`DECREASE_HOLD`];
//! - a queue under [`EMPTY_QUEUE`] lets the estimate grow 8% a second, but never past twice the
//!   delivered rate plus 500 kbit/s: a stream that sends less than its link carries proves nothing
//!   about the rest of it. The margin is wide on purpose: the Publisher is asked for what the
//!   estimate allows, and an encoder that undershoots (a picture of noise at a low rate drops
//!   frames) must not pull the estimate, and so the next request, down with it. Near the rate at
//!   which the link was last full, growth is 50 kbit/s a second instead, so the next overshoot
//!   stays small;
//! - in between, it holds;
//! - over TCP (ICE-TCP or TURN over TCP/TLS, [`LinkMeter::over_tcp`]) a lost segment holds up every packet behind it
//!   for a round trip, then they all arrive at once: a queue that comes and goes. There the
//!   standing queue is read over a longer [`TCP_QUEUE_WINDOW`]; loss is not counted (TCP
//!   repairs it); and a full link's estimate falls to 85% of what arrived over the last 3 s, not
//!   the last second (which, right after a stall, delivered little);
//! - a probe that passed ([`super::probe`]) raises the estimate to the rate it proved, and the
//!   link is no longer "near full": what the link carried is known again. A full link is
//!   reported to the probe, which then fails.

use super::link_meter::LinkMeter;
use super::probe::LinkProbe;
use rtc::interceptor::{BandwidthEstimator, EstimatorStats, PacketReport};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Queueing delay above which the link is full.
pub const FULL_QUEUE: Duration = Duration::from_millis(40);
/// Queueing delay under which the link has room.
pub const EMPTY_QUEUE: Duration = Duration::from_millis(20);
/// Loss above which the link is full even without a queue (random loss stays under it).
pub const HEAVY_LOSS: f64 = 0.2;
/// How long the empty link's delay is remembered.
pub const BASE_WINDOW: Duration = Duration::from_secs(30);
/// Over UDP, the queue that counts is the smallest seen over this long.
pub const QUEUE_WINDOW: Duration = Duration::from_millis(300);
/// Over TCP, the queue that counts is the smallest seen over this long.
pub const TCP_QUEUE_WINDOW: Duration = Duration::from_secs(1);
/// After a decrease, the next waits this long (the last one needs a round trip to show).
pub const DECREASE_HOLD: Duration = Duration::from_millis(500);
/// Changes are at most this frequent.
const INTERVAL: Duration = Duration::from_millis(200);
const DELIVERY_WINDOW: Duration = Duration::from_secs(1);
/// Over TCP a full link's new estimate comes from what arrived over this long: right after a
/// stall behind a lost segment the last second delivered little, and 85% of that paused the
/// picture (P5, 12 s) on a link that carried the low layer.
const TCP_DELIVERY_WINDOW: Duration = Duration::from_secs(3);
const GROWTH_PER_SECOND: f64 = 1.08;
const DECREASE_TO: f64 = 0.85;
const CEILING_OVER_DELIVERED: f64 = 2.0;
/// Within this share of the rate the link was last full at, growth is additive.
const NEAR_FULL: f64 = 0.85;
const NEAR_FULL_GROWTH_BPS: f64 = 50_000.0;
const CEILING_MARGIN_BPS: f64 = 500_000.0;
/// The round trip is the smallest sample of this long (a sample includes up to one feedback
/// interval of the Subscriber's waiting; the smallest has almost none).
const RTT_WINDOW: Duration = Duration::from_secs(2);
/// A queue that has stood this long is congestion (the link carries less than is sent), not a
/// key frame's burst or a failed probe's overshoot...
pub const STANDING: Duration = Duration::from_secs(1);
/// ...and the link counts as congested until none has stood for this long.
pub const CONGESTED_HOLD: Duration = Duration::from_secs(5);

pub struct LinkEstimator {
    target: f64,
    min: f64,
    max: f64,
    /// Departures are measured from here.
    epoch: Option<Instant>,
    /// When the first feedback came.
    first_feedback: Option<Instant>,
    /// The smallest one-way delay (ms, up to a constant) per second of feedback, newest last.
    base: VecDeque<(Instant, f64)>,
    /// What arrived, by when its feedback came: (when, bytes).
    delivered: VecDeque<(Instant, usize)>,
    /// Feedback batches of the last second, from their first arrival on: (when, arrived, lost).
    fates: VecDeque<(Instant, usize, usize)>,
    queue_ms: f64,
    /// Each feedback batch's smallest queueing delay (ms), over the last [`TCP_QUEUE_WINDOW`].
    floors: VecDeque<(Instant, f64)>,
    loss: f64,
    last_change: Option<Instant>,
    last_decrease: Option<Instant>,
    /// What arrived per second the last time the link was full.
    full_at: Option<f64>,
    /// Since when the link has been full without a break.
    full_since: Option<Instant>,
    /// When a queue last stood for [`STANDING`].
    congested_at: Option<Instant>,
    /// Round trip samples (when, seconds): a feedback's arrival less the departure of the
    /// newest packet it reports as arrived.
    rtts: VecDeque<(Instant, f64)>,
    /// Where the lesson reads loss, round trip and rate.
    meter: Option<LinkMeter>,
    /// Where probes are told of a full link, and tell what they proved.
    probe: Option<LinkProbe>,
    /// When the estimate was last traced (once a second, at trace level).
    traced_at: Option<Instant>,
}

impl LinkEstimator {
    pub fn new(initial: f64, min: f64, max: f64) -> LinkEstimator {
        LinkEstimator {
            target: initial.clamp(min, max),
            min,
            max,
            epoch: None,
            first_feedback: None,
            base: VecDeque::new(),
            delivered: VecDeque::new(),
            fates: VecDeque::new(),
            queue_ms: 0.0,
            floors: VecDeque::new(),
            loss: 0.0,
            last_change: None,
            last_decrease: None,
            full_at: None,
            full_since: None,
            congested_at: None,
            rtts: VecDeque::new(),
            meter: None,
            probe: None,
            traced_at: None,
        }
    }

    /// Reports each full link to `probe`, and takes what its passed probes proved.
    pub fn with_probe(mut self, probe: LinkProbe) -> LinkEstimator {
        self.probe = Some(probe);
        self
    }

    /// Writes each feedback's loss, round trip and delivered rate to `meter`.
    pub fn with_meter(mut self, meter: LinkMeter) -> LinkEstimator {
        self.meter = Some(meter);
        self
    }

    /// A queue has stood on the link for [`STANDING`] within the last [`CONGESTED_HOLD`]: it
    /// carries less than the relay sends, even at the lowest layer.
    pub fn congested(&self, now: Instant) -> bool {
        self.congested_at
            .is_some_and(|t| now.saturating_duration_since(t) < CONGESTED_HOLD)
    }

    /// The smallest round trip of the last [`RTT_WINDOW`] of feedback.
    pub fn rtt(&self) -> Option<Duration> {
        self.rtts
            .iter()
            .map(|(_, r)| *r)
            .reduce(f64::min)
            .map(Duration::from_secs_f64)
    }

    /// The queueing delay the last feedback showed.
    pub fn queue(&self) -> Duration {
        Duration::from_secs_f64(self.queue_ms.max(0.0) / 1000.0)
    }

    /// The share of packets lost over the last second.
    pub fn loss(&self) -> f64 {
        self.loss
    }

    /// Bits per second that arrived over the last second.
    pub fn delivered_bps(&self, now: Instant) -> f64 {
        self.delivered_over(now, DELIVERY_WINDOW)
    }

    /// Bits per second that arrived over the last `window` (at most [`TCP_DELIVERY_WINDOW`]).
    fn delivered_over(&self, now: Instant, window: Duration) -> f64 {
        let within = |t: &Instant| now.saturating_duration_since(*t) <= window;
        let Some((first, _)) = self.delivered.iter().find(|(t, _)| within(t)) else {
            return 0.0;
        };
        let span = now
            .saturating_duration_since(*first)
            .clamp(INTERVAL, window);
        let bytes: usize = self
            .delivered
            .iter()
            .filter(|(t, _)| within(t))
            .map(|(_, b)| b)
            .sum();
        bytes as f64 * 8.0 / span.as_secs_f64()
    }

    fn base_ms(&self) -> Option<f64> {
        self.base.iter().map(|(_, d)| *d).reduce(f64::min)
    }

    fn observe(&mut self, now: Instant, reports: &[PacketReport]) {
        self.first_feedback.get_or_insert(now);
        let epoch = *self
            .epoch
            .get_or_insert_with(|| reports.first().map_or(now, |r| r.departure));
        let mut delays = Vec::with_capacity(reports.len());
        for r in reports {
            let (true, Some(arrival)) = (r.arrived, r.arrival) else {
                continue;
            };
            let departed = r.departure.saturating_duration_since(epoch);
            delays.push(arrival.as_secs_f64() * 1000.0 - departed.as_secs_f64() * 1000.0);
            self.delivered.push_back((now, r.size));
        }
        while self
            .delivered
            .front()
            .is_some_and(|(t, _)| now.saturating_duration_since(*t) > TCP_DELIVERY_WINDOW)
        {
            self.delivered.pop_front();
        }
        if let Some(newest) = reports
            .iter()
            .filter(|r| r.arrived)
            .map(|r| r.departure)
            .max()
        {
            self.rtts
                .push_back((now, now.saturating_duration_since(newest).as_secs_f64()));
        }
        while self
            .rtts
            .front()
            .is_some_and(|(t, _)| now.saturating_duration_since(*t) > RTT_WINDOW)
        {
            self.rtts.pop_front();
        }
        if let Some(smallest) = delays.iter().copied().reduce(f64::min) {
            match self.base.back_mut() {
                Some((since, d))
                    if now.saturating_duration_since(*since) < Duration::from_secs(1) =>
                {
                    *d = d.min(smallest);
                }
                _ => self.base.push_back((now, smallest)),
            }
            while self
                .base
                .front()
                .is_some_and(|(t, _)| now.saturating_duration_since(*t) > BASE_WINDOW)
            {
                self.base.pop_front();
            }
            if let Some(base) = self.base_ms() {
                let mean = delays.iter().sum::<f64>() / delays.len() as f64;
                self.queue_ms = mean - base;
                self.floors.push_back((now, smallest - base));
                while self
                    .floors
                    .front()
                    .is_some_and(|(t, _)| now.saturating_duration_since(*t) > TCP_QUEUE_WINDOW)
                {
                    self.floors.pop_front();
                }
            }
        }
        // Packets are reported in send order, up to the newest one some feedback acknowledged.
        // Those before the batch's first arrival are mostly what a lost feedback packet covered
        // (given up on, unreported), or an outage: neither says anything of loss on the link.
        if let Some(first) = reports.iter().position(|r| r.arrived) {
            let known = &reports[first..];
            let arrived = known.iter().filter(|r| r.arrived).count();
            self.fates.push_back((now, arrived, known.len() - arrived));
        }
        while self
            .fates
            .front()
            .is_some_and(|(t, _, _)| now.saturating_duration_since(*t) > DELIVERY_WINDOW)
        {
            self.fates.pop_front();
        }
        let (got, lost) = self
            .fates
            .iter()
            .fold((0, 0), |(g, l), (_, a, b)| (g + a, l + b));
        if got + lost > 0 {
            self.loss = lost as f64 / (got + lost) as f64;
        }
    }

    fn decide(&mut self, now: Instant) {
        if let Some(proven) = self.probe.as_ref().and_then(LinkProbe::take_proven) {
            self.target = self.target.max(proven).clamp(self.min, self.max);
            self.full_at = None;
            self.last_change = Some(now);
            tracing::debug!(
                proven = proven as u64,
                target = self.target as u64,
                "a probe proved a Subscriber's link"
            );
            return;
        }
        let since = |t: Option<Instant>| t.map(|t| now.saturating_duration_since(t));
        if since(self.last_change).is_some_and(|d| d < INTERVAL) {
            return;
        }
        let tcp = self.meter.as_ref().is_some_and(LinkMeter::over_tcp);
        let delivered = if tcp {
            self.delivered_over(now, TCP_DELIVERY_WINDOW)
        } else {
            self.delivered_bps(now)
        };
        let window = if tcp { TCP_QUEUE_WINDOW } else { QUEUE_WINDOW };
        let queue_ms = self
            .floors
            .iter()
            .filter(|(t, _)| now.saturating_duration_since(*t) <= window)
            .map(|(_, q)| *q)
            .reduce(f64::min)
            .unwrap_or(self.queue_ms);
        let full = queue_ms > FULL_QUEUE.as_secs_f64() * 1000.0 || (!tcp && self.loss > HEAVY_LOSS);
        if full {
            let since_full = *self.full_since.get_or_insert(now);
            if now.saturating_duration_since(since_full) >= STANDING {
                if !self.congested(now) {
                    tracing::debug!(
                        queue_ms = queue_ms as i64,
                        "a Subscriber's link is congested"
                    );
                }
                self.congested_at = Some(now);
            }
        } else {
            self.full_since = None;
        }
        if full {
            if since(self.last_decrease).is_none_or(|d| d >= DECREASE_HOLD) && delivered > 0.0 {
                self.target = self
                    .target
                    .min(delivered * DECREASE_TO)
                    .clamp(self.min, self.max);
                self.last_decrease = Some(now);
                self.last_change = Some(now);
                self.full_at = Some(delivered);
                if let Some(probe) = &self.probe {
                    probe.link_full();
                }
                tracing::debug!(
                    queue_ms = queue_ms as i64,
                    tcp,
                    loss = self.loss,
                    delivered = delivered as u64,
                    target = self.target as u64,
                    "a Subscriber's link is full"
                );
            }
        } else if queue_ms < EMPTY_QUEUE.as_secs_f64() * 1000.0 {
            // The delivered rate means something once it covers a whole window; until then the
            // initial estimate stands (only a full link brings it down).
            if since(self.first_feedback).is_none_or(|d| d < DELIVERY_WINDOW) {
                return;
            }
            let elapsed = since(self.last_change)
                .unwrap_or(INTERVAL)
                .min(Duration::from_secs(1));
            // Far from where the link was last full, grow by 8% a second; near it, by 50 kbit/s
            // a second, so the next overshoot (and the queue it builds) stays small.
            let near_full = self
                .full_at
                .is_some_and(|full| self.target > full * NEAR_FULL);
            let grown = if near_full {
                self.target + NEAR_FULL_GROWTH_BPS * elapsed.as_secs_f64()
            } else {
                self.target * GROWTH_PER_SECOND.powf(elapsed.as_secs_f64())
            };
            let ceiling = delivered * CEILING_OVER_DELIVERED + CEILING_MARGIN_BPS;
            self.target = grown.min(ceiling).clamp(self.min, self.max);
            self.last_change = Some(now);
        }
    }
}

impl BandwidthEstimator for LinkEstimator {
    fn on_reports(&mut self, now: Instant, reports: &[PacketReport]) {
        if reports.is_empty() {
            return;
        }
        self.observe(now, reports);
        self.decide(now);
        if self
            .traced_at
            .is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_secs(1))
        {
            self.traced_at = Some(now);
            tracing::trace!(
                queue_ms = self.queue_ms as i64,
                base_ms = self.base_ms().map(|b| b as i64),
                rtt_ms = self.rtt().map(|r| r.as_millis() as u64),
                loss = self.loss,
                delivered = self.delivered_bps(now) as u64,
                target = self.target as u64,
                tcp = self.meter.as_ref().is_some_and(LinkMeter::over_tcp),
                "a Subscriber's link"
            );
        }
        if let Some(meter) = &self.meter {
            let rtt = self.rtt().map(|r| r.as_secs_f64());
            meter.write(self.loss, rtt, self.delivered_bps(now));
            meter.set_congested(self.congested(now));
        }
    }

    fn target_bitrate(&self) -> f64 {
        self.target
    }

    fn stats(&self) -> EstimatorStats {
        let mut stats = EstimatorStats::default();
        stats.delay_based_bitrate = Some(self.target);
        stats.packet_loss = Some(self.loss);
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::rtcp::transport_feedbacks::cc_feedback_report::Ecn;

    /// The report of packet `id`, 1,000 bytes, sent at `departure`; `arrival` on the
    /// Subscriber's clock, or lost.
    fn report(id: u64, departure: Instant, arrival: Option<Duration>) -> PacketReport {
        PacketReport {
            ssrc: 1,
            id,
            rtp_sequence_number: id as u16,
            is_twcc: true,
            twcc_sequence_number: id as u16,
            size: 1000,
            arrived: arrival.is_some(),
            departure,
            arrival,
            ecn: Ecn::default(),
        }
    }

    /// A simulated link: packets of 1,000 bytes through a bottleneck with a drop-tail queue of
    /// 300 ms and 50 ms of delay, losing every `loss_every`th packet at random (0: none), with
    /// feedback every 100 ms.
    struct Sim {
        est: LinkEstimator,
        t0: Instant,
        next_id: u64,
        now_ms: f64,
        link_free_ms: f64,
        pending: Vec<PacketReport>,
    }

    impl Sim {
        fn new(initial: f64) -> Sim {
            Sim {
                est: LinkEstimator::new(initial, 100_000.0, 20_000_000.0),
                t0: Instant::now(),
                next_id: 0,
                now_ms: 0.0,
                link_free_ms: 0.0,
                pending: Vec::new(),
            }
        }

        /// Runs `secs` seconds; the sender sends `send_bps(estimate)`.
        fn run(
            &mut self,
            secs: u64,
            link_bps: f64,
            loss_every: u64,
            send_bps: impl Fn(f64) -> f64,
        ) -> Vec<f64> {
            let mut out = Vec::new();
            let mut now_ms = self.now_ms;
            let end = now_ms + secs as f64 * 1000.0;
            let mut next_feedback = now_ms + 100.0;
            let mut next_second = now_ms + 1000.0;
            while now_ms < end {
                let rate = send_bps(self.est.target_bitrate());
                let gap_ms = 8_000.0 / rate * 1000.0;
                now_ms += gap_ms;
                self.send(now_ms, link_bps, loss_every);
                if now_ms >= next_feedback {
                    let at = self.t0 + Duration::from_secs_f64(now_ms / 1000.0);
                    let reports = std::mem::take(&mut self.pending);
                    self.est.on_reports(at, &reports);
                    next_feedback += 100.0;
                }
                if now_ms >= next_second {
                    out.push(self.est.target_bitrate());
                    next_second += 1000.0;
                }
            }
            self.now_ms = now_ms;
            out
        }

        fn send(&mut self, now_ms: f64, link_bps: f64, loss_every: u64) {
            let id = self.next_id;
            self.next_id += 1;
            let service_ms = 8_000.0 / link_bps * 1000.0;
            let start = self.link_free_ms.max(now_ms);
            let queued = start - now_ms;
            let random_loss = loss_every > 0 && id % loss_every == loss_every - 1;
            let arrival = if queued > 300.0 {
                None
            } else {
                self.link_free_ms = start + service_ms;
                (!random_loss)
                    .then(|| Duration::from_secs_f64((start + service_ms + 50.0) / 1000.0))
            };
            self.pending.push(report(
                id,
                self.t0 + Duration::from_secs_f64(now_ms / 1000.0),
                arrival,
            ));
        }
    }

    /// Feeds `est` 4 s of a 1,000-byte packet every 10 ms from `from_ms` (every 20th lost), each
    /// arriving `one_way_ms` after it left, with feedback every 100 ms that reports what arrived
    /// and reaches the relay `one_way_ms` later.
    fn feed(est: &mut LinkEstimator, t0: Instant, from_ms: u64, one_way_ms: u64) {
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut next = from_ms;
        for feedback_ms in (from_ms + 100..from_ms + 4_000).step_by(100) {
            let generated = feedback_ms - one_way_ms;
            let mut reports = Vec::new();
            while next + one_way_ms <= generated {
                let id = next / 10;
                let arrived = id % 20 != 19;
                reports.push(report(
                    id,
                    at(next),
                    arrived.then(|| Duration::from_millis(next + one_way_ms)),
                ));
                next += 10;
            }
            est.on_reports(at(feedback_ms), &reports);
        }
    }

    /// Feedback from a Subscriber that lies: every packet "arrived" at the same instant (an
    /// empty link of infinite speed), or at absurd times. The estimate stays finite, within its
    /// floor and cap, and never past what was delivered can justify.
    #[test]
    fn feedback_claiming_absurd_bandwidth_is_clamped() {
        let sent_bps = 800_000.0;
        for lie in [(|_: u64| Duration::ZERO) as fn(u64) -> Duration, |id| {
            if id % 2 == 0 {
                Duration::ZERO
            } else {
                Duration::MAX / 2
            }
        }] {
            let t0 = Instant::now();
            let mut est = LinkEstimator::new(500_000.0, 100_000.0, 20_000_000.0);
            let mut id = 0u64;
            for step in 1..=600u64 {
                let now = t0 + Duration::from_millis(step * 100);
                // 10 packets of 1,000 bytes per 100 ms: 800 kbit/s sent.
                let reports: Vec<PacketReport> = (0..10)
                    .map(|k| {
                        id += 1;
                        report(id, now - Duration::from_millis(100 - 10 * k), Some(lie(id)))
                    })
                    .collect();
                est.on_reports(now, &reports);
                let target = est.target_bitrate();
                assert!(
                    target.is_finite() && (100_000.0..=20_000_000.0).contains(&target),
                    "{target} at step {step}"
                );
                // The delivered rate is read over whole feedback batches: at the window's
                // edge one more than a second's worth (10% here).
                assert!(
                    target <= 2.0 * sent_bps * 1.1 + CEILING_MARGIN_BPS + 1.0,
                    "{target} at step {step}: more than 800 kbit/s delivered can justify"
                );
                assert!(est.loss().is_finite() && est.rtt().is_some());
            }
        }
    }

    #[test]
    fn the_meter_reads_loss_round_trip_and_rate() {
        let meter = LinkMeter::default();
        let mut est =
            LinkEstimator::new(1_000_000.0, 100_000.0, 20_000_000.0).with_meter(meter.clone());
        assert_eq!(meter.read(), None);
        let t0 = Instant::now();
        // 40 ms each way: an 80 ms round trip, whatever the feedback's own waiting.
        feed(&mut est, t0, 0, 40);
        let r = meter.read().expect("a reading");
        assert!((80..=90).contains(&r.rtt_ms), "{r:?}");
        assert!((40..=60).contains(&r.loss_permille), "{r:?}");
        // 100 packets a second of 8,000 bits, 95% of them arriving (the window is about a second).
        assert!((700_000..=900_000).contains(&r.delivered_bps), "{r:?}");
        // Queues (240 ms each way now) show in the round trip once the 2 s window has passed.
        feed(&mut est, t0, 4_000, 240);
        let r = meter.read().expect("a reading");
        assert!((480..=490).contains(&r.rtt_ms), "{r:?}");
    }

    #[test]
    fn a_full_link_brings_a_fixed_stream_s_estimate_under_the_link() {
        let mut sim = Sim::new(2_500_000.0);
        // A fixed 1 Mbit/s stream into 800 kbit/s.
        let est = sim.run(10, 800_000.0, 0, |_| 1_000_000.0);
        let last = *est.last().expect("estimates");
        assert!(last < 800_000.0, "{est:?}");
        assert!(last > 400_000.0, "{est:?}");
    }

    #[test]
    fn a_queue_that_stands_is_congestion_and_a_short_overshoot_is_not() {
        let meter = LinkMeter::default();
        let mut sim = Sim::new(800_000.0);
        sim.est = LinkEstimator::new(800_000.0, 100_000.0, 20_000_000.0).with_meter(meter.clone());
        // A 600 kbit/s stream on an 800 kbit/s link, then 1 Mbit/s for half a second: a short
        // queue, no congestion.
        sim.run(3, 800_000.0, 0, |_| 600_000.0);
        sim.run(1, 800_000.0, 0, |_| 1_000_000.0);
        sim.run(1, 800_000.0, 0, |_| 400_000.0);
        assert!(!meter.congested(), "a short overshoot");
        // A fixed 1 Mbit/s into 800 kbit/s: the queue stands.
        sim.run(3, 800_000.0, 0, |_| 1_000_000.0);
        assert!(meter.congested(), "a standing queue");
        // Less than the link carries: still congested for a while, then not.
        sim.run(2, 800_000.0, 0, |_| 400_000.0);
        assert!(meter.congested(), "held for {CONGESTED_HOLD:?}");
        sim.run(5, 800_000.0, 0, |_| 400_000.0);
        assert!(!meter.congested(), "no queue for {CONGESTED_HOLD:?}");
    }

    #[test]
    fn a_full_link_fails_a_probe_and_a_passed_probe_raises_the_estimate() {
        let probe = LinkProbe::default();
        let mut sim = Sim::new(2_500_000.0);
        sim.est =
            LinkEstimator::new(2_500_000.0, 100_000.0, 20_000_000.0).with_probe(probe.clone());
        // A fixed 1 Mbit/s stream into 800 kbit/s: full, and the probe hears of it.
        sim.run(5, 800_000.0, 0, |_| 1_000_000.0);
        assert!(probe.fulls() >= 1);
        // The link widens; a 600 kbit/s stream sends into it and the queue drains. Near where
        // the link was full, the estimate grows 50 kbit/s a second at most.
        sim.run(2, 3_000_000.0, 0, |_| 600_000.0);
        let fulls = probe.fulls();
        let slow = sim.run(4, 3_000_000.0, 0, |_| 600_000.0);
        let before = *slow.last().expect("estimates");
        assert_eq!(probe.fulls(), fulls, "an empty link is not full");
        // A probe proved 1.5 Mbit/s: the estimate is at least that at the next feedback, and
        // grows by 8% a second from there (the link is not near full any more).
        probe.prove(1_500_000.0);
        let after = sim.run(3, 3_000_000.0, 0, |_| 1_000_000.0);
        assert!(before < 1_500_000.0, "{slow:?}");
        assert!(after[0] >= 1_500_000.0, "{after:?}");
        assert!(after[2] > after[0] * 1.1, "{after:?}");
        assert_eq!(probe.take_proven(), None, "taken once");
    }

    /// `secs` of 1,000-byte packets at `send_bps` through a TCP link of `link_bps` and 150 ms
    /// one way that loses a segment every second: every packet behind it waits `stall_ms` (a
    /// round trip) and then arrives at once; nothing is lost. Feedback every 100 ms. The
    /// estimate at the end.
    fn tcp_link(
        est: &mut LinkEstimator,
        secs: u64,
        send_bps: f64,
        link_bps: f64,
        stall_ms: f64,
    ) -> f64 {
        let gap_ms = 8_000.0 / send_bps * 1000.0;
        let service_ms = 8_000.0 / link_bps * 1000.0;
        let mut sent = Vec::new();
        let (mut now_ms, mut free_ms) = (0.0f64, 0.0f64);
        while now_ms < secs as f64 * 1000.0 {
            let done = free_ms.max(now_ms) + service_ms;
            free_ms = done;
            // The segment lost at the start of each second holds up what is behind it.
            let second = (done / 1000.0).floor() * 1000.0;
            let arrival = if done - second < stall_ms {
                second + stall_ms
            } else {
                done
            } + 150.0;
            sent.push((now_ms, arrival));
            now_ms += gap_ms;
        }
        feed_arrivals(est, &sent, secs * 10);
        est.target_bitrate()
    }

    /// Feeds `est` the packets `sent` ((departure, arrival) in ms, departure order), as feedback
    /// every 100 ms `feedbacks` times, 150 ms after each arrival. The lowest estimate on the way.
    fn feed_arrivals(est: &mut LinkEstimator, sent: &[(f64, f64)], feedbacks: u64) -> f64 {
        let t0 = Instant::now();
        let mut reported = 0;
        let mut lowest = f64::MAX;
        for feedback in (1..feedbacks).map(|i| i as f64 * 100.0) {
            let mut reports = Vec::new();
            while let Some((departed, arrival)) = sent.get(reported).copied() {
                if arrival + 150.0 > feedback {
                    break;
                }
                reports.push(report(
                    reported as u64,
                    t0 + Duration::from_secs_f64(departed / 1000.0),
                    Some(Duration::from_secs_f64(arrival / 1000.0)),
                ));
                reported += 1;
            }
            est.on_reports(t0 + Duration::from_secs_f64(feedback / 1000.0), &reports);
            lowest = lowest.min(est.target_bitrate());
        }
        lowest
    }

    #[test]
    fn over_tcp_a_stall_behind_a_lost_segment_is_not_a_full_link() {
        let tcp = || {
            let meter = LinkMeter::default();
            meter.set_over_tcp(true);
            LinkEstimator::new(700_000.0, 100_000.0, 20_000_000.0).with_meter(meter)
        };
        // 500 kbit/s into 800 kbit/s, a 600 ms stall every second (a lost segment on a long
        // link's 600 ms round trip).
        let over_tcp = tcp_link(&mut tcp(), 30, 500_000.0, 800_000.0, 600.0);
        assert!(over_tcp >= 700_000.0, "{over_tcp}");
        // Over TCP a link that is full still is: 1 Mbit/s into 800 kbit/s builds a queue that
        // stands.
        let estimate = tcp_link(&mut tcp(), 10, 1_000_000.0, 800_000.0, 300.0);
        assert!(estimate < 800_000.0, "{estimate}");
    }

    #[test]
    fn over_tcp_a_long_stall_cuts_the_estimate_to_what_arrived_over_seconds() {
        let meter = LinkMeter::default();
        meter.set_over_tcp(true);
        let mut est = LinkEstimator::new(600_000.0, 100_000.0, 20_000_000.0).with_meter(meter);
        // 1,000 bytes every 20 ms (400 kbit/s), 150 ms one way; what leaves between 10 s and
        // 11.5 s waits behind a lost segment until 11.5 s, then arrives at 800 kbit/s.
        let arrivals: Vec<(f64, f64)> = (0..1000)
            .map(|i| {
                let departed = f64::from(i) * 20.0;
                let held = (10_000.0..11_500.0).contains(&departed);
                let arrived = if held {
                    11_500.0 + (departed - 10_000.0) / 2.0
                } else {
                    departed
                } + 150.0;
                (departed, arrived)
            })
            .collect();
        let lowest = feed_arrivals(&mut est, &arrivals, 200);
        // The stall stood over a second: the link was full. The cut is to 85% of what arrived
        // over 3 s (about 180 kbit/s), not of the last second's trickle.
        assert!(
            (150_000.0..400_000.0).contains(&lowest),
            "the lowest estimate {lowest}"
        );
    }

    /// A Subscriber's computer too busy to read its packets in time: every third 100 ms, its
    /// browser reads nothing until the end, then stamps all it got then (the first up to 100 ms
    /// late, the last on time). The link (2 Mbit/s, 50 ms, carrying 500 kbit/s) has no queue,
    /// and the estimate does not fall.
    #[test]
    fn a_busy_subscriber_s_late_stamps_are_not_a_full_link() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut est = LinkEstimator::new(700_000.0, 100_000.0, 20_000_000.0);
        let mut lowest = f64::MAX;
        // A 1,000-byte packet every 16 ms: 500 kbit/s.
        let mut next = 0u64;
        for batch in 0..200u64 {
            let (start, end) = (batch * 100, batch * 100 + 100);
            let mut reports = Vec::new();
            while next + 50 < end {
                let arrival = next + 50;
                let stamped = if batch % 3 == 2 { end } else { arrival };
                reports.push(report(
                    next / 16,
                    at(next),
                    Some(Duration::from_millis(stamped.max(start))),
                ));
                next += 16;
            }
            est.on_reports(at(end + 50), &reports);
            lowest = lowest.min(est.target_bitrate());
        }
        assert!(lowest >= 700_000.0, "the estimate fell to {lowest}");
    }

    #[test]
    fn random_loss_alone_does_not_ratchet_the_estimate_down() {
        let mut sim = Sim::new(700_000.0);
        // 5% random loss on an 800 kbit/s link; the sender follows 90% of the estimate.
        let est = sim.run(60, 800_000.0, 20, |e| (e * 0.9).max(100_000.0));
        let late = &est[30..];
        let lowest = late.iter().copied().fold(f64::MAX, f64::min);
        assert!(lowest > 450_000.0, "{est:?}");
        let highest = late.iter().copied().fold(0.0, f64::max);
        assert!(highest < 1_200_000.0, "{est:?}");
    }

    #[test]
    fn a_lost_feedback_packet_is_not_loss_on_the_link() {
        let t0 = Instant::now();
        let mut est = LinkEstimator::new(1_000_000.0, 100_000.0, 20_000_000.0);
        let report = |id: u64, arrived: bool| PacketReport {
            ssrc: 1,
            id,
            rtp_sequence_number: id as u16,
            is_twcc: true,
            twcc_sequence_number: id as u16,
            size: 1000,
            arrived,
            departure: t0 + Duration::from_millis(id),
            arrival: arrived.then(|| Duration::from_millis(id + 50)),
            ecn: Ecn::default(),
        };
        for batch in 0..10u64 {
            let at = t0 + Duration::from_millis(100 * (batch + 1));
            // Every third feedback packet was lost: its 10 packets come back unreported, in
            // front of the next batch.
            if batch % 3 == 2 {
                continue;
            }
            let from = if batch % 3 == 0 && batch > 0 {
                batch - 1
            } else {
                batch
            };
            let reports: Vec<_> = (from * 10..batch * 10 + 10)
                .map(|id| report(id, id / 10 == batch && id % 20 != 7))
                .collect();
            est.on_reports(at, &reports);
        }
        assert!(est.loss() < 0.1, "loss {}", est.loss());
        assert!(
            est.last_decrease.is_none(),
            "the link was never taken for full"
        );
    }

    #[test]
    fn the_first_feedback_does_not_cut_the_initial_estimate() {
        let mut sim = Sim::new(2_500_000.0);
        let est = sim.run(3, 10_000_000.0, 0, |_| 1_000_000.0);
        assert_eq!(est[0], 2_500_000.0, "{est:?}");
        assert!(est.iter().all(|e| *e >= 1_500_000.0), "{est:?}");
    }

    #[test]
    fn a_small_stream_on_a_big_link_keeps_the_estimate_near_what_it_sends() {
        let mut sim = Sim::new(2_500_000.0);
        let est = sim.run(20, 10_000_000.0, 0, |_| 500_000.0);
        let last = *est.last().expect("estimates");
        // About 2 x 500 kbit/s + the margin (the delivered rate is read over a little more than
        // a second), not 20 Mbit/s.
        assert!((500_000.0..=1_700_000.0).contains(&last), "{est:?}");
    }

    #[test]
    fn an_adaptive_sender_recovers_after_a_slowdown() {
        let mut sim = Sim::new(1_500_000.0);
        let follow = |e: f64| (e * 0.9).max(100_000.0);
        sim.run(20, 2_000_000.0, 0, follow);
        let slow = sim.run(20, 300_000.0, 0, follow);
        assert!(*slow.last().expect("estimates") < 320_000.0, "{slow:?}");
        let back = sim.run(40, 2_000_000.0, 0, follow);
        assert!(*back.last().expect("estimates") > 1_200_000.0, "{back:?}");
    }
}
