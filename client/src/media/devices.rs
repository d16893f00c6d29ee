//! Cameras and microphones: asking for them, listing them, and saying in plain words why there
//! are none.

use super::rtc::describe;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MediaDeviceInfo, MediaDeviceKind, MediaStream, MediaStreamConstraints, MediaStreamTrack,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    Camera,
    Microphone,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub kind: DeviceKind,
    pub id: String,
    pub label: String,
}

/// `track.getSettings().deviceId`.
pub(super) fn device_id(track: &MediaStreamTrack) -> Option<String> {
    let get = Reflect::get(track, &"getSettings".into()).ok()?;
    let get: js_sys::Function = get.dyn_into().ok()?;
    let settings = get.call0(track).ok()?;
    Reflect::get(&settings, &"deviceId".into())
        .ok()?
        .as_string()
}

/// Why there is no camera/microphone, for people.
pub(super) fn device_problem(e: &JsValue) -> String {
    let name = Reflect::get(e, &"name".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => {
            "未获得摄像头和麦克风权限：本教室仍可观看和收听课堂。请在浏览器地址栏允许后刷新页面。"
                .to_string()
        }
        "NotFoundError" | "OverconstrainedError" => {
            "未找到摄像头或麦克风：本教室仍可观看和收听课堂。".to_string()
        }
        "NotReadableError" => "摄像头或麦克风正被其他程序占用。".to_string(),
        _ => format!(
            "无法打开摄像头和麦克风（{}）：本教室仍可观看和收听课堂。",
            describe(e)
        ),
    }
}

pub(super) fn constraint(id: Option<String>) -> JsValue {
    match id {
        None => JsValue::TRUE,
        Some(id) => {
            let exact = Object::new();
            let _ = Reflect::set(&exact, &"exact".into(), &id.into());
            let c = Object::new();
            let _ = Reflect::set(&c, &"deviceId".into(), &exact);
            c.into()
        }
    }
}

/// What the camera should deliver: the teacher's camera is asked for 1280x720, so that its three
/// simulcast layers (browsers send fewer layers of a smaller picture) exist; others take the
/// camera's default.
fn video_constraint(id: Option<String>, hd: bool) -> JsValue {
    if !hd {
        return constraint(id);
    }
    let c = match constraint(id) {
        v if v.is_object() => Object::from(v),
        _ => Object::new(),
    };
    for (name, value) in [("width", 1280), ("height", 720)] {
        let ideal = Object::new();
        let _ = Reflect::set(&ideal, &"ideal".into(), &value.into());
        let _ = Reflect::set(&c, &name.into(), &ideal);
    }
    c.into()
}

/// Camera and microphone; if only one of them exists, that one. `hd`: the camera at 1280x720
/// if it can.
pub(super) async fn get_user_media(
    audio: Option<String>,
    video: Option<String>,
    hd: bool,
) -> Result<MediaStream, String> {
    if web_sys::window().is_some_and(|w| !w.is_secure_context()) {
        return Err(
            "此页面不是安全连接，浏览器不允许使用摄像头和麦克风（请通过 HTTPS 打开）：本教室仍可观看和收听课堂。"
                .to_string(),
        );
    }
    let devices = web_sys::window()
        .map(|w| w.navigator())
        .and_then(|n| n.media_devices().ok())
        .ok_or_else(|| {
            "此浏览器不支持摄像头（需要 HTTPS 或 localhost）：本教室仍可观看和收听课堂。"
                .to_string()
        })?;
    let mut last = JsValue::UNDEFINED;
    for (a, v) in [(true, true), (false, true), (true, false)] {
        let c = MediaStreamConstraints::new();
        c.set_audio(&if a {
            constraint(audio.clone())
        } else {
            JsValue::FALSE
        });
        c.set_video(&if v {
            video_constraint(video.clone(), hd)
        } else {
            JsValue::FALSE
        });
        let Ok(promise) = devices.get_user_media_with_constraints(&c) else {
            continue;
        };
        match JsFuture::from(promise).await {
            Ok(stream) => return stream.dyn_into::<MediaStream>().map_err(|e| describe(&e)),
            Err(e) => {
                let name = Reflect::get(&e, &"name".into())
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default();
                let denied = name == "NotAllowedError" || name == "SecurityError";
                last = e;
                if denied {
                    break;
                }
            }
        }
    }
    Err(device_problem(&last))
}

/// One new track of the chosen device.
pub(super) async fn get_user_media_only(
    audio: Option<String>,
    video: Option<String>,
    only_audio: bool,
    hd: bool,
) -> Result<MediaStreamTrack, String> {
    let stream = get_user_media(audio, video, hd).await?;
    let tracks = if only_audio {
        stream.get_audio_tracks()
    } else {
        stream.get_video_tracks()
    };
    tracks
        .get(0)
        .dyn_into::<MediaStreamTrack>()
        .map_err(|_| "所选设备没有提供信号".to_string())
}

pub(super) async fn list_devices() -> Result<Vec<Device>, JsValue> {
    let devices = web_sys::window()
        .ok_or(JsValue::NULL)?
        .navigator()
        .media_devices()?;
    let list = JsFuture::from(devices.enumerate_devices()?).await?;
    let list: Array = list.dyn_into()?;
    Ok(list
        .iter()
        .filter_map(|d| d.dyn_into::<MediaDeviceInfo>().ok())
        .filter_map(|d| {
            let kind = match d.kind() {
                MediaDeviceKind::Videoinput => DeviceKind::Camera,
                MediaDeviceKind::Audioinput => DeviceKind::Microphone,
                _ => return None,
            };
            Some(Device {
                kind,
                id: d.device_id(),
                label: d.label(),
            })
        })
        .collect())
}
