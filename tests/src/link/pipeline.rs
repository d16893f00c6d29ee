//! One direction of an emulated link, without sockets or clocks: packets go in with the time they
//! arrived and come out at the time they are due. In order: outage (drop all) -> UDP block ->
//! random loss (independent, plus optional Gilbert-Elliott bursts) -> a bottleneck at `rate` bit/s whose drop-tail queue holds at most `queue` of
//! waiting -> one-way `delay` plus `jitter`, never reordering.
//!
//! Times are [`Duration`]s since an origin the caller picks (the emulator's start, or a simulated
//! clock in tests).

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

    /// A packet arriving at `now`: dropped (and why), or accepted for release later.
    pub fn push(&mut self, now: Duration, packet: Vec<u8>) -> Result<(), Dropped> {
        let s = self.settings;
        self.counters.in_packets += 1;
        self.counters.in_bytes += packet.len() as u64;
        if s.outage {
            self.counters.dropped_outage += 1;
            return Err(Dropped::Outage);
        }
        if s.block_udp && is_udp(&packet) {
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
        Some(packet)
    }
}
