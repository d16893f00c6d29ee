//! One connection on the shared port: an `rtc` peer connection with the relay's ICE credentials
//! and one host candidate, answering an offer, and draining what the state machine produces.

use super::demux::PeerId;
use super::{ChainLimits, DriverError, SendTrack};
use crate::media::chain;
use crate::media::codecs::{self, MIME_TYPE_RED};
use crate::media::link_meter::LinkMeter;
use crate::media::loss_report::WorstLoss;
use crate::media::pacing::Estimate;
use crate::media::probe::LinkProbe;
use crate::media::red;
use rtc::ice::mdns::MulticastDnsMode;
use rtc::ice::tcp_type::TcpType;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::configuration::RTCConfigurationBuilder;
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::transport::{
    CandidateConfig, CandidateHostConfig, RTCIceCandidate, RTCIceCandidateInit,
};
use rtc::peer_connection::{RTCPeerConnection, RTCPeerConnectionBuilder};
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use rtc::rtp_transceiver::{RTCRtpReceiverId, RTCRtpSenderId};
use rtc::{rtcp, rtp};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

pub(super) fn rtc_error(e: impl std::fmt::Display) -> DriverError {
    DriverError::Rtc(e.to_string())
}

/// The host candidate at `local`: UDP, or TCP of `tcp_type` (RFC 6544).
fn host_candidate(
    local: SocketAddr,
    tcp_type: TcpType,
) -> Result<RTCIceCandidateInit, DriverError> {
    let network = if tcp_type == TcpType::Unspecified {
        "udp"
    } else {
        "tcp"
    };
    let candidate = CandidateHostConfig {
        base_config: CandidateConfig {
            network: network.to_owned(),
            address: local.ip().to_string(),
            port: local.port(),
            component: 1,
            ..Default::default()
        },
        tcp_type,
    }
    .new_candidate_host()
    .map_err(rtc_error)?;
    RTCIceCandidate::from(&candidate)
        .to_json()
        .map_err(rtc_error)
}

/// A local track the relay sends on.
struct Sender {
    id: RTCRtpSenderId,
    mime: String,
    audio: bool,
    /// What was negotiated for it, read once it is connected.
    negotiated: Option<Negotiated>,
}

#[derive(Clone, Copy)]
struct Negotiated {
    ssrc: u32,
    payload_type: u8,
    /// Audio: RED's payload type, if the Subscriber's browser negotiated it.
    red: Option<u8>,
}

pub(super) struct Conn {
    pub id: PeerId,
    pub pc: RTCPeerConnection,
    senders: Vec<Sender>,
    /// Local track ids: their index in `senders`.
    pub local_tracks: HashMap<String, usize>,
    pub connected: bool,
    /// When it answered, for [`super::DriverConfig::connect_timeout`].
    pub opened: Instant,
    /// Remote tracks that opened: their receivers, for RTCP about them.
    pub remote_tracks: HashMap<String, RTCRtpReceiverId>,
    /// What the remote's link carries, as estimated on a connection that sends.
    pub estimate: Estimate,
    /// The loss, round trip and rate its estimator last saw (a connection that sends).
    pub meter: LinkMeter,
    /// Where the layer choice orders probes of the remote's link (a connection that sends).
    pub probe: LinkProbe,
    /// The worst loss of the Subscribers of its audio (a Publisher's connection).
    pub worst_loss: WorstLoss,
    /// The simulcast layer of each SSRC seen on a remote track (see [`Conn::layer_of`]).
    layers: HashMap<u32, SsrcLayer>,
    /// Remote audio tracks: the payload type of RED on each, if the Publisher negotiated it.
    pub remote_audio: HashMap<String, Option<u8>>,
}

/// What an SSRC of a remote track is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsrcLayer {
    /// Not simulcast: forwarded as it is.
    Single,
    /// Simulcast layer `n` (rid "n").
    Layer(usize),
    /// A rid the relay does not know (dropped).
    Unknown,
}

/// SSRCs remembered per connection (a simulcast Track has a few; more are not cached).
const MAX_SSRCS: usize = 32;

/// A connection's ICE side: its credentials and its one host candidate (and, with `tcp`, a
/// passive TCP host candidate at the same IP and port number).
pub(super) struct Ice<'a> {
    pub local: SocketAddr,
    pub ufrag: &'a str,
    pub pwd: &'a str,
    pub tcp: bool,
}

impl Conn {
    /// A connection with the ICE credentials and host candidate `ice`, which answers `offer` and
    /// sends `send`. Returns it and the answer's SDP.
    pub fn answer(
        id: PeerId,
        now: Instant,
        ice: Ice<'_>,
        offer: String,
        send: &[SendTrack],
        limits: &ChainLimits,
    ) -> Result<(Conn, String), DriverError> {
        // A Publisher's connection (sends nothing) takes any codec the relay forwards; a
        // Subscriber's offers exactly its tracks' codecs.
        let mut engine = if send.is_empty() {
            codecs::publisher_engine()
        } else {
            let wanted: Vec<_> = send.iter().map(|t| (t.kind, t.codec.clone())).collect();
            codecs::subscriber_engine(&wanted)
        }
        .map_err(rtc_error)?;
        // The same interceptors as the lessons' connections: bounded retransmissions, the link
        // estimate and the pacer on a connection that sends.
        let link = chain::LinkHandles::default();
        let registry = chain::registry(
            limits.retransmit,
            limits.pacing,
            &mut engine,
            !send.is_empty(),
            &link,
        )
        .map_err(rtc_error)?;
        let chain::LinkHandles {
            estimate,
            meter,
            probe,
            worst_loss,
        } = link;
        let settings = SettingEngineBuilder::new()
            .with_ice_credentials(ice.ufrag.to_string(), ice.pwd.to_string())
            .with_multicast_dns_mode(MulticastDnsMode::Disabled)
            .build();
        let mut pc = RTCPeerConnectionBuilder::new()
            .with_configuration(RTCConfigurationBuilder::new().build())
            .with_setting_engine(settings)
            .with_media_engine(engine)
            .with_interceptor_registry(registry)
            .build(now)
            .map_err(rtc_error)?;

        let offer =
            RTCSessionDescription::offer(offer).map_err(|e| DriverError::Offer(e.to_string()))?;
        pc.set_remote_description(now, offer)
            .map_err(|e| DriverError::Offer(e.to_string()))?;

        let mut senders = Vec::with_capacity(send.len());
        let mut local_tracks = HashMap::new();
        for (i, track) in send.iter().enumerate() {
            let kind = track.kind;
            // Audio goes out as Opus, or RED of it where negotiated (`media::red`), whatever
            // its Publisher negotiated.
            let codec = if kind == RtpCodecKind::Audio {
                crate::media::codecs::opus().rtp_codec
            } else {
                track.codec.clone()
            };
            let track_id = format!(
                "relay-{}-{i}",
                if kind == RtpCodecKind::Audio {
                    "audio"
                } else {
                    "video"
                }
            );
            let media = MediaStreamTrack::new(
                format!("relay-{id}"),
                track_id.clone(),
                track_id.clone(),
                kind,
                vec![RTCRtpEncodingParameters {
                    rtp_coding_parameters: RTCRtpCodingParameters {
                        ssrc: Some(rand::random::<u32>()),
                        ..Default::default()
                    },
                    codec: codec.clone(),
                    ..Default::default()
                }],
            );
            let sender = pc.add_track(media).map_err(rtc_error)?;
            local_tracks.insert(track_id, i);
            senders.push(Sender {
                id: sender,
                mime: codec.mime_type,
                audio: kind == RtpCodecKind::Audio,
                negotiated: None,
            });
        }

        pc.add_local_candidate(host_candidate(ice.local, TcpType::Unspecified)?)
            .map_err(rtc_error)?;
        if ice.tcp {
            // RFC 6544: the remote connects to it (its own candidate is active).
            pc.add_local_candidate(host_candidate(ice.local, TcpType::Passive)?)
                .map_err(rtc_error)?;
        }
        // End of gathering: the host candidates are all there is.
        pc.add_local_candidate(RTCIceCandidateInit::default())
            .map_err(rtc_error)?;

        let answer = pc.create_answer(None).map_err(rtc_error)?;
        pc.set_local_description(now, answer).map_err(rtc_error)?;
        let sdp = pc
            .local_description()
            .map(|d| d.sdp)
            .ok_or_else(|| DriverError::Rtc("no local description after answering".into()))?;
        Ok((
            Conn {
                id,
                pc,
                senders,
                local_tracks,
                connected: false,
                opened: now,
                remote_tracks: HashMap::new(),
                estimate,
                meter,
                probe,
                worst_loss,
                layers: HashMap::new(),
                remote_audio: HashMap::new(),
            },
            sdp,
        ))
    }

    /// What `ssrc` of remote track `track_id` is: one of its simulcast layers (named by rid) or
    /// the whole Track.
    pub fn layer_of(&mut self, track_id: &str, ssrc: u32) -> SsrcLayer {
        if let Some(known) = self.layers.get(&ssrc) {
            return *known;
        }
        let Some(receiver) = self.remote_tracks.get(track_id).copied() else {
            return SsrcLayer::Single;
        };
        let Some(r) = self.pc.rtp_receiver(receiver) else {
            return SsrcLayer::Single;
        };
        let track = r.track();
        let simulcast = track
            .codings()
            .iter()
            .any(|c| !c.rtp_coding_parameters.rid.is_empty());
        let layer = match (simulcast, track.rid(ssrc)) {
            (false, _) => SsrcLayer::Single,
            (true, Some(rid)) => match super::layers::layer_of_rid(rid) {
                Some(n) => SsrcLayer::Layer(n),
                None => {
                    tracing::info!(conn = %self.id, rid = %rid, "a simulcast layer with an unknown rid is dropped");
                    SsrcLayer::Unknown
                }
            },
            // Not matched to its rid yet: nothing to forward it as (not remembered).
            (true, None) => return SsrcLayer::Unknown,
        };
        if self.layers.len() < MAX_SSRCS {
            self.layers.insert(ssrc, layer);
        }
        layer
    }

    /// Remote track `track_id` (received by `receiver`) is audio: notes whether its Publisher
    /// negotiated RED, and as which payload type.
    pub fn audio_opened(&mut self, track_id: &str, receiver: RTCRtpReceiverId) {
        if self.remote_audio.len() >= MAX_SSRCS {
            return;
        }
        let red = self.pc.rtp_receiver(receiver).and_then(|mut r| {
            r.get_parameters()
                .rtp_parameters
                .codecs
                .iter()
                .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(MIME_TYPE_RED))
                .map(|c| c.payload_type)
        });
        tracing::debug!(conn = %self.id, track_id, red_payload_type = ?red, "an audio Track opened");
        self.remote_audio.insert(track_id.to_owned(), red);
    }

    /// Sends `packet` on local track `track`, with the SSRC and payload type negotiated for it.
    pub fn write_rtp(
        &mut self,
        now: Instant,
        track: usize,
        mut packet: rtp::Packet,
    ) -> Result<(), DriverError> {
        if !self.connected {
            return Err(DriverError::NotConnected(self.id));
        }
        let sender = self
            .senders
            .get_mut(track)
            .ok_or(DriverError::UnknownTrack(self.id, track))?;
        let mut rtp_sender = self
            .pc
            .rtp_sender(sender.id)
            .ok_or(DriverError::UnknownTrack(self.id, track))?;
        let negotiated = match sender.negotiated {
            Some(n) => n,
            None => {
                let ssrc = rtp_sender
                    .track()
                    .ssrcs()
                    .next()
                    .ok_or(DriverError::UnknownTrack(self.id, track))?;
                let codecs = &rtp_sender.get_parameters().rtp_parameters.codecs;
                let pt_of = |mime: &str| {
                    codecs
                        .iter()
                        .find(|c| c.rtp_codec.mime_type.eq_ignore_ascii_case(mime))
                        .map(|c| c.payload_type)
                };
                let n = Negotiated {
                    ssrc,
                    payload_type: pt_of(&sender.mime)
                        .ok_or(DriverError::UnknownTrack(self.id, track))?,
                    red: pt_of(MIME_TYPE_RED).filter(|_| sender.audio),
                };
                tracing::debug!(conn = %self.id, track, red_payload_type = ?n.red, "a Track's sending starts");
                sender.negotiated = Some(n);
                n
            }
        };
        packet.header.ssrc = negotiated.ssrc;
        if sender.audio {
            let red = red::for_link(
                negotiated.red,
                self.meter.over_tcp(),
                self.meter.congested(),
            );
            red::outbound(&mut packet, negotiated.payload_type, red)?;
        } else {
            packet.header.payload_type = negotiated.payload_type;
        }
        rtp_sender.write_rtp(now, packet).map_err(rtc_error)
    }
}

impl Conn {
    /// Sends `packets` (a keyframe request, a REMB) about remote track `track_id`.
    pub fn write_rtcp(
        &mut self,
        now: Instant,
        track_id: &str,
        packets: Vec<Box<dyn rtcp::Packet>>,
    ) -> Result<(), DriverError> {
        let unknown = || DriverError::UnknownRemoteTrack(self.id, track_id.to_owned());
        let receiver = *self.remote_tracks.get(track_id).ok_or_else(unknown)?;
        let mut receiver = self.pc.rtp_receiver(receiver).ok_or_else(unknown)?;
        receiver.write_rtcp(now, packets).map_err(rtc_error)
    }
}
