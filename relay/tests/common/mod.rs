//! Shared set-up of the API tests: a SQLite file with the demo data and one account per role,
//! the real router, a signed-in console, and a real server for WebSocket clients.
#![allow(dead_code)] // each test file uses part of it

/// The end-to-end tests' `wait` (poll for a condition with a deadline), the same file: the relay's
/// tests can not depend on the `tests` crate, which depends on the relay.
#[path = "../../../tests/src/wait.rs"]
pub mod wait;

use axum::body::{to_bytes, Body};
use axum::http::{header, Method, Request, StatusCode};
use futures_util::{SinkExt, StreamExt};
use relay::accounts::{password, StaffRole};
use relay::auth::Signer;
use relay::http::app;
use relay::state::AppState;
use relay::store::Store;
use serde_json::{json, Value};
use shared::codec::{decode_server, encode_client};
use shared::ids::PageId;
use shared::ids::{ClassroomId, SchoolId, TeacherId};
use shared::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tower::ServiceExt;

pub const PASSWORD: &str = "a long enough password";
pub const KEY: [u8; 32] = [7; 32];

/// The accounts every test database has, by login.
pub const ACCOUNTS: [(&str, StaffRole); 5] = [
    ("bureau", StaffRole::BureauAdmin),
    (
        "school1",
        StaffRole::SchoolAdmin {
            school: SchoolId(1),
        },
    ),
    (
        "school2",
        StaffRole::SchoolAdmin {
            school: SchoolId(2),
        },
    ),
    (
        "teacher",
        StaffRole::Teacher {
            teacher: TeacherId(1),
        },
    ),
    (
        "device",
        StaffRole::ClassroomDevice {
            classroom: ClassroomId(2),
        },
    ),
];

/// The router over a database in `dir` (created with the demo data and the accounts if new).
pub async fn router(dir: &Path) -> axum::Router {
    router_and_state(dir).await.0
}

/// [`router`], and the state behind it.
pub async fn router_and_state(dir: &Path) -> (axum::Router, AppState) {
    let store = Store::open(&format!("sqlite://{}", dir.join("t.db").display()))
        .await
        .unwrap();
    relay::demo::seed(&store, 0).await.unwrap();
    let hash = password::hash(PASSWORD).unwrap();
    for (login, role) in ACCOUNTS {
        store
            .upsert_account(login, login, &hash, role)
            .await
            .unwrap();
    }
    let state = AppState::new(
        store,
        Signer::new(KEY),
        dir.join("dist"),
        Duration::from_secs(45),
    )
    .expect("media port");
    (app(state.clone()), state)
}

pub async fn serve(router: &axum::Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let serving = router.clone();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, serving).await;
    });
    (addr, server)
}

/// A browser of the console: a session cookie and its CSRF token (both empty when signed out).
#[derive(Clone)]
pub struct Console {
    pub router: axum::Router,
    pub cookie: Option<String>,
    pub csrf: Option<String>,
}

/// A response: status, JSON body (Null when not JSON), raw text, content type, Set-Cookie.
pub struct Reply {
    pub status: StatusCode,
    pub json: Value,
    pub text: String,
    pub content_type: Option<String>,
    pub set_cookie: Option<String>,
    pub headers: header::HeaderMap,
}

impl Console {
    pub fn anonymous(router: &axum::Router) -> Console {
        Console {
            router: router.clone(),
            cookie: None,
            csrf: None,
        }
    }

    pub async fn sign_in(router: &axum::Router, login: &str) -> Console {
        let r = Console::anonymous(router)
            .send(
                Method::POST,
                "/api/session",
                Some(json!({"login": login, "password": PASSWORD})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let cookie = r.set_cookie.expect("a session cookie");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        Console {
            router: router.clone(),
            cookie: Some(cookie.split(';').next().unwrap_or_default().to_string()),
            csrf: r.json["csrf"].as_str().map(str::to_string),
        }
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(c) = &self.cookie {
            req = req.header(header::COOKIE, c);
        }
        if let Some(t) = &self.csrf {
            req = req.header("x-csrf-token", t);
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let header_of = |name| {
            res.headers()
                .get(name)
                .and_then(|v: &header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let (content_type, set_cookie) = (
            header_of(header::CONTENT_TYPE),
            header_of(header::SET_COOKIE),
        );
        let headers = res.headers().clone();
        let bytes = to_bytes(res.into_body(), 1 << 24).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        Reply {
            status,
            json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            text,
            content_type,
            set_cookie,
            headers,
        }
    }

    /// Status and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let r = self.send(method, path, body).await;
        (r.status, r.json)
    }
}

// ---- WebSocket lesson clients ----

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Connects with the token in a link's path; returns the socket once welcomed, or the close.
pub async fn join(addr: SocketAddr, path: &str) -> Result<Ws, (u16, String)> {
    let token = path.split("#token=").nth(1).expect("a token in the link");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/lessons/1/ws"))
        .await
        .unwrap();
    let hello = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        token: token.to_string(),
        page: PageId(rand_page()),
        resume: None,
    };
    ws.send(Message::Binary(encode_client(&hello).into()))
        .await
        .unwrap();
    closed_or_welcomed(ws).await
}

pub fn rand_page() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
}

pub async fn closed_or_welcomed(mut ws: Ws) -> Result<Ws, (u16, String)> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("an answer in time")
        {
            Some(Ok(Message::Binary(b))) => {
                if let Ok(ServerMsg::Welcome { .. }) = decode_server(&b) {
                    return Ok(ws);
                }
            }
            Some(Ok(Message::Close(Some(f)))) => {
                return Err((u16::from(f.code), f.reason.to_string()))
            }
            Some(Ok(_)) => {}
            _ => return Err((1006, String::new())),
        }
    }
}

pub async fn closed(mut ws: Ws) -> (u16, String) {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(Message::Close(Some(f)))) => return (u16::from(f.code), f.reason.to_string()),
            Some(Ok(_)) => {}
            _ => return (1006, String::new()),
        }
    }
}

/// A join token for the demo lesson, valid now, for `role` (no join link).
pub fn token(role: shared::ids::Role) -> String {
    Signer::new(KEY).mint(&shared::token::Claims {
        lesson: relay::demo::DEMO_LESSON,
        role,
        not_before: relay::auth::now_secs() - 60,
        expires: relay::auth::now_secs() + 3600,
        link: None,
    })
}
