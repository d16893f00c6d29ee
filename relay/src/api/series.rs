//! `/api/series`: weekly series of lessons. Creating one books every occurrence in the term at
//! once; changing one "from this lesson on" stores a new series from that date and moves, adds or
//! cancels the stored lessons by [`shared::schedule::reschedule::plan`], all checked for clashes
//! first. (Changing only one lesson of a series is `PATCH /api/lessons/{id}`.)

use super::error::ApiError;
use super::extract::ApiPath;
use super::lessons::{scheduling_school, visible_lesson};
use super::session::Staff;
use super::timetable::{booking, check_basics, conflict, field};
use crate::accounts::permissions::Action;
use crate::state::AppState;
use crate::store::timetable::{
    parse_date, parse_time, weekday_of, LessonRow, NewLesson, SeriesRow,
};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use shared::ids::{LessonId, SeriesId};
use shared::schedule::reschedule::plan;
use shared::schedule::{Booking, Date, Series, Slot, StoredOccurrence, WeeklyRule};
use std::collections::BTreeSet;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewSeriesBody {
    term: i64,
    /// 1 = Monday ... 7 = Sunday.
    weekday: u8,
    start: String,
    end: String,
    /// First day (default: the term's first day).
    from: Option<String>,
    title: String,
    #[serde(default)]
    subject: String,
    teacher: u64,
    master_classroom: u64,
    classrooms: Vec<u64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedSeries {
    #[schema(value_type = u64)]
    series: SeriesId,
    #[schema(value_type = Vec<u64>)]
    lessons: Vec<LessonId>,
}

/// `POST /api/series`: a weekly series in a term, every occurrence checked for clashes at once.
#[utoipa::path(
    post,
    path = "/series",
    tag = "series",
    summary = "Schedule a weekly series in a term (holidays skipped; all or nothing)",
    description = "Who: bureau admin, the master classroom's school admin",
    request_body = NewSeriesBody,
    responses(
        (status = 201, description = "The series and its lesson ids", body = CreatedSeries),
        (status = 409, description = "Clashes with scheduled lessons, all named", body = crate::api::schema::ErrorBody),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Json<NewSeriesBody>, JsonRejection>,
) -> Result<(StatusCode, Json<CreatedSeries>), ApiError> {
    staff.require(Action::ViewTimetable)?;
    let Json(b) = body?;
    let mut errors = Vec::new();
    let term = state.store().term(b.term).await?;
    if term.is_none() {
        errors.push(field("term", "no such term"));
    }
    let weekday = weekday_of(i64::from(b.weekday));
    if weekday.is_none() {
        errors.push(field("weekday", "1 (Monday) to 7 (Sunday)"));
    }
    let (start, end) = (parse_time(&b.start), parse_time(&b.end));
    if start.is_none() {
        errors.push(field("start", "a time like 08:00"));
    }
    if end.is_none() {
        errors.push(field("end", "a time like 08:45"));
    }
    let from = match &b.from {
        Some(f) => parse_date(f).or_else(|| {
            errors.push(field("from", "a date like 2026-09-01"));
            None
        }),
        None => term.as_ref().map(|t| t.first),
    };
    let basics = check_basics(
        &state,
        b.title,
        b.subject,
        b.teacher,
        b.master_classroom,
        b.classrooms,
        &mut errors,
    )
    .await?;
    let (Some(term), Some(weekday), Some(start), Some(end), Some(from), Some(basics)) =
        (term, weekday, start, end, from, basics)
    else {
        return Err(ApiError::fields(errors));
    };
    staff.require(Action::Schedule(basics.master_school))?;
    let rule = WeeklyRule {
        weekday,
        start,
        end,
    };
    let series = Series::new(SeriesId(0), rule, from)
        .map_err(|e| ApiError::fields(vec![field("end", &e.to_string())]))?;
    let occurrences = series
        .occurrences(&term)
        .map_err(|e| ApiError::fields(vec![field("end", &e.to_string())]))?;
    if occurrences.is_empty() {
        return Err(ApiError::fields(vec![field(
            "weekday",
            "no school day of the term falls on this weekday",
        )]));
    }
    let lock = state.timetable().await?;
    let mut timetable = lock.lock().await;
    // Check all occurrences at once (numbered from the top so they never match a stored lesson).
    let candidates: Vec<Booking> = occurrences
        .iter()
        .enumerate()
        .map(|(i, o)| booking(LessonId(u64::MAX - i as u64), o.slot, &basics))
        .collect();
    let clashes = timetable.clashes_all(&candidates);
    if !clashes.is_empty() {
        drop(timetable);
        return Err(conflict(&state, &staff, clashes).await);
    }
    let lessons: Vec<_> = occurrences
        .iter()
        .map(|o| (o.date, basics.lesson_at(o.slot)))
        .collect();
    let (series_id, ids) = state
        .store()
        .insert_series(b.term, &rule, from, &lessons)
        .await?;
    for (id, o) in ids.iter().zip(&occurrences) {
        timetable.insert_unchecked(booking(*id, o.slot, &basics));
    }
    Ok((
        StatusCode::CREATED,
        Json(CreatedSeries {
            series: series_id,
            lessons: ids,
        }),
    ))
}

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

#[derive(Serialize, utoipa::ToSchema)]
pub struct ChangedSeries {
    /// The series that now holds the changed lessons.
    #[schema(value_type = u64)]
    series: SeriesId,
    /// Its lessons, in time order.
    #[schema(value_type = Vec<u64>)]
    lessons: Vec<LessonId>,
    /// Stored lessons that were moved (they keep their ids; their join links are revoked).
    moved: usize,
    added: usize,
    cancelled: usize,
}

/// `PATCH /api/series/{id}`: "this and the following ones" from `from` take the new weekday or
/// period. Every changed lesson must still be to come; clashes are refused with 409.
#[utoipa::path(
    patch,
    path = "/series/{id}",
    tag = "series",
    summary = "Change this and the following lessons of a series: from a date on, a new weekday and/or period",
    description = "Who: bureau admin, the master classroom's school admin. Stored lessons are moved (keeping their ids; their join links are revoked), added or cancelled; every changed lesson must still be to come.",
    params(("id" = u64, Path, description = "The series")),
    request_body = ChangeBody,
    responses(
        (status = 200, description = "Changed", body = ChangedSeries),
        (status = 409, description = "Clashes (all named), or a lesson from that date has started", body = crate::api::schema::ErrorBody),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
        (status = 404, description = "No such series", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn change(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<u64>,
    body: Result<Json<ChangeBody>, JsonRejection>,
) -> Result<Json<ChangedSeries>, ApiError> {
    staff.require(Action::ViewTimetable)?;
    // The lock first: what is read below is what is changed (no other change in between).
    let lock = state.timetable().await?;
    let mut timetable = lock.lock().await;
    let id = SeriesId(id);
    let series = state
        .store()
        .series(id)
        .await?
        .ok_or_else(|| super::lessons::missing(&staff, format!("series {id}")))?;
    let rows = state.store().series_lessons(id).await?;
    let Json(b) = body?;
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
    let (Some(from), Some(weekday), Some(start), Some(end)) = (from, weekday, start, end) else {
        return Err(ApiError::fields(errors));
    };
    // The lesson "this" names (or the nearest one), to check who may change the series.
    let template = rows
        .iter()
        .find(|r| r.occurrence.as_deref().and_then(parse_date) >= Some(from))
        .or(rows.last())
        .ok_or_else(|| super::lessons::missing(&staff, format!("a lesson of series {id}")))?;
    let template = visible_lesson(&state, &staff, template.id).await?;
    staff.require(Action::Schedule(
        scheduling_school(&state, &template).await?,
    ))?;
    let term = state
        .store()
        .term(series.term)
        .await?
        .ok_or(ApiError::Internal)?;
    let stored: Vec<StoredOccurrence> = rows
        .iter()
        .filter_map(|r| {
            Some(StoredOccurrence {
                lesson: r.id,
                date: parse_date(r.occurrence.as_deref()?)?,
                slot: Slot {
                    start: r.starts_at,
                    end: r.ends_at,
                },
            })
        })
        .collect();
    let bad = |e: shared::schedule::series::SeriesError| {
        ApiError::fields(vec![field("from", &e.to_string())])
    };
    let mut whole = Series::from_stored(id, series.rule, series.from, series.until, &term, &stored)
        .map_err(bad)?;
    // Lessons whose rule date became a holiday after they were moved away from it stay as they
    // are: the new rule has no date for them.
    let rule_dates: BTreeSet<Date> = whole.dates(&term).collect();
    let rule = WeeklyRule {
        weekday,
        start,
        end,
    };
    let later = whole
        .split_from(&term, from, SeriesId(0), rule)
        .map_err(bad)?;
    let occurrences = later.occurrences(&term).map_err(bad)?;
    let now = crate::auth::now_secs() as i64;
    let old: Vec<StoredOccurrence> = stored
        .into_iter()
        .filter(|s| s.date >= from && rule_dates.contains(&s.date))
        .collect();
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
    // New lessons copy the series' usual lesson, not a one-off change (a substitute teacher) to
    // the lesson the change starts from.
    let usual = usual_lesson(&rows).unwrap_or(&template);
    let by_id = |l: LessonId| rows.iter().find(|r| r.id == l);
    let mut candidates: Vec<Booking> = Vec::new();
    for (lesson, o) in &steps.moves {
        let row = by_id(*lesson).ok_or(ApiError::Internal)?;
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
    // The changed lessons leave their old places first, so they never clash with themselves.
    let unbooked: Vec<Booking> = old
        .iter()
        .filter_map(|o| timetable.unbook(o.lesson))
        .collect();
    let restore = |timetable: &mut shared::schedule::Timetable| {
        for b in &unbooked {
            timetable.insert_unchecked(b.clone());
        }
    };
    let clashes = timetable.clashes_all(&candidates);
    if !clashes.is_empty() {
        restore(&mut timetable);
        drop(timetable);
        return Err(conflict(&state, &staff, clashes).await);
    }
    let new_row = SeriesRow {
        id: SeriesId(0),
        term: series.term,
        rule,
        from,
        until: series.until,
    };
    let template_lesson = NewLesson {
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
        .split_series(id, &new_row, &steps, &template_lesson)
        .await
    {
        Ok(done) => done,
        Err(e) => {
            restore(&mut timetable);
            return Err(e.into());
        }
    };
    let placeholders = steps.moves.len();
    for (i, booking) in candidates.into_iter().enumerate() {
        let lesson = match i.checked_sub(placeholders) {
            None => booking.lesson,
            Some(k) => *added.get(k).ok_or(ApiError::Internal)?,
        };
        timetable.insert_unchecked(Booking { lesson, ..booking });
    }
    drop(timetable);
    // Links handed out for the old times no longer fit: the moved lessons get new ones.
    for (lesson, _) in &steps.moves {
        super::links::revoke_all(&state, *lesson).await?;
    }
    let lessons = state
        .store()
        .series_lessons(new_id)
        .await?
        .iter()
        .map(|r| r.id)
        .collect();
    Ok(Json(ChangedSeries {
        series: new_id,
        lessons,
        moved: steps.moves.len(),
        added: steps.inserts.len(),
        cancelled: steps.deletes.len(),
    }))
}

/// The series' usual lesson: the most common teacher, classrooms and title among its lessons
/// (the earliest such lesson on a tie).
fn usual_lesson(rows: &[LessonRow]) -> Option<&LessonRow> {
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
