//! The rural link profiles P0-P6 (down = relay -> classroom). P4 and P6 change over time: their
//! [`Profile::at`] gives the settings in force `t` after the start, and [`Profile::changes`] the
//! times at which a harness must apply new ones.

use super::pipeline::Settings;
use std::time::Duration;

/// A link profile: what each direction does, possibly changing over a lesson.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Profile {
    pub name: &'static str,
    pub down: Settings,
    pub up: Settings,
    /// A window `(from, length)` in which both directions drop everything (P4).
    pub outage: Option<(Duration, Duration)>,
    /// A window `(from, length, rate)` in which both directions run at `rate` bit/s (P6).
    pub slowdown: Option<(Duration, Duration, u64)>,
}

const fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const fn link(rate_bps: u64, delay: Duration, loss: f64) -> Settings {
    Settings {
        rate_bps,
        queue: ms(300),
        delay,
        jitter: Duration::ZERO,
        loss,
        burst_enter: 0.0,
        burst_leave: 1.0,
        outage: false,
        block_udp: false,
        block_port: 0,
    }
}

const fn steady(name: &'static str, down: Settings, up: Settings) -> Profile {
    Profile {
        name,
        down,
        up,
        outage: None,
        slowdown: None,
    }
}

/// P0: clean.
pub const P0_CLEAN: Profile = steady("P0 clean", Settings::CLEAN, Settings::CLEAN);

/// P1: rural DSL, 2 Mbit/s down, 1 Mbit/s up, 40 ms one way, 0.5% loss.
pub const P1_RURAL_DSL: Profile = steady(
    "P1 rural DSL",
    link(2_000_000, ms(40), 0.005),
    link(1_000_000, ms(40), 0.005),
);

/// P2: 800/400 kbit/s, 150 ms, 1% loss.
pub const P2_SLOW: Profile = steady(
    "P2 slow",
    link(800_000, ms(150), 0.01),
    link(400_000, ms(150), 0.01),
);

/// P3: 800/400 kbit/s, 300 ms, 5% loss.
pub const P3_SLOW_LOSSY: Profile = steady(
    "P3 slow and lossy",
    link(800_000, ms(300), 0.05),
    link(400_000, ms(300), 0.05),
);

/// The retransmission storm's link (Media core issue): P2's rates and 300 ms round trip with
/// P3's 5% loss, smaller than the teacher's 1 Mbit/s stream.
pub const STORM: Profile = steady(
    "storm: 800/400 kbit/s, 150 ms one way, 5% loss",
    link(800_000, ms(150), 0.05),
    link(400_000, ms(150), 0.05),
);

/// P4: P1 with a 15 s total outage from t = 30 s.
pub const P4_OUTAGE: Profile = Profile {
    name: "P4 rural DSL with an outage",
    outage: Some((Duration::from_secs(30), Duration::from_secs(15))),
    ..P1_RURAL_DSL
};

/// P5: UDP blocked both ways (only TCP reaches the relay); otherwise clean.
pub const P5_UDP_BLOCKED: Profile = steady(
    "P5 UDP blocked",
    Settings {
        block_udp: true,
        ..Settings::CLEAN
    },
    Settings {
        block_udp: true,
        ..Settings::CLEAN
    },
);

/// P6: P1 whose rate drops to 300 kbit/s (both ways) for 30 s from t = 30 s, then comes back.
pub const P6_SLOWDOWN: Profile = Profile {
    name: "P6 rural DSL with a slowdown",
    slowdown: Some((Duration::from_secs(30), Duration::from_secs(30), 300_000)),
    ..P1_RURAL_DSL
};

pub const ALL: [Profile; 7] = [
    P0_CLEAN,
    P1_RURAL_DSL,
    P2_SLOW,
    P3_SLOW_LOSSY,
    P4_OUTAGE,
    P5_UDP_BLOCKED,
    P6_SLOWDOWN,
];

fn within(t: Duration, from: Duration, length: Duration) -> bool {
    t >= from && t < from + length
}

impl Profile {
    /// The (down, up) settings in force `t` after the profile started.
    pub fn at(&self, t: Duration) -> (Settings, Settings) {
        let (mut down, mut up) = (self.down, self.up);
        if let Some((from, length)) = self.outage {
            if within(t, from, length) {
                down.outage = true;
                up.outage = true;
            }
        }
        if let Some((from, length, rate)) = self.slowdown {
            if within(t, from, length) {
                down.rate_bps = rate;
                up.rate_bps = rate;
            }
        }
        (down, up)
    }

    /// The times after the start at which the settings change (empty for a steady profile).
    pub fn changes(&self) -> Vec<Duration> {
        let mut times = Vec::new();
        if let Some((from, length)) = self.outage {
            times.extend([from, from + length]);
        }
        if let Some((from, length, _)) = self.slowdown {
            times.extend([from, from + length]);
        }
        times.sort();
        times
    }
}
