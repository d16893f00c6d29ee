//! The timetable API against a real SQLite file: terms with holidays, weekly series, single
//! lessons and moves; clashes answered 409 naming every clashing lesson, nothing half-created;
//! the timetable survives a restart.

mod common;

use axum::http::{Method, StatusCode};
use common::Console;
use serde_json::{json, Value};
use std::path::Path;

/// The API over the database in `dir`, signed in as `login` (opening it again is a relay restart).
async fn open(dir: &Path, login: &str) -> Console {
    Console::sign_in(&common::router(dir).await, login).await
}

async fn lessons_in(api: &Console, from: &str, to: &str) -> Vec<Value> {
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/api/lessons?from={from}&to={to}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

fn term() -> Value {
    json!({"name": "2030 秋季学期", "first": "2030-09-02", "last": "2030-11-30",
           "holidays": [{"first": "2030-10-01", "last": "2030-10-07"}]})
}

fn lesson(date: &str, start: &str, end: &str, classrooms: &[u64]) -> Value {
    json!({"title": "分数的加减法", "subject": "数学", "teacher": 1, "master_classroom": 1,
           "classrooms": classrooms, "date": date, "start": start, "end": end})
}

#[tokio::test]
async fn series_lessons_and_clashes() {
    let dir = tempfile::tempdir().unwrap();
    let api = open(dir.path(), "bureau").await;
    let (status, t) = api.call(Method::POST, "/api/terms", Some(term())).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let term_id = t["id"].as_i64().unwrap();
    let (_, terms) = api.call(Method::GET, "/api/terms", None).await;
    assert_eq!(terms[0]["id"], term_id);
    assert_eq!(terms[0]["holidays"][0]["first"], "2030-10-01");
    let (_, teachers) = api.call(Method::GET, "/api/teachers", None).await;
    assert_eq!(teachers[0]["name"], "王老师");

    // Two lessons already in the way of a Tuesday series: one for classroom 3, one for the teacher.
    let (status, a) = api
        .call(
            Method::POST,
            "/api/lessons",
            Some(lesson("2030-09-10", "10:30", "11:15", &[3])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let (status, b) = api
        .call(
            Method::POST,
            "/api/lessons",
            Some(lesson("2030-10-22", "09:30", "10:15", &[4])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");

    let series = json!({"term": term_id, "weekday": 2, "start": "10:00", "end": "10:45", "title": "数学 五年级",
                        "subject": "数学", "teacher": 1, "master_classroom": 1, "classrooms": [2, 3]});
    let before = lessons_in(&api, "2030-09-01", "2030-12-01").await.len();
    let (status, err) = api
        .call(Method::POST, "/api/series", Some(series.clone()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    let named: std::collections::BTreeSet<i64> = err["clashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["lesson"].as_i64().unwrap())
        .collect();
    assert_eq!(
        named,
        [a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap()]
            .into_iter()
            .collect(),
        "{err}"
    );
    assert_eq!(err["clashes"][0]["title"], "分数的加减法");
    assert_eq!(
        lessons_in(&api, "2030-09-01", "2030-12-01").await.len(),
        before,
        "nothing of the series was created"
    );

    // Move the two out of the way (a move into a clash is refused first).
    let a_id = a["id"].as_i64().unwrap();
    let (status, _) = api
        .call(
            Method::PATCH,
            &format!("/api/lessons/{}", b["id"]),
            Some(json!({"date": "2030-09-10", "start": "10:00", "end": "10:45"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "moving onto lesson {a_id}");
    for (id, date) in [
        (a_id, "2030-09-11"),
        (b["id"].as_i64().unwrap(), "2030-10-23"),
    ] {
        let (status, moved) = api
            .call(
                Method::PATCH,
                &format!("/api/lessons/{id}"),
                Some(json!({"date": date, "start": "10:00", "end": "10:45"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{moved}");
    }
    let (status, created) = api.call(Method::POST, "/api/series", Some(series)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // Tuesdays from 3 Sep to 26 Nov 2030: 13, less the National Day week's.
    assert_eq!(created["lessons"].as_array().unwrap().len(), 12);
    let in_holiday = lessons_in(&api, "2030-10-01", "2030-10-08").await;
    assert!(
        in_holiday.iter().all(|l| l["series"].is_null()),
        "no series lesson in the holiday week"
    );

    // Back to back with a series lesson is fine; a minute of overlap is not.
    let (status, _) = api
        .call(
            Method::POST,
            "/api/lessons",
            Some(lesson("2030-09-03", "10:45", "11:30", &[2])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, err) = api
        .call(
            Method::POST,
            "/api/lessons",
            Some(lesson("2030-09-17", "10:44", "11:30", &[4])),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        err["clashes"].as_array().unwrap().len(),
        2,
        "the teacher and classroom 1: {err}"
    );

    // The timetable comes back after a restart: the same clash is found.
    drop(api);
    let again = open(dir.path(), "bureau").await;
    let (status, _) = again
        .call(
            Method::POST,
            "/api/lessons",
            Some(lesson("2030-09-17", "10:44", "11:30", &[4])),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn schools_schedule_only_their_own_lessons_and_bad_fields_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let other = open(dir.path(), "school2").await;
    let (status, _) = other
        .call(
            Method::POST,
            "/api/lessons",
            Some(lesson("2030-09-03", "08:00", "08:45", &[2])),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "school 2 may not schedule from school 1's master classroom"
    );
    let (status, _) = other.call(Method::POST, "/api/terms", Some(term())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let own = open(dir.path(), "school1").await;
    let (status, created) = own
        .call(
            Method::POST,
            "/api/lessons",
            Some(lesson("2030-09-03", "08:00", "08:45", &[2])),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _) = other
        .call(
            Method::PATCH,
            &format!("/api/lessons/{}", created["id"]),
            Some(json!({"date": "2030-09-04", "start": "08:00", "end": "08:45"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let bad = json!({"title": "", "teacher": 99, "master_classroom": 1, "classrooms": [], "date": "2030-13-01", "start": "8:00", "end": "07:00"});
    let (status, err) = own.call(Method::POST, "/api/lessons", Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = err["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    for f in ["date", "start", "title", "classrooms", "teacher"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    let backwards = lesson("2030-09-05", "09:00", "08:00", &[2]);
    let (status, err) = own
        .call(Method::POST, "/api/lessons", Some(backwards))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["fields"][0]["field"], "end");
    let (status, _) = own
        .call(
            Method::GET,
            "/api/lessons?from=2030-09-01&to=2031-09-01",
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a range longer than 93 days"
    );
}
