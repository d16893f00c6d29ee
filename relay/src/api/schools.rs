//! `/api/schools`: the region's schools and their classrooms.

use super::error::{check_name, ApiError, FieldError};
use super::extract::ApiPath;
use super::session::Staff;
use crate::accounts::permissions::Action;
use crate::state::AppState;
use crate::store::schools::{Classroom, School, SchoolKind};
use crate::store::Store;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use shared::ids::SchoolId;

#[utoipa::path(
    get,
    path = "/schools",
    tag = "schools",
    summary = "Schools",
    description = "Who: all but classroom devices",
    responses(
        (status = 200, description = "OK", body = [crate::store::schools::School]),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn list(State(store): State<Store>, staff: Staff) -> Result<Json<Vec<School>>, ApiError> {
    staff.require(Action::ViewSchools)?;
    Ok(Json(store.schools().await?))
}

/// `GET /api/classrooms`: every classroom of the region (one request for the console's names).
#[utoipa::path(
    get,
    path = "/classrooms",
    tag = "schools",
    summary = "Every classroom of the region",
    description = "Who: all but classroom devices",
    responses(
        (status = 200, description = "Classrooms", body = [crate::store::schools::Classroom]),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn all_classrooms(
    State(store): State<Store>,
    staff: Staff,
) -> Result<Json<Vec<Classroom>>, ApiError> {
    staff.require(Action::ViewSchools)?;
    Ok(Json(store.all_classrooms().await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewSchool {
    name: String,
    #[serde(default)]
    county: String,
    kind: SchoolKind,
}

#[utoipa::path(
    post,
    path = "/schools",
    tag = "schools",
    summary = "Add a school",
    description = "Who: bureau admin",
    request_body = NewSchool,
    responses(
        (status = 201, description = "Created", body = crate::store::schools::School),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Json<NewSchool>, JsonRejection>,
) -> Result<(StatusCode, Json<School>), ApiError> {
    staff.require(Action::CreateSchool)?;
    let Json(new) = body?;
    let mut errors: Vec<FieldError> = Vec::new();
    check_name("name", &new.name, 100, &mut errors);
    if !new.county.is_empty() {
        check_name("county", &new.county, 50, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    let id = state
        .store()
        .create_school(&new.name, &new.county, new.kind)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(School {
            id,
            name: new.name,
            county: new.county,
            kind: new.kind,
        }),
    ))
}

async fn existing(state: &AppState, id: u64) -> Result<SchoolId, ApiError> {
    let id = SchoolId(id);
    if state.store().school_exists(id).await? {
        Ok(id)
    } else {
        Err(ApiError::NotFound(format!("school {id} does not exist")))
    }
}

#[utoipa::path(
    get,
    path = "/schools/{id}/classrooms",
    tag = "schools",
    summary = "Classrooms of a school",
    description = "Who: all but classroom devices",
    params(("id" = u64, Path, description = "The school")),
    responses(
        (status = 200, description = "OK", body = [crate::store::schools::Classroom]),
        (status = 404, description = "No such school", body = crate::api::schema::ErrorBody),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn classrooms(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<u64>,
) -> Result<Json<Vec<Classroom>>, ApiError> {
    staff.require(Action::ViewSchools)?;
    let id = existing(&state, id).await?;
    Ok(Json(state.store().classrooms_of(id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
/// A name: a new classroom or teacher.
pub struct NewClassroom {
    name: String,
}

/// What adding a classroom or a teacher checks: the role first (before revealing whether the
/// school exists), the school, then the name.
async fn named_in_school(
    state: &AppState,
    staff: &Staff,
    id: u64,
    body: Result<Json<NewClassroom>, JsonRejection>,
) -> Result<(SchoolId, NewClassroom), ApiError> {
    staff.require(Action::ManageSchool(SchoolId(id)))?;
    let school = existing(state, id).await?;
    let Json(new) = body?;
    let mut errors = Vec::new();
    check_name("name", &new.name, 50, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    Ok((school, new))
}

#[utoipa::path(
    post,
    path = "/schools/{id}/classrooms",
    tag = "schools",
    summary = "Add a classroom",
    description = "Who: bureau admin, that school's admin",
    params(("id" = u64, Path, description = "The school")),
    request_body = NewClassroom,
    responses(
        (status = 201, description = "Created", body = crate::store::schools::Classroom),
        (status = 404, description = "No such school", body = crate::api::schema::ErrorBody),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn create_classroom(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<u64>,
    body: Result<Json<NewClassroom>, JsonRejection>,
) -> Result<(StatusCode, Json<Classroom>), ApiError> {
    let (school, new) = named_in_school(&state, &staff, id, body).await?;
    let id = state.store().create_classroom(school, &new.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(Classroom {
            id,
            school,
            name: new.name,
        }),
    ))
}

/// `POST /api/schools/{id}/teachers`: a teacher of the school (an account to sign in is separate).
#[utoipa::path(
    post,
    path = "/schools/{id}/teachers",
    tag = "schools",
    summary = "Add a teacher to a school",
    description = "Who: bureau admin, that school's admin",
    params(("id" = u64, Path, description = "The school")),
    request_body = NewClassroom,
    responses(
        (status = 201, description = "Created", body = crate::api::schema::Teacher),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
        (status = 404, description = "No such school", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn create_teacher(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<u64>,
    body: Result<Json<NewClassroom>, JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let (school, new) = named_in_school(&state, &staff, id, body).await?;
    let id = state.store().create_teacher(school, &new.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({"id": id, "school": school, "name": new.name})),
    ))
}
