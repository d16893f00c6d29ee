//! A burst of offers on one connection (a teacher subscribing to every classroom at once) is
//! answered a few at a time: every offer gets exactly one reply, even when the replies outnumber
//! the connection's outbound queue, and the connection keeps working. (The bound on the line of
//! waiting offers is unit-tested in `relay::ws`.)

use shared::ids::Role;
use shared::protocol::{ClientMsg, ServerMsg};
use std::collections::HashMap;
use std::time::Duration;
use tests::media::TestPeer;
use tests::relay::TestRelay;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_offers_is_answered_in_full() {
    let relay = TestRelay::start().await;
    let mut teacher = relay.joined(Role::Teacher, 1).await;
    let (peer, offer) = TestPeer::publisher().await;
    // Real offers first (each sets up a peer connection), then many that wait behind them.
    let mut sent = 0u32;
    for _ in 0..8 {
        sent += 1;
        teacher
            .send(&ClientMsg::Publish {
                req: sent,
                sdp: offer.clone(),
            })
            .await;
    }
    // 8 + 252 = 260 offers: more replies than the outbound queue holds (256), fewer than may wait
    // in line (264), so every one is answered on its merits.
    for _ in 0..252 {
        sent += 1;
        teacher
            .send(&ClientMsg::Publish {
                req: sent,
                sdp: "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n".into(),
            })
            .await;
    }
    let mut replies: HashMap<u32, String> = HashMap::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while replies.len() < sent as usize && tokio::time::Instant::now() < deadline {
        match teacher.recv(Duration::from_secs(5)).await {
            Some(ServerMsg::MediaAnswer { req, .. }) => {
                assert!(
                    replies.insert(req, "answer".into()).is_none(),
                    "one reply per offer"
                );
            }
            Some(ServerMsg::MediaRefused { req, reason }) => {
                assert!(replies.insert(req, reason).is_none(), "one reply per offer");
            }
            Some(_) => {}
            None => break,
        }
    }
    assert_eq!(replies.len(), sent as usize, "every offer got a reply");
    let answered = replies.values().filter(|r| *r == "answer").count();
    assert!(answered >= 1, "real offers are answered");
    assert!(
        replies.values().any(|r| r.contains("must send")),
        "offers that waited in line were answered on their merits"
    );
    assert!(teacher.closed.is_none(), "the connection keeps working");
    peer.close().await;
}
