//! The OpenAPI document served at /api/openapi.json lists exactly the API's routes: every path and
//! method in it reaches a handler (not the "no such endpoint" fallback), and every documented
//! operation names who may call it.

use axum::body::{to_bytes, Body};
use axum::http::{Method, Request, StatusCode};
use relay::auth::Signer;
use relay::http::app;
use relay::state::AppState;
use relay::store::Store;
use serde_json::Value;
use std::time::Duration;
use tower::ServiceExt;

#[tokio::test]
async fn every_documented_operation_exists() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    let router = app(AppState::new(
        store,
        Signer::new([1; 32]),
        dir.path().join("dist"),
        Duration::from_secs(45),
    ));
    let res = router
        .clone()
        .oneshot(
            Request::get("/api/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let doc: Value =
        serde_json::from_slice(&to_bytes(res.into_body(), 1 << 20).await.unwrap()).unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 12);
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            if path != "/api/openapi.json" {
                assert!(
                    op["description"]
                        .as_str()
                        .unwrap_or("")
                        .starts_with("Who: "),
                    "{method} {path} says who may call it"
                );
            }
            let uri = path.replace("{id}", "1").replace("{kind}", "teacher");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let res = router
                .clone()
                .oneshot(
                    Request::builder()
                        .method(m)
                        .uri(&uri)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let status = res.status();
            let body = to_bytes(res.into_body(), 1 << 20).await.unwrap();
            let text = String::from_utf8_lossy(&body);
            assert!(
                !text.contains("no such API endpoint"),
                "{method} {path} is documented but not routed"
            );
            assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        }
    }
}
