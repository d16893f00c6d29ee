//! `/api/series`: weekly series of lessons. Creating one books every occurrence in the term at
//! once; changing one "from this lesson on" is [`scheduling::series_change`]. (Changing only one
//! lesson of a series is `PATCH /api/lessons/{id}`.)

use super::error::{field, ApiError};
use super::extract::ApiPath;
use super::scheduling::access::{missing, schedulable_lesson};
use super::scheduling::basics::{check_basics, BasicsFields};
use super::scheduling::new_lessons::book_series;
use super::scheduling::series_change::{self, usual_lesson, ChangeBody};
use super::session::Staff;
use crate::accounts::permissions::Action;
use crate::state::AppState;
use crate::store::timetable::{parse_date, parse_time, weekday_of};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use shared::ids::{LessonId, SeriesId};
use shared::schedule::WeeklyRule;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewSeriesBody {
    term: i64,
    /// 1 = Monday ... 7 = Sunday.
    weekday: u8,
    start: String,
    end: String,
    /// First day (default: the term's first day).
    from: Option<String>,
    /// Title, subject, teacher, master and remote classrooms.
    #[serde(flatten)]
    basics: BasicsFields,
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
    let basics = check_basics(&state, b.basics, &mut errors).await?;
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
    let (series, lessons) =
        book_series(&state, &staff, (b.term, &term), rule, from, &basics).await?;
    Ok((StatusCode::CREATED, Json(CreatedSeries { series, lessons })))
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
    let timetable = lock.lock().await;
    let id = SeriesId(id);
    let series = state
        .store()
        .series(id)
        .await?
        .ok_or_else(|| missing(&staff, format!("series {id}")))?;
    let rows = state.store().series_lessons(id).await?;
    let Json(b) = body?;
    let (from, rule) = series_change::new_rule(&series, &b)?;
    let this = series_change::lesson_from(&staff, id, &rows, from)?;
    let this = schedulable_lesson(&state, &staff, this.id).await?;
    let term = state
        .store()
        .term(series.term)
        .await?
        .ok_or(ApiError::Internal)?;
    // New lessons copy the series' usual lesson, not a one-off change (a substitute teacher) to
    // the lesson the change starts from.
    let usual = usual_lesson(&rows).unwrap_or(&this);
    let planned =
        series_change::plan_change(&state, &series, &term, &rows, usual, (from, rule)).await?;
    let (moved, added, cancelled) = (planned.moved(), planned.added(), planned.cancelled());
    let new_id = series_change::apply(
        &state,
        &staff,
        timetable,
        &series,
        (from, rule),
        usual,
        planned,
    )
    .await?;
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
        moved,
        added,
        cancelled,
    }))
}
