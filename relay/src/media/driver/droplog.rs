//! Counting dropped datagrams, and logging them at most once per interval (no IO but the log).
//!
//! A flood of bad datagrams must not become a flood of log lines: the first drop after a quiet
//! interval is logged with its source, later ones are only counted and summarized in the next
//! line.

use super::demux::DropReason;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

pub struct DropLog {
    interval: Duration,
    last_line: Option<Instant>,
    /// Since the start.
    totals: BTreeMap<DropReason, u64>,
    /// Since the last line.
    suppressed: BTreeMap<DropReason, u64>,
}

impl DropLog {
    pub fn new(interval: Duration) -> DropLog {
        DropLog {
            interval,
            last_line: None,
            totals: BTreeMap::new(),
            suppressed: BTreeMap::new(),
        }
    }

    /// Counts one drop; logs it if no line was logged within the interval. Returns whether it
    /// logged.
    pub fn record(&mut self, reason: DropReason, from: SocketAddr, now: Instant) -> bool {
        *self.totals.entry(reason).or_default() += 1;
        if reason.is_expected() {
            tracing::trace!(%from, reason = reason.as_str(), "media port: dropped a datagram");
            return false;
        }
        let quiet = self
            .last_line
            .is_none_or(|at| now.saturating_duration_since(at) >= self.interval);
        if !quiet {
            *self.suppressed.entry(reason).or_default() += 1;
            return false;
        }
        self.last_line = Some(now);
        let suppressed = std::mem::take(&mut self.suppressed);
        if suppressed.is_empty() {
            tracing::warn!(%from, reason = reason.as_str(), "media port: dropped a datagram");
        } else {
            let summary: Vec<String> = suppressed
                .iter()
                .map(|(r, n)| format!("{n} {}", r.as_str()))
                .collect();
            tracing::warn!(
                %from,
                reason = reason.as_str(),
                "media port: dropped a datagram; since the last line also dropped {}",
                summary.join(", ")
            );
        }
        true
    }

    /// Drops per reason since the start.
    pub fn totals(&self) -> Vec<(DropReason, u64)> {
        self.totals.iter().map(|(r, n)| (*r, *n)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_at_most_once_per_interval_and_counts_everything() {
        let t0 = Instant::now();
        let from = SocketAddr::from(([127, 0, 0, 1], 9));
        let mut log = DropLog::new(Duration::from_secs(1));
        let mut lines = 0;
        for i in 0..1000u64 {
            let now = t0 + Duration::from_millis(i * 3);
            if log.record(DropReason::Garbage, from, now) {
                lines += 1;
            }
        }
        assert_eq!(lines, 3, "0 s, 1 s and 2 s");
        assert!(log.record(DropReason::UnknownUfrag, from, t0 + Duration::from_secs(5)));
        // The last packets of a closed connection's peer are counted, never logged.
        let later = t0 + Duration::from_secs(60);
        assert!(!log.record(DropReason::AfterClose, from, later));
        assert!(
            log.record(DropReason::Garbage, from, later),
            "and take no line from others"
        );
        assert_eq!(
            log.totals(),
            vec![
                (DropReason::Garbage, 1001),
                (DropReason::UnknownUfrag, 1),
                (DropReason::AfterClose, 1)
            ]
        );
    }
}
