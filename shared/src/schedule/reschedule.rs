//! Changing a stored series "from this lesson on": the series' lessons are stored one row each
//! (with the date its rule gave them), so a new rule from a date on becomes moves of the stored
//! lessons, new lessons and cancelled ones. Stored lessons keep their ids (and what hangs on them,
//! like attendance and the board) wherever a new occurrence can take their place.

use super::series::{Exception, Occurrence, Series, SeriesError, WeeklyRule};
use super::slot::Slot;
use super::term::Term;
use crate::ids::{LessonId, SeriesId};
use std::collections::BTreeMap;
use time::Date;

/// A lesson of a series as stored: its id, the date the rule gave it, and when it is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredOccurrence {
    pub lesson: LessonId,
    pub date: Date,
    pub slot: Slot,
}

/// What to do to the stored lessons.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// A stored lesson takes the place of a new occurrence.
    pub moves: Vec<(LessonId, Occurrence)>,
    /// New occurrences no stored lesson could take.
    pub inserts: Vec<Occurrence>,
    /// Stored lessons left without an occurrence: cancelled.
    pub deletes: Vec<LessonId>,
}

impl Series {
    /// The series as its stored lessons show it: a rule date without a lesson was cancelled, a
    /// lesson held at another time than the rule says was moved.
    pub fn from_stored(
        id: SeriesId,
        rule: WeeklyRule,
        from: Date,
        until: Option<Date>,
        term: &Term,
        stored: &[StoredOccurrence],
    ) -> Result<Series, SeriesError> {
        let mut series = Series::new(id, rule, from)?;
        series.until = until;
        let held: BTreeMap<Date, Slot> = stored.iter().map(|s| (s.date, s.slot)).collect();
        let dates: Vec<Date> = series.dates(term).collect();
        for date in dates {
            let exception = match held.get(&date) {
                None => Exception::Cancelled,
                Some(slot) if *slot == Slot::on(date, rule.start, rule.end)? => continue,
                Some(slot) => Exception::Moved {
                    date: slot.date(),
                    start: time_of(slot.start),
                    end: time_of(slot.end),
                },
            };
            series.exceptions.insert(date, exception);
        }
        Ok(series)
    }
}

/// The Asia/Shanghai time of day of a unix time.
fn time_of(unix: i64) -> time::Time {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.to_offset(super::slot::SHANGHAI).time())
        .unwrap_or(time::Time::MIDNIGHT)
}

/// Matches stored lessons (`old`, from the changed date on) to the new occurrences: a stored
/// lesson of the same rule date first, then the rest in order, week by week.
pub fn plan(old: &[StoredOccurrence], new: &[Occurrence]) -> Plan {
    let mut plan = Plan::default();
    let mut old: Vec<StoredOccurrence> = old.to_vec();
    old.sort_by_key(|o| (o.date, o.lesson));
    let mut unmatched = Vec::new();
    for occurrence in new {
        match old.iter().position(|o| o.date == occurrence.date) {
            Some(i) => plan.moves.push((old.remove(i).lesson, *occurrence)),
            None => unmatched.push(*occurrence),
        }
    }
    let mut spare = old.into_iter();
    for occurrence in unmatched {
        match spare.next() {
            Some(o) => plan.moves.push((o.lesson, occurrence)),
            None => plan.inserts.push(occurrence),
        }
    }
    plan.deletes = spare.map(|o| o.lesson).collect();
    plan.moves.sort_by_key(|(_, o)| o.date);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, time};
    use time::Weekday;

    fn term() -> Term {
        Term::new(
            "秋季",
            date!(2026 - 09 - 01),
            date!(2026 - 10 - 31),
            vec![(date!(2026 - 10 - 01), date!(2026 - 10 - 07))],
        )
        .unwrap()
    }

    fn rule(weekday: Weekday, h: u8) -> WeeklyRule {
        WeeklyRule {
            weekday,
            start: time::Time::from_hms(h, 0, 0).unwrap(),
            end: time::Time::from_hms(h, 45, 0).unwrap(),
        }
    }

    /// The stored lessons of a fresh series, numbered from 1.
    fn stored(series: &Series, t: &Term) -> Vec<StoredOccurrence> {
        series
            .occurrences(t)
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, o)| StoredOccurrence {
                lesson: LessonId(i as u64 + 1),
                date: o.date,
                slot: o.slot,
            })
            .collect()
    }

    #[test]
    fn stored_lessons_give_back_the_series_with_its_changes() {
        let t = term();
        let tuesday = rule(Weekday::Tuesday, 10);
        let mut series = Series::new(SeriesId(1), tuesday, t.first).unwrap();
        series
            .change_one(&t, date!(2026 - 09 - 15), Exception::Cancelled)
            .unwrap();
        let moved = Exception::Moved {
            date: date!(2026 - 09 - 24),
            start: time!(14:00),
            end: time!(14:45),
        };
        series.change_one(&t, date!(2026 - 09 - 22), moved).unwrap();
        let rows = stored(&series, &t);
        let back = Series::from_stored(SeriesId(1), tuesday, t.first, None, &t, &rows).unwrap();
        assert_eq!(back, series);
    }

    #[test]
    fn a_new_time_on_the_same_weekday_keeps_every_lesson() {
        let t = term();
        let mut series = Series::new(SeriesId(1), rule(Weekday::Tuesday, 10), t.first).unwrap();
        let rows = stored(&series, &t);
        let from = date!(2026 - 09 - 22);
        let later = series
            .split_from(&t, from, SeriesId(2), rule(Weekday::Tuesday, 14))
            .unwrap();
        let old: Vec<_> = rows.iter().filter(|r| r.date >= from).copied().collect();
        let p = plan(&old, &later.occurrences(&t).unwrap());
        assert!(p.inserts.is_empty() && p.deletes.is_empty(), "{p:?}");
        assert_eq!(p.moves.len(), old.len());
        for ((lesson, occurrence), row) in p.moves.iter().zip(&old) {
            assert_eq!(*lesson, row.lesson);
            assert_eq!(occurrence.date, row.date);
            assert_eq!(occurrence.slot.start - row.slot.start, 4 * 3600);
        }
        // The earlier lessons are untouched: the old series now ends before the changed date.
        assert_eq!(series.occurrences(&t).unwrap().len(), 3);
    }

    #[test]
    fn a_new_weekday_moves_lessons_week_by_week_and_cancels_the_extra() {
        let t = term();
        // From 20 Oct: Tuesdays 20 and 27 Oct become Thursdays 22 and 29 Oct.
        let mut series = Series::new(SeriesId(1), rule(Weekday::Tuesday, 10), t.first).unwrap();
        let rows = stored(&series, &t);
        let from = date!(2026 - 10 - 20);
        let later = series
            .split_from(&t, from, SeriesId(2), rule(Weekday::Thursday, 8))
            .unwrap();
        let new = later.occurrences(&t).unwrap();
        let old: Vec<_> = rows.iter().filter(|r| r.date >= from).copied().collect();
        assert_eq!((old.len(), new.len()), (2, 2));
        let p = plan(&old, &new);
        assert_eq!(
            p.moves
                .iter()
                .map(|(l, o)| (l.0, o.date))
                .collect::<Vec<_>>(),
            vec![
                (old[0].lesson.0, date!(2026 - 10 - 22)),
                (old[1].lesson.0, date!(2026 - 10 - 29))
            ]
        );
        // Fewer occurrences than stored lessons: the extra ones are cancelled.
        let p = plan(&old, &new[..1]);
        assert_eq!(p.deletes, vec![old[1].lesson]);
        // More: new lessons.
        let p = plan(&old[..1], &new);
        assert_eq!(p.inserts, vec![new[1]]);
    }
}
