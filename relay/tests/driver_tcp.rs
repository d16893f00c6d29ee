//! A classroom whose network passes only TCP connects to the media driver (ICE-TCP, RFC 6544,
//! on the driver's one port number) and receives RTP; garbage, oversized frames and silent
//! streams on that TCP port are closed without disturbing the peers already connected.
//!
//! The remote peers are `rtc` state machines driven by a small loop in this file: a TCP-only
//! peer offers an active TCP candidate and connects to the passive one in the driver's answer
//! (RFC 4571 framing over a real tokio `TcpStream`); a UDP peer uses a host candidate on its own
//! UDP socket. Both offer to receive video only.

use bytes::{Bytes, BytesMut};
use relay::media::driver::framing::{frame_into, FrameDecoder};
use relay::media::driver::{
    self, DriverConfig, DriverEvent, MediaDriverHandle, PeerId, SendTrack, TcpConfig,
};
use rtc::ice::mdns::MulticastDnsMode;
use rtc::ice::network_type::NetworkType;
use rtc::ice::tcp_type::TcpType;
use rtc::peer_connection::configuration::media_engine::{MediaEngine, MIME_TYPE_VP8};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::event::RTCPeerConnectionEvent;
use rtc::peer_connection::message::{RTCMessage, TaggedRTCMessage};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::state::RTCPeerConnectionState;
use rtc::peer_connection::transport::{CandidateConfig, CandidateHostConfig, RTCIceCandidate};
use rtc::peer_connection::{RTCPeerConnection, RTCPeerConnectionBuilder};
use rtc::rtp;
use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodec, RTCRtpCodecParameters, RtpCodecKind};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

const WAIT: Duration = Duration::from_secs(30);
/// RTP packets per burst.
const BURST: u16 = 50;
/// The payload type the peers give VP8 (the driver numbers it otherwise).
const VP8_PT: u8 = 100;

/// What a peer saw: its connection state and the (sequence number, payload type) of every RTP
/// packet, in arrival order.
#[derive(Default)]
struct PeerLog {
    state: Option<RTCPeerConnectionState>,
    rtp: Vec<(u16, u8)>,
}

#[derive(Clone, Copy, PartialEq)]
enum Transport {
    Tcp,
    Udp,
}

/// A receive-only video peer: its state machine and its offer. A UDP peer also gets its socket.
async fn offer(transport: Transport) -> (RTCPeerConnection, String, Option<UdpSocket>) {
    let mut engine = MediaEngine::default();
    engine
        .register_codec(
            RTCRtpCodecParameters {
                rtp_codec: RTCRtpCodec {
                    mime_type: MIME_TYPE_VP8.into(),
                    clock_rate: 90_000,
                    channels: 0,
                    sdp_fmtp_line: String::new(),
                    rtcp_feedback: vec![],
                },
                payload_type: VP8_PT,
            },
            RtpCodecKind::Video,
        )
        .unwrap();
    let network = match transport {
        Transport::Tcp => NetworkType::Tcp4,
        Transport::Udp => NetworkType::Udp4,
    };
    let settings = SettingEngineBuilder::new()
        .with_network_types(vec![network])
        .with_multicast_dns_mode(MulticastDnsMode::Disabled)
        .build();
    let mut pc = RTCPeerConnectionBuilder::new()
        .with_configuration(RTCConfigurationBuilder::new().build())
        .with_setting_engine(settings)
        .with_media_engine(engine)
        .build(Instant::now())
        .expect("peer connection");
    pc.add_transceiver_from_kind(
        RtpCodecKind::Video,
        Some(RTCRtpTransceiverInit {
            direction: RTCRtpTransceiverDirection::Recvonly,
            streams: vec![],
            send_encodings: vec![],
        }),
    )
    .expect("transceiver");
    let (socket, candidate) = match transport {
        // RFC 6544: an active candidate has the discard port; the real one is the stream's.
        Transport::Tcp => (None, ("tcp", 9, TcpType::Active)),
        Transport::Udp => {
            let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let port = socket.local_addr().unwrap().port();
            (Some(socket), ("udp", port, TcpType::Unspecified))
        }
    };
    let candidate = CandidateHostConfig {
        base_config: CandidateConfig {
            network: candidate.0.to_owned(),
            address: "127.0.0.1".into(),
            port: candidate.1,
            component: 1,
            ..Default::default()
        },
        tcp_type: candidate.2,
    }
    .new_candidate_host()
    .unwrap();
    pc.add_local_candidate(RTCIceCandidate::from(&candidate).to_json().unwrap())
        .unwrap();
    let offer = pc.create_offer(None).expect("offer");
    pc.set_local_description(Instant::now(), offer)
        .expect("local description");
    let sdp = pc.local_description().expect("local sdp").sdp;
    (pc, sdp, socket)
}

/// The socket a peer's datagrams go through.
enum Link {
    Tcp {
        stream: TcpStream,
        decoder: FrameDecoder,
    },
    Udp(UdpSocket),
}

/// Drives `pc` until the task is aborted: its datagrams over `link` to and from the driver at
/// `driver`, its timeouts, and what it receives into `log`.
async fn drive(
    mut pc: RTCPeerConnection,
    mut link: Link,
    driver: SocketAddr,
    log: Arc<Mutex<PeerLog>>,
) {
    let local = match &link {
        Link::Tcp { stream, .. } => stream.local_addr().unwrap(),
        Link::Udp(socket) => socket.local_addr().unwrap(),
    };
    let protocol = match link {
        Link::Tcp { .. } => TransportProtocol::TCP,
        Link::Udp(_) => TransportProtocol::UDP,
    };
    let mut buf = vec![0u8; 8_192];
    let mut out = Vec::new();
    let mut frames: Vec<BytesMut> = Vec::new();
    loop {
        out.clear();
        while let Some(w) = pc.poll_write() {
            assert_eq!(
                w.transport.transport_protocol, protocol,
                "peer writes on its transport"
            );
            match &mut link {
                Link::Tcp { .. } => frame_into(&w.message, &mut out).unwrap(),
                Link::Udp(socket) => {
                    let _ = socket.send_to(&w.message, driver).await;
                }
            }
        }
        if let Link::Tcp { stream, .. } = &mut link {
            if !out.is_empty() && stream.write_all(&out).await.is_err() {
                return;
            }
        }
        while let Some(event) = pc.poll_event() {
            if let RTCPeerConnectionEvent::OnConnectionStateChangeEvent(state) = event {
                log.lock().unwrap().state = Some(state);
            }
        }
        while let Some(TaggedRTCMessage { message, .. }) = pc.poll_read() {
            if let RTCMessage::RtpPacket(_, packet) = message {
                log.lock()
                    .unwrap()
                    .rtp
                    .push((packet.header.sequence_number, packet.header.payload_type));
            }
        }
        let timeout = pc
            .poll_timeout()
            .unwrap_or_else(|| Instant::now() + Duration::from_secs(1));
        let sleep = tokio::time::sleep_until(timeout.into());
        let read = async {
            match &mut link {
                Link::Tcp { stream, decoder } => {
                    let n = stream.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return false;
                    }
                    decoder
                        .decode(&buf[..n], |f| frames.push(BytesMut::from(f)))
                        .is_ok()
                }
                Link::Udp(socket) => match socket.recv_from(&mut buf).await {
                    Ok((n, _)) => {
                        frames.push(BytesMut::from(&buf[..n]));
                        true
                    }
                    Err(_) => true,
                },
            }
        };
        tokio::select! {
            () = sleep => {
                let _ = pc.handle_timeout(Instant::now());
            }
            alive = read => {
                for message in frames.drain(..) {
                    let _ = pc.handle_read(TaggedBytesMut {
                        now: Instant::now(),
                        transport: TransportContext {
                            local_addr: local,
                            peer_addr: driver,
                            ecn: None,
                            transport_protocol: protocol,
                        },
                        message,
                    });
                }
                if !alive {
                    log.lock().unwrap().state = Some(RTCPeerConnectionState::Closed);
                    return;
                }
            }
        }
    }
}

struct Peer {
    conn: PeerId,
    answer: String,
    /// What the driver's connection shows of the peer's link (over TCP or not).
    meter: relay::media::link_meter::LinkMeter,
    log: Arc<Mutex<PeerLog>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A peer answered by the driver and driven; not connected yet.
async fn peer(handle: &MediaDriverHandle, transport: Transport) -> Peer {
    let (mut pc, sdp, socket) = offer(transport).await;
    let opened = handle
        .open(0, sdp, vec![SendTrack::vp8()])
        .await
        .expect("the driver answers");
    pc.set_remote_description(
        Instant::now(),
        RTCSessionDescription::answer(opened.answer.clone()).expect("answer sdp"),
    )
    .expect("remote description");
    let driver = handle.local_addr();
    let link = match (transport, socket) {
        (Transport::Udp, Some(socket)) => Link::Udp(socket),
        _ => {
            // The active side: connect to the answer's passive candidate.
            let passive = tcp_candidate(&opened.answer).expect("a passive TCP candidate");
            Link::Tcp {
                stream: TcpStream::connect(passive).await.expect("TCP connect"),
                decoder: FrameDecoder::new(65_535),
            }
        }
    };
    let log: Arc<Mutex<PeerLog>> = Arc::default();
    let task = tokio::spawn(drive(pc, link, driver, Arc::clone(&log)));
    Peer {
        conn: opened.conn,
        answer: opened.answer,
        meter: opened.meter,
        log,
        task,
    }
}

/// The address of the answer's `tcp ... tcptype passive` candidate.
fn tcp_candidate(sdp: &str) -> Option<SocketAddr> {
    sdp.lines()
        .filter_map(|l| l.strip_prefix("a=candidate:"))
        .find_map(|c| {
            let f: Vec<&str> = c.split_whitespace().collect();
            let passive = f.windows(2).any(|w| w == ["tcptype", "passive"]);
            if f.get(2)?.eq_ignore_ascii_case("tcp") && passive {
                format!("{}:{}", f.get(4)?, f.get(5)?).parse().ok()
            } else {
                None
            }
        })
}

/// The connections the driver reported Connected.
type Connected = Arc<Mutex<HashSet<PeerId>>>;

async fn start(tcp: TcpConfig) -> (MediaDriverHandle, Connected) {
    let mut config = DriverConfig::new("127.0.0.1:0".parse().unwrap());
    config.tcp = tcp;
    let (handle, mut events) = driver::start(config).expect("driver starts");
    let connected: Connected = Arc::default();
    let seen = Arc::clone(&connected);
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            match event {
                DriverEvent::Connected(conn) => {
                    seen.lock().unwrap().insert(conn);
                }
                DriverEvent::Failed(conn) => eprintln!("driver: {conn} failed"),
                _ => {}
            }
        }
    });
    (handle, connected)
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < WAIT, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn connect(peer: &Peer, connected: &Connected) {
    until("the peer connects", || {
        peer.log.lock().unwrap().state == Some(RTCPeerConnectionState::Connected)
    })
    .await;
    until("the driver sees the connection", || {
        connected.lock().unwrap().contains(&peer.conn)
    })
    .await;
}

/// Sends seq `first..first + BURST` on each peer's video track and waits until every peer has
/// them all, in order, with its own payload type.
async fn burst(handle: &MediaDriverHandle, peers: &[&Peer], first: u16) {
    for seq in first..first + BURST {
        for peer in peers {
            let packet = rtp::Packet {
                header: rtp::header::Header {
                    version: 2,
                    marker: true,
                    sequence_number: seq,
                    timestamp: u32::from(seq) * 3_000,
                    ..Default::default()
                },
                payload: Bytes::from(vec![0x10; 200]),
            };
            handle.write_rtp(peer.conn, 0, packet).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let want: Vec<(u16, u8)> = (first..first + BURST).map(|s| (s, VP8_PT)).collect();
    for peer in peers {
        until("the burst arrives in order", || {
            let log = peer.log.lock().unwrap();
            let got: Vec<(u16, u8)> = log
                .rtp
                .iter()
                .copied()
                .filter(|(s, _)| (first..first + BURST).contains(s))
                .collect();
            got == want
        })
        .await;
    }
}

/// Whether the driver closed `stream` within `within` (EOF or reset; anything it sent first is
/// read and dropped).
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1_024];
    tokio::time::timeout(within, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcp_only_peer_connects_and_receives_rtp() {
    let (handle, connected) = start(TcpConfig::default()).await;
    let t0 = Instant::now();
    let peer = peer(&handle, Transport::Tcp).await;
    assert_eq!(
        tcp_candidate(&peer.answer),
        Some(handle.local_addr()),
        "the answer's passive TCP candidate is the driver's UDP address and port"
    );
    connect(&peer, &connected).await;
    let t_connected = t0.elapsed();
    burst(&handle, &[&peer], 1).await;
    let stats = handle.stats().await.expect("stats");
    println!(
        "TCP-only peer on {}: connected after {t_connected:?}, received {BURST} packets in \
         order after {:?}; {stats:?}",
        handle.local_addr(),
        t0.elapsed()
    );
    assert_eq!(stats.datagrams_in, 0, "nothing came over UDP");
    assert_eq!((stats.tcp.open, stats.tcp.bound), (1, 1));
    assert!(stats.tcp.frames_out >= u64::from(BURST));
    assert_eq!(stats.tcp.write_drops, 0);
    assert_eq!(stats.write_errors, 0);

    // Closing the connection closes its stream.
    handle.close(peer.conn).await.unwrap();
    until("the peer sees its stream closed", || {
        peer.log.lock().unwrap().state == Some(RTCPeerConnectionState::Closed)
    })
    .await;
    let stats = handle.stats().await.expect("stats");
    assert_eq!((stats.connections, stats.tcp.open), (0, 0));
}

/// A framed datagram.
fn framed(datagram: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    frame_into(datagram, &mut out).unwrap();
    out
}

/// A STUN binding request for `username` (no integrity: no connection would accept it anyway).
fn binding_request(username: &str) -> Vec<u8> {
    let mut attrs = Vec::new();
    attrs.extend_from_slice(&0x0006u16.to_be_bytes());
    attrs.extend_from_slice(&(username.len() as u16).to_be_bytes());
    attrs.extend_from_slice(username.as_bytes());
    while attrs.len() % 4 != 0 {
        attrs.push(0);
    }
    let mut m = vec![0x00, 0x01];
    m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0x21, 0x12, 0xA4, 0x42]);
    m.extend_from_slice(&[7; 12]);
    m.extend_from_slice(&attrs);
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tcp_streams_are_closed_without_disturbing_connected_peers() {
    let bind_timeout = Duration::from_secs(1);
    let (handle, connected) = start(TcpConfig {
        bind_timeout,
        ..TcpConfig::default()
    })
    .await;
    let udp = peer(&handle, Transport::Udp).await;
    let tcp = peer(&handle, Transport::Tcp).await;
    connect(&udp, &connected).await;
    connect(&tcp, &connected).await;
    burst(&handle, &[&udp, &tcp], 1).await;
    // The link estimate of each reads its queue as a UDP or a TCP link does.
    assert!(tcp.meter.over_tcp() && !udp.meter.over_tcp());

    let port = handle.local_addr();
    let mut hello = framed(&binding_request("nobody:stranger"));
    hello.extend_from_slice(&framed(&[0x80, 96, 0, 1]));
    let bad: Vec<(&str, Vec<u8>)> = vec![
        // Framed, but outside every RFC 7983 range.
        ("garbage frame", framed(&[0x40, 1, 2, 3])),
        ("DTLS before any binding", framed(&[22, 254, 253, 0, 0, 0])),
        ("binding request for no connection", hello),
        // A length far over the driver's limit (and the frame never completes).
        ("oversized frame", vec![0xFF, 0xFF, 0, 1, 2, 3]),
        // Not ICE at all: "GE" reads as a frame of 18245 bytes.
        ("HTTP", b"GET / HTTP/1.1\r\nHost: relay\r\n\r\n".to_vec()),
    ];
    let t0 = Instant::now();
    let mut streams = Vec::new();
    for (what, bytes) in &bad {
        let mut stream = TcpStream::connect(port).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        streams.push((*what, stream));
    }
    let mut silent = TcpStream::connect(port).await.unwrap();
    for (what, stream) in &mut streams {
        assert!(
            closed_within(stream, Duration::from_millis(500)).await,
            "{what}: closed at once"
        );
    }
    assert!(
        closed_within(&mut silent, bind_timeout * 5).await,
        "a silent stream is closed after the bind timeout"
    );
    let silent_closed = t0.elapsed();
    assert!(
        silent_closed >= bind_timeout,
        "not before: {silent_closed:?}"
    );

    burst(&handle, &[&udp, &tcp], 1_000).await;
    let stats = handle.stats().await.expect("stats");
    println!("silent stream closed after {silent_closed:?}; {stats:?}");
    for peer in [&udp, &tcp] {
        assert_eq!(
            peer.log.lock().unwrap().state,
            Some(RTCPeerConnectionState::Connected)
        );
    }
    assert_eq!(stats.connections, 2);
    assert_eq!(
        (stats.tcp.open, stats.tcp.bound),
        (1, 1),
        "the TCP peer's stream"
    );
    assert_eq!(stats.tcp.closed_not_stun, 3);
    assert_eq!(stats.tcp.closed_oversized, 2);
    assert_eq!(stats.tcp.closed_unbound, 1);
    assert_eq!(
        stats.addresses, 1,
        "only the UDP peer's address was learned"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_over_the_limit_are_refused() {
    let (handle, _) = start(TcpConfig {
        max_streams: 2,
        ..TcpConfig::default()
    })
    .await;
    let port = handle.local_addr();
    let mut first = TcpStream::connect(port).await.unwrap();
    let mut second = TcpStream::connect(port).await.unwrap();
    let start = Instant::now();
    loop {
        let stats = handle.stats().await.unwrap();
        if stats.tcp.open == 2 {
            break;
        }
        assert!(start.elapsed() < WAIT, "{stats:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut third = TcpStream::connect(port).await.unwrap();
    assert!(closed_within(&mut third, Duration::from_secs(2)).await);
    assert!(!closed_within(&mut first, Duration::from_millis(200)).await);
    assert!(!closed_within(&mut second, Duration::from_millis(200)).await);
    let stats = handle.stats().await.unwrap();
    assert_eq!((stats.tcp.open, stats.tcp.refused), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_tcp_the_answer_has_no_tcp_candidate() {
    let (handle, _) = start(TcpConfig {
        max_streams: 0,
        ..TcpConfig::default()
    })
    .await;
    let (_pc, sdp, _socket) = offer(Transport::Udp).await;
    let opened = handle.open(0, sdp, vec![SendTrack::vp8()]).await.unwrap();
    assert_eq!(tcp_candidate(&opened.answer), None);
    assert!(opened.answer.contains("a=candidate:"));
    assert!(TcpStream::connect(handle.local_addr()).await.is_err());
}
