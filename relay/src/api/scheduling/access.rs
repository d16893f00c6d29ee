//! Who may see a lesson, and which school schedules it.

use crate::accounts::permissions::{scope, Action, Scope};
use crate::api::error::ApiError;
use crate::api::session::Staff;
use crate::state::AppState;
use crate::store::timetable::LessonRow;
use shared::ids::{LessonId, SchoolId};

/// The schools whose classrooms take part in `row` (master and remote).
pub async fn schools_of(state: &AppState, row: &LessonRow) -> Result<Vec<SchoolId>, ApiError> {
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
pub async fn visible_lesson(
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
pub fn missing(staff: &Staff, what: String) -> ApiError {
    match scope(staff.account.role) {
        Scope::Region => ApiError::NotFound(format!("{what} does not exist")),
        _ => ApiError::Forbidden(format!("{what} is not one of your account's")),
    }
}

/// The school that schedules a lesson: its master classroom's.
pub async fn scheduling_school(state: &AppState, row: &LessonRow) -> Result<SchoolId, ApiError> {
    state
        .store()
        .classroom_school(row.master_classroom)
        .await?
        .ok_or(ApiError::Internal)
}

/// The lesson, if the account may see it and schedule it (its master classroom's school).
pub async fn schedulable_lesson(
    state: &AppState,
    staff: &Staff,
    id: LessonId,
) -> Result<LessonRow, ApiError> {
    let row = visible_lesson(state, staff, id).await?;
    staff.require(Action::Schedule(scheduling_school(state, &row).await?))?;
    Ok(row)
}

/// A lesson that has started (or that a classroom already joined) is history: it keeps its time.
pub async fn require_not_started(state: &AppState, row: &LessonRow) -> Result<(), ApiError> {
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
