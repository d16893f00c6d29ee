//! How a classroom's link fares, as the teacher's grid shows it: a [`LinkGrade`] (good, fair,
//! poor) from the loss and round trip the relay measures on what it sends to that classroom,
//! with the figures behind it ([`ClassroomLink`]). Pure: the relay measures and grades, the page
//! shows.
//!
//! The lines are a classroom's experience, not a network's: up to 2% loss and 300 ms round trip a
//! lesson is fine (rural DSL is 0.5% and 80 ms); from 5% loss (a quarter of a second of audio
//! concealed every few seconds) or 600 ms (talking back feels like a satellite call) it is poor.

use crate::ids::ClassroomId;
use serde::{Deserialize, Serialize};

/// Loss at or under which a link may be good, per mille.
pub const GOOD_LOSS_PERMILLE: u16 = 20;
/// Round trip at or under which a link may be good.
pub const GOOD_RTT_MS: u32 = 300;
/// Loss from which a link is poor, per mille.
pub const POOR_LOSS_PERMILLE: u16 = 50;
/// Round trip from which a link is poor.
pub const POOR_RTT_MS: u32 = 600;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkGrade {
    Good,
    Fair,
    Poor,
}

impl LinkGrade {
    /// The grade of a link losing `loss_permille` of the packets sent on it, with `rtt_ms` of
    /// round trip.
    pub fn of(loss_permille: u16, rtt_ms: u32) -> LinkGrade {
        if loss_permille >= POOR_LOSS_PERMILLE || rtt_ms >= POOR_RTT_MS {
            LinkGrade::Poor
        } else if loss_permille <= GOOD_LOSS_PERMILLE && rtt_ms <= GOOD_RTT_MS {
            LinkGrade::Good
        } else {
            LinkGrade::Fair
        }
    }

    /// The word for the page's markup and tests (`data-link`).
    pub fn as_str(self) -> &'static str {
        match self {
            LinkGrade::Good => "good",
            LinkGrade::Fair => "fair",
            LinkGrade::Poor => "poor",
        }
    }
}

/// How much of the teacher's picture a classroom receives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Picture {
    /// The picture as sent (the teacher sends one layer, or nothing was chosen yet).
    #[default]
    Whole,
    /// Simulcast layer `n` (0 the smallest) of the layers the teacher sends.
    Layer(u8),
    /// None: the link does not carry even the smallest layer; the sound goes on.
    Paused,
}

impl Picture {
    /// The word for the page's markup and tests (`data-picture`).
    pub fn as_str(self) -> &'static str {
        match self {
            Picture::Whole => "whole",
            Picture::Layer(0) => "low",
            Picture::Layer(1) => "middle",
            Picture::Layer(_) => "high",
            Picture::Paused => "paused",
        }
    }
}

/// One classroom's link, from the relay to the classroom (what the classroom receives).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassroomLink {
    pub classroom: ClassroomId,
    pub grade: LinkGrade,
    /// Packets lost on the way, per mille (over the last few seconds).
    pub loss_permille: u16,
    /// Round trip, milliseconds (queueing on the link included).
    pub rtt_ms: u32,
    /// What arrived in the classroom, kilobits per second.
    pub receiving_kbps: u32,
    /// How much of the teacher's picture it receives.
    pub picture: Picture,
}

impl LinkGrade {
    /// The grade of a link that also decides how much of the picture gets through: a paused
    /// picture is a poor link, the smallest layer at best a fair one, whatever loss and round
    /// trip say.
    pub fn with_picture(self, picture: Picture) -> LinkGrade {
        match (self, picture) {
            (_, Picture::Paused) => LinkGrade::Poor,
            (LinkGrade::Good, Picture::Layer(0)) => LinkGrade::Fair,
            (grade, _) => grade,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profiles_grade_as_a_classroom_would_say() {
        // P0 clean, P1 rural DSL (0.5%, 80 ms), P2 (1%, 300 ms), P3 (5%, 600 ms).
        assert_eq!(LinkGrade::of(0, 2), LinkGrade::Good);
        assert_eq!(LinkGrade::of(5, 80), LinkGrade::Good);
        assert_eq!(LinkGrade::of(10, 300), LinkGrade::Good);
        assert_eq!(LinkGrade::of(10, 301), LinkGrade::Fair);
        assert_eq!(LinkGrade::of(50, 600), LinkGrade::Poor);
    }

    #[test]
    fn either_figure_alone_can_make_a_link_fair_or_poor() {
        assert_eq!(LinkGrade::of(21, 10), LinkGrade::Fair);
        assert_eq!(LinkGrade::of(49, 10), LinkGrade::Fair);
        assert_eq!(LinkGrade::of(50, 10), LinkGrade::Poor);
        assert_eq!(LinkGrade::of(0, 599), LinkGrade::Fair);
        assert_eq!(LinkGrade::of(0, 600), LinkGrade::Poor);
        assert_eq!(LinkGrade::of(u16::MAX, u32::MAX), LinkGrade::Poor);
    }

    #[test]
    fn the_picture_a_classroom_gets_caps_its_grade() {
        assert_eq!(
            LinkGrade::Good.with_picture(Picture::Whole),
            LinkGrade::Good
        );
        assert_eq!(
            LinkGrade::Good.with_picture(Picture::Layer(2)),
            LinkGrade::Good
        );
        assert_eq!(
            LinkGrade::Good.with_picture(Picture::Layer(0)),
            LinkGrade::Fair
        );
        assert_eq!(
            LinkGrade::Good.with_picture(Picture::Paused),
            LinkGrade::Poor
        );
        assert_eq!(
            LinkGrade::Fair.with_picture(Picture::Paused),
            LinkGrade::Poor
        );
        assert_eq!(
            LinkGrade::Poor.with_picture(Picture::Layer(2)),
            LinkGrade::Poor
        );
        assert_eq!(Picture::Layer(1).as_str(), "middle");
    }

    #[test]
    fn a_worse_figure_never_gives_a_better_grade() {
        let rank = |g: LinkGrade| g as u8;
        for loss in (0..=120).step_by(3) {
            for rtt in (0..=1_000).step_by(25) {
                let g = rank(LinkGrade::of(loss, rtt));
                assert!(rank(LinkGrade::of(loss + 1, rtt)) >= g, "{loss} {rtt}");
                assert!(rank(LinkGrade::of(loss, rtt + 1)) >= g, "{loss} {rtt}");
            }
        }
    }
}
