//! A classroom device, signed in with its own account, asks for its classroom's current lesson and
//! gets a join link it can open (a revocable one, reused while valid): the standing link.

mod common;

use axum::http::{Method, StatusCode};
use common::Console;
use shared::protocol::CloseCode;

#[tokio::test]
async fn the_device_gets_the_lesson_on_now_and_loses_it_when_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let router = common::router(dir.path()).await;
    let (addr, server) = common::serve(&router).await;
    // The `device` account belongs to classroom 2, a remote classroom of the demo lesson (on now).
    let device = Console::sign_in(&router, "device").await;
    let (status, now) = device.call(Method::GET, "/api/device/lesson", None).await;
    assert_eq!(status, StatusCode::OK, "{now}");
    assert_eq!(now["lesson"], 1, "{now}");
    let path = now["path"].as_str().unwrap().to_string();
    let connected = common::join(addr, &path)
        .await
        .expect("the device joins its lesson");
    let (_, again) = device.call(Method::GET, "/api/device/lesson", None).await;
    assert_eq!(
        again["link"], now["link"],
        "the same link while it is valid"
    );

    // The bureau revokes it: the device is put out, and its next ask gets a fresh link.
    let bureau = Console::sign_in(&router, "bureau").await;
    let (status, _) = bureau
        .call(Method::DELETE, &format!("/api/links/{}", now["link"]), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(common::closed(connected).await.0, CloseCode::UNAUTHORIZED);
    let (_, fresh) = device.call(Method::GET, "/api/device/lesson", None).await;
    assert_ne!(fresh["link"], now["link"]);
    assert!(common::join(addr, fresh["path"].as_str().unwrap())
        .await
        .is_ok());

    // Only devices have a current lesson.
    let (status, _) = bureau.call(Method::GET, "/api/device/lesson", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    server.abort();
}
