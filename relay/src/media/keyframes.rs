//! Keyframe requests (PLI) towards a publisher, coalesced per track: a subscriber joining or
//! losing packets asks for a keyframe, but the publisher gets at most one request per track per
//! `min_gap`; a request inside the gap is sent when the gap ends. Time is passed in (ms).

use super::forwarding::TrackId;
use std::collections::BTreeMap;

pub struct KeyframeGate {
    min_gap_ms: u64,
    /// Per track: when a request was last sent upstream, and whether one waits.
    tracks: BTreeMap<TrackId, (u64, bool)>,
}

impl KeyframeGate {
    pub fn new(min_gap_ms: u64) -> KeyframeGate {
        KeyframeGate {
            min_gap_ms,
            tracks: BTreeMap::new(),
        }
    }

    /// A subscriber wants a keyframe of `track`. Returns whether to send a request upstream now.
    pub fn request(&mut self, track: TrackId, now_ms: u64) -> bool {
        let gap = self.min_gap_ms;
        match self.tracks.get_mut(&track) {
            Some((last, waiting)) if now_ms < *last + gap => {
                *waiting = true;
                false
            }
            _ => {
                self.tracks.insert(track, (now_ms, false));
                true
            }
        }
    }

    /// The tracks whose waiting request may go upstream now.
    pub fn due(&mut self, now_ms: u64) -> Vec<TrackId> {
        let gap = self.min_gap_ms;
        let mut out = Vec::new();
        for (track, (last, waiting)) in self.tracks.iter_mut() {
            if *waiting && now_ms >= *last + gap {
                *last = now_ms;
                *waiting = false;
                out.push(*track);
            }
        }
        out
    }

    /// When `due` will next have something, for the driver's timer.
    pub fn next_due(&self) -> Option<u64> {
        self.tracks
            .values()
            .filter(|(_, waiting)| *waiting)
            .map(|(last, _)| last + self.min_gap_ms)
            .min()
    }

    /// The track ended.
    pub fn forget(&mut self, track: TrackId) {
        self.tracks.remove(&track);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_request_goes_at_once_later_ones_wait_for_the_gap() {
        let mut g = KeyframeGate::new(300);
        let t = TrackId(1);
        assert!(g.request(t, 1_000));
        assert!(!g.request(t, 1_050));
        assert!(!g.request(t, 1_100));
        assert_eq!(g.next_due(), Some(1_300));
        assert!(g.due(1_299).is_empty());
        assert_eq!(g.due(1_300), vec![t]);
        assert!(g.due(1_400).is_empty(), "the waiting requests became one");
        assert!(g.request(t, 1_700));
    }

    #[test]
    fn a_storm_of_subscriber_requests_reaches_the_publisher_rate_limited() {
        // 440 requests from subscribers over 10 s, one every ~23 ms.
        let mut g = KeyframeGate::new(300);
        let t = TrackId(7);
        let mut upstream = 0;
        let mut now = 0;
        for _ in 0..440 {
            now += 23;
            upstream += usize::from(g.request(t, now));
            upstream += g.due(now).len();
        }
        upstream += g.due(now + 300).len();
        // At most one per 300 ms, and none lost at the end.
        assert!(upstream <= 10_120 / 300 + 1, "{upstream} requests upstream");
        assert!(upstream >= 30, "{upstream}");
        assert_eq!(g.next_due(), None);
    }

    #[test]
    fn tracks_are_independent() {
        let mut g = KeyframeGate::new(300);
        assert!(g.request(TrackId(1), 0));
        assert!(g.request(TrackId(2), 10));
        assert!(!g.request(TrackId(1), 20));
        g.forget(TrackId(1));
        assert!(g.request(TrackId(1), 30));
    }
}
