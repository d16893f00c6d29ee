//! A classroom whose link dies without closing (no FIN, no pings) is closed by the relay after the
//! idle limit, so the teacher does not see it "online" for ever; a pinging connection stays.

use shared::ids::{PageId, Role};
use shared::protocol::{ClientMsg, CloseCode, ServerMsg};
use std::time::{Duration, Instant};
use tests::client::LessonClient;
use tests::relay::{TestRelay, CLASSROOMS, LESSON};

#[tokio::test]
async fn a_silent_classroom_is_closed_and_shown_offline() {
    let relay = TestRelay::start_with_options(0, &["--idle-timeout-secs", "1"]).await;
    let url = relay.ws_url(LESSON);
    let mut teacher =
        LessonClient::connect(&url, &relay.token(Role::Teacher), PageId(1), None).await;
    teacher.until("joined", |c| !c.snapshots.is_empty()).await;
    let mut silent = LessonClient::connect(
        &url,
        &relay.token(Role::Classroom(CLASSROOMS[0])),
        PageId(2),
        None,
    )
    .await;
    silent.until("joined", |c| !c.snapshots.is_empty()).await;

    // The teacher keeps pinging every 200 ms, as the browser does (every 10 s); the classroom says nothing.
    let start = Instant::now();
    let (mut seen_online, mut offline) = (false, false);
    while start.elapsed() < Duration::from_secs(5) && !offline {
        teacher.send(&ClientMsg::Ping { nonce: 1 }).await;
        let tick = Instant::now() + Duration::from_millis(200);
        while let Some(msg) = teacher
            .recv(tick.saturating_duration_since(Instant::now()))
            .await
        {
            if let ServerMsg::Roster(list) = msg {
                let me = list
                    .iter()
                    .find(|a| a.role == Role::Classroom(CLASSROOMS[0]))
                    .expect("listed");
                seen_online |= me.online;
                offline = seen_online && !me.online;
            }
        }
    }
    assert!(offline, "the silent classroom still shows online");
    let (code, reason) = silent.closed().await;
    assert_eq!(code, CloseCode::GOING_AWAY);
    assert!(reason.contains("nothing received"), "{reason}");
    assert!(teacher.closed.is_none(), "a pinging connection stays open");
}
