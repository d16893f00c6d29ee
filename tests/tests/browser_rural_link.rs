//! A rural classroom on "rural DSL" — 2 Mbit/s down, 512 kbit/s up, shaped with `tc tbf` on its
//! own network namespace's link — sees and hears the master classroom smoothly, and the teacher
//! sees it. (This kernel has no `netem`, so delay and random loss are not part of the profile.)
//! The school and the rural classroom are separate namespaces created by the test; the relay
//! listens on the school's link.

use shared::ids::Role;
use std::time::Duration;
use tests::browser::{media_flags, Browser, Chromedriver, CONNECTED, FAKE_MEDIA};
use tests::netns::TestNet;
use tests::relay::{TestRelay, CLASSROOMS};

async fn open(driver: &Chromedriver, relay: &TestRelay, link: &str) -> Browser {
    let b = Browser::open_with(driver, media_flags(&relay.base, FAKE_MEDIA)).await;
    b.client.goto(link).await.expect("open the join link");
    b.until("the lesson connected", CONNECTED, Duration::from_secs(40))
        .await;
    b
}

async fn tile_number(page: &Browser, tile: &str, field: &str) -> u64 {
    page.eval(&format!(
        "+(document.querySelector('{tile}')?.dataset.{field} || 0)"
    ))
    .await
    .as_u64()
    .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classroom_on_rural_dsl_sees_and_hears_the_teacher_smoothly() {
    let school = TestNet::create("school");
    let rural = TestNet::create("rural");
    rural.route_to(&school.host_ip);
    rural.shape(2_000, 512, 300);
    let relay = TestRelay::start_at(&school.host_ip, 0, &[]).await;
    let school_driver = Chromedriver::start_in(&school).await;
    let rural_driver = Chromedriver::start_in(&rural).await;
    let room = CLASSROOMS[0];
    let teacher = open(&school_driver, &relay, &relay.link(Role::Teacher)).await;
    let classroom = open(&rural_driver, &relay, &relay.link(Role::Classroom(room))).await;

    classroom
        .until(
            "the rural classroom decoding the teacher",
            "(() => { const t = document.querySelector('#teacher-video')?.closest('.tile'); \
             return t && +t.dataset.frames > 30 && +t.dataset.audioSamples > 0; })()",
            Duration::from_secs(40),
        )
        .await;
    let tile = "figure:has(#teacher-video)";
    let (frames0, freezes0) = (
        tile_number(&classroom, tile, "frames").await,
        tile_number(&classroom, tile, "freezes").await,
    );
    let audio0 = tile_number(&classroom, tile, "audioSamples").await;
    tokio::time::sleep(Duration::from_secs(15)).await;
    let (frames1, freezes1) = (
        tile_number(&classroom, tile, "frames").await,
        tile_number(&classroom, tile, "freezes").await,
    );
    let audio1 = tile_number(&classroom, tile, "audioSamples").await;
    let fps = (frames1 - frames0) as f64 / 15.0;
    eprintln!(
        "rural DSL: {fps:.1} frames/s, {} freezes, {} audio samples in 15 s",
        freezes1 - freezes0,
        audio1 - audio0
    );
    assert!(
        fps >= 10.0,
        "the teacher's video at {fps:.1} frames/s over rural DSL"
    );
    assert!(
        freezes1 - freezes0 <= 1,
        "at most one freeze in 15 s ({} counted)",
        freezes1 - freezes0
    );
    // 15 s of 48 kHz audio; allow for the stats' one-second granularity.
    assert!(
        audio1 - audio0 >= 48_000 * 13,
        "audio kept coming: {} samples in 15 s",
        audio1 - audio0
    );

    // The teacher sees the rural classroom through its 512 kbit/s uplink.
    teacher
        .until(
            "the teacher decoding the rural classroom",
            &format!(
                "(() => {{ const t = document.querySelector('.grid-cell[data-classroom=\"{}\"] .tile'); \
                 return t && +t.dataset.frames > 30; }})()",
                room.0
            ),
            Duration::from_secs(30),
        )
        .await;
    classroom.screenshot("rural-dsl-classroom.png").await;
    teacher.close().await;
    classroom.close().await;
}
