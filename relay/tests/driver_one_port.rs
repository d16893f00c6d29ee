//! The sans-IO media driver answers many webrtc-rs peers on ONE UDP port and sends each of them
//! RTP on its own connection; garbage and strangers on that port disturb nobody.
//!
//! The remote peers are async webrtc-rs peers (each with its own socket, as a browser would have)
//! that offer to receive audio and video. They number their codecs differently from the driver
//! (Opus 109, VP8 100), so the driver must write with the negotiated payload types.
//!
//! A peer sending malformed RTCP (transport-wide feedback that lies about its length or counts,
//! bytes that are no RTCP) disturbs neither itself nor anyone else.
//!
//! The first test opens 300 connections at once, the proof (about 1.3 s in a debug
//! build on 2 cores); `DRIVER_PEERS=20 cargo test -p relay --test driver_one_port -- --nocapture`
//! runs it with another number and prints the timings.

use bytes::Bytes;
use relay::media::driver::{
    self, DriverConfig, DriverEvent, DropReason, MediaDriverHandle, PeerId, SendTrack,
};
use rtc::ice::mdns::MulticastDnsMode;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{MIME_TYPE_OPUS, MIME_TYPE_VP8};
use rtc::rtp;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use std::collections::{HashMap, HashSet};
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    register_default_interceptors, MediaEngine, PeerConnection, PeerConnectionBuilder,
    PeerConnectionEventHandler, RTCIceGatheringState, RTCPeerConnectionState,
    RTCSessionDescription, Registry, SettingEngineBuilder,
};

const WAIT: Duration = Duration::from_secs(60);
/// RTP packets the driver sends on each track of each connection, per burst.
const BURST: u16 = 20;

/// (video, sequence number) of every RTP packet a peer received, in arrival order.
type Log = Arc<Mutex<Vec<(bool, u16, u8)>>>;

struct Handler {
    gathered: mpsc::Sender<()>,
    state: watch::Sender<RTCPeerConnectionState>,
    received: Log,
    remotes: Remotes,
}

/// The tracks a peer receives (to send RTCP about them).
type Remotes = Arc<Mutex<Vec<Arc<dyn TrackRemote>>>>;

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            let _ = self.gathered.try_send(());
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.state.send(state);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        self.remotes.lock().unwrap().push(Arc::clone(&track));
        let video = track.kind().await == RtpCodecKind::Video;
        let received = Arc::clone(&self.received);
        tokio::spawn(async move {
            while let Some(event) = track.poll().await {
                if let TrackRemoteEvent::OnRtpPacket(p) = event {
                    received.lock().unwrap().push((
                        video,
                        p.header.sequence_number,
                        p.header.payload_type,
                    ));
                }
            }
        });
    }
}

/// A remote peer: receive-only audio and video, or a publisher of both.
struct Peer {
    pc: Arc<dyn PeerConnection>,
    state: watch::Receiver<RTCPeerConnectionState>,
    received: Log,
    remotes: Remotes,
    /// A publisher's tracks: (video, track).
    locals: Vec<(bool, Arc<TrackLocalStaticRTP>)>,
}

fn codec(mime: &str, clock_rate: u32, channels: u16, fmtp: &str, pt: u8) -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: mime.into(),
            clock_rate,
            channels,
            sdp_fmtp_line: fmtp.into(),
            rtcp_feedback: vec![],
        },
        payload_type: pt,
    }
}

/// A receive-only peer and its offer (every candidate in it).
async fn peer() -> (Peer, String) {
    peer_with(false).await
}

/// A peer and its offer: a publisher of audio and video, or a receive-only peer.
async fn peer_with(publish: bool) -> (Peer, String) {
    let mut engine = MediaEngine::default();
    engine
        .register_codec(
            codec(MIME_TYPE_VP8, 90_000, 0, "", 100),
            RtpCodecKind::Video,
        )
        .unwrap();
    engine
        .register_codec(
            codec(MIME_TYPE_OPUS, 48_000, 2, "minptime=10;useinbandfec=1", 109),
            RtpCodecKind::Audio,
        )
        .unwrap();
    let registry = register_default_interceptors(Registry::new(), &mut engine).unwrap();
    let (gathered_tx, mut gathered) = mpsc::channel(1);
    let (state_tx, state) = watch::channel(RTCPeerConnectionState::New);
    let received: Log = Arc::default();
    let remotes: Remotes = Arc::default();
    let handler = Arc::new(Handler {
        gathered: gathered_tx,
        state: state_tx,
        received: Arc::clone(&received),
        remotes: Arc::clone(&remotes),
    });
    let pc = PeerConnectionBuilder::new()
        .with_media_engine(engine)
        .with_interceptor_registry(registry)
        .with_setting_engine(
            SettingEngineBuilder::new()
                .with_multicast_dns_mode(MulticastDnsMode::Disabled)
                .build(),
        )
        .with_handler(handler as Arc<dyn PeerConnectionEventHandler>)
        .with_udp_addrs(vec!["127.0.0.1:0".to_string()])
        .build()
        .await
        .expect("peer connection");
    let pc: Arc<dyn PeerConnection> = Arc::new(pc);
    let mut locals = Vec::new();
    for (video, kind) in [(false, RtpCodecKind::Audio), (true, RtpCodecKind::Video)] {
        if publish {
            let c = if video {
                codec(MIME_TYPE_VP8, 90_000, 0, "", 100)
            } else {
                codec(MIME_TYPE_OPUS, 48_000, 2, "minptime=10;useinbandfec=1", 109)
            };
            let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
                "publisher".into(),
                format!("publisher-{}", if video { "video" } else { "audio" }),
                "publisher".into(),
                kind,
                vec![RTCRtpEncodingParameters {
                    rtp_coding_parameters: RTCRtpCodingParameters {
                        ssrc: Some(if video { 0x2222 } else { 0x1111 }),
                        ..Default::default()
                    },
                    codec: c.rtp_codec,
                    ..Default::default()
                }],
            )));
            pc.add_track(Arc::clone(&track) as Arc<dyn TrackLocal>)
                .await
                .expect("add track");
            locals.push((video, track));
            continue;
        }
        pc.add_transceiver_from_kind(
            kind,
            Some(RTCRtpTransceiverInit {
                direction: RTCRtpTransceiverDirection::Recvonly,
                ..Default::default()
            }),
        )
        .await
        .expect("transceiver");
    }
    let offer = pc.create_offer(None).await.expect("offer");
    pc.set_local_description(offer).await.expect("local");
    let _ = tokio::time::timeout(Duration::from_secs(10), gathered.recv()).await;
    let offer = pc.local_description().await.expect("local sdp").sdp;
    (
        Peer {
            pc,
            state,
            received,
            remotes,
            locals,
        },
        offer,
    )
}

impl Peer {
    async fn accept(&self, answer: String) {
        let answer = RTCSessionDescription::answer(answer).expect("answer sdp");
        self.pc
            .set_remote_description(answer)
            .await
            .expect("remote description");
    }

    async fn connected(&self) -> bool {
        let mut state = self.state.clone();
        tokio::time::timeout(WAIT, async {
            loop {
                match *state.borrow_and_update() {
                    RTCPeerConnectionState::Connected => return true,
                    RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed => {
                        return false
                    }
                    _ => {}
                }
                if state.changed().await.is_err() {
                    return false;
                }
            }
        })
        .await
        .unwrap_or(false)
    }

    fn received(&self) -> Vec<(bool, u16, u8)> {
        self.received.lock().unwrap().clone()
    }
}

/// The (ip, port) of every `a=candidate` line of `sdp`.
fn candidates(sdp: &str) -> Vec<SocketAddr> {
    sdp.lines()
        .filter_map(|l| l.strip_prefix("a=candidate:"))
        .filter_map(|c| {
            let f: Vec<&str> = c.split_whitespace().collect();
            format!("{}:{}", f.get(4)?, f.get(5)?).parse().ok()
        })
        .collect()
}

fn ufrag(sdp: &str) -> Option<String> {
    sdp.lines()
        .find_map(|l| l.strip_prefix("a=ice-ufrag:"))
        .map(|u| u.trim().to_string())
}

/// Datagrams the kernel dropped for want of receive buffer: (on the socket bound to `port`, on
/// every other loopback UDP socket), from `/proc/net/udp`.
/// How many UDP sockets are bound to `port` on this machine (from `/proc/net/udp`).
fn sockets_on(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().nth(1))
        .filter_map(|local| local.rsplit(':').next())
        .filter(|hex| u16::from_str_radix(hex, 16).ok() == Some(port))
        .count()
}

fn kernel_drops(port: u16) -> (u64, u64) {
    let table = std::fs::read_to_string("/proc/net/udp").unwrap_or_default();
    let mut drops = (0, 0);
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(local), Some(n)) = (f.get(1), f.last().and_then(|d| d.parse::<u64>().ok()))
        else {
            continue;
        };
        let p = local
            .rsplit(':')
            .next()
            .and_then(|h| u16::from_str_radix(h, 16).ok());
        if p == Some(port) {
            drops.0 += n;
        } else if local.starts_with("0100007F") {
            drops.1 += n;
        }
    }
    drops
}

/// What the driver reported, as the tests read it.
#[derive(Default)]
struct Seen {
    connected: HashSet<PeerId>,
    /// Remote tracks opened: (connection, track id, kind).
    tracks: Vec<(PeerId, String, RtpCodecKind)>,
    /// RTP received on remote tracks: (connection, track id, sequence number).
    rtp: Vec<(PeerId, String, u16)>,
}

type Shared = Arc<Mutex<Seen>>;

fn watch_events(mut events: mpsc::Receiver<DriverEvent>) -> Shared {
    let seen: Shared = Arc::default();
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let mut log = log.lock().unwrap();
            match event {
                DriverEvent::Connected(conn) => {
                    log.connected.insert(conn);
                }
                DriverEvent::Failed(conn) => eprintln!("driver: {conn} failed"),
                DriverEvent::TrackOpened {
                    conn,
                    track_id,
                    kind,
                    ..
                } => log.tracks.push((conn, track_id, kind)),
                DriverEvent::Rtp {
                    conn,
                    track_id,
                    packet,
                } => log
                    .rtp
                    .push((conn, track_id, packet.header.sequence_number)),
                _ => {}
            }
        }
    });
    seen
}

/// `k` peers, each answered by the driver and connected; checks that every answer names only
/// the driver's one address.
async fn connect(
    handle: &MediaDriverHandle,
    connected: &Shared,
    k: usize,
) -> Vec<(PeerId, Arc<Peer>, String)> {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..k {
        let handle = handle.clone();
        tasks.spawn(async move {
            let (peer, offer) = peer().await;
            // Pinned by index: the connections spread over the driver's workers.
            let opened = handle
                .open(i as u64, offer, vec![SendTrack::opus(), SendTrack::vp8()])
                .await
                .expect("the driver answers");
            peer.accept(opened.answer.clone()).await;
            (opened.conn, Arc::new(peer), opened.answer)
        });
    }
    let mut peers = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        peers.push(joined.expect("peer task"));
    }
    for (_, _, answer) in &peers {
        let found = candidates(answer);
        assert!(!found.is_empty(), "the answer carries the candidate");
        assert!(
            found.iter().all(|c| *c == handle.local_addr()),
            "every candidate is the driver's one socket {}: {found:?}",
            handle.local_addr()
        );
    }
    let mut down = Vec::new();
    for (conn, peer, _) in &peers {
        if !peer.connected().await {
            down.push((*conn, *peer.state.borrow()));
        }
    }
    if !down.is_empty() {
        let stats = handle.stats().await.expect("stats");
        panic!(
            "{} of {k} peers did not connect, e.g. {:?}; driver: {stats:?}; kernel drops \
             (driver, peers): {:?}",
            down.len(),
            &down[..down.len().min(5)],
            kernel_drops(handle.local_addr().port())
        );
    }
    let start = Instant::now();
    loop {
        let n = connected.lock().unwrap().connected.len();
        if n >= peers.len() {
            break;
        }
        assert!(
            start.elapsed() < WAIT,
            "driver saw {n} of {k} connections up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    peers
}

/// Sends seq `first..first + BURST` on both local tracks of every connection.
async fn burst(handle: &MediaDriverHandle, conns: &[PeerId], first: u16) {
    for seq in first..first + BURST {
        for &conn in conns {
            for (track, video) in [(0usize, false), (1usize, true)] {
                let mut payload = vec![0u8; 100];
                payload[0] = if video { 0x10 } else { 0xFC };
                let packet = rtp::Packet {
                    header: rtp::header::Header {
                        version: 2,
                        marker: video,
                        payload_type: 0,
                        sequence_number: seq,
                        timestamp: u32::from(seq) * 3_000,
                        ssrc: 0,
                        ..Default::default()
                    },
                    payload: Bytes::from(payload),
                };
                handle
                    .write_rtp(conn, track, packet)
                    .await
                    .expect("driver runs");
            }
        }
        // About 50 packets per track per second per connection would be real time; a short
        // pause keeps the remote peers' receive buffers from overflowing on 2 cores.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Waits until every peer received seq `first..first + BURST` on both tracks, in order, with
/// its own payload types; panics with what is missing otherwise.
async fn all_received(peers: &[(PeerId, Arc<Peer>, String)], first: u16) {
    let start = Instant::now();
    loop {
        let mut missing = Vec::new();
        for (conn, peer, _) in peers {
            let got = peer.received();
            for video in [false, true] {
                let seqs: Vec<u16> = got
                    .iter()
                    .filter(|(v, s, _)| *v == video && *s >= first && *s < first + BURST)
                    .map(|(_, s, _)| *s)
                    .collect();
                let want: Vec<u16> = (first..first + BURST).collect();
                if seqs != want {
                    missing.push(format!("{conn} video={video}: {seqs:?}"));
                }
            }
            for (video, _, pt) in &got {
                assert_eq!(
                    *pt,
                    if *video { 100 } else { 109 },
                    "negotiated payload type"
                );
            }
        }
        if missing.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "{} tracks did not receive burst {first} in order, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(3)]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn start_driver() -> (MediaDriverHandle, Shared) {
    let mut config = DriverConfig::new("127.0.0.1:0".parse().unwrap());
    // This test reads what publishing peers send from the driver's events.
    config.rtp_events = true;
    // Two workers behind the one port: each serves half of the connections.
    config.workers = 2;
    let (handle, events) = driver::start(config).expect("driver starts");
    (handle, watch_events(events))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_port_serves_many_peers() {
    let k: usize = std::env::var("DRIVER_PEERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let (handle, connected) = start_driver().await;
    let t0 = Instant::now();
    let peers = connect(&handle, &connected, k).await;
    let t_connected = t0.elapsed();
    let conns: Vec<PeerId> = peers.iter().map(|(c, _, _)| *c).collect();
    burst(&handle, &conns, 1).await;
    all_received(&peers, 1).await;
    let stats = handle.stats().await.expect("stats");
    println!(
        "{k} peers on {}: all connected after {t_connected:?}, all received {BURST} packets per \
         track after {:?}; {stats:?}; kernel drops (driver, peers): {:?}",
        handle.local_addr(),
        t0.elapsed(),
        kernel_drops(handle.local_addr().port())
    );
    assert_eq!(stats.connections, k);
    assert_eq!(stats.write_errors, 0);
    assert_eq!(stats.worker_queue_drops, 0);
    let on_second = conns.iter().filter(|c| c.worker() == 1).count();
    assert_eq!(on_second, k / 2, "odd pins go to the second worker");
    assert_eq!(
        sockets_on(handle.local_addr().port()),
        1,
        "one socket on the driver's port carried every connection"
    );
    // One remote address per peer: each has one host candidate.
    assert_eq!(stats.addresses, k);
}

/// A STUN Binding request with USERNAME `username`, PRIORITY, and a MESSAGE-INTEGRITY of zeros
/// (so a connection whose ufrag it names refuses it).
fn binding_request(username: &str) -> Vec<u8> {
    let mut attrs = Vec::new();
    let mut attr = |typ: u16, value: &[u8]| {
        attrs.extend_from_slice(&typ.to_be_bytes());
        attrs.extend_from_slice(&(value.len() as u16).to_be_bytes());
        attrs.extend_from_slice(value);
        while attrs.len() % 4 != 0 {
            attrs.push(0);
        }
    };
    attr(0x0006, username.as_bytes());
    attr(0x0024, &[0x6e, 0, 0x1e, 0xff]);
    attr(0x0008, &[0; 20]);
    let mut m = vec![0x00, 0x01];
    m.extend_from_slice(&(attrs.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0x21, 0x12, 0xA4, 0x42]);
    m.extend_from_slice(&rand::random::<[u8; 12]>());
    m.extend_from_slice(&attrs);
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_strangers_are_dropped() {
    let k = 4;
    let (handle, connected) = start_driver().await;
    let peers = connect(&handle, &connected, k).await;
    let conns: Vec<PeerId> = peers.iter().map(|(c, _, _)| *c).collect();
    burst(&handle, &conns, 1).await;
    all_received(&peers, 1).await;

    let port = handle.local_addr();
    let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
    let known_ufrag = ufrag(&peers[0].2).expect("answer has a ufrag");
    let mut sent: HashMap<DropReason, u64> = HashMap::new();
    for i in 0..2_000u32 {
        let (datagram, reason) = match i % 5 {
            // Outside every RFC 7983 range.
            0 => (
                vec![0x40 + (i % 60) as u8; 1 + (i % 300) as usize],
                Some(DropReason::Garbage),
            ),
            1 => (
                binding_request("nobody:stranger"),
                Some(DropReason::UnknownUfrag),
            ),
            // DTLS ClientHello-looking and SRTCP-looking datagrams from an unknown address.
            2 => (
                vec![22, 254, 253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10],
                Some(DropReason::StrangerDtls),
            ),
            3 => (
                vec![0x81, 200, 0, 6, 1, 2, 3, 4, 0, 0, 0, 0],
                Some(DropReason::StrangerRtp),
            ),
            // A known ufrag with a wrong MESSAGE-INTEGRITY: routed, refused, never learned.
            _ => (binding_request(&format!("{known_ufrag}:stranger")), None),
        };
        stranger.send_to(&datagram, port).unwrap();
        if let Some(reason) = reason {
            *sent.entry(reason).or_default() += 1;
        }
        // Paced, so the kernel's receive buffer (not the driver) drops none of them and every
        // one is counted.
        if i % 20 == 19 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    // The stranger's datagrams are all in before the next burst goes out.
    let start = Instant::now();
    loop {
        let stats = handle.stats().await.expect("stats");
        if sent.iter().all(|(r, n)| stats.dropped(*r) >= *n) {
            break;
        }
        assert!(start.elapsed() < WAIT, "drops not counted: {stats:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    burst(&handle, &conns, 1_000).await;
    all_received(&peers, 1_000).await;
    let stats = handle.stats().await.expect("stats");
    println!("{stats:?}");
    assert_eq!(stats.connections, k);
    assert_eq!(
        stats.addresses, k,
        "the stranger's address was learned for no connection"
    );
    for (conn, peer, _) in &peers {
        assert_eq!(
            *peer.state.borrow(),
            RTCPeerConnectionState::Connected,
            "{conn} still up"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rtp_from_a_publisher_arrives_as_events() {
    let (handle, seen) = start_driver().await;
    let (peer, offer) = peer_with(true).await;
    let opened = handle
        .open(0, offer, vec![])
        .await
        .expect("the driver answers");
    peer.accept(opened.answer).await;
    assert!(peer.connected().await, "publisher connects");
    for seq in 1..=BURST {
        for (video, track) in &peer.locals {
            let packet = rtp::Packet {
                header: rtp::header::Header {
                    version: 2,
                    marker: *video,
                    payload_type: if *video { 100 } else { 109 },
                    sequence_number: seq,
                    timestamp: u32::from(seq) * 3_000,
                    ssrc: if *video { 0x2222 } else { 0x1111 },
                    ..Default::default()
                },
                payload: Bytes::from(vec![0x10; 100]),
            };
            track.write_rtp(packet).await.expect("publisher writes");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let start = Instant::now();
    loop {
        {
            let seen = seen.lock().unwrap();
            let mut kinds: Vec<RtpCodecKind> = seen
                .tracks
                .iter()
                .filter(|(c, _, _)| *c == opened.conn)
                .map(|(_, _, k)| *k)
                .collect();
            kinds.sort_by_key(|k| *k == RtpCodecKind::Video);
            let complete = seen.tracks.iter().all(|(conn, track, _)| {
                let seqs: Vec<u16> = seen
                    .rtp
                    .iter()
                    .filter(|(c, t, _)| c == conn && t == track)
                    .map(|(_, _, s)| *s)
                    .collect();
                seqs == (1..=BURST).collect::<Vec<u16>>()
            });
            if kinds == [RtpCodecKind::Audio, RtpCodecKind::Video] && complete {
                break;
            }
            assert!(
                start.elapsed() < WAIT,
                "tracks {:?}, {} RTP events",
                seen.tracks,
                seen.rtp.len()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// RTCP a Subscriber's browser could send that no parser should accept: transport-wide
/// feedback (PT 205, FMT 15) whose length, status count or chunks lie, and bytes that are no
/// RTCP at all.
fn malformed_rtcp() -> Vec<Vec<u8>> {
    let mut twcc_claims_more = vec![0x8F, 205, 0x00, 0x40];
    twcc_claims_more.extend_from_slice(&[0; 12]);
    let mut twcc_absurd_count = vec![0x8F, 205, 0x00, 0x05];
    twcc_absurd_count.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]);
    // base sequence 0, status count 65535, reference time, feedback count, one chunk.
    twcc_absurd_count.extend_from_slice(&[0, 0, 0xFF, 0xFF, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0]);
    let truncated = vec![0x8F, 205];
    let wrong_version = vec![0x0F, 205, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2];
    let noise: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37)).collect();
    vec![
        twcc_claims_more,
        twcc_absurd_count,
        truncated,
        wrong_version,
        noise,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_rtcp_is_refused_and_nobody_else_is_disturbed() {
    let (handle, connected) = start_driver().await;
    let peers = connect(&handle, &connected, 2).await;
    let conns: Vec<PeerId> = peers.iter().map(|(c, _, _)| *c).collect();
    burst(&handle, &conns, 1).await;
    all_received(&peers, 1).await;
    let before = handle.stats().await.expect("stats");
    // The first peer sends every kind of malformed RTCP about the tracks it receives, 20 times.
    let remotes = peers[0].1.remotes.lock().unwrap().clone();
    assert!(!remotes.is_empty(), "the peer receives tracks");
    for _ in 0..20 {
        for bytes in malformed_rtcp() {
            for track in &remotes {
                let raw: Box<dyn rtc::rtcp::Packet> =
                    Box::new(rtc::rtcp::raw_packet::RawPacket(Bytes::from(bytes.clone())));
                // The sending peer may refuse some itself; what it sends is what matters.
                let _ = track.write_rtcp(vec![raw]).await;
            }
        }
    }
    // Both peers, the sender of the garbage too, keep receiving.
    burst(&handle, &conns, 100).await;
    all_received(&peers, 100).await;
    let after = handle.stats().await.expect("stats");
    println!("malformed RTCP: driver before {before:?}, after {after:?}");
    // It reached the driver's port (as SRTCP of the peer's own session: it decrypts). What does
    // not parse, webrtc-rs drops with a warning of its own ("SrtpHandler.handle_read got
    // error"), before any of the relay's interceptors sees it.
    assert!(
        after.rtp_in >= before.rtp_in + 20,
        "the malformed RTCP reached the driver: {} -> {}",
        before.rtp_in,
        after.rtp_in
    );
    assert_eq!(after.connections, 2);
    assert_eq!(after.write_errors, 0);
}
