//! WHIP and WHEP refuse what they must, with the status codes RFC 9725 clients expect: no or a
//! forged token (401 with WWW-Authenticate), a classroom or observer token publishing (403), a
//! body that is not SDP (415, 400), an oversized offer (413), playback before anyone broadcasts
//! (503 with Retry-After), trickle ICE (405), unknown resources (404). OPTIONS says Accept-Post.

mod common;

use axum::body::{to_bytes, Body};
use axum::http::{header, Method, Request, StatusCode};
use shared::ids::{ClassroomId, Role};
use tower::ServiceExt;

const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
    m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=recvonly\r\n";

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn call(
    router: &axum::Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: String,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, content_type);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = router
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

#[tokio::test]
async fn whip_and_whep_refuse_with_the_rfc_status_codes() {
    let dir = tempfile::tempdir().unwrap();
    let router = common::router(dir.path()).await;
    let lesson = relay::demo::DEMO_LESSON.0;
    let whip = format!("/lessons/{lesson}/whip");
    let whep = format!("/lessons/{lesson}/whep");
    let sdp = "application/sdp";

    let r = call(&router, Method::OPTIONS, &whip, None, sdp, String::new()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.headers["accept-post"], "application/sdp");

    let r = call(&router, Method::POST, &whip, None, sdp, OFFER.into()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(r.headers[header::WWW_AUTHENTICATE], "Bearer");

    let forged = format!("{}x", common::token(Role::Teacher));
    let r = call(
        &router,
        Method::POST,
        &whip,
        Some(&forged),
        sdp,
        OFFER.into(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    let other_lesson = format!("/lessons/{}/whip", lesson + 1);
    let teacher = common::token(Role::Teacher);
    let r = call(
        &router,
        Method::POST,
        &other_lesson,
        Some(&teacher),
        sdp,
        OFFER.into(),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a token for another lesson: {}",
        r.body
    );

    for role in [Role::Classroom(ClassroomId(2)), Role::Observer] {
        let t = common::token(role);
        let r = call(&router, Method::POST, &whip, Some(&t), sdp, OFFER.into()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role}: {}", r.body);
        assert!(r.body.contains("teacher"), "{}", r.body);
    }

    let r = call(
        &router,
        Method::POST,
        &whip,
        Some(&teacher),
        "text/plain",
        OFFER.into(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);

    let r = call(
        &router,
        Method::POST,
        &whip,
        Some(&teacher),
        sdp,
        "hello".into(),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("SDP"), "{}", r.body);

    let r = call(
        &router,
        Method::POST,
        &whip,
        Some(&teacher),
        sdp,
        OFFER.into(),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a receive-only offer can not publish"
    );
    assert!(r.body.contains("must send"), "{}", r.body);

    let huge = format!("{OFFER}{}", "a=x\r\n".repeat(10_000));
    let r = call(&router, Method::POST, &whip, Some(&teacher), sdp, huge).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);

    let viewer = common::token(Role::Observer);
    let r = call(
        &router,
        Method::POST,
        &whep,
        Some(&viewer),
        sdp,
        OFFER.into(),
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.headers[header::RETRY_AFTER], "5");

    let resource = format!("/lessons/{lesson}/whip/12345");
    let r = call(
        &router,
        Method::PATCH,
        &resource,
        Some(&teacher),
        sdp,
        String::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = call(
        &router,
        Method::DELETE,
        &resource,
        Some(&teacher),
        sdp,
        String::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = call(&router, Method::DELETE, &resource, None, sdp, String::new()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
