//! Accounts through the API against a real SQLite file: bureau admins manage every account,
//! school admins those of their own school only; a removed account or a reset password signs
//! out every session at once; bad input is named.

mod common;

use axum::http::{Method, StatusCode};
use common::{Console, PASSWORD};
use serde_json::{json, Value};

fn logins(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|a| a["login"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn accounts_are_managed_by_bureau_and_school_admins() {
    let dir = tempfile::tempdir().unwrap();
    let router = common::router(dir.path()).await;
    let bureau = Console::sign_in(&router, "bureau").await;
    let school2 = Console::sign_in(&router, "school2").await;

    // A teacher account for teacher 1 (of school 1): it signs in as that teacher.
    let new = json!({"login": "wang.laoshi", "name": "王老师", "password": PASSWORD,
                     "role": {"kind": "teacher", "teacher": 1}});
    let (status, created) = bureau
        .call(Method::POST, "/api/accounts", Some(new.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["school"], 1);
    let teacher = Console::sign_in(&router, "wang.laoshi").await;
    let (_, me) = teacher.call(Method::GET, "/api/me", None).await;
    assert_eq!(
        me["account"]["role"],
        json!({"kind": "teacher", "teacher": 1})
    );

    // Taken logins, short passwords, odd logins and unknown teachers are refused clearly.
    let (status, err) = bureau
        .call(Method::POST, "/api/accounts", Some(new.clone()))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    let bad = json!({"login": "a b", "name": "", "password": "short",
                     "role": {"kind": "teacher", "teacher": 999}});
    let (status, err) = bureau.call(Method::POST, "/api/accounts", Some(bad)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    let fields: Vec<&str> = err["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "login", "role"]);
    let short =
        json!({"login": "li", "name": "李", "password": "short", "role": {"kind": "bureau_admin"}});
    let (status, _) = bureau
        .call(Method::POST, "/api/accounts", Some(short))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let short = json!({"login": "li.ju", "name": "李", "password": "short", "role": {"kind": "bureau_admin"}});
    let (status, err) = bureau
        .call(Method::POST, "/api/accounts", Some(short))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["fields"][0]["field"], "password", "{err}");

    // School 2's admin sees and manages its own school's accounts only.
    let (status, list) = school2.call(Method::GET, "/api/accounts", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        logins(&list),
        ["device", "school2"],
        "classroom 2 is school 2's"
    );
    let (_, all) = bureau.call(Method::GET, "/api/accounts", None).await;
    assert_eq!(
        logins(&all),
        [
            "bureau",
            "device",
            "school1",
            "school2",
            "teacher",
            "wang.laoshi"
        ]
    );
    let device = |classroom: u64, login: &str| {
        json!({"login": login, "name": "教室电脑", "password": PASSWORD,
               "role": {"kind": "classroom_device", "classroom": classroom}})
    };
    let (status, _) = school2
        .call(
            Method::POST,
            "/api/accounts",
            Some(device(2, "wuchuan-5-1")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for body in [
        device(3, "siziwang-5"),
        json!({"login": "boss", "name": "局长", "password": PASSWORD, "role": {"kind": "bureau_admin"}}),
    ] {
        let (status, err) = school2
            .call(Method::POST, "/api/accounts", Some(body))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{err}");
    }
    let id = created["id"].as_i64().unwrap();
    let (status, _) = school2
        .call(Method::DELETE, &format!("/api/accounts/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a school 1 teacher");

    // Teachers, devices and strangers manage nothing.
    for who in [&teacher, &Console::sign_in(&router, "device").await] {
        let (status, _) = who.call(Method::GET, "/api/accounts", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = who
            .call(Method::POST, "/api/accounts", Some(device(2, "x-device")))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = Console::anonymous(&router)
        .call(Method::GET, "/api/accounts", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A new password signs the account out everywhere; the new one works.
    let device_session = Console::sign_in(&router, "device").await;
    let device_id = all.as_array().unwrap()[1]["id"].as_i64().unwrap();
    let (status, _) = school2
        .call(
            Method::PUT,
            &format!("/api/accounts/{device_id}/password"),
            Some(json!({"password": "a new long password"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = device_session.call(Method::GET, "/api/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let r = Console::anonymous(&router)
        .send(
            Method::POST,
            "/api/session",
            Some(json!({"login": "device", "password": "a new long password"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // Removing an account ends its sessions at once; nobody removes themselves.
    let (status, _) = bureau
        .call(Method::DELETE, &format!("/api/accounts/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = teacher.call(Method::GET, "/api/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let bureau_id = all.as_array().unwrap()[0]["id"].as_i64().unwrap();
    let (status, _) = bureau
        .call(Method::DELETE, &format!("/api/accounts/{bureau_id}"), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = bureau.call(Method::DELETE, "/api/accounts/999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
