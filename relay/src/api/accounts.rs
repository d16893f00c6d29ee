//! `/api/accounts`: who may sign in. Bureau admins manage every account; a school admin the
//! accounts of their school (school admins, teachers, classroom devices); see
//! `permissions::may_manage_account`. Passwords are hashed off the runtime; removing an account or
//! setting its password signs it out everywhere at once.

use super::error::{check_name, ApiError, FieldError};
use super::extract::ApiPath;
use super::session::Staff;
use crate::accounts::permissions::may_manage_account;
use crate::accounts::{password, Account, StaffRole};
use crate::state::AppState;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use shared::ids::SchoolId;

#[derive(Serialize)]
pub struct AccountView {
    #[serde(flatten)]
    account: Account,
    /// The school it belongs to (none for bureau admins).
    school: Option<SchoolId>,
}

fn refused() -> ApiError {
    ApiError::Forbidden("your account may not manage this account".into())
}

/// The school an account of `role` belongs to, if the school, teacher or classroom exists.
async fn school_of(state: &AppState, role: StaffRole) -> Result<Option<SchoolId>, ApiError> {
    Ok(match role {
        StaffRole::BureauAdmin => None,
        StaffRole::SchoolAdmin { school } => {
            state.store().school_exists(school).await?.then_some(school)
        }
        StaffRole::Teacher { teacher } => state.store().teacher_school(teacher).await?,
        StaffRole::ClassroomDevice { classroom } => {
            state.store().classroom_school(classroom).await?
        }
    })
}

/// `GET /api/accounts`: the accounts this account manages.
#[utoipa::path(
    get,
    path = "/accounts",
    tag = "accounts",
    summary = "The accounts this account manages",
    description = "Who: bureau admin (all), school admin (their school's school admins, teachers and classroom devices)",
    responses(
        (status = 200, description = "Accounts", body = [crate::api::schema::AccountView]),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    let me = staff.account.role;
    let scope = match me {
        StaffRole::BureauAdmin => None,
        StaffRole::SchoolAdmin { school } => Some(school),
        _ => return Err(refused()),
    };
    let all = state.store().accounts(scope).await?;
    Ok(Json(
        all.into_iter()
            .filter(|(a, school)| may_manage_account(me, a.role, *school))
            .map(|(account, school)| AccountView { account, school })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// 3-64 of a-z A-Z 0-9 - _ . @
    login: String,
    name: String,
    /// At least 10 characters.
    password: String,
    #[schema(value_type = crate::api::schema::Role)]
    role: StaffRole,
}

/// Hashes on a blocking thread within the relay's hashing bound (Argon2id is slow and large on
/// purpose: a burst of account changes waits like a burst of sign-ins, then gets 429); a
/// password the policy refuses (`accounts::policy`) is a 400.
async fn hash_off_runtime(
    state: &AppState,
    login: &str,
    password: String,
) -> Result<String, ApiError> {
    crate::accounts::policy::check(login, &password).map_err(|e| {
        ApiError::fields(vec![FieldError {
            field: "password",
            message: e.to_string(),
        }])
    })?;
    state
        .hashing()
        .run(move || password::hash(&password))
        .await
        .map_err(|busy| ApiError::Throttled {
            message: busy.to_string(),
            retry_after: 2,
        })?
        .map_err(|e| {
            ApiError::fields(vec![FieldError {
                field: "password",
                message: e.to_string(),
            }])
        })
}

/// `POST /api/accounts`: a new account; 409 if the login is taken.
#[utoipa::path(
    post,
    path = "/accounts",
    tag = "accounts",
    summary = "Create an account",
    description = "Who: bureau admin (any), school admin (for their own school; never a bureau admin)",
    request_body = NewAccount,
    responses(
        (status = 201, description = "Created", body = crate::api::schema::AccountView),
        (status = 409, description = "The login is taken", body = crate::api::schema::ErrorBody),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Json<NewAccount>, JsonRejection>,
) -> Result<(StatusCode, Json<AccountView>), ApiError> {
    if !matches!(
        staff.account.role,
        StaffRole::BureauAdmin | StaffRole::SchoolAdmin { .. }
    ) {
        return Err(refused());
    }
    let Json(new) = body?;
    let mut errors = Vec::new();
    check_name("name", &new.name, 50, &mut errors);
    let login_ok = (3..=64).contains(&new.login.len())
        && new
            .login
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if !login_ok {
        errors.push(FieldError {
            field: "login",
            message: "3 to 64 letters, digits, '-', '_', '.' or '@'".into(),
        });
    }
    let school = school_of(&state, new.role).await?;
    if new.role != StaffRole::BureauAdmin && school.is_none() {
        errors.push(FieldError {
            field: "role",
            message: "no such school, teacher or classroom".into(),
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::fields(errors));
    }
    if !may_manage_account(staff.account.role, new.role, school) {
        return Err(refused());
    }
    let hash = hash_off_runtime(&state, &new.login, new.password).await?;
    let Some(id) = state
        .store()
        .create_account(&new.login, &new.name, &hash, new.role)
        .await?
    else {
        return Err(ApiError::Conflict {
            message: format!("the login {:?} is already used", new.login),
            clashes: vec![],
        });
    };
    Ok((
        StatusCode::CREATED,
        Json(AccountView {
            account: Account {
                id,
                login: new.login,
                name: new.name,
                role: new.role,
            },
            school,
        }),
    ))
}

/// The account `id`, if this account manages it (403 for accounts that manage none; 404 for
/// bureau staff if it does not exist, 403 for school admins, as for one they do not manage).
async fn managed(state: &AppState, staff: &Staff, id: i64) -> Result<Account, ApiError> {
    if !matches!(
        staff.account.role,
        StaffRole::BureauAdmin | StaffRole::SchoolAdmin { .. }
    ) {
        return Err(refused());
    }
    let (account, school) = state
        .store()
        .account_with_school(id)
        .await?
        .ok_or_else(|| super::scheduling::access::missing(staff, format!("account {id}")))?;
    if !may_manage_account(staff.account.role, account.role, school) {
        return Err(refused());
    }
    Ok(account)
}

/// `DELETE /api/accounts/{id}`: the account can no longer sign in; its sessions end at once.
#[utoipa::path(
    delete,
    path = "/accounts/{id}",
    tag = "accounts",
    summary = "Remove an account; its sessions end at once",
    description = "Who: those who manage it (see GET); not one's own account (409)",
    params(("id" = i64, Path, description = "The account")),
    responses(
        (status = 204, description = "Removed"),
        (status = 409, description = "Your own account", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
        (status = 404, description = "No such account", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn remove(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let account = managed(&state, &staff, id).await?;
    if account.id == staff.account.id {
        return Err(ApiError::Conflict {
            message: "you can not remove your own account".into(),
            clashes: vec![],
        });
    }
    state.store().delete_account(account.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    password: String,
}

/// `PUT /api/accounts/{id}/password`: a new password (e.g. a teacher forgot theirs); the
/// account is signed out everywhere.
#[utoipa::path(
    put,
    path = "/accounts/{id}/password",
    tag = "accounts",
    summary = "Set a new password; the account is signed out everywhere",
    description = "Who: those who manage it (see GET)",
    params(("id" = i64, Path, description = "The account")),
    request_body = NewPassword,
    responses(
        (status = 204, description = "Set"),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
        (status = 404, description = "No such account", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn set_password(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    body: Result<Json<NewPassword>, JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let account = managed(&state, &staff, id).await?;
    let Json(new) = body?;
    let hash = hash_off_runtime(&state, &account.login, new.password).await?;
    state.store().set_password(account.id, &hash).await?;
    Ok(StatusCode::NO_CONTENT)
}
