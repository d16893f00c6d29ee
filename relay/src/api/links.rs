//! `/api/lessons/{id}/links` and `/api/links/{id}`: join links for a lesson's teacher, each of its
//! classrooms and observers, valid from a while before the start to a while after the end
//! (`--open-before-mins`, `--close-after-mins`), and revocable at once.

use super::error::ApiError;
use super::extract::ApiPath;
use super::scheduling::access::{missing, scheduling_school};
use super::session::Staff;
use crate::accounts::permissions::{allowed, Action};
use crate::auth::now_secs;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use shared::ids::{ClassroomId, LessonId, Role};
use shared::token::Claims;

#[derive(Serialize, utoipa::ToSchema)]
pub struct JoinLink {
    link: u64,
    /// `teacher`, `classroom` or `observer`.
    #[schema(value_type = String)]
    role: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<u64>)]
    classroom: Option<ClassroomId>,
    name: String,
    /// Open this path on the relay's address: `/lesson#token=...`.
    path: String,
    not_before: u64,
    expires: u64,
}

/// Who may hand out the lesson's links: its master classroom's school and its teacher.
async fn hand_out(state: &AppState, staff: &Staff, lesson: LessonId) -> Result<Action, ApiError> {
    let row = state
        .store()
        .lesson_row(lesson)
        .await?
        .ok_or_else(|| missing(staff, format!("lesson {lesson}")))?;
    let school = scheduling_school(state, &row).await?;
    Ok(Action::HandOutLinks(school, row.teacher))
}

fn may_hand_out(staff: &Staff, action: Action) -> Result<(), ApiError> {
    if allowed(staff.account.role, action) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "your account may not hand out links for this lesson".into(),
        ))
    }
}

/// `POST /api/lessons/{id}/links`: new links for everyone in the lesson.
#[utoipa::path(
    post,
    path = "/lessons/{id}/links",
    tag = "links",
    summary = "Create join links for everyone in the lesson",
    description = "Who: bureau admin, the master classroom's school admin, the lesson's teacher",
    params(("id" = u64, Path, description = "The lesson")),
    responses(
        (status = 201, description = "Links", body = [JoinLink]),
        (status = 404, description = "No such lesson", body = crate::api::schema::ErrorBody),
        (status = 409, description = "The lesson is over", body = crate::api::schema::ErrorBody),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<u64>,
) -> Result<(StatusCode, Json<Vec<JoinLink>>), ApiError> {
    staff.require(Action::ViewTimetable)?;
    let lesson = LessonId(id);
    may_hand_out(&staff, hand_out(&state, &staff, lesson).await?)?;
    let info = state
        .store()
        .lesson(lesson)
        .await?
        .ok_or(ApiError::Internal)?;
    let not_before = (info.starts_at - state.config().open_before.as_secs() as i64).max(0) as u64;
    let expires = (info.ends_at + state.config().close_after.as_secs() as i64).max(0) as u64;
    if expires <= now_secs() {
        return Err(ApiError::Conflict {
            message: format!("lesson {lesson} is over; its links would never open"),
            clashes: vec![],
        });
    }
    let mut people: Vec<(Role, &'static str, String)> =
        vec![(Role::Teacher, "teacher", info.teacher.clone())];
    people.extend(
        info.classrooms
            .iter()
            .map(|(c, name)| (Role::Classroom(*c), "classroom", name.clone())),
    );
    people.push((Role::Observer, "observer", "教研观摩".to_string()));
    let mut out = Vec::new();
    for (role, kind, name) in people {
        let link = state
            .store()
            .create_link(lesson, role, not_before, expires)
            .await?;
        let token = state.signer().mint(&Claims {
            lesson,
            role,
            not_before,
            expires,
            link: Some(link),
        });
        let classroom = match role {
            Role::Classroom(c) => Some(c),
            _ => None,
        };
        out.push(JoinLink {
            link,
            role: kind,
            classroom,
            name,
            path: format!("/lesson#token={token}"),
            not_before,
            expires,
        });
    }
    Ok((StatusCode::CREATED, Json(out)))
}

/// `DELETE /api/links/{id}`: the link stops working at once; connections made with it are closed.
#[utoipa::path(
    delete,
    path = "/links/{id}",
    tag = "links",
    summary = "Revoke a join link (closes connections made with it)",
    description = "Who: bureau admin, the master classroom's school admin, the lesson's teacher",
    params(("id" = u64, Path, description = "The link")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such link", body = crate::api::schema::ErrorBody),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<u64>,
) -> Result<StatusCode, ApiError> {
    staff.require(Action::ViewTimetable)?;
    let lesson = state
        .store()
        .link_lesson(id)
        .await?
        .ok_or_else(|| missing(&staff, format!("link {id}")))?;
    may_hand_out(&staff, hand_out(&state, &staff, lesson).await?)?;
    state.store().revoke_link(id, now_secs() as i64).await?;
    state.rooms().revoke(lesson, id).await;
    Ok(StatusCode::NO_CONTENT)
}
