//! Sign-ins hash passwords with Argon2id (~19 MiB and a blocking thread each): forty at once,
//! even for logins that do not exist, never run more hashes at once than the machine has cores;
//! each is answered in bounded time (403, or 429 with Retry-After when no slot came free).

mod common;

use axum::http::{Method, StatusCode};
use common::Console;
use relay::auth::Signer;
use relay::state::AppState;
use relay::store::Store;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sign_ins_run_at_most_one_hash_per_core() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await
        .unwrap();
    let state = AppState::new(
        store,
        Signer::new(common::KEY),
        dir.path().join("dist"),
        Duration::from_secs(45),
    )
    .expect("media port");
    let router = relay::http::app(state.clone());
    let started = Instant::now();
    let tries: Vec<_> = (0..40)
        .map(|i| {
            let console = Console::anonymous(&router);
            async move {
                console
                    .send(
                        Method::POST,
                        "/api/session",
                        Some(json!({"login": format!("nobody-{i}"), "password": "a guess at it"})),
                    )
                    .await
            }
        })
        .collect();
    for reply in futures_util::future::join_all(tries).await {
        match reply.status {
            StatusCode::FORBIDDEN => {}
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(reply.headers.contains_key("retry-after"), "{}", reply.text);
                assert_eq!(reply.json["error"], "too_many_requests");
            }
            other => panic!("{other}: {}", reply.text),
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let peak = state.hashing().peak();
    assert!(
        (1..=cores).contains(&peak),
        "{peak} hashes at once on {cores} cores"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// Setting a password (a new account, a changed password) hashes within the same bound: with
/// every slot taken, an admin's request waits its turn, then gets 429, and no extra hash starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn account_changes_hash_within_the_same_bound() {
    let dir = tempfile::tempdir().unwrap();
    let (router, state) = common::router_and_state(dir.path()).await;
    let bureau = Console::sign_in(&router, "bureau").await;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (hold_tx, hold_rx) = std::sync::mpsc::channel::<()>();
    let hold_rx = std::sync::Arc::new(std::sync::Mutex::new(hold_rx));
    let holders: Vec<_> = (0..cores)
        .map(|_| {
            let (hashing, rx) = (state.hashing().clone(), hold_rx.clone());
            tokio::spawn(async move {
                hashing
                    .run(move || {
                        let _ = rx.lock().map(|rx| rx.recv_timeout(Duration::from_secs(20)));
                    })
                    .await
            })
        })
        .collect();
    // Every slot is taken once the holders have started.
    common::wait::until(
        "every hashing slot taken",
        Duration::from_secs(5),
        async || match state.hashing().peak() {
            n if n >= cores => Ok(()),
            n => Err(format!("{n} of {cores}")),
        },
    )
    .await;
    let new = json!({"login": "li.laoshi", "name": "李老师", "password": common::PASSWORD,
                     "role": {"kind": "teacher", "teacher": 1}});
    let reply = bureau
        .send(Method::POST, "/api/accounts", Some(new.clone()))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        reply.text
    );
    assert!(reply.headers.contains_key("retry-after"));
    // Let the holders go: the same request now goes through.
    for _ in 0..cores {
        let _ = hold_tx.send(());
    }
    for h in holders {
        let _ = h.await;
    }
    let reply = bureau.send(Method::POST, "/api/accounts", Some(new)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
}
