//! A weekly series of lessons within a term (every Tuesday, 3rd period), with occurrences changed
//! or cancelled one by one, or "this and the following ones" split off as a new series.

use super::slot::{Slot, SlotError};
use super::term::Term;
use crate::ids::SeriesId;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;
use time::{Date, Time, Weekday};

/// The weekday and period of a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyRule {
    pub weekday: Weekday,
    pub start: Time,
    pub end: Time,
}

/// What happened to one occurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Exception {
    Cancelled,
    /// Held on another day or at another time.
    Moved {
        date: Date,
        start: Time,
        end: Time,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    pub id: SeriesId,
    pub rule: WeeklyRule,
    /// The first day the rule applies (inclusive).
    pub from: Date,
    /// The last day it applies (inclusive); `None`: to the end of the term.
    pub until: Option<Date>,
    /// Changed occurrences, by the date the rule gives them.
    pub exceptions: BTreeMap<Date, Exception>,
}

/// One lesson of a series: the date the rule gives it, and when it is actually held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub date: Date,
    pub slot: Slot,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum SeriesError {
    #[error("{0} is not a lesson of this series")]
    NotAnOccurrence(Date),
    #[error("{0} is outside the term")]
    OutsideTerm(Date),
    #[error(transparent)]
    Slot(#[from] SlotError),
}

impl Series {
    /// A series from `from` to the end of the term; the period must be a valid lesson slot.
    pub fn new(id: SeriesId, rule: WeeklyRule, from: Date) -> Result<Series, SeriesError> {
        Slot::on(from, rule.start, rule.end)?;
        Ok(Series {
            id,
            rule,
            from,
            until: None,
            exceptions: BTreeMap::new(),
        })
    }

    /// The dates the rule gives, school days only.
    pub fn dates<'a>(&'a self, term: &'a Term) -> impl Iterator<Item = Date> + 'a {
        term.weekdays_from(self.rule.weekday, self.from)
            .take_while(move |d| self.until.is_none_or(|u| *d <= u))
    }

    /// Every lesson of the series in the term, moved ones where they moved, cancelled ones left out.
    pub fn occurrences(&self, term: &Term) -> Result<Vec<Occurrence>, SeriesError> {
        let mut out = Vec::new();
        for date in self.dates(term) {
            let slot = match self.exceptions.get(&date) {
                None => Slot::on(date, self.rule.start, self.rule.end)?,
                Some(Exception::Cancelled) => continue,
                Some(Exception::Moved {
                    date: to,
                    start,
                    end,
                }) => Slot::on(*to, *start, *end)?,
            };
            out.push(Occurrence { date, slot });
        }
        Ok(out)
    }

    /// Changes one occurrence (named by the date the rule gives it).
    pub fn change_one(
        &mut self,
        term: &Term,
        date: Date,
        exception: Exception,
    ) -> Result<(), SeriesError> {
        if !self.dates(term).any(|d| d == date) {
            return Err(SeriesError::NotAnOccurrence(date));
        }
        if let Exception::Moved {
            date: to,
            start,
            end,
        } = exception
        {
            if !term.contains(to) {
                return Err(SeriesError::OutsideTerm(to));
            }
            Slot::on(to, start, end)?;
        }
        self.exceptions.insert(date, exception);
        Ok(())
    }

    /// "This and the following ones": this series now ends the day before `date`; the returned
    /// series (with `id` and `rule`) takes over from `date`. Changes from `date` on move with it.
    pub fn split_from(
        &mut self,
        term: &Term,
        date: Date,
        id: SeriesId,
        rule: WeeklyRule,
    ) -> Result<Series, SeriesError> {
        if !self.dates(term).any(|d| d == date) {
            return Err(SeriesError::NotAnOccurrence(date));
        }
        Slot::on(date, rule.start, rule.end)?;
        let later = self.exceptions.split_off(&date);
        let until = self.until;
        self.until = date.previous_day();
        // Exceptions keyed by the old rule's dates only apply if the new rule keeps them.
        let exceptions = if rule.weekday == self.rule.weekday {
            later
        } else {
            BTreeMap::new()
        };
        Ok(Series {
            id,
            rule,
            from: date,
            until,
            exceptions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, time};

    fn term() -> Term {
        Term::new(
            "秋季",
            date!(2026 - 09 - 01),
            date!(2026 - 10 - 31),
            vec![(date!(2026 - 10 - 01), date!(2026 - 10 - 07))],
        )
        .unwrap()
    }

    fn tuesday_third() -> WeeklyRule {
        WeeklyRule {
            weekday: Weekday::Tuesday,
            start: time!(10:00),
            end: time!(10:45),
        }
    }

    #[test]
    fn a_series_skips_holidays() {
        let s = Series::new(SeriesId(1), tuesday_third(), date!(2026 - 09 - 01)).unwrap();
        let dates: Vec<Date> = s
            .occurrences(&term())
            .unwrap()
            .iter()
            .map(|o| o.date)
            .collect();
        assert_eq!(dates.first(), Some(&date!(2026 - 09 - 01)));
        assert!(!dates.contains(&date!(2026 - 10 - 06)));
        assert_eq!(dates.len(), 8);
    }

    #[test]
    fn one_occurrence_moves_or_is_cancelled() {
        let t = term();
        let mut s = Series::new(SeriesId(1), tuesday_third(), t.first).unwrap();
        let moved = Exception::Moved {
            date: date!(2026 - 09 - 10),
            start: time!(14:00),
            end: time!(14:45),
        };
        s.change_one(&t, date!(2026 - 09 - 08), moved).unwrap();
        s.change_one(&t, date!(2026 - 09 - 15), Exception::Cancelled)
            .unwrap();
        let occ = s.occurrences(&t).unwrap();
        assert_eq!(occ.len(), 7);
        let second = occ[1];
        assert_eq!(second.date, date!(2026 - 09 - 08));
        assert_eq!(
            second.slot,
            Slot::on(date!(2026 - 09 - 10), time!(14:00), time!(14:45)).unwrap()
        );
        assert_eq!(
            s.change_one(&t, date!(2026 - 09 - 09), Exception::Cancelled),
            Err(SeriesError::NotAnOccurrence(date!(2026 - 09 - 09)))
        );
        let outside = Exception::Moved {
            date: date!(2026 - 12 - 01),
            start: time!(8:00),
            end: time!(8:45),
        };
        assert_eq!(
            s.change_one(&t, date!(2026 - 09 - 22), outside),
            Err(SeriesError::OutsideTerm(date!(2026 - 12 - 01)))
        );
    }

    #[test]
    fn this_and_the_following_ones_split_off() {
        let t = term();
        let mut s = Series::new(SeriesId(1), tuesday_third(), t.first).unwrap();
        s.change_one(&t, date!(2026 - 10 - 13), Exception::Cancelled)
            .unwrap();
        let thursday = WeeklyRule {
            weekday: Weekday::Thursday,
            start: time!(8:00),
            end: time!(8:45),
        };
        let later = s
            .split_from(&t, date!(2026 - 09 - 22), SeriesId(2), thursday)
            .unwrap();
        let before: Vec<Date> = s.occurrences(&t).unwrap().iter().map(|o| o.date).collect();
        assert_eq!(
            before,
            vec![
                date!(2026 - 09 - 01),
                date!(2026 - 09 - 08),
                date!(2026 - 09 - 15)
            ]
        );
        let after = later.occurrences(&t).unwrap();
        assert_eq!(after[0].date, date!(2026 - 09 - 24));
        assert!(after.iter().all(|o| o.date.weekday() == Weekday::Thursday));
        assert_eq!(after.len(), 5, "24 Sep to 29 Oct, without the holiday week");
    }
}
