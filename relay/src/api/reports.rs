//! `GET /api/reports/schools/{id}?from=&to=[&format=csv]`: for a school and a date range, the
//! lessons its classrooms were scheduled for against those held, and attendance per classroom.

use super::error::{ApiError, FieldError};
use super::extract::{ApiPath, ApiQuery};
use super::session::Staff;
use crate::accounts::permissions::Action;
use crate::attendance::{presence, LinkSeconds, LinkTime, Tally};
use crate::auth::now_secs;
use crate::state::AppState;
use crate::store::timetable::{parse_date, LessonFilter};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use shared::ids::{ClassroomId, SchoolId};
use shared::schedule::{Date, Slot};
use std::collections::{BTreeMap, HashMap};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Range {
    /// First day, `YYYY-MM-DD`.
    from: String,
    /// The day after the last, `YYYY-MM-DD` (at most a year after `from`).
    to: String,
    #[param(value_type = Option<crate::api::schema::Format>)]
    format: Option<String>,
}

#[utoipa::path(
    get,
    path = "/reports/schools/{id}",
    tag = "reports",
    summary = "A school's lessons held against scheduled and attendance per classroom over a date range (JSON, or CSV with format=csv)",
    description = "Who: bureau admin, that school's admin",
    params(("id" = u64, Path, description = "The school"), Range),
    responses(
        (status = 200, description = "The report", content((crate::api::schema::SchoolReport = "application/json"), (String = "text/csv")), headers(("content-disposition" = String, description = "With format=csv: attachment; filename=\"school-{id}-attendance.csv\""))),
        (status = 400, description = "Bad dates", body = crate::api::schema::ErrorBody),
        (status = 401, description = "Not signed in", body = crate::api::schema::ErrorBody),
        (status = 403, description = "Not allowed", body = crate::api::schema::ErrorBody),
        (status = 404, description = "No such school", body = crate::api::schema::ErrorBody),
    ),
    security(("session" = []))
)]
pub async fn school(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(id): ApiPath<u64>,
    ApiQuery(q): ApiQuery<Range>,
) -> Result<Response, ApiError> {
    let school = SchoolId(id);
    staff.require(Action::ViewReports(school))?;
    if !state.store().school_exists(school).await? {
        return Err(ApiError::NotFound(format!(
            "school {school} does not exist"
        )));
    }
    let (Some(from), Some(to)) = (parse_date(&q.from), parse_date(&q.to)) else {
        return Err(ApiError::fields(vec![FieldError {
            field: "from",
            message: "dates like 2026-09-01 in from and to".into(),
        }]));
    };
    if to <= from || (to - from).whole_days() > 366 {
        return Err(ApiError::fields(vec![FieldError {
            field: "to",
            message: "after from, at most a year later".into(),
        }]));
    }
    let report = tally(&state, school, from, to).await?;
    if q.format.as_deref() == Some("csv") {
        return csv_table(id, &report);
    }
    let SchoolTally {
        rooms,
        tallies,
        links,
        scheduled,
        held,
    } = report;
    let rows: Vec<serde_json::Value> = tallies
        .iter()
        .map(|(c, t)| json!({"classroom": c, "name": rooms.get(c), "scheduled": t.scheduled, "attended": t.attended, "late": t.late, "rate": t.rate(), "link": link_of(&links, *c)}))
        .collect();
    Ok(Json(json!({"school": school, "from": q.from, "to": q.to, "lessons_scheduled": scheduled, "lessons_held": held, "classrooms": rows})).into_response())
}

/// A school's classrooms and their tallies over `[from, to)`, with how many lessons of the school
/// were scheduled and held by now.
struct SchoolTally {
    rooms: BTreeMap<ClassroomId, String>,
    tallies: BTreeMap<ClassroomId, Tally>,
    /// Each classroom's time on each picture of the teacher, over the lessons counted.
    links: BTreeMap<ClassroomId, LinkTime>,
    scheduled: u32,
    held: u32,
}

async fn tally(
    state: &AppState,
    school: SchoolId,
    from: Date,
    to: Date,
) -> Result<SchoolTally, ApiError> {
    let rooms: BTreeMap<ClassroomId, String> = state
        .store()
        .classrooms_of(school)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let now = now_secs() as i64;
    let lessons = state
        .store()
        .lessons_matching(
            Slot::midnight(from),
            Slot::midnight(to),
            &LessonFilter {
                school: Some(school),
                ..LessonFilter::default()
            },
        )
        .await?;
    let mut tallies: BTreeMap<ClassroomId, Tally> =
        rooms.keys().map(|c| (*c, Tally::default())).collect();
    let mut links: BTreeMap<ClassroomId, LinkTime> = BTreeMap::new();
    let (mut scheduled, mut held) = (0u32, 0u32);
    for lesson in lessons.iter().filter(|l| l.starts_at <= now) {
        let mine: Vec<ClassroomId> = std::iter::once(lesson.master_classroom)
            .chain(lesson.classrooms.iter().copied())
            .filter(|c| rooms.contains_key(c))
            .collect();
        if mine.is_empty() {
            continue;
        }
        scheduled += 1;
        let stretches = state.store().attendance(lesson.id).await?;
        for (c, time) in state.store().link_time(lesson.id).await? {
            if mine.contains(&c) && c != lesson.master_classroom {
                links.entry(c).or_default().add(&time);
            }
        }
        let mut by_room: HashMap<ClassroomId, Vec<_>> = HashMap::new();
        for (c, s) in stretches {
            by_room.entry(c).or_default().push(s);
        }
        // Held: some remote classroom was there (the relay records classrooms, not the teacher).
        if lesson.classrooms.iter().any(|c| by_room.contains_key(c)) {
            held += 1;
        }
        let slot = Slot {
            start: lesson.starts_at,
            end: lesson.ends_at,
        };
        for c in mine.into_iter().filter(|c| *c != lesson.master_classroom) {
            let p = presence(slot, now, by_room.get(&c).map(Vec::as_slice).unwrap_or(&[]));
            if let Some(t) = tallies.get_mut(&c) {
                t.add(&p);
            }
        }
    }
    Ok(SchoolTally {
        rooms,
        tallies,
        links,
        scheduled,
        held,
    })
}

/// A classroom's link time in the report.
fn link_of(links: &BTreeMap<ClassroomId, LinkTime>, classroom: ClassroomId) -> LinkSeconds {
    links
        .get(&classroom)
        .map(LinkSeconds::from)
        .unwrap_or_default()
}

/// The report as a CSV download.
fn csv_table(id: u64, report: &SchoolTally) -> Result<Response, ApiError> {
    let header: Vec<&str> = [
        "classroom",
        "name",
        "scheduled",
        "attended",
        "late",
        "rate_percent",
    ]
    .into_iter()
    .chain(LinkSeconds::CSV_HEADER)
    .collect();
    let csv = crate::attendance::csv_report::table(
        &header,
        report.tallies.iter().map(|(c, t)| {
            let name = report.rooms.get(c).map(String::as_str).unwrap_or("");
            [
                c.to_string(),
                crate::attendance::csv_report::text(name),
                t.scheduled.to_string(),
                t.attended.to_string(),
                t.late.to_string(),
                t.rate().to_string(),
            ]
            .into_iter()
            .chain(link_of(&report.links, *c).csv_cells())
        }),
    )?;
    Ok(super::csv_download::csv_download(
        &format!("school-{id}-attendance.csv"),
        csv,
    ))
}
