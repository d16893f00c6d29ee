//! webrtc-rs peers for the media tests: a publisher that sends generated VP8 and Opus RTP, and a
//! subscriber that records every packet it receives. The subscriber numbers its codecs
//! differently from the publisher (VP8 100 and Opus 109 against 96 and 111), so a relay that did
//! not rewrite payload types would deliver nothing.

use bytes::Bytes;
use relay::media::interceptor::{is_keyframe_request, KeyframeRequests, SLOT};
use rtc::ice::mdns::MulticastDnsMode;
use rtc::interceptor::Slot;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_H264, MIME_TYPE_OPUS, MIME_TYPE_VP8,
};
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters,
    RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    register_default_interceptors, MediaEngine, PeerConnection, PeerConnectionBuilder,
    PeerConnectionEventHandler, RTCIceGatheringState, RTCPeerConnectionState,
    RTCSessionDescription, Registry, SettingEngineBuilder,
};

static START: OnceLock<Instant> = OnceLock::new();

/// The one clock of every peer in this process: the time since it was first read. Send stamps
/// ([`Received::sent_at_us`]) and arrival times ([`Received::at`]) both use it, so a packet's
/// latency is `at - sent_at_us` whichever peers sent and received it.
pub fn clock() -> Duration {
    START.get_or_init(Instant::now).elapsed()
}

/// One RTP packet as a subscriber received it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    pub video: bool,
    pub ssrc: u32,
    pub payload_type: u8,
    pub seq: u16,
    /// When it arrived, on [`clock`].
    pub at: Duration,
    /// The publisher's send time in µs on [`clock`], carried in the payload's first 8 bytes (see
    /// [`TestPeer::send`]).
    pub sent_at_us: u64,
    /// The payload's first 32 bytes (zeros past its end).
    pub head: [u8; 32],
}

struct Handler {
    gathered: mpsc::Sender<()>,
    state: watch::Sender<RTCPeerConnectionState>,
    received: Arc<Mutex<Vec<Received>>>,
    remotes: Arc<Mutex<Vec<Arc<dyn TrackRemote>>>>,
}

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
                    let mut stamp = [0u8; 8];
                    if p.payload.len() >= 8 {
                        stamp.copy_from_slice(&p.payload[..8]);
                    }
                    let mut head = [0u8; 32];
                    let n = p.payload.len().min(32);
                    head[..n].copy_from_slice(&p.payload[..n]);
                    received.lock().unwrap().push(Received {
                        video,
                        ssrc: p.header.ssrc,
                        payload_type: p.header.payload_type,
                        seq: p.header.sequence_number,
                        at: clock(),
                        sent_at_us: u64::from_be_bytes(stamp),
                        head,
                    });
                }
            }
        });
    }
}

struct Local {
    video: bool,
    track: Arc<TrackLocalStaticRTP>,
    ssrc: u32,
}

pub struct TestPeer {
    pub pc: Arc<dyn PeerConnection>,
    gathered: tokio::sync::Mutex<mpsc::Receiver<()>>,
    state: watch::Receiver<RTCPeerConnectionState>,
    received: Arc<Mutex<Vec<Received>>>,
    remotes: Arc<Mutex<Vec<Arc<dyn TrackRemote>>>>,
    locals: Vec<Local>,
    /// Keyframe requests (PLI/FIR) this peer received from the relay.
    pub keyframe_requests: Arc<AtomicU64>,
    /// Its audio is RED (RFC 2198) of Opus, payload type [`RED_PT`] (a publisher made by
    /// [`TestPeer::publisher_with_red`]).
    red: bool,
    /// The next sequence numbers (video, audio) of [`stream`]: SRTP refuses replayed numbers.
    next_seq: Mutex<(u16, u16)>,
    /// The send stamps (µs on [`clock`]) of the last audio and the last video packet sent.
    last_sent: Mutex<[u64; 2]>,
}

/// The payload type of a RED publisher's audio ([`TestPeer::publisher_with_red`]).
pub const RED_PT: u8 = 63;
/// The redundant block a RED publisher puts before each primary.
pub const RED_COPY: [u8; 4] = *b"copy";

/// RED (RFC 2198) of Opus (payload type `opus_pt`) as payload type `pt`.
fn red_codec(pt: u8, opus_pt: u8) -> RTCRtpCodecParameters {
    codec("audio/red", 48_000, 2, &format!("{opus_pt}/{opus_pt}"), pt)
}

fn codec(mime: &str, clock: u32, channels: u16, fmtp: &str, pt: u8) -> RTCRtpCodecParameters {
    let rtcp_feedback = if mime.starts_with("video") {
        vec![
            RTCPFeedback {
                typ: "nack".into(),
                parameter: String::new(),
            },
            RTCPFeedback {
                typ: "nack".into(),
                parameter: "pli".into(),
            },
        ]
    } else {
        Vec::new()
    };
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: mime.into(),
            clock_rate: clock,
            channels,
            sdp_fmtp_line: fmtp.into(),
            rtcp_feedback,
        },
        payload_type: pt,
    }
}

/// The video codec a test peer speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Video {
    Vp8,
    /// Constrained baseline, packetization mode 1 (what browsers and hardware encoders send).
    H264,
}

impl Video {
    fn codec(self, pt: u8) -> RTCRtpCodecParameters {
        match self {
            Video::Vp8 => codec(MIME_TYPE_VP8, 90_000, 0, "", pt),
            Video::H264 => codec(
                MIME_TYPE_H264,
                90_000,
                0,
                "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
                pt,
            ),
        }
    }
}

impl TestPeer {
    /// A peer speaking `video` as `video_pt` and Opus as `audio_pt`; with `red`, RED of that
    /// Opus as that payload type, first.
    async fn build(
        video: Video,
        video_pt: u8,
        audio_pt: u8,
        red: Option<u8>,
    ) -> (TestPeer, Arc<Handler>) {
        let mut engine = MediaEngine::default();
        engine
            .register_codec(video.codec(video_pt), RtpCodecKind::Video)
            .unwrap();
        if let Some(red_pt) = red {
            engine
                .register_codec(red_codec(red_pt, audio_pt), RtpCodecKind::Audio)
                .unwrap();
        }
        engine
            .register_codec(
                codec(
                    MIME_TYPE_OPUS,
                    48_000,
                    2,
                    "minptime=10;useinbandfec=1",
                    audio_pt,
                ),
                RtpCodecKind::Audio,
            )
            .unwrap();
        let registry = register_default_interceptors(Registry::new(), &mut engine)
            .unwrap()
            .with(Slot::from(SLOT), KeyframeRequests::default());
        let (gathered_tx, gathered) = mpsc::channel(1);
        let (state_tx, state) = watch::channel(RTCPeerConnectionState::New);
        let handler = Arc::new(Handler {
            gathered: gathered_tx,
            state: state_tx,
            received: Arc::new(Mutex::new(Vec::new())),
            remotes: Arc::new(Mutex::new(Vec::new())),
        });
        let pc = PeerConnectionBuilder::new()
            .with_media_engine(engine)
            .with_interceptor_registry(registry)
            .with_setting_engine(
                SettingEngineBuilder::new()
                    .with_multicast_dns_mode(MulticastDnsMode::Disabled)
                    .build(),
            )
            .with_handler(Arc::clone(&handler) as Arc<dyn PeerConnectionEventHandler>)
            .with_udp_addrs(vec!["127.0.0.1:0".to_string()])
            .build()
            .await
            .expect("peer connection");
        let peer = TestPeer {
            pc: Arc::new(pc),
            gathered: tokio::sync::Mutex::new(gathered),
            state,
            received: Arc::clone(&handler.received),
            remotes: Arc::clone(&handler.remotes),
            locals: Vec::new(),
            keyframe_requests: Arc::new(AtomicU64::new(0)),
            red: false,
            next_seq: Mutex::new((1000, 5000)),
            last_sent: Mutex::new([0; 2]),
        };
        (peer, handler)
    }

    /// A publisher of one VP8 and one Opus track; returns it and its offer.
    pub async fn publisher() -> (TestPeer, String) {
        Self::publisher_of(Video::Vp8).await
    }

    /// A publisher of one VP8 track and its audio as RED of Opus (payload types [`RED_PT`] and
    /// 111; what [`TestPeer::send`] sends is the primary block, after a 4-byte copy of
    /// [`RED_COPY`]); returns it and its offer.
    pub async fn publisher_with_red() -> (TestPeer, String) {
        Self::publishing(Video::Vp8, true).await
    }

    /// A publisher of one `codec` video and one Opus track; returns it and its offer.
    pub async fn publisher_of(codec_of_video: Video) -> (TestPeer, String) {
        Self::publishing(codec_of_video, false).await
    }

    async fn publishing(codec_of_video: Video, red: bool) -> (TestPeer, String) {
        let (mut peer, _) = Self::build(codec_of_video, 96, 111, red.then_some(RED_PT)).await;
        peer.red = red;
        for (video, ssrc) in [(false, 0x1111_0000u32), (true, 0x2222_0000u32)] {
            let (kind, c) = if video {
                (RtpCodecKind::Video, codec_of_video.codec(96))
            } else if red {
                (RtpCodecKind::Audio, red_codec(RED_PT, 111))
            } else {
                (
                    RtpCodecKind::Audio,
                    codec(MIME_TYPE_OPUS, 48_000, 2, "minptime=10;useinbandfec=1", 111),
                )
            };
            let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
                "test-publisher".into(),
                format!("test-{}", if video { "video" } else { "audio" }),
                "test".into(),
                kind,
                vec![RTCRtpEncodingParameters {
                    rtp_coding_parameters: RTCRtpCodingParameters {
                        ssrc: Some(ssrc),
                        ..Default::default()
                    },
                    codec: c.rtp_codec,
                    ..Default::default()
                }],
            )));
            peer.pc
                .add_track(Arc::clone(&track) as Arc<dyn TrackLocal>)
                .await
                .expect("add track");
            peer.locals.push(Local { video, track, ssrc });
        }
        let offer = peer.offer().await;
        (peer, offer)
    }

    /// A subscriber receiving audio and VP8 video; returns it and its receive-only offer.
    pub async fn subscriber() -> (TestPeer, String) {
        Self::subscriber_of(Video::Vp8).await
    }

    /// A subscriber receiving audio and `video`; returns it and its receive-only offer.
    pub async fn subscriber_of(video: Video) -> (TestPeer, String) {
        Self::subscribing(video, None).await
    }

    /// A subscriber that offers RED of its Opus (109) as `red_pt`, besides Opus itself.
    pub async fn subscriber_with_red(red_pt: u8) -> (TestPeer, String) {
        Self::subscribing(Video::Vp8, Some(red_pt)).await
    }

    async fn subscribing(video: Video, red: Option<u8>) -> (TestPeer, String) {
        let (peer, _) = Self::build(video, 100, 109, red).await;
        for kind in [RtpCodecKind::Audio, RtpCodecKind::Video] {
            peer.pc
                .add_transceiver_from_kind(
                    kind,
                    Some(RTCRtpTransceiverInit {
                        direction: RTCRtpTransceiverDirection::Recvonly,
                        ..Default::default()
                    }),
                )
                .await
                .expect("transceiver");
        }
        let offer = peer.offer().await;
        (peer, offer)
    }

    async fn offer(&self) -> String {
        let offer = self.pc.create_offer(None).await.expect("offer");
        self.pc.set_local_description(offer).await.expect("local");
        let _ =
            tokio::time::timeout(Duration::from_secs(5), self.gathered.lock().await.recv()).await;
        self.pc.local_description().await.expect("local sdp").sdp
    }

    /// Sets the relay's answer and starts counting keyframe requests.
    pub async fn accept(&self, answer: String) {
        let answer = RTCSessionDescription::answer(answer).expect("answer sdp");
        self.pc
            .set_remote_description(answer)
            .await
            .expect("remote description");
        for local in &self.locals {
            let (track, count) = (
                Arc::clone(&local.track),
                Arc::clone(&self.keyframe_requests),
            );
            tokio::spawn(async move {
                while let Some(event) = track.poll().await {
                    if let TrackLocalEvent::OnRtcpPacket(packets) = event {
                        let n = packets
                            .iter()
                            .filter(|p| is_keyframe_request(p.as_ref()))
                            .count();
                        count.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
            });
        }
    }

    /// Waits until connected; false if it failed or took longer than `wait`.
    pub async fn connected(&self, wait: Duration) -> bool {
        let mut state = self.state.clone();
        let result = tokio::time::timeout(wait, async {
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
        .await;
        result.unwrap_or(false)
    }

    /// Sends one RTP packet on the publisher's audio or video track. The payload starts with the
    /// send time (µs on [`clock`]), then `len - 8` filler bytes.
    pub async fn send(&self, video: bool, seq: u16, timestamp: u32, len: usize) -> bool {
        let Some(local) = self.locals.iter().find(|l| l.video == video) else {
            return false;
        };
        let pt = match (video, self.red) {
            (true, _) => 96,
            (false, false) => 111,
            (false, true) => RED_PT,
        };
        let mut payload = vec![0u8; len.max(8)];
        let now = clock().as_micros() as u64;
        payload[..8].copy_from_slice(&now.to_be_bytes());
        if video {
            // A VP8 payload descriptor starting a partition, then a keyframe-looking header.
            payload[8.min(len.saturating_sub(1))] = 0x10;
        }
        if !video && self.red {
            // One redundant block (4 bytes, 960 samples before) and the primary.
            let mut red = vec![0x80 | 111, 0x0F, 0x00, 4, 111];
            red.extend_from_slice(&RED_COPY);
            red.extend_from_slice(&payload);
            payload = red;
        }
        let packet = rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                marker: video,
                payload_type: pt,
                sequence_number: seq,
                timestamp,
                ssrc: local.ssrc,
                ..Default::default()
            },
            payload: Bytes::from(payload),
        };
        let sent = local.track.write_rtp(packet).await.is_ok();
        if sent {
            self.last_sent.lock().unwrap()[usize::from(video)] = now;
        }
        sent
    }

    /// Sends `payload` as it is on the publisher's audio track (RED's payload type on a RED
    /// publisher), numbered after what [`stream`] sent: for malformed payloads.
    pub async fn send_audio_as_is(&self, timestamp: u32, payload: Vec<u8>) -> bool {
        let Some(local) = self.locals.iter().find(|l| !l.video) else {
            return false;
        };
        let seq = {
            let mut next = self.next_seq.lock().unwrap();
            next.1 = next.1.wrapping_add(1);
            next.1.wrapping_sub(1)
        };
        let packet = rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                payload_type: if self.red { RED_PT } else { 111 },
                sequence_number: seq,
                timestamp,
                ssrc: local.ssrc,
                ..Default::default()
            },
            payload: Bytes::from(payload),
        };
        local.track.write_rtp(packet).await.is_ok()
    }

    /// The send stamp (µs on [`clock`]) of the last video or audio packet sent; 0 before any.
    pub fn last_sent_at_us(&self, video: bool) -> u64 {
        self.last_sent.lock().unwrap()[usize::from(video)]
    }

    /// `Ok` once this subscriber has received the last audio and the last video packet
    /// `publisher` sent so far (so nothing it sent is still in flight), else what it has.
    pub fn has_received_the_last_of(&self, publisher: &TestPeer) -> Result<(), String> {
        let got = self.received();
        for video in [false, true] {
            let last = publisher.last_sent_at_us(video);
            if !got.iter().any(|r| r.video == video && r.sent_at_us >= last) {
                let kind = if video { "video" } else { "audio" };
                let n = got.iter().filter(|r| r.video == video).count();
                return Err(format!("{n} {kind} packets, not the last one sent"));
            }
        }
        Ok(())
    }

    /// Video packets received so far.
    pub fn video_count(&self) -> usize {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.video)
            .count()
    }

    /// Waits until no video packet has reached this peer for `quiet` (its source stopped, or
    /// the relay stopped forwarding to it) and returns how many it received; panics naming
    /// `what` after [`crate::WAIT`].
    pub async fn until_video_stops(&self, what: &str, quiet: Duration) -> usize {
        crate::wait::until_sync(what, crate::WAIT, || {
            let got = self.received();
            let video: Vec<_> = got.iter().filter(|r| r.video).collect();
            let since = video.last().map_or(quiet, |r| clock().saturating_sub(r.at));
            if since >= quiet {
                Ok(video.len())
            } else {
                Err(format!(
                    "{} video packets, the last {since:?} ago",
                    video.len()
                ))
            }
        })
        .await
    }

    /// The SSRCs this publisher sends with.
    pub fn ssrcs(&self) -> Vec<u32> {
        self.locals.iter().map(|l| l.ssrc).collect()
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Asks the relay for a keyframe on every received video track.
    pub async fn request_keyframe(&self) {
        let remotes: Vec<_> = self.remotes.lock().unwrap().clone();
        for remote in remotes {
            if remote.kind().await != RtpCodecKind::Video {
                continue;
            }
            let Some(ssrc) = remote.ssrcs().await.first().copied() else {
                continue;
            };
            let pli = PictureLossIndication {
                sender_ssrc: 0,
                media_ssrc: ssrc,
            };
            let _ = remote.write_rtcp(vec![Box::new(pli)]).await;
        }
    }

    pub async fn close(&self) {
        let _ = self.pc.close().await;
    }
}

/// The SSRCs an answer announces, per media section kind (`(is_video, ssrc)`).
pub fn answer_ssrcs(sdp: &str) -> Vec<(bool, u32)> {
    let mut video = false;
    let mut out = Vec::new();
    for line in sdp.lines() {
        if let Some(rest) = line.strip_prefix("m=") {
            video = rest.starts_with("video");
        } else if let Some(rest) = line.strip_prefix("a=ssrc:") {
            if let Some(ssrc) = rest.split(' ').next().and_then(|s| s.parse().ok()) {
                if !out.contains(&(video, ssrc)) {
                    out.push((video, ssrc));
                }
            }
        }
    }
    out
}

/// Sends VP8 at `video_pps` and Opus at 50 packets a second for `duration`; returns the number
/// of packets sent.
pub async fn stream(peer: Arc<TestPeer>, duration: Duration, video_pps: u32) -> u64 {
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let (mut vseq, mut aseq) = *peer.next_seq.lock().unwrap();
    let mut sent = 0u64;
    let per_tick = (video_pps / 50).max(1);
    while start.elapsed() < duration {
        tick.tick().await;
        let t = start.elapsed().as_millis() as u32;
        for _ in 0..per_tick {
            if peer.send(true, vseq, t * 90, 1100).await {
                sent += 1;
            }
            vseq = vseq.wrapping_add(1);
        }
        if peer.send(false, aseq, t * 48, 120).await {
            sent += 1;
        }
        aseq = aseq.wrapping_add(1);
        *peer.next_seq.lock().unwrap() = (vseq, aseq);
    }
    sent
}
