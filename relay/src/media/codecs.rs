//! The codecs the relay speaks, as webrtc-rs codec parameters (no IO): VP8 and H.264 video with
//! NACK, PLI and FIR feedback, Opus audio; and what a Publisher's and a Subscriber's connection
//! offer of them.

use rtc::peer_connection::configuration::media_engine::{
    MediaEngine, MIME_TYPE_H264, MIME_TYPE_OPUS, MIME_TYPE_RTX, MIME_TYPE_VP8,
};
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RtpCodecKind, TYPE_RTCP_FB_GOOG_REMB,
};

/// H.264 constrained baseline (payload type 102).
pub const H264_CONSTRAINED_BASELINE: &str =
    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";
/// H.264 baseline (payload type 104).
pub const H264_BASELINE: &str =
    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f";
/// Opus's format parameters.
pub const OPUS_FMTP: &str = "minptime=10;useinbandfec=1";

/// A codec with payload type `pt`; video gets NACK, PLI and FIR feedback.
pub fn codec(
    mime: &str,
    clock_rate: u32,
    channels: u16,
    fmtp: &str,
    pt: u8,
) -> RTCRtpCodecParameters {
    let rtcp_feedback = if mime.starts_with("video/") {
        [("nack", ""), ("nack", "pli"), ("ccm", "fir")]
            .into_iter()
            .map(|(typ, parameter)| RTCPFeedback {
                typ: typ.to_string(),
                parameter: parameter.to_string(),
            })
            .collect()
    } else {
        Vec::new()
    };
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: mime.to_string(),
            clock_rate,
            channels,
            sdp_fmtp_line: fmtp.to_string(),
            rtcp_feedback,
        },
        payload_type: pt,
    }
}

pub fn vp8() -> RTCRtpCodecParameters {
    codec(MIME_TYPE_VP8, 90_000, 0, "", 96)
}

pub fn h264_constrained_baseline() -> RTCRtpCodecParameters {
    codec(MIME_TYPE_H264, 90_000, 0, H264_CONSTRAINED_BASELINE, 102)
}

pub fn h264_baseline() -> RTCRtpCodecParameters {
    codec(MIME_TYPE_H264, 90_000, 0, H264_BASELINE, 104)
}

pub fn opus() -> RTCRtpCodecParameters {
    codec(MIME_TYPE_OPUS, 48_000, 2, OPUS_FMTP, super::red::OPUS_PT)
}

/// Redundant audio (RFC 2198) of Opus, as browsers offer it ([`super::red`]).
pub const MIME_TYPE_RED: &str = "audio/red";

pub fn red() -> RTCRtpCodecParameters {
    let opus = super::red::OPUS_PT;
    codec(
        MIME_TYPE_RED,
        48_000,
        2,
        &format!("{opus}/{opus}"),
        super::red::RED_PT,
    )
}

/// What a Publisher may send: VP8 or H.264 video, Opus audio, with RED where its browser puts
/// it first (`super::red`). No RTX: retransmissions arrive on the media SSRC, so the relay
/// forwards one stream per Track. REMB is negotiated so the Publisher's browser heeds the cap
/// the relay puts on its video (`super::publisher_rate`).
pub fn publisher_engine() -> Result<MediaEngine, rtc::shared::error::Error> {
    let mut engine = MediaEngine::default();
    for c in [vp8(), h264_constrained_baseline(), h264_baseline()] {
        engine.register_codec(c, RtpCodecKind::Video)?;
    }
    engine.register_codec(red(), RtpCodecKind::Audio)?;
    engine.register_codec(opus(), RtpCodecKind::Audio)?;
    engine.register_feedback(
        RTCPFeedback {
            typ: TYPE_RTCP_FB_GOOG_REMB.to_string(),
            parameter: String::new(),
        },
        RtpCodecKind::Video,
    );
    Ok(engine)
}

/// A Subscriber's connection offers exactly the codecs its Tracks carry (the Publisher's), so
/// packets are forwarded as they are. Audio is Opus, payload type 111, and RED of it, 63 (sent
/// where the Subscriber's browser negotiates it, `super::red`); video 96 on.
///
/// Each video codec also gets its retransmission format (RFC 4588 `rtx`, payload type 35 on),
/// where the Subscriber's browser offers one: the relay's pacer sends its link probes as
/// retransmissions of what it sent lately (`super::pacing`), on their own SSRC, so they take
/// nothing from the picture's numbering.
pub fn subscriber_engine(
    codecs: &[(RtpCodecKind, RTCRtpCodec)],
) -> Result<MediaEngine, rtc::shared::error::Error> {
    let mut engine = MediaEngine::default();
    for (i, (kind, c)) in codecs.iter().enumerate() {
        if *kind == RtpCodecKind::Audio {
            // Whatever the Publisher negotiated: the relay carries its audio as Opus or RED.
            engine.register_codec(red(), RtpCodecKind::Audio)?;
            engine.register_codec(opus(), RtpCodecKind::Audio)?;
            continue;
        }
        let video_pt = 96 + i as u8;
        let params = codec(
            &c.mime_type,
            c.clock_rate,
            c.channels,
            &c.sdp_fmtp_line,
            video_pt,
        );
        engine.register_codec(params, *kind)?;
        engine.register_codec(rtx(video_pt, 35 + i as u8), RtpCodecKind::Video)?;
    }
    Ok(engine)
}

/// The retransmission format of the codec with payload type `apt`, itself payload type `pt`.
pub fn rtx(apt: u8, pt: u8) -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: MIME_TYPE_RTX.to_string(),
            clock_rate: 90_000,
            channels: 0,
            sdp_fmtp_line: format!("apt={apt}"),
            rtcp_feedback: Vec::new(),
        },
        payload_type: pt,
    }
}

/// The lesson's kind of a Track, for webrtc-rs's codec kind.
pub fn kind_of(kind: RtpCodecKind) -> Option<crate::media::forwarding::Kind> {
    use crate::media::forwarding::Kind;
    match kind {
        RtpCodecKind::Audio => Some(Kind::Audio),
        RtpCodecKind::Video => Some(Kind::Video),
        _ => None,
    }
}

/// webrtc-rs's codec kind for a Track of the lesson's `kind`.
pub fn codec_kind(kind: crate::media::forwarding::Kind) -> RtpCodecKind {
    use crate::media::forwarding::Kind;
    match kind {
        Kind::Audio => RtpCodecKind::Audio,
        Kind::Video => RtpCodecKind::Video,
    }
}
