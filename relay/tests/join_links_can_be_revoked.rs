//! Join links per lesson: handed out through the API, checked at the door, and revoked at once,
//! including for a classroom already connected. A real server, real WebSocket classrooms.

mod common;

use common::Console;

use axum::http::{Method, StatusCode};
use relay::auth::Signer;
use shared::protocol::CloseCode;

#[tokio::test]
async fn links_work_until_revoked_even_for_a_connected_classroom() {
    let dir = tempfile::tempdir().unwrap();
    let router = common::router(dir.path()).await;
    let (addr, server) = common::serve(&router).await;

    let other_school = Console::sign_in(&router, "school2").await;
    let (status, _) = other_school
        .call(Method::POST, "/api/lessons/1/links", None)
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "school 2 does not run lesson 1"
    );

    let bureau = Console::sign_in(&router, "bureau").await;
    let (status, links) = bureau
        .call(Method::POST, "/api/lessons/1/links", None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{links}");
    let links = links.as_array().unwrap().clone();
    let roles: Vec<&str> = links.iter().map(|l| l["role"].as_str().unwrap()).collect();
    assert_eq!(
        roles,
        vec!["teacher", "classroom", "classroom", "classroom", "observer"]
    );
    let (room2, room3) = (&links[1], &links[2]);

    let connected = common::join(addr, room2["path"].as_str().unwrap())
        .await
        .expect("the link admits classroom 2");
    let (status, _) = bureau
        .call(
            Method::DELETE,
            &format!("/api/links/{}", room2["link"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (code, reason) = common::closed(connected).await;
    assert_eq!(code, CloseCode::UNAUTHORIZED);
    assert!(reason.contains("revoked"), "{reason}");

    let again = common::join(addr, room2["path"].as_str().unwrap())
        .await
        .map(|_| ())
        .expect_err("a revoked link is refused");
    assert_eq!(again.0, CloseCode::UNAUTHORIZED);
    assert!(again.1.contains("revoked"), "{}", again.1);
    assert!(
        common::join(addr, room3["path"].as_str().unwrap())
            .await
            .is_ok(),
        "other links still work"
    );

    // A correctly signed token naming a link the relay never issued.
    let now = relay::auth::now_secs();
    let claims = shared::token::Claims {
        lesson: shared::ids::LessonId(1),
        role: shared::ids::Role::Observer,
        not_before: now - 60,
        expires: now + 600,
        link: Some(12_345),
    };
    let stray = format!("/lesson#token={}", Signer::new(common::KEY).mint(&claims));
    let refused = common::join(addr, &stray)
        .await
        .map(|_| ())
        .expect_err("an unknown link is refused");
    assert!(refused.1.contains("no such link"), "{}", refused.1);

    let (status, _) = bureau.call(Method::DELETE, "/api/links/999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = other_school
        .call(
            Method::DELETE,
            &format!("/api/links/{}", room3["link"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    server.abort();
}

#[tokio::test]
async fn a_lesson_closes_for_its_connections_when_their_link_expires() {
    let dir = tempfile::tempdir().unwrap();
    let router = common::router(dir.path()).await;
    let (addr, server) = common::serve(&router).await;
    let now = relay::auth::now_secs();
    let token = |classroom, expires| {
        let claims = shared::token::Claims {
            lesson: shared::ids::LessonId(1),
            role: shared::ids::Role::Classroom(shared::ids::ClassroomId(classroom)),
            not_before: now - 60,
            expires,
            link: None,
        };
        format!("/lesson#token={}", Signer::new(common::KEY).mint(&claims))
    };
    let ending = common::join(addr, &token(2, now + 2))
        .await
        .expect("a link valid for two more seconds admits classroom 2");
    let mut staying = common::join(addr, &token(3, now + 600))
        .await
        .expect("a link valid for ten minutes admits classroom 3");
    let at = std::time::Instant::now();
    let (code, reason) = common::closed(ending).await;
    assert_eq!(code, CloseCode::LESSON_OVER, "{reason}");
    assert!(reason.contains("over"), "{reason}");
    assert!(
        at.elapsed() < std::time::Duration::from_secs(4),
        "closed when the link expired"
    );
    // The other connection is untouched.
    let closed = tokio::time::timeout(std::time::Duration::from_secs(1), async {
        use futures_util::StreamExt;
        loop {
            match staying.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) | None => return,
                Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(
        closed.is_err(),
        "the connection with a later expiry stays open"
    );
    server.abort();
}
