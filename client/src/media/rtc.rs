//! Small helpers around the browser's RTCPeerConnection: a gathered offer, the figures read from
//! `getStats`, the page's `<video>` elements.

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    HtmlMediaElement, RtcIceGatheringState, RtcPeerConnection, RtcSessionDescriptionInit,
};

/// A received Source as the page shows it (read from `getStats` every second).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TileStats {
    pub frames_decoded: u64,
    pub width: u32,
    /// Video freezes the browser counted (`freezeCount`).
    pub freezes: u64,
    /// How long those freezes lasted in all, in milliseconds (`totalFreezesDuration`).
    pub freeze_ms: u64,
    /// 0.0 (silence) to 1.0.
    pub audio_level: f64,
    /// Audio samples played out (`totalSamplesReceived`), concealed ones included.
    pub audio_samples: u64,
    /// Of those, samples the browser made up for lost or late packets (`concealedSamples`).
    pub audio_concealed: u64,
    /// Video frames held in the jitter buffer, all together, milliseconds
    /// (`jitterBufferDelay`), and how many frames left it (`jitterBufferEmittedCount`).
    pub jitter_buffer_ms: u64,
    pub jitter_buffer_frames: u64,
    /// Time spent decoding those frames, all together, milliseconds (`totalDecodeTime`).
    pub decode_ms: u64,
    /// The connection's round trip now, milliseconds (`currentRoundTripTime` of its nominated
    /// candidate pair).
    pub rtt_ms: u64,
}

pub(super) fn media_elements() -> Vec<HtmlMediaElement> {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return Vec::new();
    };
    let Ok(list) = doc.query_selector_all("video[data-source]") else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.get(i))
        .filter_map(|n| n.dyn_into::<HtmlMediaElement>().ok())
        .collect()
}

pub(super) fn describe(e: &JsValue) -> String {
    let name = Reflect::get(e, &"name".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let message = Reflect::get(e, &"message".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    format!("{name} {message}").trim().to_string()
}

/// createOffer, setLocalDescription, then wait (at most 5 s) for ICE gathering to complete.
pub(super) async fn gathered_offer(pc: &RtcPeerConnection) -> Result<String, JsValue> {
    let offer = JsFuture::from(pc.create_offer()).await?;
    let offer: RtcSessionDescriptionInit = offer.unchecked_into();
    JsFuture::from(pc.set_local_description(&offer)).await?;
    for _ in 0..100 {
        if pc.ice_gathering_state() == RtcIceGatheringState::Complete {
            break;
        }
        gloo_timers::future::TimeoutFuture::new(50).await;
    }
    pc.local_description()
        .map(|d| d.sdp())
        .ok_or_else(|| JsValue::from_str("no local description"))
}

pub(super) fn number(v: &JsValue, key: &str) -> f64 {
    Reflect::get(v, &key.into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

pub(super) fn text(v: &JsValue, key: &str) -> String {
    Reflect::get(v, &key.into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

/// What this page sends, as its own browser sees it (read from `getStats` every second).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SendStats {
    /// The share of this page's audio its receiver (the relay) reports lost (`fractionLost` of
    /// the audio `remote-inbound-rtp`), in per mille. The relay reports at least the worst loss
    /// among the classrooms that receive it, so the browser's Opus encoder adds in-band FEC.
    pub reported_audio_loss: Option<u16>,
    /// What the browser estimates its uplink to the relay carries, kbit/s
    /// (`availableOutgoingBitrate` of the nominated candidate pair).
    pub outgoing_kbps: Option<u32>,
    /// The width of each video layer the camera is encoded to now, smallest first (a layer the
    /// browser has stopped for want of bandwidth or CPU is not there).
    pub widths: Vec<u32>,
    /// Why the browser sends a smaller picture than asked, if it does: `cpu`, `bandwidth` or
    /// `other` (`qualityLimitationReason`).
    pub limited_by: Option<String>,
}

/// The figures of this page's sending connection.
pub(super) fn read_send_stats(report: &JsValue) -> SendStats {
    let mut stats = SendStats::default();
    let Ok(Some(entries)) = js_sys::try_iter(report) else {
        return stats;
    };
    for entry in entries.flatten() {
        let value = Reflect::get(&entry, &1.into()).unwrap_or(JsValue::UNDEFINED);
        match (text(&value, "type").as_str(), text(&value, "kind").as_str()) {
            ("remote-inbound-rtp", "audio") => {
                let lost = number(&value, "fractionLost").clamp(0.0, 1.0);
                stats.reported_audio_loss = Some((lost * 1000.0).round() as u16);
            }
            ("outbound-rtp", "video") => {
                let width = number(&value, "frameWidth") as u32;
                if width > 0 && number(&value, "framesPerSecond") > 0.0 {
                    stats.widths.push(width);
                }
                let reason = text(&value, "qualityLimitationReason");
                if !reason.is_empty() && reason != "none" {
                    stats.limited_by = Some(reason);
                }
            }
            ("candidate-pair", _) if nominated(&value) => {
                let bps = number(&value, "availableOutgoingBitrate");
                if bps > 0.0 {
                    stats.outgoing_kbps = Some((bps / 1000.0).round() as u32);
                }
            }
            _ => {}
        }
    }
    stats.widths.sort_unstable();
    stats
}

/// A candidate pair in use (nominated and succeeded).
fn nominated(pair: &JsValue) -> bool {
    let nominated = Reflect::get(pair, &"nominated".into())
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    nominated && text(pair, "state") == "succeeded"
}

/// The inbound video and audio figures of one receive-only connection.
pub(super) fn read_stats(report: &JsValue) -> TileStats {
    let mut stats = TileStats::default();
    let Ok(Some(entries)) = js_sys::try_iter(report) else {
        return stats;
    };
    for entry in entries.flatten() {
        let value = Reflect::get(&entry, &1.into()).unwrap_or(JsValue::UNDEFINED);
        let kind = text(&value, "type");
        if kind == "candidate-pair" {
            if nominated(&value) {
                stats.rtt_ms = (number(&value, "currentRoundTripTime") * 1000.0) as u64;
            }
            continue;
        }
        if kind != "inbound-rtp" {
            continue;
        }
        match text(&value, "kind").as_str() {
            "video" => {
                stats.frames_decoded = number(&value, "framesDecoded") as u64;
                stats.width = number(&value, "frameWidth") as u32;
                stats.freezes = number(&value, "freezeCount") as u64;
                stats.freeze_ms = (number(&value, "totalFreezesDuration") * 1000.0) as u64;
                stats.jitter_buffer_ms = (number(&value, "jitterBufferDelay") * 1000.0) as u64;
                stats.jitter_buffer_frames = number(&value, "jitterBufferEmittedCount") as u64;
                stats.decode_ms = (number(&value, "totalDecodeTime") * 1000.0) as u64;
            }
            "audio" => {
                stats.audio_level = number(&value, "audioLevel");
                stats.audio_samples = number(&value, "totalSamplesReceived") as u64;
                stats.audio_concealed = number(&value, "concealedSamples") as u64;
            }
            _ => {}
        }
    }
    stats
}
