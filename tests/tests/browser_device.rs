//! In headless Chromium: a rural classroom's computer opens /classroom, signs in once with its
//! device account, and lands in the lesson its classroom has now, by itself; when a lesson is
//! over it goes back to /classroom and waits for (here: at once finds) the next one.

use shared::ids::Role;
use std::time::Duration;
use tests::browser::{dist, Browser, Chromedriver};
use tests::relay::TestRelay;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classroom_computer_joins_the_lesson_on_now_by_itself() {
    assert!(
        dist().join("index.html").exists(),
        "the client is not built: run scripts/build-client.sh"
    );
    let relay = TestRelay::start().await;
    let driver = Chromedriver::start().await;
    let device = Browser::open(&driver, &[]).await;
    device
        .client
        .goto(&format!("{}/classroom", relay.base))
        .await
        .expect("the device page");
    device
        .until(
            "the sign-in form",
            "document.querySelector('#device[data-state=signed-out]')",
            Duration::from_secs(15),
        )
        .await;
    device
        .element("#login")
        .await
        .send_keys("classroom-3")
        .await
        .expect("login");
    device
        .element("#password")
        .await
        .send_keys("tongpin-demo-admin")
        .await
        .expect("password");
    device
        .element("#sign-in")
        .await
        .click()
        .await
        .expect("sign in");
    // The demo lesson is on now and classroom 3 is in it: the page opens it.
    device
        .until(
            "the lesson, joined",
            "document.querySelector('#lesson[data-status=connected][data-role=classroom]')",
            Duration::from_secs(20),
        )
        .await;
    assert!(device.eval("location.pathname").await == "/lesson");
    device.screenshot("device-joined.png").await;

    // The teacher sees classroom 3 online.
    let teacher = Browser::join(&driver, &relay.link(Role::Teacher)).await;
    teacher
        .until("classroom 3 online in the roster", "[...document.querySelectorAll('#roster li[data-online=true]')].some(li => li.innerText.includes('四子王旗'))", Duration::from_secs(10))
        .await;
    teacher.close().await;

    // A lesson opened from the device page goes back to it when it is over (here: a link for
    // classroom 3 that expires in a few seconds), and the device page opens what is on now again.
    let short = relay.token_until(
        shared::ids::LessonId(1),
        Role::Classroom(shared::ids::ClassroomId(3)),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_secs()
            + 4,
    );
    device
        .client
        .goto(&format!(
            "{}/lesson?from=classroom#token={short}",
            relay.base
        ))
        .await
        .expect("the short lesson link");
    device
        .until(
            "the lesson over, going back",
            "document.querySelector('#lesson[data-status=closed] #device-return')",
            Duration::from_secs(20),
        )
        .await;
    let said = device
        .eval("document.querySelector('#error').textContent")
        .await;
    assert!(
        said.as_str().unwrap_or_default().contains("本节课已结束"),
        "{said}"
    );
    device
        .until(
            "back in the lesson on now, through the device page's own link",
            &format!(
                "location.search === '?from=classroom' && !location.hash.includes('{short}') \
                 && document.querySelector('#lesson[data-status=connected][data-role=classroom]')"
            ),
            Duration::from_secs(30),
        )
        .await;
    device.close().await;
}
