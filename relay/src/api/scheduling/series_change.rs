//! "This and the following ones" of a weekly series: from a date on, the series takes a new
//! weekday or period. The old series ends the day before; a new one takes over; the stored lessons
//! are moved in place by [`shared::schedule::reschedule::plan`] (keeping their ids, attendance and
//! board), lessons that no longer fit are cancelled and new ones added, every clash checked first.

use super::access::missing;
use super::clashes::conflict;
use super::revoke_links;
use crate::api::error::{field, ApiError};
use crate::api::session::Staff;
use crate::state::AppState;
use crate::store::timetable::{
    parse_date, parse_time, weekday_of, LessonRow, NewLesson, SeriesRow,
};
use serde::Deserialize;
use shared::ids::{LessonId, SeriesId};
use shared::schedule::reschedule::{plan, Plan};
use shared::schedule::series::SeriesError;
use shared::schedule::{
    Booking, Date, Series, Slot, StoredOccurrence, Term, Timetable, WeeklyRule,
};
use std::collections::BTreeSet;

/// The change a request asks for.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeBody {
    /// The date (as the series' rule gives it) of the first lesson to change.
    from: String,
    /// The new weekday, 1 = Monday ... 7 = Sunday (default: unchanged).
    #[schema(minimum = 1, maximum = 7)]
    weekday: Option<u8>,
    /// The new period (default: unchanged).
    start: Option<String>,
    end: Option<String>,
}

/// The first date to change and the rule from then on, or a 400 naming every problem.
pub fn new_rule(series: &SeriesRow, b: &ChangeBody) -> Result<(Date, WeeklyRule), ApiError> {
    let mut errors = Vec::new();
    let from = parse_date(&b.from);
    if from.is_none() {
        errors.push(field("from", "a date like 2026-09-01"));
    }
    let weekday = match b.weekday {
        None => Some(series.rule.weekday),
        Some(n) => weekday_of(i64::from(n)).or_else(|| {
            errors.push(field("weekday", "1 (Monday) to 7 (Sunday)"));
            None
        }),
    };
    let mut time = |given: &Option<String>, default, name: &'static str| match given {
        None => Some(default),
        Some(t) => parse_time(t).or_else(|| {
            errors.push(field(name, "a time like 08:00"));
            None
        }),
    };
    let start = time(&b.start, series.rule.start, "start");
    let end = time(&b.end, series.rule.end, "end");
    match (from, weekday, start, end) {
        (Some(from), Some(weekday), Some(start), Some(end)) => Ok((
            from,
            WeeklyRule {
                weekday,
                start,
                end,
            },
        )),
        _ => Err(ApiError::fields(errors)),
    }
}

/// The lesson "this" names (or the nearest one): who may change the series is checked on it.
pub fn lesson_from<'a>(
    staff: &Staff,
    series: SeriesId,
    rows: &'a [LessonRow],
    from: Date,
) -> Result<&'a LessonRow, ApiError> {
    rows.iter()
        .find(|r| r.occurrence.as_deref().and_then(parse_date) >= Some(from))
        .or(rows.last())
        .ok_or_else(|| missing(staff, format!("a lesson of series {series}")))
}

/// A series change worked out, not yet stored.
pub struct Planned {
    /// The stored lessons from `from` on that the old rule placed (the ones that change).
    old: Vec<StoredOccurrence>,
    steps: Plan,
    /// The moved lessons' new bookings, then the added lessons' (with placeholder ids).
    candidates: Vec<Booking>,
}

impl Planned {
    pub fn moved(&self) -> usize {
        self.steps.moves.len()
    }
    pub fn added(&self) -> usize {
        self.steps.inserts.len()
    }
    pub fn cancelled(&self) -> usize {
        self.steps.deletes.len()
    }
}

/// Works out which stored lessons move, which are cancelled and which are added when `series`
/// takes `rule` from `from` on. Every changed lesson must still be to come. `usual` is the
/// lesson new ones copy.
pub async fn plan_change(
    state: &AppState,
    series: &SeriesRow,
    term: &Term,
    rows: &[LessonRow],
    usual: &LessonRow,
    (from, rule): (Date, WeeklyRule),
) -> Result<Planned, ApiError> {
    let stored: Vec<StoredOccurrence> = rows.iter().filter_map(stored_occurrence).collect();
    let bad = |e: SeriesError| ApiError::fields(vec![field("from", &e.to_string())]);
    let mut whole = Series::from_stored(
        series.id,
        series.rule,
        series.from,
        series.until,
        term,
        &stored,
    )
    .map_err(bad)?;
    // Lessons whose rule date became a holiday after they were moved away from it stay as they
    // are: the new rule has no date for them.
    let rule_dates: BTreeSet<Date> = whole.dates(term).collect();
    let later = whole
        .split_from(term, from, SeriesId(0), rule)
        .map_err(bad)?;
    let occurrences = later.occurrences(term).map_err(bad)?;
    let old: Vec<StoredOccurrence> = stored
        .into_iter()
        .filter(|s| s.date >= from && rule_dates.contains(&s.date))
        .collect();
    let now = crate::auth::now_secs() as i64;
    for o in &old {
        if o.slot.start <= now || state.store().has_attendance(o.lesson).await? {
            return Err(ApiError::Conflict {
                message: format!(
                    "lesson {} has already started; change the series from a later lesson",
                    o.lesson
                ),
                clashes: vec![],
            });
        }
    }
    if occurrences.iter().any(|o| o.slot.start <= now) {
        return Err(ApiError::fields(vec![field(
            "from",
            "lessons can only be moved to times still to come",
        )]));
    }
    let steps = plan(&old, &occurrences);
    let mut candidates: Vec<Booking> = Vec::new();
    for (lesson, o) in &steps.moves {
        let row = rows
            .iter()
            .find(|r| r.id == *lesson)
            .ok_or(ApiError::Internal)?;
        candidates.push(Booking {
            slot: o.slot,
            ..row.booking()
        });
    }
    for (i, o) in steps.inserts.iter().enumerate() {
        candidates.push(Booking {
            lesson: LessonId(u64::MAX - i as u64),
            slot: o.slot,
            ..usual.booking()
        });
    }
    Ok(Planned {
        old,
        steps,
        candidates,
    })
}

fn stored_occurrence(r: &LessonRow) -> Option<StoredOccurrence> {
    Some(StoredOccurrence {
        lesson: r.id,
        date: parse_date(r.occurrence.as_deref()?)?,
        slot: Slot {
            start: r.starts_at,
            end: r.ends_at,
        },
    })
}

/// Books and stores `planned` under the locked `timetable`: the changed lessons leave their old
/// places first (so they never clash with themselves), then every new place is checked at once;
/// on a clash or a failed write the timetable is as it was. Returns the new series' id. The
/// moved lessons' join links are revoked.
pub async fn apply(
    state: &AppState,
    staff: &Staff,
    mut timetable: tokio::sync::MutexGuard<'_, Timetable>,
    series: &SeriesRow,
    (from, rule): (Date, WeeklyRule),
    usual: &LessonRow,
    planned: Planned,
) -> Result<SeriesId, ApiError> {
    let unbooked: Vec<Booking> = planned
        .old
        .iter()
        .filter_map(|o| timetable.unbook(o.lesson))
        .collect();
    let restore = |timetable: &mut Timetable| {
        for b in &unbooked {
            timetable.insert_unchecked(b.clone());
        }
    };
    let clashes = timetable.clashes_all(&planned.candidates);
    if !clashes.is_empty() {
        restore(&mut timetable);
        drop(timetable);
        return Err(conflict(state, staff, clashes).await);
    }
    let new_row = SeriesRow {
        id: SeriesId(0),
        term: series.term,
        rule,
        from,
        until: series.until,
    };
    let template = NewLesson {
        title: usual.title.clone(),
        subject: usual.subject.clone(),
        teacher: usual.teacher,
        master: usual.master_classroom,
        remotes: usual.classrooms.clone(),
        slot: Slot {
            start: usual.starts_at,
            end: usual.ends_at,
        },
        series: None,
    };
    let (new_id, added) = match state
        .store()
        .split_series(series.id, &new_row, &planned.steps, &template)
        .await
    {
        Ok(done) => done,
        Err(e) => {
            restore(&mut timetable);
            return Err(e.into());
        }
    };
    let placeholders = planned.steps.moves.len();
    for (i, booking) in planned.candidates.into_iter().enumerate() {
        let lesson = match i.checked_sub(placeholders) {
            None => booking.lesson,
            Some(k) => *added.get(k).ok_or(ApiError::Internal)?,
        };
        timetable.insert_unchecked(Booking { lesson, ..booking });
    }
    drop(timetable);
    // Links handed out for the old times no longer fit: the moved lessons get new ones.
    for (lesson, _) in &planned.steps.moves {
        revoke_links(state, *lesson).await?;
    }
    Ok(new_id)
}

/// The series' usual lesson: the most common teacher, classrooms and title among its lessons
/// (the earliest such lesson on a tie).
pub fn usual_lesson(rows: &[LessonRow]) -> Option<&LessonRow> {
    let what = |r: &LessonRow| {
        (
            r.teacher,
            r.master_classroom,
            r.classrooms.clone(),
            r.title.clone(),
        )
    };
    rows.iter().max_by_key(|r| {
        let same = rows.iter().filter(|o| what(o) == what(r)).count();
        (same, std::cmp::Reverse(r.starts_at))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::{ClassroomId, TeacherId};

    fn row(id: u64, teacher: u64, starts_at: i64) -> LessonRow {
        LessonRow {
            id: LessonId(id),
            title: "数学".into(),
            subject: String::new(),
            teacher: TeacherId(teacher),
            master_classroom: ClassroomId(1),
            classrooms: vec![ClassroomId(2)],
            starts_at,
            ends_at: starts_at + 2700,
            series: Some(SeriesId(1)),
            occurrence: None,
        }
    }

    #[test]
    fn the_usual_lesson_is_not_a_one_off_substitute() {
        let rows = [
            row(1, 9, 100),
            row(2, 1, 200),
            row(3, 1, 300),
            row(4, 2, 400),
        ];
        assert_eq!(usual_lesson(&rows).map(|r| r.id), Some(LessonId(2)));
        assert_eq!(usual_lesson(&[]).map(|r| r.id), None);
    }
}
