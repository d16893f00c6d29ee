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
    /// The audio may arrive as redundant audio: RED (`audio/red`, each packet carrying the one
    /// before) was negotiated for it.
    pub audio_red: bool,
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
    /// The audio goes out as redundant audio (RED first among its negotiated codecs).
    pub audio_red: bool,
    /// Bytes of audio sent so far, RTP headers included (`bytesSent` + `headerBytesSent`).
    pub audio_bytes: u64,
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
            ("outbound-rtp", "audio") => {
                stats.audio_bytes =
                    (number(&value, "bytesSent") + number(&value, "headerBytesSent")) as u64;
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

/// The codecs negotiated for the audio of `pc`'s receivers (`receivers`: true) or senders, in
/// order (`getParameters().codecs`).
fn audio_codecs(pc: &RtcPeerConnection, receivers: bool) -> Vec<String> {
    let list = if receivers {
        pc.get_receivers()
    } else {
        pc.get_senders()
    };
    let call = |target: &JsValue, name: &str| -> Option<JsValue> {
        let f: js_sys::Function = Reflect::get(target, &name.into()).ok()?.dyn_into().ok()?;
        f.call0(target).ok()
    };
    for end in list.iter() {
        let track = Reflect::get(&end, &"track".into()).unwrap_or(JsValue::NULL);
        if track.is_null() || text(&track, "kind") != "audio" {
            continue;
        }
        let Some(parameters) = call(&end, "getParameters") else {
            continue;
        };
        let Ok(codecs) = Reflect::get(&parameters, &"codecs".into()) else {
            continue;
        };
        if let Ok(Some(codecs)) = js_sys::try_iter(&codecs) {
            return codecs.flatten().map(|c| text(&c, "mimeType")).collect();
        }
    }
    Vec::new()
}

fn is_red(mime: &str) -> bool {
    mime.eq_ignore_ascii_case("audio/red")
}

/// The audio of receive-only `pc` may come as redundant audio: RED was negotiated for it.
pub(super) fn receives_red(pc: &RtcPeerConnection) -> bool {
    audio_codecs(pc, true).iter().any(|m| is_red(m))
}

/// `pc` sends its audio as redundant audio: RED is the first codec negotiated for it (the
/// browser sends RED when it comes before Opus).
pub(super) fn sends_red(pc: &RtcPeerConnection) -> bool {
    audio_codecs(pc, false).first().is_some_and(|m| is_red(m))
}

/// Puts redundant audio (RFC 2198 `audio/red`) first among `transceiver`'s codecs, where the
/// browser has it: the browser then sends each Opus packet with a copy of the one before, and a
/// classroom that loses one on its link plays it from the next. The relay forwards RED to those
/// that negotiated it and the plain Opus inside to the others. A browser without RED, or without
/// `setCodecPreferences`, keeps its own order.
pub(super) fn prefer_red(transceiver: &web_sys::RtcRtpTransceiver) {
    let red_first = || -> Option<js_sys::Array> {
        let window = web_sys::window()?;
        let receiver = Reflect::get(&window, &"RTCRtpReceiver".into()).ok()?;
        let get: js_sys::Function = Reflect::get(&receiver, &"getCapabilities".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let capabilities = get.call1(&receiver, &"audio".into()).ok()?;
        let codecs: js_sys::Array = Reflect::get(&capabilities, &"codecs".into())
            .ok()?
            .dyn_into()
            .ok()?;
        let is_red = |c: &JsValue| text(c, "mimeType").eq_ignore_ascii_case("audio/red");
        if !codecs.iter().any(|c| is_red(&c)) {
            return None;
        }
        let ordered = js_sys::Array::new();
        for c in codecs.iter().filter(|c| is_red(c)) {
            ordered.push(&c);
        }
        for c in codecs.iter().filter(|c| !is_red(c)) {
            ordered.push(&c);
        }
        Some(ordered)
    };
    let Some(codecs) = red_first() else { return };
    if let Ok(set) = Reflect::get(transceiver, &"setCodecPreferences".into())
        .and_then(|f| f.dyn_into::<js_sys::Function>())
    {
        let _ = set.call1(transceiver, &codecs);
    }
}
