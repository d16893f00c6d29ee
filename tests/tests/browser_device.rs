//! In headless Chromium: a rural classroom's computer opens /classroom, signs in once with its
//! device account, and lands in the lesson its classroom has now, by itself.

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
    device.close().await;
}
