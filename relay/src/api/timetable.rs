//! `/api/terms`, `/api/lessons`, `/api/series`: the timetable. Creating or moving lessons is
//! checked against the in-memory [`Timetable`] under its lock; a clash is a 409 naming every
//! clashing lesson.

use super::error::{check_name, field, ApiError};
use super::extract::{ApiPath, ApiQuery};
use super::scheduling::access::visible_lesson;
use super::scheduling::basics::{check_basics, slot_of, BasicsFields};
use super::scheduling::new_lessons::book_lesson;
use super::schema::{ClassroomAttendance, DayRange};
use super::session::Staff;
use crate::accounts::permissions::Action;
use crate::state::AppState;
use crate::store::timetable::{parse_date, LessonRow};
use crate::store::Store;
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use shared::ids::LessonId;
use shared::schedule::{Slot, Term};

// ---- terms ----

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewTerm {
    name: String,
    first: String,
    last: String,
    #[serde(default)]
    holidays: Vec<DayRange>,
}

#[utoipa::path(
    post,
    path = "/terms",
    tag = "timetable",
    summary = "Create a term with holidays",
    description = "Who: bureau admin",
    request_body = NewTerm,
    responses(
        (status = 201, description = "Created", body = crate::api::schema::Term),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn create_term(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Json<NewTerm>, JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    staff.require(Action::ManageTerms)?;
    let Json(t) = body?;
    let mut errors = Vec::new();
    check_name("name", &t.name, 50, &mut errors);
    let first = parse_date(&t.first).ok_or_else(|| field("first", "a date like 2026-09-01"));
    let last = parse_date(&t.last).ok_or_else(|| field("last", "a date like 2027-01-15"));
    let mut holidays = Vec::new();
    for h in &t.holidays {
        match (parse_date(&h.first), parse_date(&h.last)) {
            (Some(a), Some(b)) => holidays.push((a, b)),
            _ => errors.push(field(
                "holidays",
                "each holiday needs first and last dates like 2026-10-01",
            )),
        }
    }
    let (first, last) = match (first, last) {
        (Ok(a), Ok(b)) if errors.is_empty() => (a, b),
        (a, b) => {
            errors.extend(a.err());
            errors.extend(b.err());
            return Err(ApiError::fields(errors));
        }
    };
    let term = Term::new(&t.name, first, last, holidays)
        .map_err(|e| ApiError::fields(vec![field("last", &e.to_string())]))?;
    let id = state.store().create_term(&term).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({"id": id, "name": term.name, "first": t.first, "last": t.last, "holidays": t.holidays}),
        ),
    ))
}

/// `POST /api/terms/{id}/holidays`: a day or days off added to a term (snow, a closure). The
/// term's series lessons in it that have not started are cancelled (single lessons stay).
#[utoipa::path(
    post,
    path = "/terms/{id}/holidays",
    tag = "timetable",
    summary = "Add a holiday to a term (snow, a closure): the term's series lessons in it that have not started are cancelled; single lessons stay",
    description = "Who: bureau admin",
    params(("id" = i64, Path, description = "The term")),
    request_body = DayRange,
    responses(
        (status = 201, description = "Added", body = crate::api::schema::HolidayAdded),
        (status = 400, description = "Bad dates, or not within the term", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
        (status = 404, description = "No such term", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn add_holiday(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<i64>,
    body: Result<Json<DayRange>, JsonRejection>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    staff.require(Action::ManageTerms)?;
    let term = state
        .store()
        .term(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("term {id} does not exist")))?;
    let Json(h) = body?;
    let (Some(first), Some(last)) = (parse_date(&h.first), parse_date(&h.last)) else {
        return Err(ApiError::fields(vec![field(
            "first",
            "first and last dates like 2026-12-01",
        )]));
    };
    if last < first || !term.contains(first) || !term.contains(last) {
        return Err(ApiError::fields(vec![field(
            "last",
            "a holiday within the term, last not before first",
        )]));
    }
    let span = (
        Slot::midnight(first),
        Slot::midnight(last.next_day().unwrap_or(last)),
    );
    let lock = state.timetable().await?;
    let mut timetable = lock.lock().await;
    let now = crate::auth::now_secs() as i64;
    let cancelled = state
        .store()
        .add_holiday(id, (first, last), span, now)
        .await?;
    for lesson in &cancelled {
        timetable.unbook(*lesson);
    }
    drop(timetable);
    Ok((
        StatusCode::CREATED,
        Json(json!({"term": id, "first": h.first, "last": h.last, "cancelled": cancelled})),
    ))
}

// ---- lessons ----

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewLessonBody {
    /// Title, subject, teacher, master and remote classrooms.
    #[serde(flatten)]
    basics: BasicsFields,
    date: String,
    start: String,
    end: String,
}

/// `POST /api/lessons`: one lesson, checked for clashes (409 naming every one).
#[utoipa::path(
    post,
    path = "/lessons",
    tag = "lessons",
    summary = "Schedule a lesson (Asia/Shanghai date and times)",
    description = "Who: bureau admin, the master classroom's school admin",
    request_body = NewLessonBody,
    responses(
        (status = 201, description = "Created", body = crate::store::timetable::LessonRow),
        (status = 409, description = "Clashes with scheduled lessons, all named", body = crate::api::schema::ErrorBody),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = [], "csrf" = []))
)]
pub async fn create_lesson(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Json<NewLessonBody>, JsonRejection>,
) -> Result<(StatusCode, Json<LessonRow>), ApiError> {
    staff.require(Action::ViewTimetable)?;
    let Json(b) = body?;
    let mut errors = Vec::new();
    let slot = slot_of(&b.date, &b.start, &b.end, &mut errors);
    let basics = check_basics(&state, b.basics, &mut errors).await?;
    let (Some(slot), Some(basics)) = (slot, basics) else {
        return Err(ApiError::fields(errors));
    };
    staff.require(Action::Schedule(basics.master_school))?;
    let id = book_lesson(&state, &staff, &basics, slot).await?;
    let row = state
        .store()
        .lesson_row(id)
        .await?
        .ok_or(ApiError::Internal)?;
    Ok((StatusCode::CREATED, Json(row)))
}

// ---- attendance ----

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportFormat {
    #[param(value_type = Option<crate::api::schema::Format>)]
    format: Option<String>,
}

/// `GET /api/lessons/{id}/attendance[?format=csv]`: who attended, for how long, late or missing.
#[utoipa::path(
    get,
    path = "/lessons/{id}/attendance",
    tag = "timetable",
    summary = "Attendance per classroom (JSON, or CSV with format=csv)",
    description = "Who: all but classroom devices",
    params(("id" = u64, Path, description = "The lesson"), ReportFormat),
    responses(
        (status = 200, description = "Report", content((crate::api::schema::LessonAttendance = "application/json"), (String = "text/csv")), headers(("content-disposition" = String, description = "With format=csv: attachment; filename=\"lesson-{id}-attendance.csv\""))),
        (status = 404, description = "No such lesson", body = crate::api::schema::ErrorBody),
        (status = 400, description = "Bad input; `fields` names what is wrong", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed, or missing X-CSRF-Token", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn attendance(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<u64>,
    ApiQuery(q): ApiQuery<ReportFormat>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let id = LessonId(id);
    visible_lesson(&state, &staff, id).await?;
    let info = state
        .store()
        .lesson(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("lesson {id} does not exist")))?;
    let slot = Slot {
        start: info.starts_at,
        end: info.ends_at,
    };
    let stretches = state.store().attendance(id).await?;
    let link_time = state.store().link_time(id).await?;
    let now = crate::auth::now_secs() as i64;
    let rows: Vec<ClassroomAttendance> = info
        .classrooms
        .iter()
        .map(|(classroom, name)| {
            let mine: Vec<_> = stretches
                .iter()
                .filter(|(c, _)| c == classroom)
                .map(|(_, s)| *s)
                .collect();
            ClassroomAttendance {
                classroom: *classroom,
                name: name.clone(),
                presence: crate::attendance::presence(slot, now, &mine),
                link: link_time
                    .get(classroom)
                    .map(crate::attendance::LinkSeconds::from)
                    .unwrap_or_default(),
            }
        })
        .collect();
    if q.format.as_deref() == Some("csv") {
        return attendance_csv(id, &rows);
    }
    Ok(Json(json!({"lesson": id, "title": info.title, "starts_at": info.starts_at, "ends_at": info.ends_at, "classrooms": rows}))
        .into_response())
}

/// The lesson's attendance report as a CSV download.
fn attendance_csv(
    id: LessonId,
    rows: &[ClassroomAttendance],
) -> Result<axum::response::Response, ApiError> {
    let header: Vec<&str> = [
        "classroom",
        "name",
        "minutes",
        "first_joined",
        "late",
        "missing",
    ]
    .into_iter()
    .chain(crate::attendance::LinkSeconds::CSV_HEADER)
    .collect();
    let csv = crate::attendance::csv_report::table(
        &header,
        rows.iter().map(|r| {
            [
                r.classroom.to_string(),
                crate::attendance::csv_report::text(&r.name),
                r.presence.minutes.to_string(),
                r.presence
                    .first_joined
                    .map(shanghai_time)
                    .unwrap_or_default(),
                r.presence.late.to_string(),
                r.presence.missing.to_string(),
            ]
            .into_iter()
            .chain(r.link.csv_cells())
        }),
    )?;
    Ok(super::csv_download::csv_download(
        &format!("lesson-{id}-attendance.csv"),
        csv,
    ))
}

/// `YYYY-MM-DD HH:MM` in Asia/Shanghai.
fn shanghai_time(unix: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(unix) else {
        return String::new();
    };
    let t = t.to_offset(shared::schedule::slot::SHANGHAI);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// `GET /api/terms`: every term with its holidays.
#[utoipa::path(
    get,
    path = "/terms",
    tag = "timetable",
    summary = "Terms with their holidays",
    description = "Who: all but classroom devices",
    responses(
        (status = 200, description = "Terms with their holidays", body = [crate::api::schema::Term]),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn list_terms(
    State(store): State<Store>,
    staff: Staff,
) -> Result<Json<serde_json::Value>, ApiError> {
    staff.require(Action::ViewTimetable)?;
    let day = |d: shared::schedule::Date| {
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    };
    let terms: Vec<serde_json::Value> = store
        .terms()
        .await?
        .into_iter()
        .map(|(id, t)| {
            let holidays: Vec<_> = t.holidays.iter().map(|(a, b)| json!({"first": day(*a), "last": day(*b)})).collect();
            json!({"id": id, "name": t.name, "first": day(t.first), "last": day(t.last), "holidays": holidays})
        })
        .collect();
    Ok(Json(json!(terms)))
}

/// `GET /api/teachers`.
#[utoipa::path(
    get,
    path = "/teachers",
    tag = "timetable",
    summary = "Teachers",
    description = "Who: all but classroom devices",
    responses(
        (status = 200, description = "Teachers", body = [crate::api::schema::Teacher]),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn list_teachers(
    State(store): State<Store>,
    staff: Staff,
) -> Result<Json<serde_json::Value>, ApiError> {
    staff.require(Action::ViewSchools)?;
    let teachers: Vec<_> = store
        .teachers()
        .await?
        .into_iter()
        .map(|(id, name, school)| json!({"id": id, "name": name, "school": school}))
        .collect();
    Ok(Json(json!(teachers)))
}
