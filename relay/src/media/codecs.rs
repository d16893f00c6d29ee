//! The codecs the relay speaks, as webrtc-rs codec parameters (no IO): VP8 and H.264 video with
//! NACK, PLI and FIR feedback, Opus audio. Shared by the async peer connections (`peer`) and the
//! sans-IO driver (`driver`), so both negotiate the same payload types.

use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_H264, MIME_TYPE_OPUS, MIME_TYPE_VP8,
};
use rtc::rtp_transceiver::rtp_sender::{RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters};

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
    codec(MIME_TYPE_OPUS, 48_000, 2, OPUS_FMTP, 111)
}
