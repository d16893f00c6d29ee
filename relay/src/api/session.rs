//! Signing in and out, and the [`Staff`] extractor every other endpoint uses: it finds the
//! session from the cookie and, for anything but GET/HEAD, requires the session's CSRF token in
//! the `X-CSRF-Token` header.

use super::error::{ApiError, FieldError};
use crate::accounts::{password, Account};
use crate::auth::now_secs;
use crate::state::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const COOKIE_NAME: &str = "tongpin_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A sign-in lasts a school day.
const SESSION_SECS: i64 = 12 * 3600;

/// The signed-in account of a request.
pub struct Staff {
    pub account: Account,
    pub csrf: String,
}

impl Staff {
    /// 403 unless this account may do `action` (`accounts::permissions`).
    pub fn require(&self, action: crate::accounts::permissions::Action) -> Result<(), ApiError> {
        if crate::accounts::permissions::allowed(self.account.role, action) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("your account may not do this".into()))
        }
    }
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            kv.trim()
                .strip_prefix(COOKIE_NAME)?
                .strip_prefix('=')
                .map(str::to_string)
        })
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Staff, ApiError> {
        let token = session_token(&parts.headers).ok_or(ApiError::Unauthorized)?;
        let (account, csrf) = state
            .store()
            .web_session(&token_hash(&token), now_secs() as i64)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != Some(csrf.as_str()) {
                return Err(ApiError::Forbidden(
                    "missing or wrong X-CSRF-Token header".into(),
                ));
            }
        }
        Ok(Staff { account, csrf })
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct SignIn {
    login: String,
    password: String,
}

#[derive(Serialize)]
pub struct Me {
    account: Account,
    /// Send this in `X-CSRF-Token` with every request that changes something.
    csrf: String,
}

fn cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{COOKIE_NAME}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&text)
        .unwrap_or_else(|_| HeaderValue::from_static("tongpin_session=; Max-Age=0"))
}

/// `POST /api/session`: sign in with login and password.
#[utoipa::path(
    post,
    path = "/session",
    tag = "session",
    summary = "Sign in",
    description = "Who: anyone",
    request_body = SignIn,
    responses(
        (status = 200, description = "The account and the CSRF token; sets the session cookie", body = crate::api::schema::Me, headers(("set-cookie" = String, description = "The session cookie `tongpin_session` (HttpOnly)"))),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
        (status = 429, description = "Too many failed sign-ins for this login; Retry-After says when to try again", body = crate::api::schema::ErrorBody, headers(("retry-after" = u64, description = "Seconds to wait"))),
    ),
    security(())
)]
pub async fn sign_in(
    State(state): State<AppState>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    body: Result<Json<SignIn>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(SignIn { login, password }) = body?;
    if login.is_empty()
        || login.len() > 64
        || password.is_empty()
        || password.len() > password::MAX_PASSWORD_BYTES
    {
        return Err(ApiError::fields(vec![FieldError {
            field: "login",
            message: "login or password missing or too long".into(),
        }]));
    }
    let now = now_secs();
    // Per address too (the TCP peer's; absent when called without a server, as in tests).
    let address = peer.map(|p| p.0 .0.ip().to_string());
    if let Some(address) = &address {
        if let Err(retry_after) = state.sign_ins_by_address().attempt(address, now) {
            return Err(ApiError::Throttled {
                message: format!(
                    "too many failed sign-ins from your address; try again in {retry_after} s"
                ),
                retry_after,
            });
        }
    }
    if let Err(retry_after) = state.sign_ins().attempt(&login, now) {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let found = state.store().account_by_login(&login).await?;
    let stored = found.as_ref().map(|(_, h)| h.clone());
    let ok = state
        .hashing()
        .run(move || match stored {
            Some(hash) => password::verify(&password, &hash),
            // Verify against a real hash even for an unknown login, so timing does not tell which
            // logins exist.
            None => {
                let _ = password::verify(&password, dummy_hash());
                false
            }
        })
        .await
        .map_err(|busy| ApiError::Throttled {
            message: busy.to_string(),
            retry_after: 2,
        })?;
    let account = match (found, ok) {
        (Some((account, _)), true) => account,
        _ => return Err(ApiError::Forbidden("wrong login or password".into())),
    };
    state.sign_ins().succeeded(&login);
    if let Some(address) = &address {
        state.sign_ins_by_address().forgive_one(address);
    }
    let token = random_hex(32);
    let csrf = random_hex(16);
    let expires = now_secs() as i64 + SESSION_SECS;
    state
        .store()
        .create_web_session(&token_hash(&token), account.id, &csrf, expires)
        .await?;
    let mut response = (StatusCode::OK, Json(Me { account, csrf })).into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, cookie(&state, &token, SESSION_SECS));
    Ok(response)
}

/// `DELETE /api/session`: sign out.
#[utoipa::path(
    delete,
    path = "/session",
    tag = "session",
    summary = "Sign out",
    description = "Who: signed in",
    responses(
        (status = 204, description = "Signed out"),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    _staff: Staff,
) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&headers) {
        state
            .store()
            .delete_web_session(&token_hash(&token))
            .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, cookie(&state, "", 0));
    Ok(response)
}

/// `GET /api/me`: who is signed in, and the CSRF token.
#[utoipa::path(
    get,
    path = "/me",
    tag = "session",
    summary = "The signed-in account and CSRF token",
    description = "Who: signed in",
    responses(
        (status = 200, description = "OK", body = crate::api::schema::Me),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn me(staff: Staff) -> Json<Me> {
    Json(Me {
        account: staff.account,
        csrf: staff.csrf,
    })
}

/// An Argon2id hash of a random password, made once.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| password::hash(&random_hex(16)).unwrap_or_default())
}
