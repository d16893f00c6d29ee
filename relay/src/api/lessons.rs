//! `/api/lessons`: listing (filtered, and cut to what the account may see), reading, changing and
//! cancelling one lesson. Creating lessons is in [`super::timetable`]; a change is checked against
//! the in-memory timetable under its lock, and a clash is a 409 naming every clashing lesson.

use super::error::{check_name, ApiError};
use super::extract::{ApiPath, ApiQuery};
use super::session::Staff;
use super::timetable::{conflict, field, slot_of};
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

/// The schools whose classrooms take part in `row` (master and remote).
pub(super) async fn schools_of(
    state: &AppState,
    row: &LessonRow,
) -> Result<Vec<SchoolId>, ApiError> {
    let mut classrooms = row.classrooms.clone();
    classrooms.push(row.master_classroom);
    let map = state.store().classroom_schools(&classrooms).await?;
    let mut schools: Vec<SchoolId> = map.into_values().collect();
    schools.sort();
    schools.dedup();
    Ok(schools)
}

/// The lesson, if it exists and the account may see it. Bureau staff get 404 for a lesson that
/// does not exist; everyone else gets the same 403 for it as for someone else's lesson, so ids
/// tell them nothing.
pub(super) async fn visible_lesson(
    state: &AppState,
    staff: &Staff,
    id: LessonId,
) -> Result<LessonRow, ApiError> {
    staff.require(Action::ViewTimetable)?;
    let scope = scope(staff.account.role);
    let not_yours =
        || ApiError::Forbidden(format!("lesson {id} is not one of your account's lessons"));
    let Some(row) = state.store().lesson_row(id).await? else {
        return Err(match scope {
            Scope::Region => ApiError::NotFound(format!("lesson {id} does not exist")),
            _ => not_yours(),
        });
    };
    let schools = schools_of(state, &row).await?;
    if !scope.sees(row.teacher, &schools) {
        return Err(not_yours());
    }
    Ok(row)
}

/// Something asked for by id that does not exist: 404 for bureau staff, the 403 of someone else's
/// for everyone else (see [`visible_lesson`]).
pub(super) fn missing(staff: &Staff, what: String) -> ApiError {
    match scope(staff.account.role) {
        Scope::Region => ApiError::NotFound(format!("{what} does not exist")),
        _ => ApiError::Forbidden(format!("{what} is not one of your account's")),
    }
}

/// The school that schedules a lesson: its master classroom's.
pub(super) async fn scheduling_school(
    state: &AppState,
    row: &LessonRow,
) -> Result<SchoolId, ApiError> {
    state
        .store()
        .classroom_school(row.master_classroom)
        .await?
        .ok_or(ApiError::Internal)
}

/// A lesson that has started (or that a classroom already joined) is history: it keeps its time.
pub(super) async fn require_not_started(state: &AppState, row: &LessonRow) -> Result<(), ApiError> {
    let now = crate::auth::now_secs() as i64;
    if row.starts_at <= now || state.store().has_attendance(row.id).await? {
        return Err(ApiError::Conflict {
            message: format!(
                "lesson {} has already started; a lesson that was held can not be changed",
                row.id
            ),
            clashes: vec![],
        });
    }
    Ok(())
}

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

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// A new day and time (all three, or none).
    date: Option<String>,
    start: Option<String>,
    end: Option<String>,
    /// A substitute teacher.
    teacher: Option<u64>,
    title: Option<String>,
    /// The remote classrooms, all of them (to add or drop one).
    classrooms: Option<Vec<u64>>,
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
    let mut timetable = lock.lock().await;
    let row = visible_lesson(&state, &staff, LessonId(id)).await?;
    staff.require(Action::Schedule(scheduling_school(&state, &row).await?))?;
    let Json(c) = body?;
    let mut errors = Vec::new();
    let mut changed = row.clone();
    match (&c.date, &c.start, &c.end) {
        (None, None, None) => {}
        (Some(date), Some(start), Some(end)) => {
            if let Some(slot) = slot_of(date, start, end, &mut errors) {
                changed.starts_at = slot.start;
                changed.ends_at = slot.end;
            }
        }
        _ => errors.push(field("date", "a new time needs date, start and end")),
    }
    if let Some(title) = c.title {
        check_name("title", &title, 100, &mut errors);
        changed.title = title;
    }
    if let Some(teacher) = c.teacher {
        changed.teacher = TeacherId(teacher);
        if !state.store().teacher_exists(changed.teacher).await? {
            errors.push(field("teacher", "no such teacher"));
        }
    }
    if let Some(classrooms) = c.classrooms {
        let remotes: BTreeSet<ClassroomId> = classrooms
            .into_iter()
            .map(ClassroomId)
            .filter(|c| *c != row.master_classroom)
            .collect();
        let known = state
            .store()
            .classroom_schools(&remotes.iter().copied().collect::<Vec<_>>())
            .await?;
        if remotes.is_empty() || remotes.len() > 200 || known.len() != remotes.len() {
            errors.push(field(
                "classrooms",
                "between 1 and 200 remote classrooms that exist",
            ));
        }
        changed.classrooms = remotes.into_iter().collect();
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    require_not_started(&state, &row).await?;
    if changed.starts_at <= crate::auth::now_secs() as i64 {
        return Err(ApiError::fields(vec![field(
            "date",
            "a lesson can only be moved to a time still to come",
        )]));
    }
    let booking = changed.booking();
    let clashes = timetable.clashes(&booking);
    if !clashes.is_empty() {
        drop(timetable);
        return Err(conflict(&state, &staff, clashes).await);
    }
    state.store().update_lesson(&changed).await?;
    timetable.unbook(changed.id);
    timetable.insert_unchecked(booking);
    drop(timetable);
    let who_or_when = (row.starts_at, row.ends_at, row.teacher, &row.classrooms)
        != (
            changed.starts_at,
            changed.ends_at,
            changed.teacher,
            &changed.classrooms,
        );
    if who_or_when {
        super::links::revoke_all(&state, changed.id).await?;
    }
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
    let row = visible_lesson(&state, &staff, LessonId(id)).await?;
    staff.require(Action::Schedule(scheduling_school(&state, &row).await?))?;
    require_not_started(&state, &row).await?;
    // Anyone already in (early, before the start) is sent away with the links.
    super::links::revoke_all(&state, row.id).await?;
    state.store().delete_lesson(row.id).await?;
    timetable.unbook(row.id);
    Ok(StatusCode::NO_CONTENT)
}
