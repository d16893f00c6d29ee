//! One direction of an emulated link, without sockets or clocks: packets go in with the time they
//! arrived and come out at the time they are due. In order: outage (drop all) -> UDP block ->
//! random loss (independent, plus optional Gilbert-Elliott bursts) -> a bottleneck at `rate` bit/s whose drop-tail queue holds at most `queue` of
//! waiting -> one-way `delay` plus `jitter`, never reordering.
//!
//! Times are [`Duration`]s since an origin the caller picks (the emulator's start, or a simulated
//! clock in tests).
//!
//! Besides the [`Counters`], each direction measures what is offered to it, at ingress (before
//! any drop): copies of each RTP packet ([`RtpCopies`]) and bit/s per second in, and delivered
//! bit/s per second out ([`RateWindows`]); see [`Traffic`].

use super::rate_windows::RateWindows;
use super::rtp_count::{RtpCopies, RtpCounts};
use std::collections::VecDeque;
use std::time::Duration;

/// What one direction does to packets. Changed while running with [`Pipeline::set`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Bottleneck rate in bit/s; 0 is unlimited.
    pub rate_bps: u64,
    /// The longest a packet may wait for the bottleneck; one that would wait longer is dropped.
    pub queue: Duration,
    /// One-way delay added after the bottleneck.
    pub delay: Duration,
    /// Each packet's delay is `delay` plus a uniform sample in `-jitter..=jitter` (never below 0),
    /// then raised to the previous packet's release time so nothing is reordered. (So packets
    /// closer together than the jitter see more than `delay` on average, up to `delay + jitter`.)
    pub jitter: Duration,
    /// Probability that a packet is lost (0.0..=1.0), independently of the others.
    pub loss: f64,
    /// Burst loss (Gilbert-Elliott, losing everything in the bad state): per packet, the chance
    /// of going from the good state to the bad one. 0 turns bursts off.
    pub burst_enter: f64,
    /// Per packet, the chance of leaving the bad state (mean burst length `1 / burst_leave`).
    pub burst_leave: f64,
    /// Drop everything.
    pub outage: bool,
    /// Drop IPv4 UDP packets (profile P5: only TCP reaches the relay).
    pub block_udp: bool,
    /// Drop IPv4 TCP and UDP packets to or from this port (0: none), as a firewall that closes
    /// one port does.
    pub block_port: u16,
}

impl Settings {
    /// A clean link: no limit, no delay, no loss.
    pub const CLEAN: Settings = Settings {
        rate_bps: 0,
        queue: Duration::from_millis(300),
        delay: Duration::ZERO,
        jitter: Duration::ZERO,
        loss: 0.0,
        burst_enter: 0.0,
        burst_leave: 1.0,
        outage: false,
        block_udp: false,
        block_port: 0,
    };
}

impl Default for Settings {
    fn default() -> Self {
        Settings::CLEAN
    }
}

/// Why a packet did not go through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    Outage,
    Blocked,
    Loss,
    QueueFull,
}

/// Packets and bytes in, out, and dropped by cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub in_packets: u64,
    pub in_bytes: u64,
    pub out_packets: u64,
    pub out_bytes: u64,
    pub dropped_outage: u64,
    pub dropped_blocked: u64,
    pub dropped_loss: u64,
    pub dropped_queue: u64,
}

impl Counters {
    /// The counters as a JSON object (the emulator's `stats` answer).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "in_packets": self.in_packets,
            "in_bytes": self.in_bytes,
            "out_packets": self.out_packets,
            "out_bytes": self.out_bytes,
            "dropped_outage": self.dropped_outage,
            "dropped_blocked": self.dropped_blocked,
            "dropped_loss": self.dropped_loss,
            "dropped_queue": self.dropped_queue,
        })
    }
}

/// What was offered to one direction and what it delivered, as of a time: copies of RTP packets
/// and bit/s per whole second, both measured at ingress, and bit/s out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    pub rtp: RtpCounts,
    /// The second (since the origin) that `in_bps_per_s[0]` and `out_bps_per_s[0]` count.
    pub bps_first_s: u64,
    /// Bit/s handed in during each completed second (the last [`RateWindows::KEPT`]).
    pub in_bps_per_s: Vec<u64>,
    /// The highest of any completed second since the start.
    pub in_max_bps_1s: u64,
    /// Bit/s delivered during each completed second, like `in_bps_per_s`.
    pub out_bps_per_s: Vec<u64>,
    pub out_max_bps_1s: u64,
}

impl Traffic {
    /// The fields of the emulator's `stats` answer next to the [`Counters`].
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "rtp_packets": self.rtp.packets,
            "rtp_distinct": self.rtp.distinct,
            "rtp_max_copies": self.rtp.max_copies,
            "rtp_copies_over_3": self.rtp.copies_over_3,
            "bps_first_s": self.bps_first_s,
            "in_bps_per_s": self.in_bps_per_s,
            "in_max_bps_1s": self.in_max_bps_1s,
            "out_bps_per_s": self.out_bps_per_s,
            "out_max_bps_1s": self.out_max_bps_1s,
        })
    }
}

/// A small seeded generator (SplitMix64): the same seed gives the same losses and jitter.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0.0..1.0`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// True if `packet` is an IPv4 UDP datagram.
fn is_udp(packet: &[u8]) -> bool {
    packet.first().map(|b| b >> 4) == Some(4) && packet.get(9) == Some(&17)
}

/// An IPv4 TCP or UDP packet whose source or destination port is `port`.
fn has_port(packet: &[u8], port: u16) -> bool {
    let Some(&first) = packet.first() else {
        return false;
    };
    if first >> 4 != 4 || !matches!(packet.get(9), Some(6 | 17)) {
        return false;
    }
    let ihl = usize::from(first & 0x0f) * 4;
    match packet.get(ihl..ihl + 4) {
        Some(p) => [
            u16::from_be_bytes([p[0], p[1]]),
            u16::from_be_bytes([p[2], p[3]]),
        ]
        .contains(&port),
        None => false,
    }
}

/// One direction of the link.
pub struct Pipeline {
    settings: Settings,
    rng: Rng,
    /// When the bottleneck finishes sending what it has accepted.
    link_free_at: Duration,
    /// The release time of the last accepted packet (releases never go backwards).
    last_release: Duration,
    /// Accepted packets in release order.
    in_flight: VecDeque<(Duration, Vec<u8>)>,
    /// In the bad state of the burst-loss model.
    in_burst: bool,
    counters: Counters,
    rtp: RtpCopies,
    in_rate: RateWindows,
    out_rate: RateWindows,
}

impl Pipeline {
    pub fn new(settings: Settings, seed: u64) -> Pipeline {
        Pipeline {
            settings,
            rng: Rng::new(seed),
            link_free_at: Duration::ZERO,
            last_release: Duration::ZERO,
            in_flight: VecDeque::new(),
            in_burst: false,
            counters: Counters::default(),
            rtp: RtpCopies::new(),
            in_rate: RateWindows::new(),
            out_rate: RateWindows::new(),
        }
    }

    pub fn settings(&self) -> Settings {
        self.settings
    }

    /// New settings from now on; packets already accepted keep their release times.
    pub fn set(&mut self, settings: Settings) {
        self.settings = settings;
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// What was offered and delivered, with `now`'s second the first not yet over.
    pub fn traffic(&self, now: Duration) -> Traffic {
        Traffic {
            rtp: self.rtp.counts(),
            bps_first_s: RateWindows::first_reported(now),
            in_bps_per_s: self.in_rate.bps_per_s(now),
            in_max_bps_1s: self.in_rate.max_bps(now),
            out_bps_per_s: self.out_rate.bps_per_s(now),
            out_max_bps_1s: self.out_rate.max_bps(now),
        }
    }

    /// The emulator's `stats` answer for this direction: the [`Counters`] and the [`Traffic`] as
    /// of `now` in one object.
    pub fn stats_json(&self, now: Duration) -> serde_json::Value {
        let mut json = self.counters.to_json();
        if let (Some(all), serde_json::Value::Object(traffic)) =
            (json.as_object_mut(), self.traffic(now).to_json())
        {
            all.extend(traffic);
        }
        json
    }

    /// A packet arriving at `now`: dropped (and why), or accepted for release later.
    pub fn push(&mut self, now: Duration, packet: Vec<u8>) -> Result<(), Dropped> {
        let s = self.settings;
        self.counters.in_packets += 1;
        self.counters.in_bytes += packet.len() as u64;
        self.in_rate.add(now, packet.len() as u64);
        self.rtp.observe(now, &packet);
        if s.outage {
            self.counters.dropped_outage += 1;
            return Err(Dropped::Outage);
        }
        if s.block_udp && is_udp(&packet) || s.block_port != 0 && has_port(&packet, s.block_port) {
            self.counters.dropped_blocked += 1;
            return Err(Dropped::Blocked);
        }
        if s.burst_enter > 0.0 {
            let leave_or_enter = if self.in_burst {
                s.burst_leave
            } else {
                s.burst_enter
            };
            if self.rng.unit() < leave_or_enter {
                self.in_burst = !self.in_burst;
            }
        } else {
            self.in_burst = false;
        }
        if self.in_burst || (s.loss > 0.0 && self.rng.unit() < s.loss) {
            self.counters.dropped_loss += 1;
            return Err(Dropped::Loss);
        }
        let start = self.link_free_at.max(now);
        let bits = packet.len() as u64 * 8;
        // Time on the wire; none when the rate is 0 (unlimited).
        let sent = match bits.saturating_mul(1_000_000_000).checked_div(s.rate_bps) {
            None => now,
            Some(nanos) => {
                if start - now > s.queue {
                    self.counters.dropped_queue += 1;
                    return Err(Dropped::QueueFull);
                }
                let done = start + Duration::from_nanos(nanos);
                self.link_free_at = done;
                done
            }
        };
        let mut delay = s.delay;
        if !s.jitter.is_zero() {
            let j = s.jitter.as_secs_f64() * (2.0 * self.rng.unit() - 1.0);
            delay = Duration::from_secs_f64((s.delay.as_secs_f64() + j).max(0.0));
        }
        let release = (sent + delay).max(self.last_release);
        self.last_release = release;
        self.in_flight.push_back((release, packet));
        Ok(())
    }

    /// When the newest accepted packet is due (zero before the first).
    pub fn last_release(&self) -> Duration {
        self.last_release
    }

    /// When the next packet is due, if any.
    pub fn next_due(&self) -> Option<Duration> {
        self.in_flight.front().map(|(at, _)| *at)
    }

    /// The next packet due at or before `now`.
    pub fn pop_due(&mut self, now: Duration) -> Option<Vec<u8>> {
        if self.next_due()? > now {
            return None;
        }
        let (_, packet) = self.in_flight.pop_front()?;
        self.counters.out_packets += 1;
        self.counters.out_bytes += packet.len() as u64;
        self.out_rate.add(now, packet.len() as u64);
        Some(packet)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    /// An IPv4/UDP/RTP packet of 1000 bytes with `ssrc` and `seq`.
    fn rtp(ssrc: u32, seq: u16) -> Vec<u8> {
        let mut p = vec![0u8; 1000];
        p[0] = 0x45;
        p[9] = 17;
        p[28] = 0x80;
        p[29] = 111;
        p[30..32].copy_from_slice(&seq.to_be_bytes());
        p[36..40].copy_from_slice(&ssrc.to_be_bytes());
        p
    }

    #[test]
    fn rtp_copies_and_offered_rate_are_counted_before_any_drop() {
        // 80 kbit/s (100 ms per packet) with a 100 ms queue: of the first 4 packets at once, 2
        // fit; then an outage drops the 16 copies that follow.
        let mut pipe = Pipeline::new(
            Settings {
                rate_bps: 80_000,
                queue: Duration::from_millis(100),
                ..Settings::CLEAN
            },
            1,
        );
        for copy in 0..5 {
            for seq in 0..4 {
                let _ = pipe.push(Duration::ZERO, rtp(42, seq));
            }
            if copy == 0 {
                pipe.set(Settings {
                    outage: true,
                    ..pipe.settings()
                });
            }
        }
        let mut last = Duration::ZERO;
        while let Some(due) = pipe.next_due() {
            last = due;
            assert!(pipe.pop_due(due).is_some());
        }
        let c = pipe.counters();
        assert_eq!((c.in_packets, c.dropped_outage, c.out_packets), (20, 16, 2));
        let t = pipe.traffic(2 * S);
        assert_eq!(
            t.rtp,
            RtpCounts {
                packets: 20,
                distinct: 4,
                max_copies: 5,
                copies_over_3: 4,
            }
        );
        // The 2 packets that got through left within the first second.
        assert!(last < S, "{last:?}");
        assert_eq!(t.in_bps_per_s, vec![160_000, 0]);
        assert_eq!(t.in_max_bps_1s, 160_000);
        assert_eq!(t.out_bps_per_s, vec![16_000, 0]);
        assert_eq!(t.out_max_bps_1s, 16_000);
        assert_eq!(t.bps_first_s, 0);
    }

    #[test]
    fn a_blocked_port_drops_tcp_and_udp_to_or_from_it_and_nothing_else() {
        // IPv4 header of 20 bytes, then source and destination port.
        let packet = |proto: u8, src: u16, dst: u16| {
            let mut p = vec![0u8; 60];
            p[0] = 0x45;
            p[9] = proto;
            p[20..22].copy_from_slice(&src.to_be_bytes());
            p[22..24].copy_from_slice(&dst.to_be_bytes());
            p
        };
        let mut pipe = Pipeline::new(
            Settings {
                block_port: 20_000,
                ..Settings::CLEAN
            },
            1,
        );
        assert!(pipe
            .push(Duration::ZERO, packet(6, 40_000, 20_000))
            .is_err());
        assert!(pipe
            .push(Duration::ZERO, packet(6, 20_000, 40_000))
            .is_err());
        assert!(pipe
            .push(Duration::ZERO, packet(17, 40_000, 20_000))
            .is_err());
        assert!(pipe.push(Duration::ZERO, packet(6, 40_000, 3_478)).is_ok());
        assert!(
            pipe.push(Duration::ZERO, packet(1, 20_000, 20_000)).is_ok(),
            "not TCP/UDP"
        );
        assert!(
            pipe.push(Duration::ZERO, vec![0x45, 0, 0]).is_ok(),
            "too short to tell"
        );
        assert_eq!(pipe.counters().dropped_blocked, 3);
    }

    #[test]
    fn the_stats_json_keeps_the_counters_and_adds_the_traffic() {
        let mut pipe = Pipeline::new(Settings::CLEAN, 1);
        let _ = pipe.push(Duration::ZERO, rtp(1, 1));
        let _ = pipe.push(Duration::ZERO, rtp(1, 1));
        let json = pipe.stats_json(S);
        for (key, value) in pipe.counters().to_json().as_object().into_iter().flatten() {
            assert_eq!(json.get(key), Some(value), "{key}");
        }
        assert_eq!(json["rtp_packets"], 2);
        assert_eq!(json["rtp_distinct"], 1);
        assert_eq!(json["rtp_max_copies"], 2);
        assert_eq!(json["rtp_copies_over_3"], 0);
        assert_eq!(json["in_bps_per_s"], serde_json::json!([16_000]));
        assert_eq!(json["in_max_bps_1s"], 16_000);
        assert_eq!(json["out_bps_per_s"], serde_json::json!([0]));
        assert_eq!(json["out_max_bps_1s"], 0);
        assert_eq!(json["bps_first_s"], 0);
    }
}
