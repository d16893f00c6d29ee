//! Timetable rules for the bureau: terms with holidays, weekly lesson series, and clash checks.
//! Plain types, no IO, no clock; the relay stores them and the console shows clashes with the
//! same rules.
//!
//! - [`slot`]: a [`Slot`] of time, built from a date and times in Asia/Shanghai (UTC+8, no DST).
//! - [`term`]: a [`Term`] with its holidays: which days are school days.
//! - [`series`]: a weekly [`Series`] within a term, with changed or cancelled occurrences.
//! - [`reschedule`]: a change to a stored series "from this lesson on" as a [`Plan`] of moves,
//!   new lessons and cancellations.
//! - [`timetable`]: the [`Timetable`] of booked lessons and the clash check.

pub mod reschedule;
pub mod series;
pub mod slot;
pub mod term;
pub mod timetable;

pub use reschedule::{Plan, StoredOccurrence};
pub use series::{Exception, Occurrence, Series, WeeklyRule};
pub use slot::{Slot, SlotError};
pub use term::Term;
pub use time::{Date, Month, Time, Weekday};
pub use timetable::{Booking, Clash, Resource, Timetable};
