//! iCalendar feeds: a signed-in user gets a feed address; a calendar app fetches the feed with its
//! key and no session; a wrong key or another teacher's key is refused.

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use relay::accounts::{password, StaffRole};
use relay::auth::Signer;
use relay::http::{app, AppState};
use relay::store::Store;
use serde_json::{json, Value};
use std::time::Duration;
use tower::ServiceExt;

#[tokio::test]
async fn a_teachers_feed_lists_their_lessons_with_the_right_key_only() {
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
    let router = app(AppState::new(
        store,
        Signer::new([4; 32]),
        dir.path().join("dist"),
        Duration::from_secs(45),
    ));
    let send = |req: Request<Body>| {
        let router = router.clone();
        async move {
            let res = router.oneshot(req).await.unwrap();
            let status = res.status();
            let ctype = res
                .headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.to_str().unwrap().to_string());
            let cookie = res
                .headers()
                .get(header::SET_COOKIE)
                .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
            let body =
                String::from_utf8(to_bytes(res.into_body(), 1 << 20).await.unwrap().to_vec())
                    .unwrap();
            (status, ctype, cookie, body)
        }
    };
    let (_, _, cookie, _) = send(
        Request::post("/api/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"login": "bureau", "password": "a long enough password"}).to_string(),
            ))
            .unwrap(),
    )
    .await;
    let cookie = cookie.unwrap();
    let (status, _, _, body) = send(
        Request::get("/api/calendar-links/teacher/1")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let url = serde_json::from_str::<Value>(&body).unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with("/api/calendar/teacher/1.ics?key="));

    // The calendar app: no cookie, just the address.
    let (status, ctype, _, feed) = send(Request::get(&url).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    assert_eq!(ctype.as_deref(), Some("text/calendar; charset=utf-8"));
    assert!(feed.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(
        feed.contains("UID:lesson-1@tongpin"),
        "the demo lesson of teacher 1: {feed}"
    );

    let (status, _, _, _) = send(
        Request::get("/api/calendar/teacher/1.ics?key=00")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, _, other) = send(
        Request::get("/api/calendar-links/teacher/2")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let other_key = serde_json::from_str::<Value>(&other).unwrap()["url"]
        .as_str()
        .unwrap()
        .split("key=")
        .nth(1)
        .unwrap()
        .to_string();
    let (status, _, _, _) = send(
        Request::get(format!("/api/calendar/teacher/1.ics?key={other_key}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "teacher 2's key does not open teacher 1's calendar"
    );
    let (status, _, _, feed) = send(
        Request::get(url.replace("teacher/1", "classroom/1"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{feed}");
    let (status, _, _, _) = send(
        Request::get("/api/calendar-links/teacher/1")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
