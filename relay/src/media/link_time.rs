//! How long each classroom spent on each picture of the teacher (high, middle or low layer, the
//! whole picture of a single-layer teacher, or the sound alone) and in outages, for the lesson's
//! attendance report. No IO: the lesson hands [`LinkClock::observe`] each round's readings with
//! the time passed in, and takes what accumulated with [`LinkClock::due`] to store it.
//!
//! An outage is a stretch with no new feedback from the classroom for [`OUTAGE_AFTER`] after it
//! had some: a working link sends feedback many times a second, even for the sound alone. Its
//! time counts from when it is noticed (the seconds before are still on the picture it had).

use crate::attendance::LinkTime;
use shared::ids::ClassroomId;
use shared::link::Picture;
use std::collections::BTreeMap;
use std::time::Duration;

/// No new feedback for this long is an outage.
pub const OUTAGE_AFTER: Duration = Duration::from_secs(4);
/// What accumulated is handed over at most this often ([`LinkClock::due`]).
pub const FLUSH_EVERY: Duration = Duration::from_secs(10);
/// A longer gap between two rounds counts as this long (a stalled timer adds no minutes).
const MAX_STEP: Duration = Duration::from_secs(10);

/// One classroom's reading in a round: feedback batches read so far and the picture it gets.
#[derive(Clone, Copy, Debug)]
pub struct LinkSample {
    pub classroom: ClassroomId,
    pub feedbacks: u64,
    pub picture: Picture,
}

#[derive(Clone, Copy, Debug)]
struct Seen {
    feedbacks: u64,
    /// When the feedback count last moved.
    moved_at: Duration,
    at: Duration,
    in_outage: bool,
}

#[derive(Debug, Default)]
pub struct LinkClock {
    seen: BTreeMap<ClassroomId, Seen>,
    pending: BTreeMap<ClassroomId, LinkTime>,
    flushed_at: Duration,
}

impl LinkClock {
    /// This round's samples at `now` (time since any fixed start). The time since a
    /// classroom's previous sample goes to the picture it gets now, or to an outage. A classroom
    /// missing from the round is forgotten: its next sample starts its clock again.
    pub fn observe(&mut self, now: Duration, samples: impl IntoIterator<Item = LinkSample>) {
        let mut next = BTreeMap::new();
        for s in samples {
            let seen = match self.seen.get(&s.classroom) {
                None => Seen {
                    feedbacks: s.feedbacks,
                    moved_at: now,
                    at: now,
                    in_outage: false,
                },
                Some(old) => {
                    let step = now.saturating_sub(old.at).min(MAX_STEP);
                    let moved_at = if s.feedbacks != old.feedbacks {
                        now
                    } else {
                        old.moved_at
                    };
                    let silent = s.feedbacks > 0 && now.saturating_sub(moved_at) >= OUTAGE_AFTER;
                    let time = self.pending.entry(s.classroom).or_default();
                    let ms = step.as_millis().min(u128::from(u64::MAX)) as u64;
                    if silent {
                        if !old.in_outage {
                            time.outages += 1;
                        }
                        time.outage_ms += ms;
                    } else {
                        *time.on(s.picture) += ms;
                    }
                    Seen {
                        feedbacks: s.feedbacks,
                        moved_at,
                        at: now,
                        in_outage: silent,
                    }
                }
            };
            next.insert(s.classroom, seen);
        }
        self.seen = next;
    }

    /// What accumulated, if [`FLUSH_EVERY`] passed since the last hand-over.
    pub fn due(&mut self, now: Duration) -> Vec<(ClassroomId, LinkTime)> {
        if now.saturating_sub(self.flushed_at) < FLUSH_EVERY {
            return Vec::new();
        }
        self.flushed_at = now;
        self.take()
    }

    /// Everything that accumulated (at the end of the lesson's media).
    pub fn take(&mut self) -> Vec<(ClassroomId, LinkTime)> {
        std::mem::take(&mut self.pending)
            .into_iter()
            .filter(|(_, t)| !t.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: ClassroomId = ClassroomId(7);

    fn at(secs: u64) -> Duration {
        Duration::from_secs(secs)
    }

    fn sample(feedbacks: u64, picture: Picture) -> LinkSample {
        LinkSample {
            classroom: ROOM,
            feedbacks,
            picture,
        }
    }

    fn total(clock: &mut LinkClock) -> LinkTime {
        let mut sum = LinkTime::default();
        for (room, t) in clock.take() {
            assert_eq!(room, ROOM);
            sum.add(&t);
        }
        sum
    }

    #[test]
    fn each_round_goes_to_the_picture_the_classroom_gets_then() {
        let mut clock = LinkClock::default();
        let pictures = [
            Picture::Layer(2),
            Picture::Layer(2),
            Picture::Layer(1),
            Picture::Layer(0),
            Picture::Paused,
            Picture::Paused,
            Picture::Layer(0),
        ];
        for (i, p) in pictures.into_iter().enumerate() {
            clock.observe(at(2 * i as u64), [sample(10 + i as u64, p)]);
        }
        // The first sample only starts the clock.
        assert_eq!(
            total(&mut clock),
            LinkTime {
                high_ms: 2_000,
                middle_ms: 2_000,
                low_ms: 4_000,
                audio_only_ms: 4_000,
                ..LinkTime::default()
            }
        );
    }

    #[test]
    fn silence_after_feedback_is_one_outage_until_feedback_returns() {
        let mut clock = LinkClock::default();
        let mut feedbacks = 1;
        for t in (0..=40).step_by(2) {
            // Silent from 10 s to 24 s.
            if !(10..24).contains(&t) {
                feedbacks += 1;
            }
            clock.observe(at(t), [sample(feedbacks, Picture::Whole)]);
        }
        let time = total(&mut clock);
        assert_eq!(time.outages, 1);
        // Noticed at 12 s (4 s after the last feedback at 8 s), over at 24 s.
        assert_eq!(time.outage_ms, 12_000);
        assert_eq!(time.whole_ms, 40_000 - 12_000);
        // A second silence is a second outage.
        for t in (42..=60).step_by(2) {
            clock.observe(at(t), [sample(feedbacks, Picture::Whole)]);
        }
        clock.observe(at(62), [sample(feedbacks + 1, Picture::Whole)]);
        assert_eq!(total(&mut clock).outages, 1);
    }

    #[test]
    fn a_classroom_that_never_had_feedback_is_not_in_an_outage() {
        let mut clock = LinkClock::default();
        for t in (0..20).step_by(2) {
            clock.observe(at(t), [sample(0, Picture::Whole)]);
        }
        let time = total(&mut clock);
        assert_eq!((time.outages, time.whole_ms), (0, 18_000));
    }

    #[test]
    fn a_stalled_timer_and_a_classroom_that_left_add_no_minutes() {
        let mut clock = LinkClock::default();
        clock.observe(at(0), [sample(1, Picture::Whole)]);
        clock.observe(at(600), [sample(2, Picture::Whole)]);
        assert_eq!(total(&mut clock).whole_ms, MAX_STEP.as_millis() as u64);
        // Gone for a round: its clock starts again when it is back.
        clock.observe(at(602), []);
        clock.observe(at(900), [sample(3, Picture::Whole)]);
        clock.observe(at(902), [sample(4, Picture::Whole)]);
        assert_eq!(total(&mut clock).whole_ms, 2_000);
    }

    #[test]
    fn what_accumulated_is_handed_over_every_ten_seconds_and_nothing_twice() {
        let mut clock = LinkClock::default();
        let mut handed = LinkTime::default();
        for t in (0..=60).step_by(2) {
            clock.observe(at(t), [sample(t + 1, Picture::Layer(1))]);
            let due = clock.due(at(t));
            assert!(due.is_empty() || t % 10 == 0, "handed over at {t} s");
            for (_, time) in due {
                handed.add(&time);
            }
        }
        for (_, time) in clock.take() {
            handed.add(&time);
        }
        assert_eq!(handed.middle_ms, 60_000);
        assert!(clock.take().is_empty());
    }
}
