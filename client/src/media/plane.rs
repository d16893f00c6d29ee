//! The page's camera, microphone and videos, with the browser's own WebRTC.
//!
//! [`MediaPlane`] carries out what [`MediaPlan`] decides: one send-only
//! RTCPeerConnection for this page's camera and microphone (teacher and classrooms publish as soon
//! as the lesson is joined, if the browser gives a camera or microphone), one receive-only
//! connection per Source the relay lists. Offers are sent once ICE gathering is complete (the
//! relay does not trickle). Async browser work reports back as [`MediaEvent`]s through the lesson
//! component's update loop; `<video data-source=…>` elements get their streams after each render.

use super::devices::*;
use super::plan::{Action, MediaPlan, Target};
use super::rtc::*;
use crate::marks;
use gloo_timers::callback::{Interval, Timeout};
use js_sys::{Array, Object, Reflect};
use shared::ids::{ClassroomId, MediaId, Role};
use shared::protocol::{ClientMsg, ServerMsg};
use std::collections::BTreeMap;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{
    MediaStream, MediaStreamTrack, RtcPeerConnection, RtcPeerConnectionState,
    RtcRtpTransceiverDirection, RtcRtpTransceiverInit, RtcSdpType, RtcSessionDescriptionInit,
    RtcTrackEvent,
};
use yew::Callback;

pub enum MediaEvent {
    LocalStream(Result<MediaStream, String>),
    Devices(Vec<Device>),
    Offer {
        target: Target,
        req: u32,
        sdp: String,
    },
    OfferFailed {
        target: Target,
        reason: String,
    },
    Track {
        source: MediaId,
        stream: MediaStream,
    },
    PeerFailed {
        source: MediaId,
    },
    StatsTick,
    Stats {
        source: MediaId,
        stats: TileStats,
    },
    /// What this page sends, as its browser sees it.
    Sent(SendStats),
    Retry,
    /// The page's Publication connected.
    PublishConnected,
    /// Time to publish again after the page's Publication was lost.
    Republish,
    ToggleMic,
    ToggleCamera,
    ChooseDevice {
        kind: DeviceKind,
        id: String,
    },
    Replaced(Result<(DeviceKind, MediaStreamTrack), String>),
    NeedsGesture,
    UnmuteAll,
}

/// What handling a media event or message asks of the lesson component.
#[derive(Default)]
pub struct Effects {
    pub send: Vec<ClientMsg>,
    pub view: bool,
    pub notice: Option<String>,
}

struct Peer {
    pc: RtcPeerConnection,
    _ontrack: Option<Closure<dyn FnMut(RtcTrackEvent)>>,
    _onstate: Closure<dyn FnMut(JsValue)>,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.pc.set_ontrack(None);
        self.pc.set_onconnectionstatechange(None);
        self.pc.close();
    }
}

pub struct MediaPlane {
    role: Role,
    events: Callback<MediaEvent>,
    pub plan: MediaPlan,
    local: Option<MediaStream>,
    /// The local stream was asked for (once per page; a refusal is not asked again).
    asked: bool,
    publisher: Option<Peer>,
    subs: BTreeMap<MediaId, Peer>,
    pub streams: BTreeMap<MediaId, MediaStream>,
    pub stats: BTreeMap<MediaId, TileStats>,
    /// What this page sends, as its browser saw it last.
    pub sent: SendStats,
    pub mic_on: bool,
    pub camera_on: bool,
    /// Why this page sends no camera or microphone, shown until it does.
    pub device_problem: Option<String>,
    pub devices: Vec<Device>,
    /// STUN/TURN servers the relay hands out for the page's connections.
    ice_servers: Vec<shared::protocol::IceServer>,
    /// The device ids in use (camera, microphone), to show them chosen.
    pub in_use: (Option<String>, Option<String>),
    /// A remote video could not start with sound (autoplay policy): show an "unmute" button.
    pub needs_gesture: bool,
    /// Joined the media plane on the current connection (`MediaResumed` arrived).
    joined: bool,
    _stats: Interval,
    _retry: Option<Timeout>,
    _republish: Option<Timeout>,
}

impl MediaPlane {
    pub fn new(role: Role, events: Callback<MediaEvent>) -> MediaPlane {
        let tick = events.clone();
        MediaPlane {
            role,
            events,
            plan: MediaPlan::default(),
            local: None,
            asked: false,
            publisher: None,
            subs: BTreeMap::new(),
            streams: BTreeMap::new(),
            stats: BTreeMap::new(),
            sent: SendStats::default(),
            mic_on: true,
            camera_on: true,
            device_problem: None,
            devices: Vec::new(),
            ice_servers: Vec::new(),
            in_use: (None, None),
            needs_gesture: false,
            joined: false,
            _stats: Interval::new(1_000, move || tick.emit(MediaEvent::StatsTick)),
            _retry: None,
            _republish: None,
        }
    }

    pub fn publishes(&self) -> bool {
        !matches!(self.role, Role::Observer)
    }

    pub fn has_local(&self) -> bool {
        self.local.is_some()
    }

    /// The relay welcomed a connection: ask for the camera and microphone the first time.
    pub fn welcomed(&mut self, role: Role) -> Effects {
        self.role = role;
        if self.publishes() && !self.asked {
            self.asked = true;
            let events = self.events.clone();
            let hd = self.role == Role::Teacher;
            spawn_local(async move {
                let result = get_user_media(None, None, hd).await;
                events.emit(MediaEvent::LocalStream(result));
            });
        }
        Effects::default()
    }

    /// Joined the media plane on this connection: keep what the relay kept of the page's previous
    /// connection, drop the rest, publish again if the publication did not carry on.
    fn resumed(&mut self, publication: Option<MediaId>, kept: &[(MediaId, MediaId)]) {
        self.joined = true;
        let (actions, keep_publication) = self.plan.resumed(publication, kept);
        for action in actions {
            self.act(action);
        }
        if !keep_publication {
            self.publisher = None;
            if self.publishes() {
                self.start_publish();
            }
        }
    }

    pub fn disconnected(&mut self) {
        self.joined = false;
    }

    /// A media message from the relay.
    pub fn server(&mut self, msg: ServerMsg) -> Effects {
        let mut fx = Effects {
            view: true,
            ..Effects::default()
        };
        match msg {
            ServerMsg::Sources { floor, sources } => {
                for action in self.plan.sources(floor, sources) {
                    self.act(action);
                }
            }
            ServerMsg::MediaAnswer { req, media, sdp } => self.answered(req, media, sdp),
            ServerMsg::MediaRefused { req, reason } => match self.plan.refused(req) {
                Some(Target::Publish) => {
                    self.publisher = None;
                    fx.notice = Some(format!("无法发送摄像头和麦克风：{reason}"));
                }
                Some(Target::Source(source)) => {
                    self.subs.remove(&source);
                }
                None => {}
            },
            ServerMsg::IceServers(servers) => {
                self.ice_servers = servers;
                fx.view = false;
            }
            ServerMsg::MediaResumed {
                publication,
                subscriptions,
            } => self.resumed(publication, &subscriptions),
            ServerMsg::MediaEnded { media } => {
                if let Some(wait) = self.plan.publication_ended(media) {
                    // The relay gave up on the page's Publication: its connection is closed and
                    // a new one offered after a while.
                    self.publisher = None;
                    self.schedule_republish(wait);
                } else if let Some(source) = self.plan.ended(media) {
                    self.drop_source(source);
                }
                self.schedule_retry();
            }
            _ => fx.view = false,
        }
        fx
    }

    fn answered(&mut self, req: u32, media: MediaId, sdp: String) {
        let target = self.plan.answered(req, media);
        if let Some(target) = target {
            marks::media("answer", &target_name(target));
        }
        let pc = match target {
            Some(Target::Publish) => self.publisher.as_ref().map(|p| p.pc.clone()),
            Some(Target::Source(source)) => self.subs.get(&source).map(|p| p.pc.clone()),
            None => None,
        };
        let (Some(pc), Some(target)) = (pc, target) else {
            return;
        };
        let events = self.events.clone();
        spawn_local(async move {
            let desc = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
            desc.set_sdp(&sdp);
            if let Err(e) = JsFuture::from(pc.set_remote_description(&desc)).await {
                let reason = describe(&e);
                match target {
                    Target::Source(source) => events.emit(MediaEvent::PeerFailed { source }),
                    Target::Publish => events.emit(MediaEvent::OfferFailed { target, reason }),
                }
            }
        });
    }

    pub fn event(&mut self, event: MediaEvent) -> Effects {
        let mut fx = Effects {
            view: true,
            ..Effects::default()
        };
        match event {
            MediaEvent::LocalStream(Ok(stream)) => {
                self.device_problem = None;
                self.local = Some(stream);
                self.apply_toggles();
                if self.joined && self.publisher.is_none() {
                    self.start_publish();
                }
                let events = self.events.clone();
                spawn_local(async move {
                    if let Ok(devices) = list_devices().await {
                        events.emit(MediaEvent::Devices(devices));
                    }
                });
            }
            MediaEvent::LocalStream(Err(problem)) => {
                self.device_problem = Some(problem);
            }
            MediaEvent::Devices(devices) => {
                self.devices = devices;
                self.note_devices_in_use();
            }
            MediaEvent::Offer { target, req, sdp } => {
                marks::media("offer", &target_name(target));
                fx.send.push(match target {
                    Target::Publish => ClientMsg::Publish { req, sdp },
                    Target::Source(source) => ClientMsg::Subscribe { req, source, sdp },
                });
                fx.view = false;
            }
            MediaEvent::OfferFailed { target, reason } => match target {
                Target::Publish => {
                    self.publisher = None;
                    fx.notice = Some(format!("无法发送摄像头和麦克风：{reason}，稍后自动重试"));
                    let wait = self.plan.publication_lost();
                    self.schedule_republish(wait);
                }
                Target::Source(source) => self.peer_failed(source),
            },
            MediaEvent::Track { source, stream } => {
                self.streams.insert(source, stream);
            }
            MediaEvent::PeerFailed { source } => self.peer_failed(source),
            MediaEvent::StatsTick => {
                self.poll_stats();
                fx.view = false;
            }
            MediaEvent::Stats { source, stats } => {
                let before = self.stats.insert(source, stats);
                if stats.frames_decoded > 0 && before.is_none_or(|b| b.frames_decoded == 0) {
                    marks::media("picture", &source);
                }
                fx.view = before != Some(stats);
            }
            MediaEvent::Sent(sent) => {
                fx.view = sent != self.sent;
                self.sent = sent;
            }
            MediaEvent::PublishConnected => {
                self.plan.publication_connected();
                fx.view = false;
            }
            MediaEvent::Republish => {
                self._republish = None;
                if self.joined && self.publisher.is_none() {
                    self.start_publish();
                }
            }
            MediaEvent::Retry => {
                self._retry = None;
                for action in self.plan.ensure() {
                    self.act(action);
                }
            }
            MediaEvent::ToggleMic => {
                self.mic_on = !self.mic_on;
                self.apply_toggles();
            }
            MediaEvent::ToggleCamera => {
                self.camera_on = !self.camera_on;
                self.apply_toggles();
            }
            MediaEvent::ChooseDevice { kind, id } => {
                let events = self.events.clone();
                let hd = self.role == Role::Teacher;
                spawn_local(async move {
                    let (audio, video) = match kind {
                        DeviceKind::Camera => (None, Some(id)),
                        DeviceKind::Microphone => (Some(id), None),
                    };
                    let only_audio = audio.is_some();
                    let result = get_user_media_only(audio, video, only_audio, hd).await;
                    events.emit(MediaEvent::Replaced(result.map(|t| (kind, t))));
                });
                fx.view = false;
            }
            MediaEvent::Replaced(Ok((kind, track))) => self.replace(kind, track),
            MediaEvent::Replaced(Err(problem)) => fx.notice = Some(problem),
            MediaEvent::NeedsGesture => self.needs_gesture = true,
            MediaEvent::UnmuteAll => {
                self.needs_gesture = false;
                for video in media_elements() {
                    if video.get_attribute("data-source").as_deref() != Some("self") {
                        video.set_muted(false);
                        let _ = video.play();
                    }
                }
            }
        }
        fx
    }

    fn peer_failed(&mut self, source: MediaId) {
        self.plan.failed(source);
        self.drop_source(source);
        self.schedule_retry();
    }

    fn schedule_retry(&mut self) {
        if self._retry.is_none() {
            let events = self.events.clone();
            self._retry = Some(Timeout::new(2_000, move || events.emit(MediaEvent::Retry)));
        }
    }

    /// Publishes again in `wait_ms`, unless a new Publication was made meanwhile.
    fn schedule_republish(&mut self, wait_ms: u32) {
        let events = self.events.clone();
        self._republish = Some(Timeout::new(wait_ms, move || {
            events.emit(MediaEvent::Republish)
        }));
    }

    fn drop_source(&mut self, source: MediaId) {
        self.subs.remove(&source);
        self.streams.remove(&source);
        self.stats.remove(&source);
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Drop { source } => self.drop_source(source),
            Action::Subscribe { source, req } => match self.receive(source, req) {
                Ok(peer) => {
                    self.subs.insert(source, peer);
                }
                Err(_) => self.peer_failed(source),
            },
        }
    }

    /// A receive-only connection for `source`; its offer follows as [`MediaEvent::Offer`].
    fn receive(&self, source: MediaId, req: u32) -> Result<Peer, JsValue> {
        let pc = self.new_pc()?;
        for kind in ["audio", "video"] {
            let init = RtcRtpTransceiverInit::new();
            init.set_direction(RtcRtpTransceiverDirection::Recvonly);
            pc.add_transceiver_with_str_and_init(kind, &init);
        }
        let events = self.events.clone();
        let ontrack = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |ev: RtcTrackEvent| {
            let streams = ev.streams();
            let stream = match streams.get(0).dyn_into::<MediaStream>() {
                Ok(stream) => stream,
                Err(_) => match MediaStream::new() {
                    Ok(stream) => stream,
                    Err(_) => return,
                },
            };
            if streams.length() == 0 {
                stream.add_track(&ev.track());
            }
            events.emit(MediaEvent::Track { source, stream });
        });
        pc.set_ontrack(Some(ontrack.as_ref().unchecked_ref()));
        let onstate = self.state_watch(&pc, Some(source));
        self.send_offer(pc.clone(), Target::Source(source), req);
        Ok(Peer {
            pc,
            _ontrack: Some(ontrack),
            _onstate: onstate,
        })
    }

    /// A peer connection with the relay's STUN/TURN servers, if it gave any.
    fn new_pc(&self) -> Result<RtcPeerConnection, JsValue> {
        if self.ice_servers.is_empty() {
            return RtcPeerConnection::new();
        }
        let servers = Array::new();
        for s in &self.ice_servers {
            let server = Object::new();
            let urls: Array = s.urls.iter().map(|u| JsValue::from_str(u)).collect();
            Reflect::set(&server, &"urls".into(), &urls)?;
            if !s.username.is_empty() {
                Reflect::set(&server, &"username".into(), &s.username.as_str().into())?;
                Reflect::set(&server, &"credential".into(), &s.credential.as_str().into())?;
            }
            servers.push(&server);
        }
        let config = web_sys::RtcConfiguration::new();
        config.set_ice_servers(&servers);
        RtcPeerConnection::new_with_configuration(&config)
    }

    fn state_watch(
        &self,
        pc: &RtcPeerConnection,
        source: Option<MediaId>,
    ) -> Closure<dyn FnMut(JsValue)> {
        let events = self.events.clone();
        let watched = pc.clone();
        let closure = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            let state = watched.connection_state();
            if state == RtcPeerConnectionState::Connected {
                match source {
                    Some(source) => marks::media("connected", &source),
                    None => {
                        marks::media("connected", &"publish");
                        events.emit(MediaEvent::PublishConnected);
                    }
                }
            }
            if state == RtcPeerConnectionState::Failed {
                match source {
                    Some(source) => events.emit(MediaEvent::PeerFailed { source }),
                    None => events.emit(MediaEvent::OfferFailed {
                        target: Target::Publish,
                        reason: "连接中断".into(),
                    }),
                }
            }
        });
        pc.set_onconnectionstatechange(Some(closure.as_ref().unchecked_ref()));
        closure
    }

    fn start_publish(&mut self) {
        let Some(stream) = self.local.clone() else {
            return;
        };
        let Ok(pc) = self.new_pc() else {
            return;
        };
        let streams = Array::of1(&stream);
        for track in stream.get_tracks().iter() {
            let Ok(track) = track.dyn_into::<MediaStreamTrack>() else {
                continue;
            };
            let init = RtcRtpTransceiverInit::new();
            init.set_direction(RtcRtpTransceiverDirection::Sendonly);
            init.set_streams(&streams);
            init.set_send_encodings(&encodings(self.role, &track.kind()));
            let transceiver = pc.add_transceiver_with_media_stream_track_and_init(&track, &init);
            if track.kind() == "audio" {
                prefer_red(&transceiver);
            }
        }
        let req = self.plan.publish();
        let onstate = self.state_watch(&pc, None);
        self.send_offer(pc.clone(), Target::Publish, req);
        self.publisher = Some(Peer {
            pc,
            _ontrack: None,
            _onstate: onstate,
        });
    }

    fn send_offer(&self, pc: RtcPeerConnection, target: Target, req: u32) {
        let events = self.events.clone();
        spawn_local(async move {
            match gathered_offer(&pc).await {
                Ok(sdp) => events.emit(MediaEvent::Offer { target, req, sdp }),
                Err(e) => events.emit(MediaEvent::OfferFailed {
                    target,
                    reason: describe(&e),
                }),
            }
        });
    }

    fn apply_toggles(&self) {
        let Some(stream) = &self.local else { return };
        for track in stream.get_audio_tracks().iter() {
            if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
                track.set_enabled(self.mic_on);
            }
        }
        for track in stream.get_video_tracks().iter() {
            if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
                track.set_enabled(self.camera_on);
            }
        }
    }

    /// Another camera or microphone: swapped into the running publication without renegotiating.
    fn replace(&mut self, kind: DeviceKind, track: MediaStreamTrack) {
        let Some(stream) = &self.local else { return };
        let old_tracks = match kind {
            DeviceKind::Camera => stream.get_video_tracks(),
            DeviceKind::Microphone => stream.get_audio_tracks(),
        };
        for old in old_tracks.iter() {
            if let Ok(old) = old.dyn_into::<MediaStreamTrack>() {
                stream.remove_track(&old);
                old.stop();
            }
        }
        stream.add_track(&track);
        self.apply_toggles();
        self.note_devices_in_use();
        if let Some(publisher) = &self.publisher {
            let kind_name = track.kind();
            for sender in publisher.pc.get_senders().iter() {
                let Ok(sender) = sender.dyn_into::<web_sys::RtcRtpSender>() else {
                    continue;
                };
                if sender.track().map(|t| t.kind()) == Some(kind_name.clone()) {
                    let _ = sender.replace_track(Some(&track));
                }
            }
        }
    }

    fn note_devices_in_use(&mut self) {
        let Some(stream) = &self.local else { return };
        let first = |tracks: Array| {
            tracks
                .get(0)
                .dyn_into::<MediaStreamTrack>()
                .ok()
                .and_then(|t| device_id(&t))
        };
        self.in_use = (
            first(stream.get_video_tracks()),
            first(stream.get_audio_tracks()),
        );
    }

    fn poll_stats(&self) {
        if let Some(peer) = &self.publisher {
            let (pc, events) = (peer.pc.clone(), self.events.clone());
            spawn_local(async move {
                if let Ok(report) = JsFuture::from(pc.get_stats()).await {
                    let mut sent = read_send_stats(&report);
                    sent.audio_red = sends_red(&pc);
                    events.emit(MediaEvent::Sent(sent));
                }
            });
        }
        for (source, peer) in &self.subs {
            let (pc, source, events) = (peer.pc.clone(), *source, self.events.clone());
            spawn_local(async move {
                if let Ok(report) = JsFuture::from(pc.get_stats()).await {
                    let mut stats = read_stats(&report);
                    stats.audio_red = receives_red(&pc);
                    events.emit(MediaEvent::Stats { source, stats });
                }
            });
        }
    }

    /// Gives each `<video data-source=…>` its stream (after every render).
    pub fn attach(&mut self) {
        for video in media_elements() {
            let Some(key) = video.get_attribute("data-source") else {
                continue;
            };
            let stream = if key == "self" {
                self.local.clone()
            } else {
                key.parse::<u64>()
                    .ok()
                    .map(MediaId)
                    .and_then(|source| self.streams.get(&source).cloned())
            };
            let current = video.src_object();
            if current.as_ref().map(|s| s.id()) == stream.as_ref().map(|s| s.id()) {
                continue;
            }
            video.set_src_object(stream.as_ref());
            if stream.is_some() {
                let events = self.events.clone();
                let element = video.clone();
                if let Ok(promise) = video.play() {
                    spawn_local(async move {
                        if JsFuture::from(promise).await.is_err() {
                            // Autoplay with sound was refused: play muted, offer a button.
                            element.set_muted(true);
                            let _ = element.play();
                            events.emit(MediaEvent::NeedsGesture);
                        }
                    });
                }
            }
        }
    }

    /// The Source shown large in a classroom: the teacher's.
    pub fn teacher_source(&self) -> Option<MediaId> {
        self.plan
            .sources
            .iter()
            .find(|s| s.role == Role::Teacher)
            .map(|s| s.id)
    }

    /// Sources of classrooms (the teacher's grid, or the floor classroom for others).
    pub fn classroom_sources(&self) -> Vec<(MediaId, ClassroomId)> {
        self.plan
            .sources
            .iter()
            .filter_map(|s| match s.role {
                Role::Classroom(id) => Some((s.id, id)),
                _ => None,
            })
            .collect()
    }
}

/// What a publication may send, in bits per second, sized for rural links: a classroom on
/// "rural DSL" (2 Mbit/s down, 512 kbit/s up) receives the teacher and sends its own camera.
/// The relay forwards one stream per Track to everyone, so the teacher's camera is capped at what
/// the slowest classroom can take.
/// The encodings a track is sent as: the teacher's camera as three simulcast layers (rids "0",
/// "1", "2", lowest first: a quarter, half and the whole picture), each classroom's relay
/// forwarding the one its link carries; a classroom's camera as two (half and the whole
/// picture): the relay sends the half to the small tiles of the teacher's grid, and the whole to
/// everyone while the classroom holds the floor; everything else as one encoding.
fn encodings(role: Role, kind: &str) -> Array {
    let encoding = |rid: Option<&str>, scale: f64, cap: f64| {
        let e = Object::new();
        if let Some(rid) = rid {
            let _ = Reflect::set(&e, &"rid".into(), &rid.into());
            let _ = Reflect::set(&e, &"scaleResolutionDownBy".into(), &scale.into());
        }
        let _ = Reflect::set(&e, &"maxBitrate".into(), &cap.into());
        e
    };
    let layers = |list: &[(&str, f64, f64)]| {
        let out = Array::new();
        for (rid, scale, cap) in list {
            out.push(&encoding(Some(rid), *scale, *cap));
        }
        out
    };
    match (role, kind) {
        (Role::Teacher, "video") => layers(&SIMULCAST),
        (Role::Classroom(_), "video") => layers(&CLASSROOM_SIMULCAST),
        _ => Array::of1(&encoding(None, 1.0, max_bitrate(role, kind))),
    }
}

/// The teacher's simulcast layers: rid, scale-down factor, bit rate cap.
const SIMULCAST: [(&str, f64, f64); 3] = [
    ("0", 4.0, 150_000.0),
    ("1", 2.0, 500_000.0),
    ("2", 1.0, 1_200_000.0),
];

/// A classroom's camera's layers, within a rural uplink's 400 kbit/s with the sound.
const CLASSROOM_SIMULCAST: [(&str, f64, f64); 2] = [("0", 2.0, 100_000.0), ("1", 1.0, 250_000.0)];

fn max_bitrate(role: Role, kind: &str) -> f64 {
    match (role, kind) {
        (_, "audio") => 48_000.0,
        (Role::Teacher, _) => 1_000_000.0,
        _ => 300_000.0,
    }
}

/// How [`crate::marks`] names a connection: `publish`, or the received Source's id.
fn target_name(target: Target) -> String {
    match target {
        Target::Publish => "publish".to_string(),
        Target::Source(source) => source.to_string(),
    }
}
