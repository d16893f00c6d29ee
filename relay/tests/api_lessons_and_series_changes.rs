//! Changing the timetable after it is made, against a real SQLite file: one lesson read, moved,
//! given a substitute teacher or cancelled; a series changed "from this lesson on" (new period,
//! new weekday), keeping its lessons' ids; clashes refused with nothing changed; lessons that have
//! started left alone; and each account sees only its own lessons.

mod common;

use axum::http::{Method, StatusCode};
use common::Console;
use serde_json::{json, Value};
use std::path::Path;

async fn open(dir: &Path, login: &str) -> Console {
    Console::sign_in(&common::router(dir).await, login).await
}

async fn ok(api: &Console, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, reply) = api.call(method.clone(), path, body).await;
    assert!(status.is_success(), "{method} {path}: {status} {reply}");
    reply
}

/// `(id, YYYY-MM-DD HH:MM start in Shanghai)` of every lesson of a series, in time order.
async fn series_lessons(api: &Console, series: i64) -> Vec<(i64, String)> {
    let all = ok(
        api,
        Method::GET,
        "/api/lessons?from=2030-09-01&to=2030-12-01",
        None,
    )
    .await;
    all.as_array()
        .unwrap()
        .iter()
        .filter(|l| l["series"] == series)
        .map(|l| {
            (
                l["id"].as_i64().unwrap(),
                shanghai(l["starts_at"].as_i64().unwrap()),
            )
        })
        .collect()
}

fn shanghai(unix: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix + 8 * 3600).unwrap();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// A term (2 Sep to 30 Nov 2030, National Day week off) and a Tuesday 10:00 series in it.
async fn term_and_series(api: &Console) -> (i64, i64, Vec<(i64, String)>) {
    let term = ok(
        api,
        Method::POST,
        "/api/terms",
        Some(
            json!({"name": "2030 秋季学期", "first": "2030-09-02", "last": "2030-11-30",
               "holidays": [{"first": "2030-10-01", "last": "2030-10-07"}]}),
        ),
    )
    .await;
    let term = term["id"].as_i64().unwrap();
    let created = ok(
        api,
        Method::POST,
        "/api/series",
        Some(
            json!({"term": term, "weekday": 2, "start": "10:00", "end": "10:45",
               "title": "数学 五年级", "subject": "数学", "teacher": 1,
               "master_classroom": 1, "classrooms": [2, 3]}),
        ),
    )
    .await;
    let series = created["series"].as_i64().unwrap();
    let lessons = series_lessons(api, series).await;
    assert_eq!(lessons.len(), 12);
    (term, series, lessons)
}

#[tokio::test]
async fn one_lesson_is_read_moved_given_a_substitute_and_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let api = open(dir.path(), "bureau").await;
    let (_, series, lessons) = term_and_series(&api).await;
    let teacher = ok(
        &api,
        Method::POST,
        "/api/schools/1/teachers",
        Some(json!({"name": "李老师"})),
    )
    .await;
    let (first, second, third) = (lessons[0].0, lessons[1].0, lessons[2].0);

    let one = ok(&api, Method::GET, &format!("/api/lessons/{first}"), None).await;
    assert_eq!(one["title"], "数学 五年级");
    assert_eq!(one["occurrence"], "2030-09-03");
    assert_eq!(one["classrooms"], json!([2, 3]));

    // Only this one: Wednesday afternoon, with a substitute teacher. It stays in its series.
    let moved = ok(
        &api,
        Method::PATCH,
        &format!("/api/lessons/{second}"),
        Some(
            json!({"date": "2030-09-11", "start": "14:00", "end": "14:45",
               "teacher": teacher["id"], "title": "数学 五年级（代课）"}),
        ),
    )
    .await;
    assert_eq!(moved["teacher"], teacher["id"]);
    assert_eq!(
        moved["occurrence"], "2030-09-10",
        "still the 10 Sep lesson of its series"
    );
    let now = series_lessons(&api, series).await;
    assert_eq!(now[1], (second, "2030-09-11 14:00".to_string()));
    assert_eq!(now[0], lessons[0], "the others are untouched");
    assert_eq!(now[2], lessons[2]);

    // The old slot is free now; the new one is taken (by classroom 2 and 3, not the teacher).
    let clash = json!({"title": "英语", "teacher": 1, "master_classroom": 1, "classrooms": [2],
                       "date": "2030-09-11", "start": "14:30", "end": "15:15"});
    let (status, err) = api.call(Method::POST, "/api/lessons", Some(clash)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["clashes"][0]["lesson"], second);
    let free = json!({"title": "英语", "teacher": 1, "master_classroom": 1, "classrooms": [2],
                      "date": "2030-09-10", "start": "10:00", "end": "10:45"});
    ok(&api, Method::POST, "/api/lessons", Some(free)).await;

    // Cancel the third: it is gone, and so is its slot in the clash check.
    let (status, _) = api
        .call(Method::DELETE, &format!("/api/lessons/{third}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api
        .call(Method::GET, &format!("/api/lessons/{third}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(series_lessons(&api, series).await.len(), 11);

    // A move needs all of date, start and end; unknown fields and bad teachers are named.
    let (status, err) = api
        .call(
            Method::PATCH,
            &format!("/api/lessons/{first}"),
            Some(json!({"date": "2030-09-04"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["fields"][0]["field"], "date");
    let (status, err) = api
        .call(
            Method::PATCH,
            &format!("/api/lessons/{first}"),
            Some(json!({"teacher": 999})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["fields"][0]["field"], "teacher");
    let (status, _) = api
        .call(
            Method::PATCH,
            &format!("/api/lessons/{first}"),
            Some(json!({"colour": "red"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Its remote classrooms: classroom 3 out, classroom 4 in; unknown classrooms are named.
    let (status, err) = api
        .call(
            Method::PATCH,
            &format!("/api/lessons/{first}"),
            Some(json!({"classrooms": [2, 99]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["fields"][0]["field"], "classrooms");
    let changed = ok(
        &api,
        Method::PATCH,
        &format!("/api/lessons/{first}"),
        Some(json!({"classrooms": [2, 4]})),
    )
    .await;
    assert_eq!(changed["classrooms"], json!([2, 4]));
    let with_4 = json!({"title": "音乐", "teacher": teacher["id"], "master_classroom": 3,
                        "classrooms": [4], "date": "2030-09-03", "start": "10:15", "end": "11:00"});
    let (status, err) = api.call(Method::POST, "/api/lessons", Some(with_4)).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "classroom 4 is in lesson {first} now: {err}"
    );
    assert_eq!(err["clashes"][0]["lesson"], first);
    assert_eq!(err["clashes"][0]["on"], json!({"classroom": 4}));
    let unknown = json!({"title": "音乐", "teacher": teacher["id"], "master_classroom": 3,
                        "classrooms": [5], "date": "2030-09-03", "start": "10:15", "end": "11:00"});
    let (status, err) = api.call(Method::POST, "/api/lessons", Some(unknown)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no classroom 5: {err}");

    // The demo lesson has started: it can be neither moved nor cancelled.
    for (method, body) in [
        (Method::DELETE, None),
        (
            Method::PATCH,
            Some(json!({"date": "2030-09-04", "start": "08:00", "end": "08:45"})),
        ),
    ] {
        let (status, err) = api.call(method, "/api/lessons/1", body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert!(
            err["message"].as_str().unwrap().contains("started"),
            "{err}"
        );
    }
    let (status, _) = api.call(Method::GET, "/api/lessons/1", None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn this_and_the_following_lessons_change_together() {
    let dir = tempfile::tempdir().unwrap();
    let api = open(dir.path(), "bureau").await;
    let (_, series, lessons) = term_and_series(&api).await;
    // One lesson moved on its own before the change; it must stay where it was put.
    ok(
        &api,
        Method::PATCH,
        &format!("/api/lessons/{}", lessons[1].0),
        Some(json!({"date": "2030-09-12", "start": "08:00", "end": "08:45"})),
    )
    .await;

    // From 24 Sep on: 14:00 instead of 10:00. The lessons keep their ids.
    let changed = ok(
        &api,
        Method::PATCH,
        &format!("/api/series/{series}"),
        Some(json!({"from": "2030-09-24", "start": "14:00", "end": "14:45"})),
    )
    .await;
    assert_eq!(
        (
            changed["moved"].as_i64(),
            changed["added"].as_i64(),
            changed["cancelled"].as_i64()
        ),
        (Some(9), Some(0), Some(0)),
        "{changed}"
    );
    let later = changed["series"].as_i64().unwrap();
    assert_ne!(later, series);
    let before = series_lessons(&api, series).await;
    assert_eq!(
        before.iter().map(|l| l.1.as_str()).collect::<Vec<_>>(),
        ["2030-09-03 10:00", "2030-09-12 08:00", "2030-09-17 10:00"]
    );
    let after = series_lessons(&api, later).await;
    assert_eq!(after.len(), 9);
    assert_eq!(after[0], (lessons[3].0, "2030-09-24 14:00".to_string()));
    assert!(after.iter().all(|l| l.1.ends_with("14:00")), "{after:?}");
    assert_eq!(
        after.iter().map(|l| l.0).collect::<Vec<_>>(),
        lessons[3..].iter().map(|l| l.0).collect::<Vec<_>>(),
        "the same lessons (and join links), at the new time"
    );

    // Then from 5 Nov: Thursdays at 08:00 (5 Nov is a Tuesday of the later series).
    let changed = ok(
        &api,
        Method::PATCH,
        &format!("/api/series/{later}"),
        Some(json!({"from": "2030-11-05", "weekday": 4, "start": "08:00", "end": "08:45"})),
    )
    .await;
    let thursdays = series_lessons(&api, changed["series"].as_i64().unwrap()).await;
    assert_eq!(
        thursdays.iter().map(|l| l.1.as_str()).collect::<Vec<_>>(),
        [
            "2030-11-07 08:00",
            "2030-11-14 08:00",
            "2030-11-21 08:00",
            "2030-11-28 08:00"
        ]
    );

    // A change that clashes is refused naming the lesson in the way, and changes nothing.
    let blocker = ok(
        &api,
        Method::POST,
        "/api/lessons",
        Some(
            json!({"title": "科学", "teacher": 1, "master_classroom": 1, "classrooms": [4],
               "date": "2030-10-15", "start": "09:00", "end": "09:45"}),
        ),
    )
    .await;
    let (status, err) = api
        .call(
            Method::PATCH,
            &format!("/api/series/{later}"),
            Some(json!({"from": "2030-10-08", "start": "09:30", "end": "10:15"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["clashes"][0]["lesson"], blocker["id"]);
    assert_eq!(series_lessons(&api, later).await.len(), 5, "unchanged");

    // A date the series does not have, a bad weekday, an unknown series.
    let (status, err) = api
        .call(
            Method::PATCH,
            &format!("/api/series/{later}"),
            Some(json!({"from": "2030-10-09", "weekday": 9})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["fields"][0]["field"], "weekday");
    let (status, err) = api
        .call(
            Method::PATCH,
            &format!("/api/series/{later}"),
            Some(json!({"from": "2030-10-09"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not a Tuesday: {err}");
    let (status, _) = api
        .call(
            Method::PATCH,
            "/api/series/999",
            Some(json!({"from": "2030-10-08"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // After a restart the moved lessons still hold their new slots in the clash check.
    drop(api);
    let again = open(dir.path(), "bureau").await;
    let (status, err) = again
        .call(
            Method::POST,
            "/api/lessons",
            Some(
                json!({"title": "音乐", "teacher": 1, "master_classroom": 1, "classrooms": [4],
                   "date": "2030-11-14", "start": "08:30", "end": "09:15"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
}

#[tokio::test]
async fn each_account_sees_only_its_own_lessons() {
    let dir = tempfile::tempdir().unwrap();
    let bureau = open(dir.path(), "bureau").await;
    let other_teacher = ok(
        &bureau,
        Method::POST,
        "/api/schools/1/teachers",
        Some(json!({"name": "赵老师"})),
    )
    .await;
    // Teacher 1 with classroom 2 (school 2); the other teacher with classroom 3 (school 3).
    let mine = ok(
        &bureau,
        Method::POST,
        "/api/lessons",
        Some(
            json!({"title": "语文", "teacher": 1, "master_classroom": 1, "classrooms": [2],
               "date": "2030-09-03", "start": "08:00", "end": "08:45"}),
        ),
    )
    .await;
    let theirs = ok(
        &bureau,
        Method::POST,
        "/api/lessons",
        Some(
            json!({"title": "美术", "teacher": other_teacher["id"], "master_classroom": 1,
               "classrooms": [3], "date": "2030-09-03", "start": "09:00", "end": "09:45"}),
        ),
    )
    .await;
    let week = "/api/lessons?from=2030-09-02&to=2030-09-09";
    let ids = |v: &Value| -> Vec<i64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_i64().unwrap())
            .collect()
    };
    let (mine, theirs) = (mine["id"].as_i64().unwrap(), theirs["id"].as_i64().unwrap());
    assert_eq!(
        ids(&ok(&bureau, Method::GET, week, None).await),
        [mine, theirs]
    );
    // Filters: by teacher, by classroom, by county (四子王旗 is school 3's).
    let by = |q: &str| format!("{week}&{q}");
    let t = other_teacher["id"].as_i64().unwrap();
    assert_eq!(
        ids(&ok(&bureau, Method::GET, &by(&format!("teacher={t}")), None).await),
        [theirs]
    );
    assert_eq!(
        ids(&ok(&bureau, Method::GET, &by("classroom=2"), None).await),
        [mine]
    );
    assert_eq!(
        ids(&ok(&bureau, Method::GET, &by("classroom=1"), None).await),
        [mine, theirs]
    );
    assert_eq!(
        ids(&ok(
            &bureau,
            Method::GET,
            &by("county=%E5%9B%9B%E5%AD%90%E7%8E%8B%E6%97%97"),
            None
        )
        .await),
        [theirs]
    );
    assert!(ids(&ok(&bureau, Method::GET, &by("county=nowhere"), None).await).is_empty());

    let teacher = open(dir.path(), "teacher").await;
    assert_eq!(ids(&ok(&teacher, Method::GET, week, None).await), [mine]);
    let school2 = open(dir.path(), "school2").await;
    assert_eq!(ids(&ok(&school2, Method::GET, week, None).await), [mine]);
    for (who, own, other) in [(&teacher, mine, theirs), (&school2, mine, theirs)] {
        ok(who, Method::GET, &format!("/api/lessons/{own}"), None).await;
        for path in [
            format!("/api/lessons/{other}"),
            format!("/api/lessons/{other}/attendance"),
        ] {
            let (status, err) = who.call(Method::GET, &path, None).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {err}");
        }
    }
    // Seeing a lesson is not scheduling it: only the master classroom's school may cancel it.
    for who in [&teacher, &school2] {
        let (status, _) = who
            .call(Method::DELETE, &format!("/api/lessons/{mine}"), None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, _) = teacher
        .call(Method::GET, &by(&format!("teacher={t}")), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another teacher's timetable");
    // A clash with a lesson school 2 may not see names its time and classroom, not its title.
    let (status, err) = school2
        .call(
            Method::POST,
            "/api/lessons",
            Some(
                json!({"title": "体育", "teacher": 1, "master_classroom": 2, "classrooms": [3],
                   "date": "2030-09-03", "start": "09:00", "end": "09:45"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{err}");
    assert_eq!(err["clashes"][0]["lesson"], theirs);
    assert_eq!(err["clashes"][0]["title"], "（其他学校的课程）");
    let (status, _) = school2.call(Method::GET, &by("school=3"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another school's timetable");
    // Reports and calendars: a school's own, a teacher's own.
    let range = "from=2030-09-01&to=2030-10-01";
    let (status, _) = school2
        .call(
            Method::GET,
            &format!("/api/reports/schools/2?{range}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for (who, path) in [
        (&school2, format!("/api/reports/schools/3?{range}")),
        (&teacher, format!("/api/reports/schools/1?{range}")),
        (&teacher, format!("/api/calendar-links/teacher/{t}")),
        (&teacher, "/api/calendar-links/classroom/2".to_string()),
        (&school2, "/api/calendar-links/classroom/3".to_string()),
    ] {
        let (status, err) = who.call(Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {err}");
    }
    ok(&teacher, Method::GET, "/api/calendar-links/teacher/1", None).await;
    ok(
        &school2,
        Method::GET,
        "/api/calendar-links/classroom/2",
        None,
    )
    .await;
}

#[tokio::test]
async fn a_snow_day_cancels_the_series_lessons_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let api = open(dir.path(), "bureau").await;
    let (term, series, lessons) = term_and_series(&api).await;
    // A single lesson on the same day is the bureau's own decision: it stays.
    let single = ok(
        &api,
        Method::POST,
        "/api/lessons",
        Some(
            json!({"title": "补课", "teacher": 1, "master_classroom": 1, "classrooms": [4],
               "date": "2030-09-17", "start": "14:00", "end": "14:45"}),
        ),
    )
    .await;
    let snow = json!({"first": "2030-09-17", "last": "2030-09-18"});
    let added = ok(
        &api,
        Method::POST,
        &format!("/api/terms/{term}/holidays"),
        Some(snow.clone()),
    )
    .await;
    assert_eq!(
        added["cancelled"],
        json!([lessons[2].0]),
        "the 17 Sep lesson"
    );
    let now = series_lessons(&api, series).await;
    assert_eq!(now.len(), 11);
    assert!(!now.iter().any(|l| l.0 == lessons[2].0));
    ok(
        &api,
        Method::GET,
        &format!("/api/lessons/{}", single["id"]),
        None,
    )
    .await;
    let terms = ok(&api, Method::GET, "/api/terms", None).await;
    assert_eq!(terms[0]["holidays"][0], snow, "holidays in date order");
    // Its slot is free again for the clash check.
    ok(
        &api,
        Method::POST,
        "/api/lessons",
        Some(
            json!({"title": "数学", "teacher": 1, "master_classroom": 1, "classrooms": [2],
               "date": "2030-09-17", "start": "10:00", "end": "10:45"}),
        ),
    )
    .await;
    // The series now skips the day when it is changed from an earlier lesson on.
    let changed = ok(
        &api,
        Method::PATCH,
        &format!("/api/series/{series}"),
        Some(json!({"from": "2030-09-10", "start": "15:00", "end": "15:45"})),
    )
    .await;
    assert_eq!(
        (changed["moved"].as_i64(), changed["added"].as_i64()),
        (Some(10), Some(0)),
        "{changed}"
    );

    // A lesson moved away from its day before that day became a holiday is not cancelled by a
    // later change to the series: the new rule has no date for it, so it stays where it is.
    let later = changed["series"].as_i64().unwrap();
    let on_8_oct = lessons[4].0;
    ok(
        &api,
        Method::PATCH,
        &format!("/api/lessons/{on_8_oct}"),
        Some(json!({"date": "2030-10-09", "start": "15:00", "end": "15:45"})),
    )
    .await;
    let closed = ok(
        &api,
        Method::POST,
        &format!("/api/terms/{term}/holidays"),
        Some(json!({"first": "2030-10-08", "last": "2030-10-08"})),
    )
    .await;
    assert_eq!(closed["cancelled"], json!([]), "it is held on the 9th");
    ok(
        &api,
        Method::PATCH,
        &format!("/api/series/{later}"),
        Some(json!({"from": "2030-09-24", "start": "16:00", "end": "16:45"})),
    )
    .await;
    let kept = ok(&api, Method::GET, &format!("/api/lessons/{on_8_oct}"), None).await;
    assert_eq!(
        shanghai(kept["starts_at"].as_i64().unwrap()),
        "2030-10-09 15:00"
    );

    // Outside the term, backwards, unknown terms, other accounts.
    for body in [
        json!({"first": "2031-01-01", "last": "2031-01-02"}),
        json!({"first": "2030-10-10", "last": "2030-10-09"}),
        json!({"first": "10/10", "last": "2030-10-09"}),
    ] {
        let (status, _) = api
            .call(
                Method::POST,
                &format!("/api/terms/{term}/holidays"),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let (status, _) = api
        .call(Method::POST, "/api/terms/99/holidays", Some(snow.clone()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let school = open(dir.path(), "school1").await;
    let (status, _) = school
        .call(
            Method::POST,
            &format!("/api/terms/{term}/holidays"),
            Some(snow),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn changing_a_lesson_revokes_the_links_handed_out_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let api = open(dir.path(), "bureau").await;
    let (_, series, lessons) = term_and_series(&api).await;
    let store =
        relay::store::Store::open(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();
    let links = |lesson: i64| {
        let api = &api;
        async move {
            let made = ok(
                api,
                Method::POST,
                &format!("/api/lessons/{lesson}/links"),
                None,
            )
            .await;
            made.as_array()
                .unwrap()
                .iter()
                .map(|l| l["link"].as_u64().unwrap())
                .collect::<Vec<u64>>()
        }
    };
    let state = |link: u64, lesson: i64| {
        let store = &store;
        async move {
            store
                .link_state(link, shared::ids::LessonId(lesson as u64))
                .await
                .unwrap()
        }
    };
    use relay::store::links::LinkState;
    // A new title keeps them; a new time does not.
    let first = lessons[0].0;
    let made = links(first).await;
    ok(
        &api,
        Method::PATCH,
        &format!("/api/lessons/{first}"),
        Some(json!({"title": "数学（复习）"})),
    )
    .await;
    assert_eq!(state(made[0], first).await, LinkState::Valid);
    ok(
        &api,
        Method::PATCH,
        &format!("/api/lessons/{first}"),
        Some(json!({"date": "2030-09-04", "start": "10:00", "end": "10:45"})),
    )
    .await;
    for link in &made {
        assert_eq!(state(*link, first).await, LinkState::Revoked, "link {link}");
    }
    // The rest of the series moved: their links too.
    let fifth = lessons[4].0;
    let made = links(fifth).await;
    ok(
        &api,
        Method::PATCH,
        &format!("/api/series/{series}"),
        Some(json!({"from": "2030-09-24", "start": "14:00", "end": "14:45"})),
    )
    .await;
    assert_eq!(state(made[1], fifth).await, LinkState::Revoked);
}

#[tokio::test]
async fn new_lessons_of_a_changed_series_copy_its_usual_lesson() {
    let dir = tempfile::tempdir().unwrap();
    let api = open(dir.path(), "bureau").await;
    let (_, series, lessons) = term_and_series(&api).await;
    let substitute = ok(
        &api,
        Method::POST,
        "/api/schools/1/teachers",
        Some(json!({"name": "代课老师"})),
    )
    .await;
    // 5 Nov has a substitute; 12 Nov is cancelled, so moving to Thursdays adds a lesson.
    let (on_5_nov, on_12_nov) = (lessons[8].0, lessons[9].0);
    ok(
        &api,
        Method::PATCH,
        &format!("/api/lessons/{on_5_nov}"),
        Some(json!({"teacher": substitute["id"]})),
    )
    .await;
    let (status, _) = api
        .call(Method::DELETE, &format!("/api/lessons/{on_12_nov}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let changed = ok(
        &api,
        Method::PATCH,
        &format!("/api/series/{series}"),
        Some(json!({"from": "2030-11-05", "weekday": 4})),
    )
    .await;
    assert_eq!(changed["added"], 1, "{changed}");
    let all = ok(
        &api,
        Method::GET,
        "/api/lessons?from=2030-11-01&to=2030-12-01",
        None,
    )
    .await;
    let teachers: Vec<(String, Value)> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["series"] == changed["series"])
        .map(|l| {
            (
                shanghai(l["starts_at"].as_i64().unwrap()),
                l["teacher"].clone(),
            )
        })
        .collect();
    assert_eq!(
        teachers,
        [
            ("2030-11-07 10:00".to_string(), substitute["id"].clone()),
            ("2030-11-14 10:00".to_string(), json!(1)),
            ("2030-11-21 10:00".to_string(), json!(1)),
            ("2030-11-28 10:00".to_string(), json!(1)),
        ],
        "the substitute stays with their lesson; the added one has the usual teacher"
    );
}
