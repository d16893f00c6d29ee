//! iCalendar feeds: a signed-in user gets a feed address; a calendar app fetches the feed with its
//! key and no session; a wrong key or another teacher's key is refused.

mod common;

use axum::http::{Method, StatusCode};
use common::Console;

#[tokio::test]
async fn a_teachers_feed_lists_their_lessons_with_the_right_key_only() {
    let dir = tempfile::tempdir().unwrap();
    let router = common::router(dir.path()).await;
    let bureau = Console::sign_in(&router, "bureau").await;
    let app = Console::anonymous(&router);

    let (status, link) = bureau
        .call(Method::GET, "/api/calendar-links/teacher/1", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let url = link["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/api/calendar/teacher/1.ics?key="));

    // The calendar app: no cookie, just the address.
    let feed = app.send(Method::GET, &url, None).await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    assert_eq!(
        feed.content_type.as_deref(),
        Some("text/calendar; charset=utf-8")
    );
    assert!(feed.text.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(
        feed.text.contains("UID:lesson-1@tongpin"),
        "the demo lesson of teacher 1: {}",
        feed.text
    );

    assert_eq!(
        app.send(Method::GET, "/api/calendar/teacher/1.ics?key=00", None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let (_, other) = bureau
        .call(Method::GET, "/api/calendar-links/teacher/2", None)
        .await;
    let other_key = other["url"]
        .as_str()
        .unwrap()
        .split("key=")
        .nth(1)
        .unwrap()
        .to_string();
    let stolen = app
        .send(
            Method::GET,
            &format!("/api/calendar/teacher/1.ics?key={other_key}"),
            None,
        )
        .await;
    assert_eq!(
        stolen.status,
        StatusCode::FORBIDDEN,
        "teacher 2's key does not open teacher 1's calendar"
    );
    let swapped = app
        .send(Method::GET, &url.replace("teacher/1", "classroom/1"), None)
        .await;
    assert_eq!(swapped.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.send(Method::GET, "/api/calendar-links/teacher/1", None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
