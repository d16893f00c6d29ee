//! In headless Chromium, the bureau console: a bureau admin signs in, creates a term and a weekly
//! series, is shown a clash with a lesson already scheduled, fixes the time, makes join links for
//! one of the new lessons and opens a classroom's link in another browser, which lands in the
//! lesson; revoking that link closes the classroom's connection.
//!
//! Join links only open from `--open-before-mins` before a lesson, so the relay runs with two weeks
//! of that, and the dates are computed from today (in Asia/Shanghai): the lessons fall two days
//! from now, clear of the demo lesson that is running now with the same teacher and classrooms.

use std::time::Duration;
use tests::browser::{dist, Browser, Chromedriver};
use tests::relay::TestRelay;

const WAIT: Duration = Duration::from_secs(15);

/// Types `text` into the input or textarea `css`, replacing what was there.
async fn fill(b: &Browser, css: &str, text: &str) {
    let el = b.element(css).await;
    el.clear()
        .await
        .unwrap_or_else(|e| panic!("clear {css}: {e}"));
    el.send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into {css}: {e}"));
}

async fn click(b: &Browser, css: &str) {
    b.element(css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// The Asia/Shanghai date `days` from today, as `YYYY-MM-DD`, and its weekday (1 = Monday).
async fn shanghai_day(b: &Browser, days: i64) -> (String, u32) {
    let js = format!(
        "(() => {{ const d = new Date(Date.now() + 8 * 3600e3 + {days} * 86400e3);
            return [d.toISOString().slice(0, 10), ((d.getUTCDay() + 6) % 7) + 1]; }})()"
    );
    let v = b.eval(&js).await;
    (
        v[0].as_str().expect("a date").to_string(),
        v[1].as_u64().expect("a weekday") as u32,
    )
}

async fn text(b: &Browser, css: &str) -> String {
    b.eval(&format!("document.querySelector('{css}').textContent"))
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_schedules_a_series_around_a_clash_and_a_classroom_joins() {
    assert!(
        dist().join("index.html").exists(),
        "the client is not built: run scripts/build-client.sh"
    );
    let relay = TestRelay::start_with_options(0, &["--open-before-mins", "20160"]).await;
    let driver = Chromedriver::start().await;
    let admin = Browser::open(&driver, &[]).await;
    admin
        .client
        .goto(&format!("{}/console", relay.base))
        .await
        .expect("open the console");
    admin
        .until(
            "the sign-in form",
            "document.querySelector('#sign-in')",
            WAIT,
        )
        .await;

    // A wrong password is refused with a message; the right one signs in.
    fill(&admin, "#login", "admin").await;
    fill(&admin, "#password", "not-the-password").await;
    click(&admin, "#sign-in").await;
    admin
        .until(
            "the refusal",
            "document.querySelector('#console-error')",
            WAIT,
        )
        .await;
    fill(&admin, "#password", "tongpin-demo-admin").await;
    click(&admin, "#sign-in").await;
    admin
        .until(
            "the signed-in console with the demo schools",
            "document.querySelector('#console[data-state=signed-in]') && document.querySelector('#schools tr[data-school=\"1\"]')",
            WAIT,
        )
        .await;

    // A term from today for two months, with a week of holidays.
    let (first, _) = shanghai_day(&admin, 0).await;
    let (last, _) = shanghai_day(&admin, 60).await;
    let (holiday_a, _) = shanghai_day(&admin, 21).await;
    let (holiday_b, _) = shanghai_day(&admin, 27).await;
    let (day, weekday) = shanghai_day(&admin, 2).await;
    fill(&admin, "#term-name", "测试学期").await;
    fill(&admin, "#term-first", &first).await;
    fill(&admin, "#term-last", &last).await;
    fill(
        &admin,
        "#term-holidays",
        &format!("{holiday_a}..{holiday_b}"),
    )
    .await;
    click(&admin, "#create-term").await;
    admin
        .until(
            "the new term",
            "document.querySelector('#terms li[data-term]')",
            WAIT,
        )
        .await;
    let term = admin
        .eval("document.querySelector('#terms li[data-term]').dataset.term")
        .await
        .as_str()
        .expect("a term id")
        .to_string();

    // A single lesson first: teacher 1, classroom 1 teaching classroom 3, 10:30-11:15.
    fill(&admin, "#s-title", "单次课：科学").await;
    fill(&admin, "#s-subject", "科学").await;
    fill(&admin, "#s-teacher", "1").await;
    fill(&admin, "#s-master", "1").await;
    fill(&admin, "#s-classrooms", "3").await;
    fill(&admin, "#s-start", "10:30").await;
    fill(&admin, "#s-end", "11:15").await;
    fill(&admin, "#s-date", &day).await;
    click(&admin, "#create-lesson").await;
    admin
        .until(
            "the single lesson",
            "document.querySelector('#scheduled')",
            WAIT,
        )
        .await;
    let single = admin
        .eval("document.querySelector('#scheduled').dataset.lessons")
        .await
        .as_str()
        .expect("the lesson id")
        .to_string();

    // A wrong time is named next to its field.
    fill(&admin, "#s-title", "数学：分数的加减").await;
    fill(&admin, "#s-subject", "数学").await;
    fill(&admin, "#s-classrooms", "2, 3").await;
    fill(&admin, "#s-start", "25:00").await;
    fill(&admin, "#s-end", "10:45").await;
    fill(&admin, "#s-term", &term).await;
    admin
        .eval(&format!(
            "(() => {{ const s = document.querySelector('#s-weekday'); s.value = '{weekday}';
                s.dispatchEvent(new Event('change', {{ bubbles: true }})); return s.value; }})()"
        ))
        .await;
    click(&admin, "#create-series").await;
    admin
        .until(
            "the field error",
            "document.querySelector('.field-error[data-field=start]')",
            WAIT,
        )
        .await;

    // The weekly series at 10:00-10:45 clashes with the single lesson on the same day.
    fill(&admin, "#s-start", "10:00").await;
    click(&admin, "#create-series").await;
    admin
        .until("the clashes", "document.querySelector('#clashes li')", WAIT)
        .await;
    let clash = text(&admin, "#clashes li").await;
    assert!(
        clash.contains("单次课：科学") && clash.contains(&day),
        "the clash names the single lesson and its day: {clash}"
    );
    let clashing: Vec<String> = admin
        .eval("[...document.querySelectorAll('#clashes li')].map(li => li.dataset.lesson)")
        .await
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        !clashing.is_empty() && clashing.iter().all(|l| *l == single),
        "only the single lesson {single} clashes: {clashing:?}"
    );
    assert!(
        admin
            .eval("!document.querySelector('#scheduled')")
            .await
            .as_bool()
            == Some(true)
    );

    // Moved to 13:00-13:45 it fits.
    fill(&admin, "#s-start", "13:00").await;
    fill(&admin, "#s-end", "13:45").await;
    click(&admin, "#create-series").await;
    admin
        .until(
            "the series scheduled",
            "document.querySelector('#scheduled') && !document.querySelector('#clashes')",
            WAIT,
        )
        .await;
    assert!(text(&admin, "#scheduled").await.contains("已排课"));
    let lessons = admin
        .eval("document.querySelector('#scheduled').dataset.lessons")
        .await
        .as_str()
        .expect("lesson ids")
        .to_string();
    let ids: Vec<&str> = lessons.split(',').collect();
    // Two months of one weekday, less the holiday week: about eight lessons.
    assert!(
        (6..=10).contains(&ids.len()),
        "a lesson a week without the holidays: {lessons}"
    );
    let lesson = ids[0].to_string();

    // The week grid shows both lessons on that day, in time order.
    fill(&admin, "#week-of", &day).await;
    click(&admin, "#go-week").await;
    let column = format!("#week .day[data-day=\"{day}\"]");
    admin
        .until(
            "the day's lessons in the grid",
            &format!(
                "document.querySelector('#timetable[data-week]') && document.querySelectorAll('{column} li.slot').length === 2"
            ),
            WAIT,
        )
        .await;
    let order = admin
        .eval(&format!(
            "[...document.querySelectorAll('{column} li.slot')].map(li => li.dataset.lesson)"
        ))
        .await;
    assert_eq!(order, serde_json::json!([single, lesson]));
    let first_slot = text(&admin, &format!("{column} li.slot .time")).await;
    assert_eq!(first_slot, "10:30–11:15");

    // Join links for the series' first lesson: picked by a click in the grid.
    click(
        &admin,
        &format!("{column} li.slot[data-lesson=\"{lesson}\"]"),
    )
    .await;
    admin
        .until(
            "the lesson picked",
            &format!("document.querySelector('#lesson-id').value === '{lesson}'"),
            WAIT,
        )
        .await;
    click(&admin, "#make-links").await;
    admin
        .until(
            "the join links",
            "document.querySelectorAll('#links li').length === 4",
            WAIT,
        )
        .await;
    let roles = admin
        .eval("[...document.querySelectorAll('#links li')].map(li => li.dataset.role)")
        .await;
    assert_eq!(
        roles,
        serde_json::json!(["teacher", "classroom", "classroom", "observer"])
    );
    let href = admin
        .eval("document.querySelector('#links li[data-role=classroom] a.join-link').href")
        .await
        .as_str()
        .expect("a link")
        .to_string();
    assert!(
        href.starts_with(&relay.base) && href.contains("/lesson#token="),
        "an absolute join link: {href}"
    );
    // Its QR code, for the classroom's computer (what it encodes is unit-tested in the client).
    admin
        .until(
            "the classroom link's QR code shown",
            "(() => { const q = document.querySelector('#links li[data-role=classroom] img.qr'); \
             return q && q.complete && q.naturalWidth >= 100 \
             && q.src.startsWith('data:image/svg+xml;base64,'); })()",
            WAIT,
        )
        .await;
    admin
        .eval("(() => { document.querySelector('#links').scrollIntoView(); return true; })()")
        .await;
    admin.screenshot("console.png").await;

    // The classroom opens its link in another browser and lands in the lesson.
    let classroom = Browser::join(&driver, &href).await;
    let role = classroom
        .eval("document.querySelector('#lesson').dataset.role")
        .await;
    assert_eq!(role, "classroom");
    classroom.screenshot("console-classroom.png").await;

    // Attendance lists the lesson's classrooms, with a CSV link.
    click(&admin, "#load-attendance").await;
    admin
        .until(
            "the attendance table",
            "document.querySelectorAll('#attendance tbody tr').length === 2",
            WAIT,
        )
        .await;
    let csv = admin
        .eval("document.querySelector('#attendance-csv').getAttribute('href')")
        .await;
    assert_eq!(
        csv,
        format!("/api/lessons/{lesson}/attendance?format=csv").as_str()
    );

    // Revoking the classroom's link closes its connection at once.
    click(&admin, "#links li[data-role=classroom] .revoke").await;
    admin
        .until(
            "the link marked revoked",
            "document.querySelector('#links li[data-role=classroom]').dataset.revoked === 'true'",
            WAIT,
        )
        .await;
    classroom
        .until(
            "the classroom closed by the revocation",
            "document.querySelector('#lesson[data-status=closed]')",
            WAIT,
        )
        .await;

    // A session ended elsewhere (here: by a script in the page) sends the console back to the
    // sign-in form at its next request.
    admin
        .eval(
            "(() => { fetch('/api/me').then(r => r.json()).then(me => fetch('/api/session',
                { method: 'DELETE', headers: { 'X-CSRF-Token': me.csrf } })
                .then(r => { window.__ended = r.status; })); return true; })()",
        )
        .await;
    admin
        .until("the session ended", "window.__ended === 204", WAIT)
        .await;
    click(&admin, "#load-attendance").await;
    admin
        .until(
            "the sign-in form with a message",
            "document.querySelector('#console[data-state=signed-out] #console-error')",
            WAIT,
        )
        .await;
    fill(&admin, "#login", "admin").await;
    fill(&admin, "#password", "tongpin-demo-admin").await;
    click(&admin, "#sign-in").await;
    admin
        .until(
            "signed in again",
            "document.querySelector('#console[data-state=signed-in]')",
            WAIT,
        )
        .await;

    // Signing out ends the session: a reload shows the sign-in form again.
    click(&admin, "#sign-out").await;
    admin
        .until("signed out", "document.querySelector('#sign-in')", WAIT)
        .await;
    admin.client.refresh().await.expect("reload");
    admin
        .until(
            "the sign-in form after a reload",
            "document.querySelector('#console[data-state=signed-out]')",
            WAIT,
        )
        .await;

    classroom.close().await;
    admin.close().await;
}
