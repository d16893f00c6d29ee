//! Weak passwords are refused with a clear 400 wherever a password is set: ten spaces, a
//! common password, the login itself (or the login with a little added).

mod common;

use axum::http::{Method, StatusCode};
use common::{Console, PASSWORD};
use serde_json::json;

#[tokio::test]
async fn weak_passwords_are_refused_on_create_and_on_a_new_password() {
    let dir = tempfile::tempdir().unwrap();
    let router = common::router(dir.path()).await;
    let bureau = Console::sign_in(&router, "bureau").await;
    for (login, password, says) in [
        ("zhao.laoshi", "          ", "spaces"),
        ("zhao.laoshi", "1234567890", "common"),
        ("zhao.laoshi", "Password123", "common"),
        ("zhao.laoshi", "zhao.laoshi", "login"),
        ("zhao.laoshi", "zhao.laoshi1", "login"),
        ("zhao.laoshi", "short", "at least 10"),
    ] {
        let body = json!({"login": login, "name": "赵老师", "password": password,
                          "role": {"kind": "teacher", "teacher": 1}});
        let (status, err) = bureau.call(Method::POST, "/api/accounts", Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{password:?}: {err}");
        assert_eq!(err["error"], "bad_request", "{err}");
        assert_eq!(err["fields"][0]["field"], "password", "{err}");
        let message = err["fields"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{password:?}: {message}");
    }
    let body = json!({"login": "zhao.laoshi", "name": "赵老师", "password": PASSWORD,
                      "role": {"kind": "teacher", "teacher": 1}});
    let (status, created) = bureau.call(Method::POST, "/api/accounts", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().expect("an id");

    let path = format!("/api/accounts/{id}/password");
    for weak in ["qwertyuiop", "ZHAO.LAOSHI!!", "          "] {
        let (status, err) = bureau
            .call(Method::PUT, &path, Some(json!({ "password": weak })))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{weak:?}: {err}");
        assert_eq!(err["fields"][0]["field"], "password", "{err}");
    }
    let (status, _) = bureau
        .call(
            Method::PUT,
            &path,
            Some(json!({"password": "a new long password"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}
