//! The bureau's JSON API under `/api` (see docs/protocol.md). Every handler takes a [`session::Staff`]
//! (signed in, CSRF-checked) and asks `accounts::permissions::allowed` before doing anything.
//!
//! - [`error`]: [`error::ApiError`] and its JSON response; [`extract`]: path and query
//!   extractors that reject with it.
//! - [`session`]: sign in/out, `GET /api/me`, the `Staff` extractor.
//! - [`accounts`]: who may sign in: list, create, remove, set a password.
//! - [`schools`]: schools and classrooms.
//! - [`timetable`]: terms, teachers, creating lessons with clash checks (409); attendance.
//! - [`lessons`]: listing (filtered, scoped to the account), reading, moving and cancelling lessons.
//! - [`series`]: weekly series: creating, and changing "this and the following ones".
//! - [`links`]: join links per lesson, revocable.
//! - [`scheduling`]: the service the lesson, series, link and timetable handlers share (access,
//!   checked basics, clashes, booking, changing one lesson or the rest of a series).
//! - [`calendar`]: iCalendar feeds of a teacher's or a classroom's lessons.
//! - [`reports`]: attendance per school and date range.
//! - [`device`]: a classroom device's current lesson (its standing link).
//! - [`schema`]: OpenAPI schemas of the JSON that handlers build with `json!`. The OpenAPI
//!   document at `/api/openapi.json` is generated (utoipa) from each handler's
//!   `#[utoipa::path]` and its types; [`routes`] registers every route together with it.

pub mod accounts;
pub mod calendar;
pub mod csv_download;
pub mod device;
pub mod error;
pub mod extract;
pub mod lessons;
pub mod links;
pub mod reports;
pub mod scheduling;
pub mod schools;
pub mod series;
pub mod session;
pub mod timetable;

pub mod schema;

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Request bodies of the API are small forms.
const BODY_LIMIT: usize = 64 * 1024;

/// The document's parts that no handler carries: info, security schemes, tags.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "同頻互動課堂 relay API",
        description = "The bureau console's JSON API. Sign in with POST /api/session; send the returned csrf in X-CSRF-Token on every non-GET request. See docs/protocol.md.",
    ),
    // Parameters refer to these (parameters' schemas are not collected by `routes!`).
    components(schemas(schema::Format, schema::CalendarKind)),
    modifiers(&SecuritySchemes),
    security(("session" = [])),
    tags(
        (name = "session", description = "Signing in and out"),
        (name = "accounts", description = "Who may sign in"),
        (name = "schools", description = "Schools, classrooms and teachers"),
        (name = "timetable", description = "Terms, teachers and attendance"),
        (name = "lessons", description = "Scheduling, reading, moving and cancelling lessons"),
        (name = "series", description = "Weekly series of lessons"),
        (name = "links", description = "Join links per lesson"),
        (name = "calendar", description = "iCalendar feeds of a teacher's or a classroom's lessons"),
        (name = "reports", description = "Attendance per school and date range"),
        (name = "device", description = "A classroom device's current lesson"),
        (name = "openapi", description = "This document"),
    ),
)]
struct ApiDoc;

/// The session cookie (`session`) and, on every request that changes something, the CSRF token
/// from the sign-in answer in a header (`csrf`).
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                session::COOKIE_NAME,
                "The session cookie that POST /api/session sets",
            ))),
        );
        components.add_security_scheme(
            "csrf",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-CSRF-Token",
                "The csrf from POST /api/session or GET /api/me; needed on every non-GET request",
            ))),
        );
    }
}

/// Every route of the API with its documentation (one `routes!` per path).
fn documented() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session::sign_in, session::sign_out))
        .routes(routes!(session::me))
        .routes(routes!(accounts::list, accounts::create))
        .routes(routes!(accounts::remove))
        .routes(routes!(accounts::set_password))
        .routes(routes!(schools::list, schools::create))
        .routes(routes!(schools::all_classrooms))
        .routes(routes!(schools::classrooms, schools::create_classroom))
        .routes(routes!(schools::create_teacher))
        .routes(routes!(timetable::list_terms, timetable::create_term))
        .routes(routes!(timetable::add_holiday))
        .routes(routes!(timetable::list_teachers))
        .routes(routes!(lessons::list, timetable::create_lesson))
        .routes(routes!(lessons::get, lessons::update, lessons::cancel))
        .routes(routes!(series::create))
        .routes(routes!(series::change))
        .routes(routes!(timetable::attendance))
        .routes(routes!(links::create))
        .routes(routes!(links::revoke))
        .routes(routes!(calendar::link))
        .routes(routes!(calendar::feed))
        .routes(routes!(reports::school))
        .routes(routes!(device::current_lesson))
        .routes(routes!(openapi_json))
}

pub fn routes() -> Router<AppState> {
    let (router, _) = documented().split_for_parts();
    router
        .fallback(|| async { error::ApiError::NotFound("no such API endpoint".into()) })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// The OpenAPI 3.1 document of this API, generated from the handlers' `#[utoipa::path]`
/// attributes and the types of their bodies; its paths start with `/api`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, paths) = documented().split_for_parts();
    let mut doc = ApiDoc::openapi().nest("/api", paths);
    unique_operation_ids(&mut doc);
    doc
}

/// utoipa names an operation after its handler function, and several modules have a `list` or a
/// `create`: the operation's tag (its module) in front makes the ids unique (`lessons_list`).
fn unique_operation_ids(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in operations.into_iter().flatten() {
            let tag = op.tags.as_ref().and_then(|t| t.first());
            if let (Some(tag), Some(id)) = (tag, &op.operation_id) {
                op.operation_id = Some(format!("{tag}_{id}"));
            }
        }
    }
}

#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "openapi",
    summary = "This document",
    description = "Who: anyone",
    responses((status = 200, description = "OpenAPI 3.1", body = Object)),
    security(())
)]
async fn openapi_json() -> Result<impl IntoResponse, error::ApiError> {
    let json = openapi().to_pretty_json().map_err(|e| {
        tracing::error!(error = %e, "serializing the OpenAPI document");
        error::ApiError::Internal
    })?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json))
}
