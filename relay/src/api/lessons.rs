//! `/api/lessons`: listing (filtered, and cut to what the account may see), reading, changing and
//! cancelling one lesson. Creating lessons is in [`super::timetable`]; a change is checked against
//! the in-memory timetable under its lock, and a clash is a 409 naming every clashing lesson.

use super::error::{check_name, field, ApiError};
use super::extract::{ApiPath, ApiQuery};
use super::scheduling::access::{require_not_started, schedulable_lesson, visible_lesson};
use super::scheduling::lesson_change::{self, Change};
use super::scheduling::revoke_links;
use super::session::Staff;
use crate::accounts::permissions::{scope, Action, Scope};
use crate::state::AppState;
use crate::store::timetable::{parse_date, LessonFilter, LessonRow};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use shared::ids::{ClassroomId, LessonId, SchoolId, TeacherId};
use shared::schedule::{Resource, Slot};
use std::collections::BTreeSet;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// First day, `YYYY-MM-DD`.
    from: String,
    /// The day after the last, `YYYY-MM-DD` (at most 93 days after `from`).
    to: String,
    /// Only lessons a classroom of this school takes part in
    school: Option<u64>,
    /// Only lessons a classroom of a school in this county (旗縣) takes part in
    county: Option<String>,
    /// Only lessons this classroom takes part in (master or remote)
    classroom: Option<u64>,
    /// Only lessons this teacher teaches
    teacher: Option<u64>,
}

/// `GET /api/lessons?from=2026-09-01&to=2026-09-08[&school=|county=|classroom=|teacher=]`:
/// lessons in `[from, to)` (at most 93 days), within what the account may see.
#[utoipa::path(
    get,
    path = "/lessons",
    tag = "lessons",
    summary = "Lessons overlapping [from, to) (dates, at most 93 days), filtered; cut to the account's own lessons",
    description = "Who: all but classroom devices. A school admin sees lessons a classroom of their school takes part in; a teacher the lessons they teach (asking for others' is 403).",
    params(ListQuery),
    responses(
        (status = 200, description = "Lessons", body = [crate::store::timetable::LessonRow]),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<LessonRow>>, ApiError> {
    staff.require(Action::ViewTimetable)?;
    let (Some(from), Some(to)) = (parse_date(&q.from), parse_date(&q.to)) else {
        return Err(ApiError::fields(vec![field(
            "from",
            "dates like 2026-09-01 in from and to",
        )]));
    };
    if to <= from || (to - from).whole_days() > 93 {
        return Err(ApiError::fields(vec![field(
            "to",
            "after from, at most 93 days later",
        )]));
    }
    if let Some(county) = &q.county {
        let mut errors = Vec::new();
        check_name("county", county, 50, &mut errors);
        if !errors.is_empty() {
            return Err(ApiError::fields(errors));
        }
    }
    let mut filter = LessonFilter {
        school: q.school.map(SchoolId),
        county: q.county,
        classroom: q.classroom.map(ClassroomId),
        teacher: q.teacher.map(TeacherId),
    };
    let outside = || ApiError::Forbidden("your account sees only its own lessons".into());
    match scope(staff.account.role) {
        Scope::Region => {}
        Scope::School(mine) => {
            if filter.school.is_some_and(|s| s != mine) {
                return Err(outside());
            }
            filter.school = Some(mine);
        }
        Scope::Teacher(me) => {
            if filter.teacher.is_some_and(|t| t != me) {
                return Err(outside());
            }
            filter.teacher = Some(me);
        }
        Scope::Nothing => return Err(outside()),
    }
    let span = Slot {
        start: Slot::midnight(from),
        end: Slot::midnight(to),
    };
    let Some(classrooms) = classrooms_of(&state, &filter).await? else {
        // No classroom filter: the lessons in the span (of one teacher, perhaps).
        return Ok(Json(
            state
                .store()
                .lessons_matching(span.start, span.end, &filter)
                .await?,
        ));
    };
    // Filtered by classrooms: their lessons come from the in-memory timetable's per-classroom
    // index (a county's week is ~2,000 lessons out of 400,000), then the rows by id.
    let lock = state.timetable().await?;
    let ids: BTreeSet<LessonId> = {
        let timetable = lock.lock().await;
        classrooms
            .iter()
            .flat_map(|c| timetable.lessons_of(Resource::Classroom(*c), span))
            .collect()
    };
    let ids: Vec<LessonId> = ids.into_iter().collect();
    let mut lessons = state.store().lessons_by_ids(&ids).await?;
    if let Some(teacher) = filter.teacher {
        lessons.retain(|l| l.teacher == teacher);
    }
    Ok(Json(lessons))
}

/// The classrooms the filter's school, county and classroom all allow; `None` if it names none.
async fn classrooms_of(
    state: &AppState,
    filter: &LessonFilter,
) -> Result<Option<BTreeSet<ClassroomId>>, ApiError> {
    let mut sets: Vec<BTreeSet<ClassroomId>> = Vec::new();
    if let Some(school) = filter.school {
        let rooms = state.store().classrooms_of(school).await?;
        sets.push(rooms.into_iter().map(|c| c.id).collect());
    }
    if let Some(county) = &filter.county {
        let rooms = state.store().classrooms_in_county(county).await?;
        sets.push(rooms.into_iter().collect());
    }
    if let Some(classroom) = filter.classroom {
        sets.push(BTreeSet::from([classroom]));
    }
    Ok(sets
        .into_iter()
        .reduce(|a, b| a.intersection(&b).copied().collect()))
}

/// `GET /api/lessons/{id}`.
#[utoipa::path(
    get,
    path = "/lessons/{id}",
    tag = "lessons",
    summary = "One lesson",
    description = "Who: anyone whose lessons include it (see GET /api/lessons)",
    params(("id" = u64, Path, description = "The lesson")),
    responses(
        (status = 200, description = "The lesson", body = crate::store::timetable::LessonRow),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
        (status = 404, description = "No such lesson", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<LessonRow>, ApiError> {
    Ok(Json(visible_lesson(&state, &staff, LessonId(id)).await?))
}

/// `PATCH /api/lessons/{id}`: moves one lesson (of a series too: only this one), or gives it
/// another teacher, title or set of remote classrooms. Clashes are refused with 409; a lesson that
/// has started with 409. A new time, teacher or classrooms revokes the lesson's join links.
#[utoipa::path(
    patch,
    path = "/lessons/{id}",
    tag = "lessons",
    summary = "Change one lesson (of a series too: only this one): move it, give it a substitute teacher, a new title or other remote classrooms",
    description = "Who: bureau admin, the master classroom's school admin. A lesson that has started (or that a classroom joined) is 409.",
    params(("id" = u64, Path, description = "The lesson")),
    request_body = Change,
    responses(
        (status = 200, description = "Changed", body = crate::store::timetable::LessonRow),
        (status = 409, description = "Clashes with scheduled lessons (all named), or the lesson has started", body = crate::api::schema::ErrorBody),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
        (status = 404, description = "No such lesson", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<u64>,
    body: Result<Json<Change>, JsonRejection>,
) -> Result<Json<LessonRow>, ApiError> {
    staff.require(Action::ViewTimetable)?;
    // The lock first: the lesson read is the one changed (no other change in between).
    let lock = state.timetable().await?;
    let timetable = lock.lock().await;
    let row = schedulable_lesson(&state, &staff, LessonId(id)).await?;
    let Json(change) = body?;
    let changed = lesson_change::changed_row(&state, &row, change).await?;
    lesson_change::apply(&state, &staff, timetable, &row, &changed).await?;
    Ok(Json(
        state
            .store()
            .lesson_row(changed.id)
            .await?
            .ok_or(ApiError::Internal)?,
    ))
}

/// `DELETE /api/lessons/{id}`: cancels a lesson that has not started (its join links go with it).
#[utoipa::path(
    delete,
    path = "/lessons/{id}",
    tag = "lessons",
    summary = "Cancel a lesson that has not started (its join links go with it)",
    description = "Who: bureau admin, the master classroom's school admin",
    params(("id" = u64, Path, description = "The lesson")),
    responses(
        (status = 204, description = "Cancelled"),
        (status = 409, description = "The lesson has started", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
        (status = 404, description = "No such lesson", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<u64>,
) -> Result<StatusCode, ApiError> {
    staff.require(Action::ViewTimetable)?;
    let lock = state.timetable().await?;
    let mut timetable = lock.lock().await;
    let row = schedulable_lesson(&state, &staff, LessonId(id)).await?;
    require_not_started(&state, &row).await?;
    // Anyone already in (early, before the start) is sent away with the links.
    revoke_links(&state, row.id).await?;
    state.store().delete_lesson(row.id).await?;
    timetable.unbook(row.id);
    Ok(StatusCode::NO_CONTENT)
}
