//! Traffic per whole second: bytes counted into 1-second windows (second `n` is
//! `n..n+1` seconds after the origin the caller's times count from), reported as bit/s for the
//! windows already over. The last [`RateWindows::KEPT`] completed windows are kept; the highest
//! is remembered since the start.

use std::collections::VecDeque;
use std::time::Duration;

/// Bytes per 1-second window.
#[derive(Debug, Default)]
pub struct RateWindows {
    /// The second `windows[0]` counts.
    first: u64,
    /// Bytes in each second from `first` on; the last may still be filling.
    windows: VecDeque<u64>,
    /// The most bytes in any window that is over and no longer the last one in `windows`.
    max_bytes: u64,
}

impl RateWindows {
    /// How many completed windows are reported.
    pub const KEPT: usize = 300;

    pub fn new() -> RateWindows {
        RateWindows::default()
    }

    /// Counts `bytes` at `now` (times should not go backwards; an earlier one counts in the
    /// newest window).
    pub fn add(&mut self, now: Duration, bytes: u64) {
        let second = now.as_secs();
        let Some(&last) = self.windows.back() else {
            self.first = second;
            self.windows.push_back(bytes);
            return;
        };
        let last_second = self.first + self.windows.len() as u64 - 1;
        if second > last_second {
            // The last window is over.
            self.max_bytes = self.max_bytes.max(last);
            let gap = second - last_second;
            if gap > Self::KEPT as u64 {
                // Everything kept is older than the windows reported from now on.
                self.windows.clear();
                self.first = second;
            } else {
                self.windows
                    .extend(std::iter::repeat_n(0, gap as usize - 1));
            }
            self.windows.push_back(0);
            // KEPT completed windows plus the one filling.
            while self.windows.len() > Self::KEPT + 1 {
                self.windows.pop_front();
                self.first += 1;
            }
        }
        if let Some(current) = self.windows.back_mut() {
            *current += bytes;
        }
    }

    /// The second the first entry of [`RateWindows::bps_per_s`] counts.
    pub fn first_reported(now: Duration) -> u64 {
        now.as_secs().saturating_sub(Self::KEPT as u64)
    }

    /// Bit/s in each completed second from [`RateWindows::first_reported`] up to `now`'s second
    /// (not included); seconds without traffic are 0.
    pub fn bps_per_s(&self, now: Duration) -> Vec<u64> {
        (Self::first_reported(now)..now.as_secs())
            .map(|second| self.bytes_in(second) * 8)
            .collect()
    }

    /// The highest bit/s of any completed second since the start.
    pub fn max_bps(&self, now: Duration) -> u64 {
        let mut max = self.max_bytes;
        if let Some(&last) = self.windows.back() {
            let last_second = self.first + self.windows.len() as u64 - 1;
            if last_second < now.as_secs() {
                max = max.max(last);
            }
        }
        max * 8
    }

    fn bytes_in(&self, second: u64) -> u64 {
        second
            .checked_sub(self.first)
            .and_then(|i| self.windows.get(i as usize))
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn bytes_fall_into_their_whole_second() {
        let mut w = RateWindows::new();
        w.add(ms(0), 1000);
        w.add(ms(999), 250);
        w.add(ms(1000), 500);
        w.add(ms(2500), 125);
        // At 2.6 s, seconds 0 and 1 are over; second 2 is still filling.
        assert_eq!(w.bps_per_s(ms(2600)), vec![10_000, 4000]);
        assert_eq!(w.max_bps(ms(2600)), 10_000);
        // Later, with nothing more: second 2 is over, 3 and 4 were empty.
        assert_eq!(w.bps_per_s(ms(5000)), vec![10_000, 4000, 1000, 0, 0]);
        assert_eq!(RateWindows::first_reported(ms(5000)), 0);
    }

    #[test]
    fn the_newest_second_counts_in_the_max_once_it_is_over() {
        let mut w = RateWindows::new();
        w.add(ms(100), 10);
        w.add(ms(3100), 1000);
        assert_eq!(w.max_bps(ms(3900)), 80);
        assert_eq!(w.max_bps(ms(4000)), 8000);
        assert_eq!(w.bps_per_s(ms(4000)), vec![80, 0, 0, 8000]);
    }

    #[test]
    fn the_first_packet_late_leaves_zeros_before_it() {
        let mut w = RateWindows::new();
        w.add(ms(2200), 1);
        assert_eq!(w.bps_per_s(ms(3000)), vec![0, 0, 8]);
        assert_eq!(w.bps_per_s(Duration::ZERO), Vec::<u64>::new());
    }

    #[test]
    fn only_the_last_kept_seconds_are_reported_and_memory_is_bounded() {
        let mut w = RateWindows::new();
        let seconds = RateWindows::KEPT as u64 * 3;
        for s in 0..seconds {
            w.add(Duration::from_secs(s), s);
        }
        assert!(w.windows.len() <= RateWindows::KEPT + 1);
        let now = Duration::from_secs(seconds);
        let reported = w.bps_per_s(now);
        assert_eq!(reported.len(), RateWindows::KEPT);
        let first = RateWindows::first_reported(now);
        assert_eq!(first, seconds - RateWindows::KEPT as u64);
        assert_eq!(reported[0], first * 8);
        assert_eq!(reported[RateWindows::KEPT - 1], (seconds - 1) * 8);
        // The max is since the start, including seconds no longer reported.
        assert_eq!(w.max_bps(now), (seconds - 1) * 8);
    }

    #[test]
    fn a_long_silence_keeps_the_max_and_forgets_the_old_windows() {
        let mut w = RateWindows::new();
        w.add(ms(500), 1000);
        let later = Duration::from_secs(10_000);
        w.add(later, 1);
        assert_eq!(w.windows.len(), 1);
        let now = later + Duration::from_secs(1);
        assert_eq!(w.max_bps(now), 8000);
        let reported = w.bps_per_s(now);
        assert_eq!(reported.len(), RateWindows::KEPT);
        assert_eq!(reported.last(), Some(&8));
        assert!(reported[..RateWindows::KEPT - 1].iter().all(|&b| b == 0));
    }
}
