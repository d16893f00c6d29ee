//! Live video end to end in headless Chromium with fake cameras and microphones, inside a network
//! namespace this test creates: the teacher's page publishes, both classroom pages decode the
//! teacher's video and receive audio, the teacher decodes the classrooms' video, and once the
//! teacher gives classroom A the floor, classroom B decodes A's video. The teacher's grid has a
//! cell for every classroom of the lesson: one not connected says so, one connected without a
//! camera says that, with its link's grade and the floor button. Screenshots are kept.

use shared::ids::{ClassroomId, Role};
use std::time::Duration;
use tests::browser::{artifacts, media_flags, Browser, Chromedriver, CONNECTED, FAKE_MEDIA};
use tests::netns::TestNet;
use tests::relay::{TestRelay, CLASSROOMS};

/// A page with a fake camera and microphone. The relay is plain HTTP on the test network's
/// address, which a browser allows cameras only on when told to treat it as secure (a real
/// deployment serves HTTPS).
async fn open(driver: &Chromedriver, relay: &TestRelay, link: &str) -> Browser {
    open_with(driver, relay, link, FAKE_MEDIA).await
}

/// A page with the given media flags (none: no camera or microphone, and no permission).
async fn open_with(
    driver: &Chromedriver,
    relay: &TestRelay,
    link: &str,
    media: &[&str],
) -> Browser {
    let b = Browser::open_with(driver, media_flags(&relay.base, media)).await;
    b.client.goto(link).await.expect("open the join link");
    b.until("the lesson connected", CONNECTED, Duration::from_secs(20))
        .await;
    b
}

/// JS: the tile showing `video_id` has decoded more than `frames` frames of a real size and
/// received audio.
fn decoding(video_id: &str, frames: u64) -> String {
    format!(
        "(() => {{ const t = document.querySelector('#{video_id}')?.closest('.tile'); \
         return t && +t.dataset.frames > {frames} && +t.dataset.width > 0 \
         && +t.dataset.audioSamples > 0 && document.querySelector('#{video_id}').videoWidth > 0; }})()"
    )
}

fn frames(video_id: &str) -> String {
    format!("+(document.querySelector('#{video_id}')?.closest('.tile')?.dataset.frames || 0)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn classrooms_see_the_teacher_and_the_floor_opens_a_classroom_to_the_others() {
    let net = TestNet::create("av");
    let relay = TestRelay::start_at(&net.host_ip, 0, &[]).await;
    let driver = Chromedriver::start_in(&net).await;
    let (room_a, room_b, room_c) = (CLASSROOMS[0], CLASSROOMS[1], CLASSROOMS[2]);
    let teacher = open(&driver, &relay, &relay.link(Role::Teacher)).await;
    let a = open(&driver, &relay, &relay.link(Role::Classroom(room_a))).await;
    let b = open(&driver, &relay, &relay.link(Role::Classroom(room_b))).await;
    let wait = Duration::from_secs(40);

    // Both classrooms decode the teacher's camera and receive the microphone.
    for (name, page) in [("A", &a), ("B", &b)] {
        page.until(
            &format!("classroom {name} decoding the teacher"),
            &decoding("teacher-video", 10),
            wait,
        )
        .await;
    }
    let before = a.eval(&frames("teacher-video")).await.as_u64().unwrap_or(0);
    a.until(
        &format!("frames decoded after the first {before}, within 2 s"),
        &format!("{} > {before}", frames("teacher-video")),
        Duration::from_secs(2),
    )
    .await;

    // The teacher decodes each classroom in the grid.
    for room in [room_a, room_b] {
        let tile = format!(
            "(() => {{ const t = document.querySelector('.grid-cell[data-classroom=\"{}\"] .tile'); \
             return t && +t.dataset.frames > 10 && +t.dataset.width > 0; }})()",
            room.0
        );
        teacher
            .until(
                &format!("the teacher decoding classroom {}", room.0),
                &tile,
                wait,
            )
            .await;
    }
    // Every classroom of the lesson has a cell in the teacher's grid: C, not connected yet,
    // says so and cannot be given the floor.
    let cell_c = format!(".grid-cell[data-classroom=\"{}\"]", room_c.0);
    teacher
        .until(
            "classroom C's cell saying it is not connected",
            &format!(
                "(() => {{ const c = document.querySelector('{cell_c}'); \
                 return c && c.dataset.state === 'offline' && !c.querySelector('.floor-button') \
                 && c.textContent.includes('未连接'); }})()"
            ),
            Duration::from_secs(5),
        )
        .await;
    // A classroom whose browser gives no camera or microphone says why, and still receives.
    let c = open_with(&driver, &relay, &relay.link(Role::Classroom(room_c)), &[]).await;
    c.until(
        "classroom C (no camera) decoding the teacher",
        &decoding("teacher-video", 10),
        wait,
    )
    .await;
    c.until(
        "classroom C saying why it sends no camera",
        "document.querySelector('#device-problem')?.textContent.includes('仍可观看和收听')",
        Duration::from_secs(5),
    )
    .await;
    c.screenshot("live-video-classroom-without-camera.png")
        .await;
    // The teacher sees C connected without a picture, how its link fares (measured on what
    // it receives), and may give it the floor.
    teacher
        .until(
            "classroom C's cell: connected, no picture, its link graded, a floor button",
            &format!(
                "(() => {{ const c = document.querySelector('{cell_c}'); \
                 return c && c.dataset.state === 'no-picture' && !c.querySelector('video') \
                 && c.textContent.includes('暂无画面') && !!c.querySelector('.link-grade') \
                 && !!c.querySelector('.floor-button'); }})()"
            ),
            Duration::from_secs(15),
        )
        .await;
    teacher
        .screenshot("live-video-teacher-classroom-without-camera.png")
        .await;
    c.close().await;
    teacher
        .until(
            "classroom C's cell saying it is not connected once it left",
            &format!("document.querySelector('{cell_c}')?.dataset.state === 'offline'"),
            Duration::from_secs(15),
        )
        .await;

    // Classroom B does not see A before the floor.
    assert_eq!(
        b.eval("!!document.querySelector('#floor-video')").await,
        serde_json::Value::Bool(false)
    );

    // Each classroom's camera arrives as two layers; the teacher's grid shows its tiles small,
    // so the relay sends the smaller one. Sampled once the relay's cap has surely applied.
    let tile_width = |room: ClassroomId| {
        format!(
            "+(document.querySelector('.grid-cell[data-classroom=\"{}\"] .tile')?.dataset.width ?? 0)",
            room.0
        )
    };
    let widths = async || {
        let mut out = [0; 2];
        for (w, room) in out.iter_mut().zip([room_a, room_b]) {
            *w = teacher.eval(&tile_width(room)).await.as_u64().unwrap_or(0);
        }
        out
    };
    tokio::time::sleep(Duration::from_secs(4)).await;
    let [a_small, b_small] = widths().await;
    eprintln!("live video: the teacher's grid tiles are {a_small} and {b_small} wide");

    // The teacher gives A the floor: B decodes A.
    teacher
        .element(&format!(".floor-button[data-classroom=\"{}\"]", room_a.0))
        .await
        .click()
        .await
        .expect("click give the floor");
    b.until(
        "classroom B decoding classroom A",
        &decoding("floor-video", 10),
        wait,
    )
    .await;
    // A, holding the floor, is seen large: the teacher gets its larger layer (after the hold
    // and the probe of a switch up), B's tile keeps the smaller one.
    teacher
        .until(
            "the teacher getting the floor classroom's larger layer",
            &format!("{} > {a_small} && {a_small} > 0", tile_width(room_a)),
            Duration::from_secs(25),
        )
        .await;
    let [a_large, b_still] = widths().await;
    eprintln!("live video: with the floor, A's tile is {a_large} wide, B's {b_still}");
    assert!(
        b_still <= b_small && b_still < a_large,
        "the classroom without the floor stays on its smaller layer: {b_small} -> {b_still}, \
         A {a_small} -> {a_large}"
    );

    let dir = artifacts();
    teacher.screenshot("live-video-teacher.png").await;
    a.screenshot("live-video-classroom-a.png").await;
    b.screenshot("live-video-classroom-b-floor.png").await;
    assert!(dir.join("live-video-classroom-b-floor.png").exists());

    // Taking the floor back removes A from B's page.
    teacher
        .element(&format!(".floor-button[data-classroom=\"{}\"]", room_a.0))
        .await
        .click()
        .await
        .expect("click take the floor back");
    b.until(
        "A gone from B after the floor is taken back",
        "!document.querySelector('#floor-video')",
        Duration::from_secs(10),
    )
    .await;
    // The teacher switches the camera off: classroom A's picture goes black, then comes back.
    let green = "(() => { const v = document.querySelector('#teacher-video'); \
        const c = document.createElement('canvas'); c.width = 32; c.height = 24; \
        const x = c.getContext('2d'); x.drawImage(v, 0, 0, 32, 24); \
        const d = x.getImageData(0, 0, 32, 24).data; let s = 0; \
        for (let i = 0; i < d.length; i += 4) s += d[i + 1]; return s / (d.length / 4); })()";
    a.until(
        "the teacher's picture (green)",
        &format!("{green} > 60"),
        wait,
    )
    .await;
    teacher
        .element("#camera-toggle")
        .await
        .click()
        .await
        .expect("camera off");
    a.until(
        "the teacher's picture black",
        &format!("{green} < 10"),
        Duration::from_secs(10),
    )
    .await;
    a.screenshot("live-video-teacher-camera-off.png").await;
    teacher
        .element("#camera-toggle")
        .await
        .click()
        .await
        .expect("camera on");
    a.until(
        "the teacher's picture back",
        &format!("{green} > 60"),
        Duration::from_secs(10),
    )
    .await;

    // The teacher mutes the microphone: classroom A hears silence.
    let level = "+(document.querySelector('figure:has(#teacher-video)')?.dataset.audioLevel || 0)";
    teacher
        .element("#mic-toggle")
        .await
        .click()
        .await
        .expect("mute");
    // The page refreshes its stats each second: after two refreshes they are of audio sent
    // after the mute.
    for _ in 0..2 {
        let now = a.eval(&frames("teacher-video")).await.as_u64().unwrap_or(0);
        a.until(
            "classroom A's stats refreshed",
            &format!("{} > {now}", frames("teacher-video")),
            Duration::from_secs(10),
        )
        .await;
    }
    // An absence, so a fixed window: the fake microphone sounds in short beeps and the level is
    // of the latest audio only, so it is sampled over several seconds.
    let mut loudest: f64 = 0.0;
    for _ in 0..6 {
        loudest = loudest.max(a.eval(level).await.as_f64().unwrap_or(1.0));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        loudest < 0.001,
        "muted: the classroom hears level {loudest}"
    );
    teacher
        .element("#mic-toggle")
        .await
        .click()
        .await
        .expect("unmute");

    // The teacher picks another microphone: it is shown chosen and audio keeps coming.
    let other = teacher
        .eval("[...document.querySelectorAll('#mic-select option')].map(o => o.value).find(v => v !== document.querySelector('#mic-select').value)")
        .await;
    let other = other
        .as_str()
        .expect("a second (fake) microphone")
        .to_string();
    teacher
        .eval(&format!(
            "(() => {{ const s = document.querySelector('#mic-select'); s.value = '{other}'; \
             s.dispatchEvent(new Event('change', {{ bubbles: true }})); return true; }})()"
        ))
        .await;
    teacher
        .until(
            "the chosen microphone in use",
            &format!("document.querySelector('#mic-select option[value=\"{other}\"]')?.selected"),
            Duration::from_secs(10),
        )
        .await;
    let samples =
        "+(document.querySelector('figure:has(#teacher-video)')?.dataset.audioSamples || 0)";
    let before = a.eval(samples).await.as_u64().unwrap_or(0);
    a.until(
        &format!("a second of audio within 2 s of the switch (from {before} samples)"),
        &format!("{samples} > {}", before + 48_000),
        Duration::from_secs(2),
    )
    .await;

    for page in [teacher, a, b] {
        page.close().await;
    }
}
