//! `GET /api/device/lesson`: for a classroom device (signed in with its account), the lesson its
//! classroom has now (from `--open-before-mins` before the start to `--close-after-mins` after the
//! end) with a join link, so the classroom's computer can open whatever period is on without
//! anyone handing it a link. The link is a revocable join link (one per lesson and classroom).

use super::error::ApiError;
use super::session::Staff;
use crate::accounts::StaffRole;
use crate::auth::now_secs;
use crate::state::AppState;
use crate::store::timetable::LessonFilter;
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use shared::ids::Role;
use shared::token::Claims;

/// How far ahead the next lesson is looked for, when none is on.
const LOOK_AHEAD_SECS: i64 = 7 * 86_400;

#[utoipa::path(
    get,
    path = "/device/lesson",
    tag = "device",
    summary = "A classroom device's current lesson with a join link (its standing link), or the next one",
    description = "Who: classroom devices",
    responses(
        (status = 200, description = "The current lesson with its link, or `lesson: null` and the next one (or null)", body = crate::api::schema::DeviceLesson),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not a classroom device", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn current_lesson(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Value>, ApiError> {
    let StaffRole::ClassroomDevice { classroom } = staff.account.role else {
        return Err(ApiError::Forbidden(
            "only a classroom device has a current lesson".into(),
        ));
    };
    let now = now_secs() as i64;
    let (before, after) = (
        state.config().open_before.as_secs() as i64,
        state.config().close_after.as_secs() as i64,
    );
    let filter = LessonFilter {
        classroom: Some(classroom),
        ..LessonFilter::default()
    };
    let mine = state
        .store()
        .lessons_matching(now - after, now + LOOK_AHEAD_SECS, &filter)
        .await?
        .into_iter()
        // A remote classroom's device joins as that classroom (not as the master's).
        .filter(|l| l.classrooms.contains(&classroom))
        .collect::<Vec<_>>();
    let open = mine
        .iter()
        .find(|l| l.starts_at - before <= now && now < l.ends_at + after);
    let Some(lesson) = open else {
        let next = mine.iter().find(|l| l.starts_at - before > now);
        return Ok(Json(json!({
            "lesson": null,
            "next": next.map(|l| json!({"lesson": l.id, "title": l.title, "starts_at": l.starts_at, "ends_at": l.ends_at})),
        })));
    };
    let role = Role::Classroom(classroom);
    let (not_before, expires) = (
        (lesson.starts_at - before).max(0) as u64,
        (lesson.ends_at + after).max(0) as u64,
    );
    let link = match state.store().open_link(lesson.id, role).await? {
        Some(link) => link,
        None => {
            state
                .store()
                .create_link(lesson.id, role, not_before, expires)
                .await?
        }
    };
    let token = state.signer().mint(&Claims {
        lesson: lesson.id,
        role,
        not_before,
        expires,
        link: Some(link),
    });
    Ok(Json(json!({
        "lesson": lesson.id,
        "title": lesson.title,
        "starts_at": lesson.starts_at,
        "ends_at": lesson.ends_at,
        "link": link,
        "path": format!("/lesson#token={token}"),
    })))
}
