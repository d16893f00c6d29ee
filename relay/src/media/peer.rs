//! Opening a webrtc-rs peer connection the way the relay needs it, and answering an offer.
//!
//! Every connection binds ICE to one explicit address (binding 0.0.0.0 skips loopback), has
//! mDNS off, uses the configured STUN/TURN servers (none by default) and takes its UDP port from
//! the configured range. Offers are answered without trickle ICE: the answer carries every
//! candidate, which is what WHIP/WHEP clients expect too.

use super::chain;
use super::codecs;
use super::config::MediaConfig;
use super::forwarding::Kind;
use super::pacing::Estimate;
use super::sdp;
use rtc::ice::mdns::MulticastDnsMode;
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RtpCodecKind, TYPE_RTCP_FB_GOOG_REMB,
};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    MediaEngine, PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler,
    RTCConfigurationBuilder, RTCIceGatheringState, RTCIceServer, RTCPeerConnectionState,
    RTCSessionDescription, SettingEngineBuilder,
};

/// How long gathering the relay's own candidates may take before an offer is refused.
const GATHER_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Error)]
pub enum PeerError {
    #[error("WebRTC: {0}")]
    WebRtc(String),
    #[error("the relay could not gather its ICE candidates in time")]
    GatherTimeout,
    #[error("no UDP port is free in the relay's media port range")]
    NoPort,
    #[error("{0}")]
    Sdp(#[from] sdp::SdpError),
}

fn webrtc(e: impl std::fmt::Display) -> PeerError {
    PeerError::WebRtc(e.to_string())
}

pub fn kind_of(kind: RtpCodecKind) -> Option<Kind> {
    match kind {
        RtpCodecKind::Audio => Some(Kind::Audio),
        RtpCodecKind::Video => Some(Kind::Video),
        _ => None,
    }
}

pub fn codec_kind(kind: Kind) -> RtpCodecKind {
    match kind {
        Kind::Audio => RtpCodecKind::Audio,
        Kind::Video => RtpCodecKind::Video,
    }
}

/// What a publisher may send: VP8 or H.264 video, Opus audio. No RTX: retransmissions arrive on
/// the media SSRC, so the relay forwards one stream per track.
pub fn publisher_engine() -> Result<MediaEngine, PeerError> {
    let mut engine = MediaEngine::default();
    let video = [
        codecs::vp8(),
        codecs::h264_constrained_baseline(),
        codecs::h264_baseline(),
    ];
    for c in video {
        engine
            .register_codec(c, RtpCodecKind::Video)
            .map_err(webrtc)?;
    }
    engine
        .register_codec(codecs::opus(), RtpCodecKind::Audio)
        .map_err(webrtc)?;
    // The relay caps the Publisher's video at what its slowest Subscriber's link carries
    // (`super::publisher_rate`), with REMB: negotiated here so the browser heeds it.
    engine.register_feedback(
        RTCPFeedback {
            typ: TYPE_RTCP_FB_GOOG_REMB.to_string(),
            parameter: String::new(),
        },
        RtpCodecKind::Video,
    );
    Ok(engine)
}

/// A subscriber's connection offers exactly the codecs its source's publisher sends.
pub fn subscriber_engine(codecs: &[(Kind, RTCRtpCodec)]) -> Result<MediaEngine, PeerError> {
    let mut engine = MediaEngine::default();
    for (i, (kind, c)) in codecs.iter().enumerate() {
        let mut params = codecs::codec(&c.mime_type, c.clock_rate, c.channels, &c.sdp_fmtp_line, 0);
        params.payload_type = if *kind == Kind::Audio {
            111
        } else {
            96 + i as u8
        };
        engine
            .register_codec(params, codec_kind(*kind))
            .map_err(webrtc)?;
    }
    Ok(engine)
}

/// Events of one peer connection, as channels the relay reads.
pub struct PeerEvents {
    pub gathered: mpsc::Receiver<()>,
    pub state: watch::Receiver<RTCPeerConnectionState>,
    pub tracks: mpsc::Receiver<Arc<dyn TrackRemote>>,
    /// What the remote's link carries, as the relay estimates it (on connections it sends on).
    pub estimate: Estimate,
}

struct Handler {
    gathered: mpsc::Sender<()>,
    state: watch::Sender<RTCPeerConnectionState>,
    tracks: mpsc::Sender<Arc<dyn TrackRemote>>,
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
        // A publication has at most two tracks; more are ignored.
        let _ = self.tracks.try_send(track);
    }
}

/// Hands out UDP ports from the configured range, round robin.
pub struct Ports {
    range: Option<RangeInclusive<u16>>,
    cursor: AtomicU32,
}

impl Ports {
    pub fn new(range: Option<RangeInclusive<u16>>) -> Ports {
        Ports {
            range,
            cursor: AtomicU32::new(0),
        }
    }

    /// Candidate ports to try, starting after the last one handed out (`[0]`: any port).
    fn candidates(&self) -> Vec<u16> {
        match &self.range {
            None => vec![0],
            Some(r) => {
                let len = u32::from(r.end() - r.start()) + 1;
                let start = self.cursor.fetch_add(1, Ordering::Relaxed) % len;
                (0..len.min(64))
                    .map(|i| r.start() + ((start + i) % len) as u16)
                    .collect()
            }
        }
    }
}

/// Opens a peer connection. `sends_media`: the relay sends media on it (a Subscriber's), so it
/// is paced and answers NACKs within limits, and the remote's PLI/FIR reach the relay.
pub async fn open(
    config: &MediaConfig,
    ports: &Ports,
    engine: MediaEngine,
    sends_media: bool,
) -> Result<(Arc<dyn PeerConnection>, PeerEvents), PeerError> {
    let mut last_error = PeerError::NoPort;
    for port in ports.candidates() {
        let (gathered_tx, gathered) = mpsc::channel(1);
        let (state_tx, state) = watch::channel(RTCPeerConnectionState::New);
        let (tracks_tx, tracks) = mpsc::channel(4);
        let handler = Arc::new(Handler {
            gathered: gathered_tx,
            state: state_tx,
            tracks: tracks_tx,
        });
        let mut engine = engine.clone();
        let estimate = Estimate::default();
        let registry = chain::registry(
            config.retransmit,
            config.pacing,
            &mut engine,
            sends_media,
            &estimate,
        )
        .map_err(webrtc)?;
        let settings = SettingEngineBuilder::new()
            .with_multicast_dns_mode(MulticastDnsMode::Disabled)
            .build();
        let ice_servers = config
            .ice_servers
            .iter()
            .map(|s| RTCIceServer {
                urls: vec![s.url.clone()],
                username: s.username.clone(),
                credential: s.credential.clone(),
            })
            .collect();
        let built = PeerConnectionBuilder::new()
            .with_configuration(
                RTCConfigurationBuilder::new()
                    .with_ice_servers(ice_servers)
                    .build(),
            )
            .with_media_engine(engine)
            .with_interceptor_registry(registry)
            .with_setting_engine(settings)
            .with_handler(handler as Arc<dyn PeerConnectionEventHandler>)
            .with_udp_addrs(vec![std::net::SocketAddr::new(config.bind_ip, port)])
            .build()
            .await;
        match built {
            Ok(pc) => {
                let pc: Arc<dyn PeerConnection> = Arc::new(pc);
                return Ok((
                    pc,
                    PeerEvents {
                        gathered,
                        state,
                        tracks,
                        estimate,
                    },
                ));
            }
            Err(e) => last_error = webrtc(e),
        }
    }
    Err(last_error)
}

/// Sets `offer`, answers it, waits for the relay's candidates and returns the answer's SDP (with
/// the announced address written in, if one is configured).
pub async fn answer(
    config: &MediaConfig,
    pc: &Arc<dyn PeerConnection>,
    events: &mut PeerEvents,
    offer: String,
) -> Result<String, PeerError> {
    let offer = RTCSessionDescription::offer(offer).map_err(webrtc)?;
    pc.set_remote_description(offer).await.map_err(webrtc)?;
    let answer = pc.create_answer(None).await.map_err(webrtc)?;
    pc.set_local_description(answer).await.map_err(webrtc)?;
    tokio::time::timeout(GATHER_TIMEOUT, events.gathered.recv())
        .await
        .map_err(|_| PeerError::GatherTimeout)?;
    let local = pc
        .local_description()
        .await
        .ok_or_else(|| PeerError::WebRtc("no local description after answering".into()))?;
    Ok(match config.announced_ip {
        Some(public) => sdp::announce(&local.sdp, config.bind_ip, public),
        None => local.sdp,
    })
}
