//! A school's firewall needs to open only the relay's HTTP port and its one media port: with a
//! teacher publishing and twenty classrooms receiving (twenty-one peer connections), the relay
//! process has exactly one UDP socket (the media port every answer names) and listens on TCP at
//! exactly the HTTP port and the same media port number (ICE-TCP). Read from the kernel's socket
//! table (`ss`) for the relay's process id. With the embedded TURN server on (UDP, TCP and TLS),
//! its ports are added, and nothing else.

use shared::ids::Role;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tests::media::{stream, TestPeer};
use tests::relay::{extra_classroom, TestRelay};
use tests::tls::TestCertificate;

const CLASSROOMS: u32 = 20;

/// The local ports of the sockets `pid` holds, as `ss` lists them with `args`.
fn ports_of(pid: u32, args: &[&str]) -> BTreeSet<u16> {
    let out = std::process::Command::new("ss")
        .args(args)
        .output()
        .expect("run ss");
    assert!(out.status.success(), "ss {args:?} failed");
    let owner = format!("pid={pid},");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(&owner))
        .filter_map(|l| {
            // State, Recv-Q, Send-Q, Local Address:Port, ... (with -H, no header).
            let local = l.split_whitespace().nth(3)?;
            local.rsplit_once(':')?.1.parse().ok()
        })
        .collect()
}

/// The ports of the `a=candidate` lines of an answer, by transport.
fn candidate_ports(answer: &str, transport: &str) -> BTreeSet<u16> {
    answer
        .lines()
        .filter(|l| l.starts_with("a=candidate:"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f.get(2)?.eq_ignore_ascii_case(transport))
                .then(|| f.get(5)?.parse().ok())
                .flatten()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_one_connections_use_one_udp_port_and_the_same_tcp_port() {
    let relay = TestRelay::start_with(CLASSROOMS).await;
    let pid = relay.pid().expect("the relay's pid");
    let mut teacher = relay.joined(Role::Teacher, 1).await;
    let (publisher, offer) = TestPeer::publisher().await;
    let (_, answer) = teacher.offer(None, offer).await.expect("publish accepted");
    let udp = candidate_ports(&answer, "udp");
    let tcp = candidate_ports(&answer, "tcp");
    assert_eq!(udp.len(), 1, "one UDP candidate port: {answer}");
    assert_eq!(tcp, udp, "the TCP candidate has the same port number");
    let media_port = *udp.first().expect("a port");
    publisher.accept(answer).await;
    assert!(publisher.connected(Duration::from_secs(10)).await);
    let publisher = Arc::new(publisher);
    let warmup = tokio::spawn(stream(Arc::clone(&publisher), Duration::from_secs(2), 100));

    let mut subscribers = Vec::new();
    for k in 0..CLASSROOMS {
        let mut c = relay
            .joined(Role::Classroom(extra_classroom(k)), 100 + u64::from(k))
            .await;
        c.until("the teacher's source", |c| {
            c.sources.iter().any(|s| s.role == Role::Teacher)
        })
        .await;
        let source = c.sources[0].id;
        let (peer, offer) = TestPeer::subscriber().await;
        let (_, answer) = c.offer(Some(source), offer).await.expect("subscribe");
        assert_eq!(
            candidate_ports(&answer, "udp"),
            udp,
            "every answer names the same port"
        );
        peer.accept(answer).await;
        subscribers.push((c, peer));
    }
    warmup.await.expect("warm-up");
    for (_, peer) in &subscribers {
        assert!(peer.connected(Duration::from_secs(15)).await, "connected");
    }

    let udp_sockets = ports_of(pid, &["-H", "-a", "-n", "-p", "-u"]);
    assert_eq!(
        udp_sockets,
        BTreeSet::from([media_port]),
        "the relay holds one UDP socket, the media port"
    );
    let listening = ports_of(pid, &["-H", "-l", "-n", "-p", "-t"]);
    assert_eq!(
        listening,
        BTreeSet::from([http_port(&relay), media_port]),
        "the relay listens on TCP at the HTTP port and the media port only"
    );
}

/// A port number free for both UDP and TCP on 127.0.0.1 (the TURN server takes both).
fn free_udp_and_tcp_port() -> u16 {
    for _ in 0..50 {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("a UDP port");
        let port = udp.local_addr().expect("its address").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both UDP and TCP in 50 tries");
}

fn http_port(relay: &TestRelay) -> u16 {
    relay
        .base
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .expect("the HTTP port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_turn_the_relay_adds_only_the_turn_ports() {
    let dir = tempfile::tempdir().expect("a folder for the certificate");
    let certificate = TestCertificate::create(dir.path(), "127.0.0.1");
    let turn_port = free_udp_and_tcp_port();
    let tls_port = free_udp_and_tcp_port();
    let turn = turn_port.to_string();
    let mut options = vec!["--turn-port".to_string(), turn];
    options.extend(certificate.relay_options(tls_port));
    let options: Vec<&str> = options.iter().map(String::as_str).collect();
    let relay = TestRelay::start_with_options(0, &options).await;
    let pid = relay.pid().expect("the relay's pid");
    let mut teacher = relay.joined(Role::Teacher, 1).await;
    let (publisher, offer) = TestPeer::publisher().await;
    let (_, answer) = teacher.offer(None, offer).await.expect("publish accepted");
    let media_port = *candidate_ports(&answer, "udp").first().expect("a port");
    publisher.accept(answer).await;
    assert!(publisher.connected(Duration::from_secs(10)).await);

    assert_eq!(
        ports_of(pid, &["-H", "-a", "-n", "-p", "-u"]),
        BTreeSet::from([media_port, turn_port]),
        "UDP: the media port and the TURN port"
    );
    assert_eq!(
        ports_of(pid, &["-H", "-l", "-n", "-p", "-t"]),
        BTreeSet::from([http_port(&relay), media_port, turn_port, tls_port]),
        "TCP: HTTP, the media port, TURN and TURN over TLS"
    );
}
