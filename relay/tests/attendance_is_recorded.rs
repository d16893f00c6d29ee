//! The relay records when each classroom is connected to a lesson; the attendance report (JSON and
//! CSV) says who attended and who is missing. A real server, a real WebSocket classroom.

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use futures_util::{SinkExt, StreamExt};
use relay::accounts::{password, StaffRole};
use relay::auth::{now_secs, Signer};
use relay::http::{app, AppState};
use relay::store::Store;
use serde_json::{json, Value};
use shared::codec::encode_client;
use shared::ids::{ClassroomId, LessonId, Role, SessionId};
use shared::protocol::{ClientMsg, PROTOCOL_VERSION};
use shared::token::Claims;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt;

#[tokio::test]
async fn a_classroom_that_joined_is_present_and_one_that_did_not_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    relay::demo::seed(&store, 0).await.unwrap();
    store
        .upsert_account(
            "bureau",
            "教育局",
            &password::hash("a long enough password").unwrap(),
            StaffRole::BureauAdmin,
        )
        .await
        .unwrap();
    let signer_key = [5; 32];
    let state = AppState::new(
        store,
        Signer::new(signer_key),
        dir.path().join("dist"),
        Duration::from_secs(45),
    );
    let router = app(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serving = router.clone();
    let server = tokio::spawn(async move { axum::serve(listener, serving).await });

    // Classroom 2 joins the demo lesson for a little over a second, then leaves.
    let now = now_secs();
    let claims = Claims {
        lesson: LessonId(1),
        role: Role::Classroom(ClassroomId(2)),
        not_before: now - 60,
        expires: now + 600,
        link: None,
    };
    let token = Signer::new(signer_key).mint(&claims);
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/lessons/1/ws"))
        .await
        .unwrap();
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        token,
        session: SessionId(1),
        resume: None,
    };
    ws.send(Message::Binary(encode_client(&hello).into()))
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("welcome in time");
    assert!(matches!(first, Some(Ok(Message::Binary(_)))));
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    ws.close(None).await.unwrap();
    drop(ws);

    // Sign in and read the report (the leave is recorded as soon as the relay sees the close).
    let req = Request::post("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"login": "bureau", "password": "a long enough password"}).to_string(),
        ))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let get = |path: &str| {
        Request::get(path)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap()
    };
    let mut report = Value::Null;
    for _ in 0..50 {
        let res = router
            .clone()
            .oneshot(get("/api/lessons/1/attendance"))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        report =
            serde_json::from_slice(&to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
        if report["classrooms"][0]["missing"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rooms = report["classrooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 3, "{report}");
    assert_eq!(rooms[0]["classroom"], 2);
    assert_eq!(rooms[0]["missing"], false, "{report}");
    assert!(rooms[0]["first_joined"].as_i64().unwrap() >= now as i64);
    assert_eq!(rooms[1]["missing"], true);
    assert_eq!(rooms[2]["missing"], true);

    let res = router
        .clone()
        .oneshot(get("/api/lessons/1/attendance?format=csv"))
        .await
        .unwrap();
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    let csv =
        String::from_utf8(to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "classroom,name,minutes,first_joined,late,missing");
    assert!(
        lines[1].starts_with("2,\"武川县哈乐镇中心小学 · 五年级一班\",0,20"),
        "{csv}"
    );
    assert!(lines[1].ends_with(",false"), "{csv}");
    assert!(lines[2].ends_with(",,false,true"), "{csv}");
    // The school reports: school 2's classroom attended the demo lesson, school 3's did not.
    let today = time::OffsetDateTime::now_utc()
        .to_offset(shared::schedule::slot::SHANGHAI)
        .date();
    let day = |d: time::Date| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day());
    let (from, to) = (
        day(today.previous_day().unwrap()),
        day(today.next_day().unwrap().next_day().unwrap()),
    );
    for (school, attended, rate) in [(2, 1, 100), (3, 0, 0)] {
        let res = router
            .clone()
            .oneshot(get(&format!(
                "/api/reports/schools/{school}?from={from}&to={to}"
            )))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let r: Value =
            serde_json::from_slice(&to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
        assert_eq!(r["lessons_scheduled"], 1, "{r}");
        assert_eq!(
            r["lessons_held"], 1,
            "the lesson was held (classroom 2 came): {r}"
        );
        assert_eq!(r["classrooms"][0]["scheduled"], 1, "{r}");
        assert_eq!(r["classrooms"][0]["attended"], attended, "{r}");
        assert_eq!(r["classrooms"][0]["rate"], rate, "{r}");
    }
    let res = router
        .clone()
        .oneshot(get(&format!(
            "/api/reports/schools/2?from={from}&to={to}&format=csv"
        )))
        .await
        .unwrap();
    let csv =
        String::from_utf8(to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
    assert!(
        csv.starts_with(
            "classroom,name,scheduled,attended,late,rate_percent\r\n2,\"五年级一班\",1,1,"
        ),
        "{csv}"
    );

    let res = router
        .clone()
        .oneshot(get("/api/lessons/99/attendance"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    server.abort();
}
