//! Deployment settings reach the answers peers get: the announced address (a relay behind 1:1
//! NAT) replaces the bound one in every candidate, and every connection's candidate names the one
//! configured media port. No peer connects here, so nothing is sent to the announced (documentation) address. The pages
//! are handed the configured STUN/TURN servers for their own connections.

use shared::ids::Role;
use tests::media::TestPeer;
use tests::relay::TestRelay;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_announce_the_public_address_and_the_one_port() {
    let relay = TestRelay::start_with_options(
        0,
        &[
            "--media-announced-ip",
            "203.0.113.9",
            "--media-port",
            "21347",
            "--client-ice-server",
            "turn:school:secret@127.0.0.1:3478?transport=tcp",
        ],
    )
    .await;
    let mut teacher = relay.joined(Role::Teacher, 1).await;
    assert_eq!(
        teacher.ice_servers,
        Some(vec![shared::protocol::IceServer {
            urls: vec!["turn:127.0.0.1:3478?transport=tcp".into()],
            username: "school".into(),
            credential: "secret".into(),
        }]),
        "the page is handed the TURN server for its own connections"
    );
    for _ in 0..2 {
        let (peer, offer) = TestPeer::publisher().await;
        let (_, answer) = teacher.offer(None, offer).await.expect("publish accepted");
        peer.close().await;
        let candidates: Vec<&str> = answer
            .lines()
            .filter(|l| l.starts_with("a=candidate:"))
            .collect();
        assert!(
            !candidates.is_empty(),
            "the answer carries candidates: {answer}"
        );
        for c in candidates {
            let fields: Vec<&str> = c.split(' ').collect();
            assert_eq!(fields[4], "203.0.113.9", "announced address in {c}");
            let port: u16 = fields[5].parse().expect("a port");
            assert_eq!(port, 21347, "the configured port in {c}");
        }
        assert!(
            !answer.contains("127.0.0.1 "),
            "the bound address is not announced"
        );
    }
}
