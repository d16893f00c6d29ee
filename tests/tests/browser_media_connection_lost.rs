//! A rural classroom whose media connections are lost while its page stays in the lesson (the
//! school's firewall or a flaky hop drops the media port for longer than either end waits, but
//! its WebSocket, on the web port, carries on) is seen and heard again once the port is back,
//! without a reload: its page publishes its camera again and receives the teacher again.
//!
//! Before, the page published only once: when the relay gave its camera's connection up (after
//! 30 s without consent), it ended the Publication without telling the page, and the page, whose
//! own connection failed too, never offered another. The teacher's grid lost that classroom for
//! the rest of the lesson. Real Chromium on both ends; the link emulator drops every packet to
//! or from the media port.

use std::time::Duration;
use tests::link::pipeline::Settings;
use tests::link::profiles::{Profile, P1_RURAL_DSL};
use tests::rural::{Camera, RuralDsl};

/// The relay listens on the link's own address, so a fixed port clashes with no other test.
const MEDIA_PORT: u16 = 21_541;
/// The relay gives a silent connection up after 30 s (ICE: 5 s to disconnected, 25 s to
/// failed); the margin is for a loaded machine.
const GIVEN_UP_WITHIN: Duration = Duration::from_secs(50);
/// After the port is back: the page's next offer (its waits grow from 1 s to at most 16 s while
/// offers fail), the connection, the relay's listing and the teacher's subscription.
const BACK_WITHIN: Duration = Duration::from_secs(30);

/// P1 with the media port closed both ways.
fn media_port_closed() -> Profile {
    let closed = |s: Settings| Settings {
        block_port: MEDIA_PORT,
        ..s
    };
    Profile {
        name: "P1 with the media port closed",
        down: closed(P1_RURAL_DSL.down),
        up: closed(P1_RURAL_DSL.up),
        ..P1_RURAL_DSL
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_classroom_whose_media_was_cut_is_seen_and_heard_again() {
    let port = MEDIA_PORT.to_string();
    let dsl = RuralDsl::start_with(&P1_RURAL_DSL, Camera::Default, &["--media-port", &port]).await;
    dsl.plays_both_ways("before the cut").await;
    dsl.classroom.eval("(window.__sameDocument = 'yes')").await;

    let cell = format!(
        "document.querySelector('.grid-cell[data-classroom=\"{}\"]')",
        dsl.room.0
    );
    dsl.link.apply(&media_port_closed(), Duration::ZERO);
    let gone = dsl
        .teacher
        .until(
            "the relay giving the classroom's camera up (its cell in the teacher's grid \
             without a picture, the classroom still connected)",
            &format!("{cell}?.dataset.state === 'no-picture'"),
            GIVEN_UP_WITHIN,
        )
        .await;
    eprintln!("media cut: the classroom's picture left the teacher's grid {gone:?} after the cut");
    dsl.link.apply(&P1_RURAL_DSL, Duration::ZERO);
    let back = dsl
        .teacher
        .until(
            "the teacher decoding the classroom again",
            &dsl.teacher_decodes_the_classroom(30),
            BACK_WITHIN,
        )
        .await;
    eprintln!("media cut: the teacher sees the classroom again {back:?} after the port's return");
    dsl.plays_both_ways("after the cut").await;
    let same = dsl.classroom.eval("window.__sameDocument || ''").await;
    assert_eq!(same, "yes", "the classroom's page was not reloaded");
    dsl.close().await;
}
