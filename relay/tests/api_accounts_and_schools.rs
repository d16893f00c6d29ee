//! The bureau API against a real SQLite file, through the real router: signing in, CSRF, and a
//! permissions matrix (every role against every endpoint), plus clear 400/401/403/404 errors.

mod common;

use axum::http::{Method, StatusCode};
use common::{Console, PASSWORD};
use serde_json::{json, Value};

/// The API over a fresh database with one account per role.
struct Api {
    router: axum::Router,
    _dir: tempfile::TempDir,
}

type Browser = Console;

impl Api {
    async fn new() -> Api {
        let dir = tempfile::tempdir().unwrap();
        Api {
            router: common::router(dir.path()).await,
            _dir: dir,
        }
    }

    async fn sign_in(&self, login: &str) -> Console {
        Console::sign_in(&self.router, login).await
    }

    fn anonymous(&self) -> Console {
        Console::anonymous(&self.router)
    }

    async fn call(
        &self,
        who: &Console,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, Option<String>) {
        let r = who.send(method, path, body).await;
        (r.status, r.json, r.set_cookie)
    }
}

#[tokio::test]
async fn every_role_against_every_endpoint() {
    let api = Api::new().await;
    let anonymous = api.anonymous();
    let bureau = api.sign_in("bureau").await;
    let school2 = api.sign_in("school2").await;
    let teacher = api.sign_in("teacher").await;
    let device = api.sign_in("device").await;
    let roles: [(&str, &Browser); 5] = [
        ("anonymous", &anonymous),
        ("bureau", &bureau),
        ("school2", &school2),
        ("teacher", &teacher),
        ("device", &device),
    ];

    // Every route of the API, with what each role gets, in the roles' order above. Each role
    // makes every call before the next role starts, so what the bureau admin creates (term 1,
    // lesson 2, series 1 with lessons 3 and on, link 1) exists for the others, and what it
    // removes (account 2, lesson 4) is gone for them: 403 as for something not theirs (only
    // bureau staff learn which ids exist).
    use StatusCode as S;
    let (ok, new, gone, no, who, none) = (
        S::OK,
        S::CREATED,
        S::NO_CONTENT,
        S::FORBIDDEN,
        S::UNAUTHORIZED,
        S::NOT_FOUND,
    );
    type Call = (Method, &'static str, fn() -> Option<Value>, [StatusCode; 5]);
    let calls: Vec<Call> = vec![
        (Method::GET, "/api/me", || None, [who, ok, ok, ok, ok]),
        (Method::GET, "/api/accounts", || None, [who, ok, ok, no, no]),
        (
            Method::POST,
            "/api/accounts",
            || {
                Some(
                    json!({"login": "matrix-teacher", "name": "王老师", "password": PASSWORD,
                            "role": {"kind": "teacher", "teacher": 1}}),
                )
            },
            [who, new, no, no, no],
        ),
        // Account 2 is school 1's admin.
        (
            Method::PUT,
            "/api/accounts/2/password",
            || Some(json!({"password": "another long password"})),
            [who, gone, no, no, no],
        ),
        (
            Method::DELETE,
            "/api/accounts/2",
            || None,
            [who, gone, no, no, no],
        ),
        (Method::GET, "/api/schools", || None, [who, ok, ok, ok, no]),
        (
            Method::GET,
            "/api/classrooms",
            || None,
            [who, ok, ok, ok, no],
        ),
        (
            Method::POST,
            "/api/schools",
            || Some(json!({"name": "达茂旗百灵庙学校", "county": "达茂旗", "kind": "remote"})),
            [who, new, no, no, no],
        ),
        (
            Method::GET,
            "/api/schools/2/classrooms",
            || None,
            [who, ok, ok, ok, no],
        ),
        (
            Method::POST,
            "/api/schools/2/classrooms",
            || Some(json!({"name": "六年级"})),
            [who, new, new, no, no],
        ),
        (
            Method::POST,
            "/api/schools/3/classrooms",
            || Some(json!({"name": "六年级"})),
            [who, new, no, no, no],
        ),
        (
            Method::POST,
            "/api/schools/2/teachers",
            || Some(json!({"name": "赵老师"})),
            [who, new, new, no, no],
        ),
        (
            Method::POST,
            "/api/terms",
            || Some(json!({"name": "秋季", "first": "2030-09-02", "last": "2030-12-30"})),
            [who, new, no, no, no],
        ),
        (Method::GET, "/api/terms", || None, [who, ok, ok, ok, no]),
        (Method::GET, "/api/teachers", || None, [who, ok, ok, ok, no]),
        (
            Method::GET,
            "/api/lessons?from=2030-09-01&to=2030-09-08",
            || None,
            [who, ok, ok, ok, no],
        ),
        // Taught from classroom 1, which belongs to school 1.
        (
            Method::POST,
            "/api/lessons",
            || {
                Some(
                    json!({"title": "语文", "teacher": 1, "master_classroom": 1, "classrooms": [2],
                            "date": "2030-09-03", "start": "08:00", "end": "08:45"}),
                )
            },
            [who, new, no, no, no],
        ),
        // An id that does not exist: only bureau staff learn so.
        (
            Method::GET,
            "/api/lessons/999",
            || None,
            [who, none, no, no, no],
        ),
        (
            Method::GET,
            "/api/lessons/2",
            || None,
            [who, ok, ok, ok, no],
        ),
        (
            Method::PATCH,
            "/api/lessons/2",
            || Some(json!({"date": "2030-09-04", "start": "08:00", "end": "08:45"})),
            [who, ok, no, no, no],
        ),
        (
            Method::POST,
            "/api/series",
            || {
                Some(
                    json!({"term": 1, "weekday": 2, "start": "09:00", "end": "09:45", "title": "数学",
                            "teacher": 1, "master_classroom": 1, "classrooms": [2]}),
                )
            },
            [who, new, no, no, no],
        ),
        (
            Method::PATCH,
            "/api/series/1",
            || Some(json!({"from": "2030-09-10", "start": "10:00", "end": "10:45"})),
            [who, ok, no, no, no],
        ),
        (
            Method::DELETE,
            "/api/lessons/4",
            || None,
            [who, gone, no, no, no],
        ),
        // A snow day: series 2's 17 Sep lesson is cancelled.
        (
            Method::POST,
            "/api/terms/1/holidays",
            || Some(json!({"first": "2030-09-17", "last": "2030-09-17"})),
            [who, new, no, no, no],
        ),
        (
            Method::GET,
            "/api/lessons/1/attendance",
            || None,
            [who, ok, ok, ok, no],
        ),
        (
            Method::POST,
            "/api/lessons/1/links",
            || None,
            [who, new, no, new, no],
        ),
        (
            Method::DELETE,
            "/api/links/1",
            || None,
            [who, gone, no, gone, no],
        ),
        (
            Method::GET,
            "/api/calendar-links/teacher/1",
            || None,
            [who, ok, no, ok, no],
        ),
        // Calendar apps have no session: the key in the link is what is checked.
        (Method::GET, "/api/calendar/teacher/1.ics", || None, [no; 5]),
        (
            Method::GET,
            "/api/reports/schools/2?from=2030-09-01&to=2030-10-01",
            || None,
            [who, ok, ok, no, no],
        ),
        (
            Method::GET,
            "/api/device/lesson",
            || None,
            [who, no, no, no, ok],
        ),
        (Method::GET, "/api/openapi.json", || None, [ok; 5]),
    ];
    for (r, (name, caller)) in roles.iter().enumerate() {
        for (method, path, body, statuses) in &calls {
            let (got, json, _) = api.call(caller, method.clone(), path, body()).await;
            assert_eq!(got, statuses[r], "{name} {method} {path}: {json}");
            if !got.is_success() {
                assert!(
                    json["error"].is_string() && json["message"].is_string(),
                    "errors have a shape: {json}"
                );
            }
        }
    }
}

#[tokio::test]
async fn sign_in_csrf_and_sign_out() {
    let api = Api::new().await;
    let none = api.anonymous();
    let (status, body, _) = api
        .call(
            &none,
            Method::POST,
            "/api/session",
            Some(json!({"login": "bureau", "password": "wrong password!"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["message"], "wrong login or password");
    let (status, _, _) = api
        .call(
            &none,
            Method::POST,
            "/api/session",
            Some(json!({"login": "nobody", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body, _) = api
        .call(
            &none,
            Method::POST,
            "/api/session",
            Some(json!({"login": "bureau"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let bureau = api.sign_in("bureau").await;
    let (status, me, _) = api.call(&bureau, Method::GET, "/api/me", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["account"]["role"]["kind"], "bureau_admin");

    // A change without the CSRF header (a forged cross-site form) is refused.
    let no_csrf = Browser {
        csrf: None,
        ..bureau.clone()
    };
    let (status, body, _) = api
        .call(
            &no_csrf,
            Method::POST,
            "/api/schools/2/classrooms",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body["message"].as_str().unwrap().contains("X-CSRF-Token"));
    let forged = Browser {
        csrf: Some("0".repeat(32)),
        ..bureau.clone()
    };
    let (status, _, _) = api
        .call(
            &forged,
            Method::POST,
            "/api/schools/2/classrooms",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Signing out ends the session for good.
    let (status, _, cookie) = api
        .call(&bureau, Method::DELETE, "/api/session", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(cookie.unwrap().contains("Max-Age=0"));
    let (status, _, _) = api.call(&bureau, Method::GET, "/api/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let junk = Browser {
        cookie: Some("tongpin_session=zz".into()),
        csrf: None,
        ..api.anonymous()
    };
    let (status, _, _) = api.call(&junk, Method::GET, "/api/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_input_gets_400_naming_the_fields_and_unknown_things_404() {
    let api = Api::new().await;
    let bureau = api.sign_in("bureau").await;
    let (status, body, _) = api
        .call(
            &bureau,
            Method::POST,
            "/api/schools",
            Some(json!({"name": "", "county": "a\u{0007}b", "kind": "remote"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "county"]);
    let (status, _, _) = api
        .call(
            &bureau,
            Method::POST,
            "/api/schools",
            Some(json!({"name": "x", "kind": "castle"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Malformed addresses and queries are 400s in the same JSON shape, whatever the route.
    for (method, path) in [
        (Method::GET, "/api/lessons/abc"),
        (Method::PATCH, "/api/series/-1"),
        (Method::DELETE, "/api/accounts/x"),
        (
            Method::GET,
            "/api/schools/99999999999999999999999/classrooms",
        ),
        (Method::GET, "/api/lessons?from=2030-09-01"),
        (Method::GET, "/api/reports/schools/2?from=2030-09-01"),
        (Method::GET, "/api/calendar-links/teacher/one"),
    ] {
        let (status, body, _) = api.call(&bureau, method.clone(), path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{method} {path}: {body}");
        assert_eq!(body["error"], "bad_request", "{method} {path}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains("not valid"),
            "{body}"
        );
    }
    let (status, body, _) = api
        .call(&bureau, Method::GET, "/api/schools/999/classrooms", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["message"].as_str().unwrap().contains("999"));
    let (status, _, _) = api
        .call(&bureau, Method::GET, "/api/nothing-here", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let huge = json!({"name": "x".repeat(100_000), "kind": "remote"});
    let (status, _, _) = api
        .call(&bureau, Method::POST, "/api/schools", Some(huge))
        .await;
    assert!(
        status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::BAD_REQUEST,
        "{status}"
    );
    // What was created is there.
    let (_, created, _) = api
        .call(
            &bureau,
            Method::POST,
            "/api/schools/2/classrooms",
            Some(json!({"name": "六年级"})),
        )
        .await;
    let (_, rooms, _) = api
        .call(&bureau, Method::GET, "/api/schools/2/classrooms", None)
        .await;
    assert!(rooms.as_array().unwrap().contains(&created));
}

#[tokio::test]
async fn password_guessing_is_held_back_per_login() {
    let api = Api::new().await;
    let guess = |password: &'static str| {
        let who = api.anonymous();
        async move {
            who.send(
                Method::POST,
                "/api/session",
                Some(json!({"login": "teacher", "password": password})),
            )
            .await
        }
    };
    for _ in 0..relay::accounts::throttle::FAILURES {
        assert_eq!(
            guess("not the password").await.status,
            StatusCode::FORBIDDEN
        );
    }
    // Now even the right password waits, with a clear answer.
    let held = guess(PASSWORD).await;
    assert_eq!(held.status, StatusCode::TOO_MANY_REQUESTS, "{}", held.text);
    assert_eq!(held.json["error"], "too_many_requests");
    let wait: u64 = held
        .headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header");
    assert!((1..=15 * 60).contains(&wait), "{wait}");
    // Other logins are not affected.
    api.sign_in("school2").await;

    // Thirty guesses at once get no more tries than ten in a row.
    let burst: Vec<_> = (0..30)
        .map(|_| {
            let who = api.anonymous();
            async move {
                who.send(
                    Method::POST,
                    "/api/session",
                    Some(json!({"login": "device", "password": "a wrong password"})),
                )
                .await
                .status
            }
        })
        .collect();
    let answers = futures_util::future::join_all(burst).await;
    let tried = answers
        .iter()
        .filter(|s| **s == StatusCode::FORBIDDEN)
        .count();
    let held = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((tried, held), (10, 20), "{answers:?}");
}
