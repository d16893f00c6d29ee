//! A school term: its first and last day and its holidays.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Date, Weekday};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Term {
    pub name: String,
    /// First day of the term.
    pub first: Date,
    /// Last day of the term (inclusive).
    pub last: Date,
    /// Holidays as inclusive date ranges (national holidays, 那达慕 breaks, ...).
    pub holidays: Vec<(Date, Date)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum TermError {
    #[error("the term ends before it starts")]
    EndsBeforeStart,
    #[error("a term may last at most 366 days")]
    TooLong,
    #[error("holiday {0} to {1} ends before it starts")]
    BadHoliday(Date, Date),
}

impl Term {
    pub fn new(
        name: &str,
        first: Date,
        last: Date,
        holidays: Vec<(Date, Date)>,
    ) -> Result<Term, TermError> {
        if last < first {
            return Err(TermError::EndsBeforeStart);
        }
        if (last - first).whole_days() > 366 {
            return Err(TermError::TooLong);
        }
        if let Some((a, b)) = holidays.iter().find(|(a, b)| b < a) {
            return Err(TermError::BadHoliday(*a, *b));
        }
        Ok(Term {
            name: name.to_string(),
            first,
            last,
            holidays,
        })
    }

    pub fn contains(&self, day: Date) -> bool {
        self.first <= day && day <= self.last
    }

    pub fn is_holiday(&self, day: Date) -> bool {
        self.holidays.iter().any(|(a, b)| *a <= day && day <= *b)
    }

    /// Whether lessons can be held on `day`: in the term and not a holiday.
    pub fn is_school_day(&self, day: Date) -> bool {
        self.contains(day) && !self.is_holiday(day)
    }

    /// Every `weekday` from `from` (inclusive) to the end of the term that is a school day.
    pub fn weekdays_from(&self, weekday: Weekday, from: Date) -> impl Iterator<Item = Date> + '_ {
        let start = from.max(self.first);
        let ahead = (i16::from(weekday.number_days_from_monday())
            - i16::from(start.weekday().number_days_from_monday()))
        .rem_euclid(7);
        let first = start.checked_add(time::Duration::days(i64::from(ahead)));
        std::iter::successors(first, |d| d.checked_add(time::Duration::days(7)))
            .take_while(|d| *d <= self.last)
            .filter(|d| !self.is_holiday(*d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn mondays_of_a_term_skip_holidays() {
        let term = Term::new(
            "2026 秋季学期",
            date!(2026 - 09 - 01),
            date!(2026 - 10 - 31),
            vec![(date!(2026 - 10 - 01), date!(2026 - 10 - 07))],
        )
        .unwrap();
        let mondays: Vec<Date> = term.weekdays_from(Weekday::Monday, term.first).collect();
        assert_eq!(mondays.first(), Some(&date!(2026 - 09 - 07)));
        assert!(
            !mondays.contains(&date!(2026 - 10 - 05)),
            "National Day week is a holiday"
        );
        assert!(mondays.contains(&date!(2026 - 10 - 12)));
        assert_eq!(mondays.last(), Some(&date!(2026 - 10 - 26)));
        assert_eq!(mondays.len(), 7);
    }

    #[test]
    fn bad_terms_are_refused() {
        assert_eq!(
            Term::new("x", date!(2026 - 09 - 01), date!(2026 - 08 - 01), vec![]),
            Err(TermError::EndsBeforeStart)
        );
        let h = (date!(2026 - 09 - 05), date!(2026 - 09 - 04));
        assert_eq!(
            Term::new("x", date!(2026 - 09 - 01), date!(2026 - 12 - 01), vec![h]),
            Err(TermError::BadHoliday(h.0, h.1))
        );
    }
}
