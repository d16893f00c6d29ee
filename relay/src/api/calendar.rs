//! iCalendar feeds of a teacher's or a classroom's lessons, for phones and calendar apps.
//! `GET /api/calendar-links/{kind}/{id}` (signed in) gives the feed's address; the feed itself,
//! `GET /api/calendar/{kind}/{id}.ics?key=…`, needs no session (calendar apps have none) but a key
//! the relay signed for exactly that teacher or classroom.

use super::error::ApiError;
use super::extract::{ApiPath, ApiQuery};
use super::session::Staff;
use crate::accounts::permissions::{scope, Action, Scope};
use crate::auth::now_secs;
use crate::state::AppState;
use crate::store::timetable::LessonFilter;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use shared::ids::{ClassroomId, TeacherId};

/// Lessons from this long ago ...
const PAST_DAYS: i64 = 30;
/// ... to this far ahead are in a feed.
const AHEAD_DAYS: i64 = 200;

fn subject(kind: &str, id: u64) -> Result<Vec<u8>, ApiError> {
    match kind {
        "teacher" | "classroom" => Ok(format!("calendar:{kind}:{id}").into_bytes()),
        _ => Err(ApiError::NotFound(
            "calendars exist for a teacher or a classroom".into(),
        )),
    }
}

#[utoipa::path(
    get,
    path = "/calendar-links/{kind}/{id}",
    tag = "calendar",
    summary = "The address of a teacher's or classroom's iCalendar feed",
    description = "Who: bureau admin; a teacher for their own calendar; a school admin for its teachers and classrooms",
    params(("kind" = crate::api::schema::CalendarKind, Path, description = "Whose calendar"), ("id" = u64, Path, description = "The teacher or classroom")),
    responses(
        (status = 200, description = "The feed's address with its key", body = crate::api::schema::CalendarLink),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed", body = crate::api::schema::ErrorBody),
        (status = 404, description = "Neither teacher nor classroom", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn link(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath((kind, id)): ApiPath<(String, u64)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    staff.require(Action::ViewTimetable)?;
    let subject = subject(&kind, id)?;
    let allowed = match scope(staff.account.role) {
        Scope::Region => true,
        Scope::Teacher(me) => kind == "teacher" && me == TeacherId(id),
        Scope::School(mine) => {
            let school = if kind == "teacher" {
                state.store().teacher_school(TeacherId(id)).await?
            } else {
                state.store().classroom_school(ClassroomId(id)).await?
            };
            school == Some(mine)
        }
        Scope::Nothing => false,
    };
    if !allowed {
        return Err(ApiError::Forbidden(
            "your account may only see its own timetables".into(),
        ));
    }
    let key = state.signer().mac_hex(&subject);
    Ok(Json(
        json!({"url": format!("/api/calendar/{kind}/{id}.ics?key={key}")}),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Key {
    #[param(required = true, value_type = String)]
    /// The key from the feed's address.
    key: Option<String>,
}

#[utoipa::path(
    get,
    path = "/calendar/{kind}/{file}",
    tag = "calendar",
    summary = "An iCalendar feed (lessons from 30 days ago to 200 days ahead)",
    description = "Who: anyone with the key from its address (no session)",
    params(("kind" = crate::api::schema::CalendarKind, Path, description = "Whose calendar"), ("file" = String, Path, description = "The teacher's or classroom's id and `.ics`, like `12.ics`"), Key),
    responses(
        (status = 200, description = "The iCalendar feed", content_type = "text/calendar", body = String, headers(("cache-control" = String, description = "no-cache"))),
        (status = 403, description = "Wrong or missing key", body = crate::api::schema::ErrorBody),
        (status = 404, description = "Neither teacher nor classroom, or a file not named like 12.ics", body = crate::api::schema::ErrorBody),
    ),
    security(())
)]
pub async fn feed(
    State(state): State<AppState>,
    ApiPath((kind, file)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<Key>,
) -> Result<impl IntoResponse, ApiError> {
    let id: u64 = file
        .strip_suffix(".ics")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| ApiError::NotFound("a feed is named like 12.ics".into()))?;
    let data = subject(&kind, id)?;
    if !q
        .key
        .is_some_and(|k| state.signer().check_mac_hex(&data, &k))
    {
        return Err(ApiError::Forbidden(
            "this calendar needs the key from its link".into(),
        ));
    }
    let now = now_secs() as i64;
    let filter = if kind == "teacher" {
        LessonFilter {
            teacher: Some(TeacherId(id)),
            ..LessonFilter::default()
        }
    } else {
        LessonFilter {
            classroom: Some(ClassroomId(id)),
            ..LessonFilter::default()
        }
    };
    let mine = state
        .store()
        .lessons_matching(now - PAST_DAYS * 86_400, now + AHEAD_DAYS * 86_400, &filter)
        .await?;
    let name = if kind == "teacher" {
        format!("教师 {id} 的课表")
    } else {
        format!("教室 {id} 的课表")
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        crate::calendar::feed(&name, &mine, now),
    ))
}
