//! A span of time as unix seconds, made from civil dates and times in Asia/Shanghai.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Date, PrimitiveDateTime, Time, UtcOffset};

/// Asia/Shanghai: UTC+8 all year (China has no daylight saving time).
pub const SHANGHAI: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// `[start, end)` in unix seconds. A lesson ending at 9:00 and one starting at 9:00 do not overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Slot {
    pub start: i64,
    pub end: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum SlotError {
    #[error("a lesson must end after it starts")]
    EndsBeforeStart,
    #[error("a lesson may last at most {0} hours")]
    TooLong(i64),
}

/// Longest lesson (a double period with a break fits easily).
pub const MAX_HOURS: i64 = 6;

impl Slot {
    pub fn new(start: i64, end: i64) -> Result<Slot, SlotError> {
        if end <= start {
            return Err(SlotError::EndsBeforeStart);
        }
        if end - start > MAX_HOURS * 3600 {
            return Err(SlotError::TooLong(MAX_HOURS));
        }
        Ok(Slot { start, end })
    }

    /// The slot on `date` from `start` to `end`, Asia/Shanghai time.
    pub fn on(date: Date, start: Time, end: Time) -> Result<Slot, SlotError> {
        let at = |t: Time| {
            PrimitiveDateTime::new(date, t)
                .assume_offset(SHANGHAI)
                .unix_timestamp()
        };
        Slot::new(at(start), at(end))
    }

    /// Unix seconds at the start of `date`, Asia/Shanghai.
    pub fn midnight(date: Date) -> i64 {
        PrimitiveDateTime::new(date, Time::MIDNIGHT)
            .assume_offset(SHANGHAI)
            .unix_timestamp()
    }

    /// Whether the two share any moment (touching ends do not).
    pub fn overlaps(self, other: Slot) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// The Asia/Shanghai date the slot starts on.
    pub fn date(self) -> Date {
        time::OffsetDateTime::from_unix_timestamp(self.start)
            .map(|t| t.to_offset(SHANGHAI).date())
            .unwrap_or(Date::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, time};

    #[test]
    fn shanghai_time_is_utc_plus_eight() {
        let s = Slot::on(date!(2026 - 09 - 01), time!(8:00), time!(8:45)).unwrap();
        // 2026-09-01 00:00 UTC is 1788220800.
        assert_eq!(s.start, 1_788_220_800);
        assert_eq!(s.end - s.start, 45 * 60);
        assert_eq!(s.date(), date!(2026 - 09 - 01));
    }

    #[test]
    fn touching_slots_do_not_overlap() {
        let a = Slot::new(0, 100).unwrap();
        assert!(!a.overlaps(Slot::new(100, 200).unwrap()));
        assert!(a.overlaps(Slot::new(99, 200).unwrap()));
        assert!(a.overlaps(Slot::new(10, 20).unwrap()));
        assert_eq!(Slot::new(5, 5), Err(SlotError::EndsBeforeStart));
        assert_eq!(Slot::new(0, 7 * 3600), Err(SlotError::TooLong(MAX_HOURS)));
    }
}
