//! One lesson changed: moved (of a series too: only this one), or given another teacher, title
//! or set of remote classrooms. Checked against the timetable under its lock.

use super::access::require_not_started;
use super::basics::{remotes_fit, remotes_of, slot_of};
use super::clashes::conflict;
use super::revoke_links;
use crate::api::error::{check_name, field, ApiError};
use crate::api::session::Staff;
use crate::state::AppState;
use crate::store::timetable::LessonRow;
use serde::Deserialize;
use shared::ids::TeacherId;
use shared::schedule::Timetable;

/// What may change in one lesson; every field is optional.
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

/// `row` with `change` applied, or a 400 naming every problem.
pub async fn changed_row(
    state: &AppState,
    row: &LessonRow,
    change: Change,
) -> Result<LessonRow, ApiError> {
    let mut errors = Vec::new();
    let mut changed = row.clone();
    match (&change.date, &change.start, &change.end) {
        (None, None, None) => {}
        (Some(date), Some(start), Some(end)) => {
            if let Some(slot) = slot_of(date, start, end, &mut errors) {
                changed.starts_at = slot.start;
                changed.ends_at = slot.end;
            }
        }
        _ => errors.push(field("date", "a new time needs date, start and end")),
    }
    if let Some(title) = change.title {
        check_name("title", &title, 100, &mut errors);
        changed.title = title;
    }
    if let Some(teacher) = change.teacher {
        changed.teacher = TeacherId(teacher);
        if !state.store().teacher_exists(changed.teacher).await? {
            errors.push(field("teacher", "no such teacher"));
        }
    }
    if let Some(classrooms) = change.classrooms {
        let remotes = remotes_of(classrooms, row.master_classroom);
        let known = state.store().classroom_schools(&remotes).await?;
        if !remotes_fit(&remotes) || known.len() != remotes.len() {
            errors.push(field(
                "classrooms",
                "between 1 and 200 remote classrooms that exist",
            ));
        }
        changed.classrooms = remotes;
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    Ok(changed)
}

/// Stores `changed` in place of `row` if it is still to come and clashes with nothing; a new
/// time, teacher or classrooms revokes the lesson's join links. `timetable` is the locked
/// timetable, released before the links are revoked.
pub async fn apply(
    state: &AppState,
    staff: &Staff,
    mut timetable: tokio::sync::MutexGuard<'_, Timetable>,
    row: &LessonRow,
    changed: &LessonRow,
) -> Result<(), ApiError> {
    require_not_started(state, row).await?;
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
        return Err(conflict(state, staff, clashes).await);
    }
    state.store().update_lesson(changed).await?;
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
        revoke_links(state, changed.id).await?;
    }
    Ok(())
}
