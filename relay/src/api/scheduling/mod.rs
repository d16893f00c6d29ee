//! The scheduling service: the rules the lesson, series, link and timetable handlers share, so
//! each handler only reads its request, calls these and writes its response. Handlers import this
//! module; it imports none of them.
//!
//! - [`access`]: who may see a lesson and which school schedules it; "missing" as 404 or 403.
//! - [`basics`]: a lesson's checked people, rooms and names, and its time slot.
//! - [`clashes`]: the 409 naming every clash (titles only where the account may see them).
//! - [`new_lessons`]: booking one lesson or a whole weekly series.
//! - [`lesson_change`]: one lesson moved, given another teacher, title or classrooms.
//! - [`series_change`]: "this and the following ones" of a weekly series.
//! - [`revoke_links`]: a lesson whose time or people changed loses its join links.

pub mod access;
pub mod basics;
pub mod clashes;
pub mod lesson_change;
pub mod new_lessons;
pub mod series_change;

use super::error::ApiError;
use crate::auth::now_secs;
use crate::state::AppState;
use shared::ids::LessonId;

/// Revokes every link of `lesson` and closes the connections made with them: its time, teacher or
/// classrooms changed, so links handed out before (whose window is in their signed token, and
/// which name who may come) must not open it any more. New links are handed out as usual (the
/// device page gets one by itself).
pub async fn revoke_links(state: &AppState, lesson: LessonId) -> Result<(), ApiError> {
    let revoked = state
        .store()
        .revoke_lesson_links(lesson, now_secs() as i64)
        .await?;
    for link in revoked {
        state.rooms().revoke(lesson, link).await;
    }
    Ok(())
}
