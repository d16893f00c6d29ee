//! A region's timetable through the real bureau API (router, SQLite, clash rules): 2,000
//! classrooms, each in 40 lessons a week, over a 20-week term (500 master classrooms each teaching
//! three remote classrooms: 400,000 lessons).
//!
//! Run: `cargo bench -p relay --bench bureau_api` (seeding the database takes a minute or two).

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use relay::accounts::{password, StaffRole};
use relay::auth::Signer;
use relay::http::app;
use relay::state::AppState;
use relay::store::timetable::NewLesson;
use relay::store::Store;
use serde_json::{json, Value};
use shared::ids::{ClassroomId, TeacherId};
use shared::schedule::Slot;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const MASTERS: i64 = 500;
const WEEKS: i64 = 20;
/// Monday 2026-03-02 00:00 Asia/Shanghai: a spring term that is over, so its report counts it all.
const TERM_START: i64 = 1_772_380_800;
const DAY: i64 = 86_400;
const PERIODS: [i64; 8] = [8, 9, 10, 11, 14, 15, 16, 17];

fn pct(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() - 1) as f64 * q).round() as usize]
}

async fn seed(store: &Store) {
    let pool = store.pool();
    let mut tx = pool.begin().await.unwrap();
    for m in 0..MASTERS {
        let (master_school, remote_school) = (10_000 + m, 20_000 + m);
        for (id, kind) in [(master_school, "master"), (remote_school, "remote")] {
            sqlx::query("INSERT INTO schools (id, name, county, kind) VALUES (?, ?, ?, ?)")
                .bind(id)
                .bind(format!("学校 {id}"))
                .bind(format!("旗 {}", m / 50))
                .bind(kind)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        for (c, school) in [
            (10_000 + m * 4, master_school),
            (10_001 + m * 4, remote_school),
            (10_002 + m * 4, remote_school),
            (10_003 + m * 4, remote_school),
        ] {
            sqlx::query("INSERT INTO classrooms (id, school_id, name) VALUES (?, ?, ?)")
                .bind(c)
                .bind(school)
                .bind(format!("教室 {c}"))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        for p in 0..8 {
            sqlx::query("INSERT INTO teachers (id, school_id, name) VALUES (?, ?, ?)")
                .bind(10_000 + m * 8 + p)
                .bind(master_school)
                .bind("教师")
                .execute(&mut *tx)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
    for week in 0..WEEKS {
        let mut batch = Vec::new();
        for weekday in 0..5 {
            let day = TERM_START + (week * 7 + weekday) * DAY;
            for m in 0..MASTERS {
                for (p, hour) in PERIODS.iter().enumerate() {
                    let start = day + hour * 3600;
                    batch.push(NewLesson {
                        title: "课".into(),
                        subject: String::new(),
                        teacher: TeacherId((10_000 + m * 8 + p as i64) as u64),
                        master: ClassroomId((10_000 + m * 4) as u64),
                        remotes: (1..4)
                            .map(|k| ClassroomId((10_000 + m * 4 + k) as u64))
                            .collect(),
                        slot: Slot {
                            start,
                            end: start + 45 * 60,
                        },
                        series: None,
                    });
                }
            }
        }
        store.insert_lessons(&batch).await.unwrap();
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!(
        "sqlite://{}",
        dir.path().join("region.db").display()
    ))
    .await
    .unwrap();
    let seeded = Instant::now();
    seed(&store).await;
    store
        .upsert_account(
            "bureau",
            "教育局",
            &password::hash("a long enough password").unwrap(),
            StaffRole::BureauAdmin,
        )
        .await
        .unwrap();
    println!(
        "seeded 400,000 lessons in {:.0} s",
        seeded.elapsed().as_secs_f64()
    );
    let state = AppState::new(
        store,
        Signer::new([1; 32]),
        dir.path().join("dist"),
        Duration::from_secs(45),
    )
    .expect("media port");
    let router = app(state.clone());
    let loaded = Instant::now();
    state.timetable().await.unwrap();
    println!(
        "timetable loaded into memory in {:.1} s",
        loaded.elapsed().as_secs_f64()
    );

    let res = router
        .clone()
        .oneshot(
            Request::post("/api/session")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"login": "bureau", "password": "a long enough password"}).to_string(),
                ))
                .unwrap(),
        )
        .await
        .unwrap();
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let csrf = serde_json::from_slice::<Value>(&to_bytes(res.into_body(), 1 << 20).await.unwrap())
        .unwrap()["csrf"]
        .as_str()
        .unwrap()
        .to_string();

    // New lessons at random times; most clash (409), some are booked (201, with the insert).
    let mut seed = 42u64;
    let mut rnd = |n: i64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as i64
    };
    let (mut clash_ms, mut booked_ms) = (Vec::new(), Vec::new());
    for _ in 0..2_000 {
        let m = rnd(MASTERS);
        let day = rnd(WEEKS * 7);
        let date = time::OffsetDateTime::from_unix_timestamp(TERM_START + day * DAY + 12 * 3600)
            .unwrap()
            .date();
        let hour = 7 + rnd(12);
        let body = json!({"title": "加课", "teacher": 10_000 + m * 8 + rnd(8), "master_classroom": 10_000 + m * 4,
            "classrooms": [10_001 + m * 4], "date": format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day()),
            "start": format!("{hour:02}:10"), "end": format!("{hour:02}:55")});
        let req = Request::post("/api/lessons")
            .header(header::COOKIE, &cookie)
            .header("x-csrf-token", &csrf)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let at = Instant::now();
        let res = router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let _ = to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let ms = at.elapsed().as_secs_f64() * 1000.0;
        match status {
            StatusCode::CONFLICT => clash_ms.push(ms),
            StatusCode::CREATED => booked_ms.push(ms),
            other => panic!("unexpected {other}"),
        }
    }
    println!(
        "POST /api/lessons refused with 409: p50 {:.2} ms, p99 {:.2} ms (n = {}); booked 201: p50 {:.2} ms, p99 {:.2} ms (n = {})",
        pct(&mut clash_ms, 0.5),
        pct(&mut clash_ms, 0.99),
        clash_ms.len(),
        pct(&mut booked_ms, 0.5),
        pct(&mut booked_ms, 0.99),
        booked_ms.len()
    );

    let get = |uri: String| {
        Request::get(uri)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
            .unwrap()
    };
    let mut week_ms = Vec::new();
    for i in 0..50 {
        let week = i % WEEKS;
        let from = time::OffsetDateTime::from_unix_timestamp(TERM_START + week * 7 * DAY + 3600)
            .unwrap()
            .date();
        let to = from.checked_add(time::Duration::days(7)).unwrap();
        let d =
            |x: time::Date| format!("{:04}-{:02}-{:02}", x.year(), u8::from(x.month()), x.day());
        let at = Instant::now();
        let res = router
            .clone()
            .oneshot(get(format!(
                "/api/lessons?from={}&to={}&school={}",
                d(from),
                d(to),
                20_000 + rnd(MASTERS)
            )))
            .await
            .unwrap();
        let body = to_bytes(res.into_body(), 1 << 24).await.unwrap();
        week_ms.push(at.elapsed().as_secs_f64() * 1000.0);
        assert!(body.len() > 2);
    }
    println!(
        "GET /api/lessons (one school's week, 40 lessons): p50 {:.2} ms, p99 {:.2} ms",
        pct(&mut week_ms, 0.5),
        pct(&mut week_ms, 0.99)
    );

    // A county's week: 50 master and 50 remote schools, 2,000 lessons.
    for (label, filter) in [
        ("one county's week, 2,000 lessons", "county"),
        ("one classroom's week, 40 lessons", "classroom"),
    ] {
        let mut ms = Vec::new();
        let mut count = 0;
        for i in 0..30 {
            let week = i % WEEKS;
            let from =
                time::OffsetDateTime::from_unix_timestamp(TERM_START + week * 7 * DAY + 3600)
                    .unwrap()
                    .date();
            let to = from.checked_add(time::Duration::days(7)).unwrap();
            let d = |x: time::Date| {
                format!("{:04}-{:02}-{:02}", x.year(), u8::from(x.month()), x.day())
            };
            let value = if filter == "county" {
                // "旗 N", URL-encoded.
                format!("%E6%97%97%20{}", rnd(MASTERS / 50))
            } else {
                (10_001 + rnd(MASTERS) * 4).to_string()
            };
            let at = Instant::now();
            let res = router
                .clone()
                .oneshot(get(format!(
                    "/api/lessons?from={}&to={}&{filter}={value}",
                    d(from),
                    d(to)
                )))
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let body: Value =
                serde_json::from_slice(&to_bytes(res.into_body(), 1 << 26).await.unwrap()).unwrap();
            ms.push(at.elapsed().as_secs_f64() * 1000.0);
            count = body.as_array().map_or(0, Vec::len);
        }
        assert!(count >= 40, "{label}: {count} lessons");
        println!(
            "GET /api/lessons ({label}; last answer {count} lessons): p50 {:.2} ms, p99 {:.2} ms",
            pct(&mut ms, 0.5),
            pct(&mut ms, 0.99)
        );
    }

    let mut report_ms = Vec::new();
    for _ in 0..10 {
        let at = Instant::now();
        let res = router
            .clone()
            .oneshot(get(format!(
                "/api/reports/schools/{}?from=2026-03-01&to=2026-07-31",
                20_000 + rnd(MASTERS)
            )))
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: Value =
            serde_json::from_slice(&to_bytes(res.into_body(), 1 << 24).await.unwrap()).unwrap();
        report_ms.push(at.elapsed().as_secs_f64() * 1000.0);
        assert!(body["lessons_scheduled"].as_u64().unwrap() >= 800, "{body}");
    }
    println!("GET /api/reports/schools (one school, a 20-week term, 800 lessons): p50 {:.0} ms, max {:.0} ms", pct(&mut report_ms, 0.5), pct(&mut report_ms, 1.0));
}
