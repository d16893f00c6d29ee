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

pub mod accounts;
pub mod calendar;
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

use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;

/// Request bodies of the API are small forms.
const BODY_LIMIT: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/session",
            axum::routing::post(session::sign_in).delete(session::sign_out),
        )
        .route("/me", get(session::me))
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/{id}", axum::routing::delete(accounts::remove))
        .route(
            "/accounts/{id}/password",
            axum::routing::put(accounts::set_password),
        )
        .route("/schools", get(schools::list).post(schools::create))
        .route("/classrooms", get(schools::all_classrooms))
        .route(
            "/schools/{id}/classrooms",
            get(schools::classrooms).post(schools::create_classroom),
        )
        .route(
            "/schools/{id}/teachers",
            axum::routing::post(schools::create_teacher),
        )
        .route(
            "/terms",
            get(timetable::list_terms).post(timetable::create_term),
        )
        .route(
            "/terms/{id}/holidays",
            axum::routing::post(timetable::add_holiday),
        )
        .route("/teachers", get(timetable::list_teachers))
        .route(
            "/lessons",
            get(lessons::list).post(timetable::create_lesson),
        )
        .route(
            "/lessons/{id}",
            get(lessons::get)
                .patch(lessons::update)
                .delete(lessons::cancel),
        )
        .route("/series", axum::routing::post(series::create))
        .route("/series/{id}", axum::routing::patch(series::change))
        .route("/lessons/{id}/attendance", get(timetable::attendance))
        .route("/lessons/{id}/links", axum::routing::post(links::create))
        .route("/links/{id}", axum::routing::delete(links::revoke))
        .route("/calendar-links/{kind}/{id}", get(calendar::link))
        .route("/calendar/{kind}/{file}", get(calendar::feed))
        .route("/reports/schools/{id}", get(reports::school))
        .route("/device/lesson", get(device::current_lesson))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { error::ApiError::NotFound("no such API endpoint".into()) })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// The OpenAPI 3.0 document of this API (kept beside this file; a test checks it matches the routes).
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}
