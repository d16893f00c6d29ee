//! The relay records when each classroom is connected to a lesson; the attendance report (JSON and
//! CSV) says who attended and who is missing, and the school report counts it. A real server, a
//! real WebSocket classroom.

mod common;

use axum::http::{Method, StatusCode};
use common::wait::until;
use common::Console;
use futures_util::{SinkExt, StreamExt};
use relay::attendance::LinkTime;
use relay::auth::{now_secs, Signer};
use shared::codec::encode_client;
use shared::ids::{ClassroomId, LessonId, PageId, Role};
use shared::protocol::{ClientMsg, PROTOCOL_VERSION};
use shared::token::Claims;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Yesterday and the day after tomorrow (Asia/Shanghai), as a report's `from` and `to`.
fn around_today() -> (String, String) {
    let today = time::OffsetDateTime::now_utc()
        .to_offset(shared::schedule::slot::SHANGHAI)
        .date();
    let day = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    (
        day(today.previous_day().unwrap()),
        day(today.next_day().unwrap().next_day().unwrap()),
    )
}

#[tokio::test]
async fn a_classroom_that_joined_is_present_and_one_that_did_not_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let router = common::router(dir.path()).await;
    let (addr, server) = common::serve(&router).await;

    // Classroom 2 joins the demo lesson until the report counts it present (attendance is
    // counted in whole seconds, so after at least one), then leaves.
    let now = now_secs();
    let claims = Claims {
        lesson: LessonId(1),
        role: Role::Classroom(ClassroomId(2)),
        not_before: now - 60,
        expires: now + 600,
        link: None,
    };
    let token = Signer::new(common::KEY).mint(&claims);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/lessons/1/ws"))
        .await
        .unwrap();
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        token,
        page: PageId(1),
        resume: None,
    };
    ws.send(Message::Binary(encode_client(&hello).into()))
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("welcome in time");
    assert!(matches!(first, Some(Ok(Message::Binary(_)))));
    let bureau = Console::sign_in(&router, "bureau").await;
    let attendance = async || {
        let (status, report) = bureau
            .call(Method::GET, "/api/lessons/1/attendance", None)
            .await;
        assert_eq!(status, StatusCode::OK);
        if report["classrooms"][0]["missing"] == false {
            Ok(report)
        } else {
            Err(report.to_string())
        }
    };
    until(
        "classroom 2 present while connected",
        Duration::from_secs(5),
        attendance,
    )
    .await;
    ws.close(None).await.unwrap();
    drop(ws);

    // After the leave (recorded as soon as the relay sees the close) it was present.
    let report = until(
        "classroom 2 present after it left",
        Duration::from_secs(5),
        attendance,
    )
    .await;
    let rooms = report["classrooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 3, "{report}");
    assert_eq!(rooms[0]["classroom"], 2);
    assert_eq!(rooms[0]["missing"], false, "{report}");
    assert!(rooms[0]["first_joined"].as_i64().unwrap() >= now as i64);
    assert_eq!(rooms[1]["missing"], true);
    assert_eq!(rooms[2]["missing"], true);

    let csv = bureau
        .send(Method::GET, "/api/lessons/1/attendance?format=csv", None)
        .await;
    assert_eq!(csv.content_type.as_deref(), Some("text/csv; charset=utf-8"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        lines[0],
        "classroom,name,minutes,first_joined,late,missing,high_minutes,middle_minutes,\
         low_minutes,whole_picture_minutes,audio_only_minutes,outages,outage_minutes"
    );
    assert!(
        lines[1].starts_with("2,武川县哈乐镇中心小学 · 五年级一班,0,20"),
        "{}",
        csv.text
    );
    // No media in this lesson: no time on any picture.
    assert!(
        lines[1].ends_with(",false,0.0,0.0,0.0,0.0,0.0,0,0.0"),
        "{}",
        csv.text
    );
    assert!(
        lines[2].ends_with(",,false,true,0.0,0.0,0.0,0.0,0.0,0,0.0"),
        "{}",
        csv.text
    );

    // The school reports: school 2's classroom attended the demo lesson, school 3's did not.
    let (from, to) = around_today();
    for (school, attended, rate) in [(2, 1, 100), (3, 0, 0)] {
        let (status, r) = bureau
            .call(
                Method::GET,
                &format!("/api/reports/schools/{school}?from={from}&to={to}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(r["lessons_scheduled"], 1, "{r}");
        assert_eq!(
            r["lessons_held"], 1,
            "the lesson was held (classroom 2 came): {r}"
        );
        assert_eq!(r["classrooms"][0]["scheduled"], 1, "{r}");
        assert_eq!(r["classrooms"][0]["attended"], attended, "{r}");
        assert_eq!(r["classrooms"][0]["rate"], rate, "{r}");
    }
    let csv = bureau
        .send(
            Method::GET,
            &format!("/api/reports/schools/2?from={from}&to={to}&format=csv"),
            None,
        )
        .await;
    assert!(
        csv.text.starts_with(
            "classroom,name,scheduled,attended,late,rate_percent,high_minutes,middle_minutes,\
             low_minutes,whole_picture_minutes,audio_only_minutes,outages,outage_minutes\r\n\
             2,五年级一班,1,1,"
        ),
        "{}",
        csv.text
    );

    let (status, _) = bureau
        .call(Method::GET, "/api/lessons/99/attendance", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.abort();
}

/// What the lessons' media hands to the store adds up per classroom, and the report (JSON and
/// CSV) shows it: seconds in JSON, minutes in the CSV.
#[tokio::test]
async fn link_time_adds_up_in_the_attendance_report() {
    let dir = tempfile::tempdir().unwrap();
    let (router, state) = common::router_and_state(dir.path()).await;
    let (room, other) = (ClassroomId(2), ClassroomId(3));
    let first = LinkTime {
        high_ms: 60_000,
        low_ms: 20_000,
        audio_only_ms: 9_500,
        ..LinkTime::default()
    };
    let second = LinkTime {
        high_ms: 30_000,
        audio_only_ms: 600,
        outage_ms: 12_000,
        outages: 1,
        ..LinkTime::default()
    };
    let store = state.store();
    store
        .add_link_time(LessonId(1), &[(room, first)])
        .await
        .unwrap();
    store
        .add_link_time(
            LessonId(1),
            &[
                (room, second),
                (
                    other,
                    LinkTime {
                        whole_ms: 5_000,
                        ..LinkTime::default()
                    },
                ),
            ],
        )
        .await
        .unwrap();
    // A lesson that does not exist is refused by the database, not stored.
    assert!(store
        .add_link_time(LessonId(99), &[(room, first)])
        .await
        .is_err());

    let bureau = Console::sign_in(&router, "bureau").await;
    let (status, report) = bureau
        .call(Method::GET, "/api/lessons/1/attendance", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let rows = report["classrooms"].as_array().unwrap();
    assert_eq!(
        rows[0]["link"],
        serde_json::json!({"high_seconds": 90, "middle_seconds": 0, "low_seconds": 20,
            "whole_seconds": 0, "audio_only_seconds": 10, "outage_seconds": 12, "outages": 1}),
        "{report}"
    );
    assert_eq!(rows[1]["link"]["whole_seconds"], 5, "{report}");
    assert_eq!(rows[2]["link"]["whole_seconds"], 0, "{report}");
    let csv = bureau
        .send(Method::GET, "/api/lessons/1/attendance?format=csv", None)
        .await;
    let line = csv.text.lines().nth(1).unwrap_or_default().to_string();
    assert!(line.ends_with(",1.5,0.0,0.3,0.0,0.2,1,0.2"), "{}", csv.text);

    // The school's report sums it over the lessons in its range (here the one demo lesson).
    let (from, to) = around_today();
    let path = format!("/api/reports/schools/2?from={from}&to={to}");
    let (status, school) = bureau.call(Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(school["classrooms"][0]["classroom"], 2, "{school}");
    assert_eq!(school["classrooms"][0]["link"], rows[0]["link"], "{school}");
    let csv = bureau
        .send(Method::GET, &format!("{path}&format=csv"), None)
        .await;
    let line = csv.text.lines().nth(1).unwrap_or_default().to_string();
    assert!(line.ends_with(",1.5,0.0,0.3,0.0,0.2,1,0.2"), "{}", csv.text);
}
