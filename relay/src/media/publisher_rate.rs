//! How fast a Publisher's video may be: no faster than the slowest of its Subscribers' links
//! carries (no IO).
//!
//! The relay forwards one stream per Track to every Subscriber, so a stream larger than one
//! classroom's link can only be cut for that classroom (and a cut video stream does not decode).
//! Until Publishers send several layers, the relay asks the Publisher's encoder, with REMB, for
//! at most what the smallest link estimate leaves after audio and repairs, and never for less
//! than a floor, so one hopeless link does not take the picture from every other classroom.

/// What the relay asks of a Publisher.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimits {
    /// Never ask for less video than this, bits per second.
    pub floor_bps: f64,
    /// What the Publisher's audio takes of a link, packets' overhead included.
    pub audio_bps: f64,
    /// The share of a link left to the stream itself; the rest is for retransmissions.
    pub share: f64,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            floor_bps: 150_000.0,
            audio_bps: 64_000.0,
            share: 0.9,
        }
    }
}

/// The video rate to ask of a Publisher whose Subscribers' links are estimated at `estimates`
/// (bits per second); `None` if none is estimated (then the Publisher's own estimate rules).
pub fn video_cap(limits: &RateLimits, estimates: impl IntoIterator<Item = u64>) -> Option<u64> {
    let slowest = estimates.into_iter().min()? as f64;
    let cap = slowest * limits.share - limits.audio_bps;
    Some(cap.max(limits.floor_bps) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slowest_link_sets_the_cap() {
        let l = RateLimits::default();
        assert_eq!(
            video_cap(&l, [2_000_000, 800_000, 5_000_000]),
            Some(656_000)
        );
    }

    #[test]
    fn nothing_estimated_asks_nothing() {
        assert_eq!(video_cap(&RateLimits::default(), []), None);
    }

    #[test]
    fn a_hopeless_link_does_not_take_the_picture_from_everyone() {
        let l = RateLimits::default();
        assert_eq!(video_cap(&l, [1_000_000, 90_000]), Some(150_000));
    }
}
