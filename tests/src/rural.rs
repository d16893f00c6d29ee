//! The "rural DSL" scenario, shared by its functional test (`tests/browser_rural_link.rs`) and
//! its bench (`benches/rural_link.rs`): a master school in a network namespace of the test's own,
//! and a rural classroom behind an emulated link ([`EmulatedLink`], profile [`PROFILE`], P1 rural
//! DSL: 2 Mbit/s down, 1 Mbit/s up, 40 ms one way, 0.5% random loss each way), each site with its
//! own Chromium. The relay listens (HTTP and media) on the link's relay-side address in the
//! test's namespace; the school's namespace reaches that address through its own veth pair,
//! unshaped. The classroom's chromedriver is reached across the emulated link too (its WebDriver
//! traffic is small beside the media). Needs root, the built client and Chromium.

use crate::browser::{media_flags, Browser, Chromedriver, CONNECTED, FAKE_MEDIA};
use crate::camera::write_noise_y4m;
use crate::link::net::EmulatedLink;
use crate::link::profiles::{self, Profile};
use crate::netns::TestNet;
use crate::relay::{TestRelay, CLASSROOMS};
use shared::ids::{ClassroomId, Role};
use std::time::Duration;

/// The rural classroom's link.
pub const PROFILE: Profile = profiles::P1_RURAL_DSL;
/// Audio samples a second (48 kHz).
const SAMPLE_RATE: u64 = 48_000;

/// How long the rural classroom may take to decode the teacher after joining.
pub const FIRST_PICTURE: Duration = Duration::from_secs(120);

/// What the rural classroom's page shows of the teacher (its tile's stats, refreshed each second).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Watched {
    /// Video frames decoded (`framesDecoded`).
    pub frames: u64,
    /// Video freezes the browser counted (`freezeCount`).
    pub freezes: u64,
    /// How long they lasted in all, in milliseconds (`totalFreezesDuration`).
    pub freeze_ms: u64,
    /// Audio samples played out (`totalSamplesReceived`, 48 kHz), concealed ones included: it
    /// grows through an outage too.
    pub audio_samples: u64,
    /// Of those, samples made up for lost or late packets (`concealedSamples`).
    pub audio_concealed: u64,
    /// The teacher's `<video>` element's decoded width in pixels.
    pub width: u64,
    /// Video frames' time in the jitter buffer, all together (ms), and how many left it.
    pub jitter_buffer_ms: u64,
    pub jitter_buffer_frames: u64,
    /// Time spent decoding video frames, all together (ms).
    pub decode_ms: u64,
    /// The teacher's connection's round trip now (ms).
    pub rtt_ms: u64,
    /// The teacher's audio arrives as redundant audio (`audio/red`).
    pub audio_red: bool,
}

impl Watched {
    /// Glass to glass between two readings, estimated: half the round trip (the way from the
    /// relay's side; the teacher's own leg at the school is a LAN's), plus the average time a
    /// frame waited in the jitter buffer and took to decode over the window. `None` if no
    /// frame left the buffer in it, or the round trip was not known at its end (the page read
    /// no nominated candidate pair).
    pub fn glass_to_glass_ms(from: &Watched, to: &Watched) -> Option<f64> {
        if to.rtt_ms == 0 {
            return None;
        }
        let frames = to
            .jitter_buffer_frames
            .checked_sub(from.jitter_buffer_frames)?;
        let decoded = to.frames.checked_sub(from.frames)?;
        if frames == 0 || decoded == 0 {
            return None;
        }
        let buffered =
            to.jitter_buffer_ms.saturating_sub(from.jitter_buffer_ms) as f64 / frames as f64;
        let decoding = to.decode_ms.saturating_sub(from.decode_ms) as f64 / decoded as f64;
        Some(to.rtt_ms as f64 / 2.0 + buffered + decoding)
    }

    /// Audio samples played from packets that arrived (not concealed).
    pub fn heard(&self) -> u64 {
        self.audio_samples.saturating_sub(self.audio_concealed)
    }
}

/// The rural classroom's link as the teacher's grid shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkSeen {
    /// `good`, `fair` or `poor`.
    pub grade: String,
    pub loss_permille: u64,
    pub rtt_ms: u64,
    pub receiving_kbps: u64,
    /// The badge's tooltip (the figures in words).
    pub tooltip: String,
}

/// The running scenario. Fields drop in order: pages, then their browsers, the relay, the
/// school's network, the emulated link (its namespaces and emulator).
pub struct RuralDsl {
    pub teacher: Browser,
    pub classroom: Browser,
    _drivers: (Chromedriver, Chromedriver),
    pub relay: TestRelay,
    _school: TestNet,
    /// The rural classroom's link (its counters: [`EmulatedLink::stats`]).
    pub link: EmulatedLink,
    /// The rural classroom.
    pub room: ClassroomId,
    _videos: tempfile::TempDir,
}

/// What a scenario adds to the defaults ([`RuralDsl::start_configured`]).
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// Extra relay options (e.g. `--turn-port`).
    pub relay_options: Vec<String>,
    /// Extra flags for the rural classroom's Chromium.
    pub classroom_flags: Vec<String>,
}

/// What the teacher's fake camera shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Camera {
    /// Chromium's moving pattern (VP8 codes it in about 600 kbit/s).
    Default,
    /// Random noise: the encoder sends its whole cap (1 Mbit/s for the teacher).
    Noise,
    /// Chromium's moving pattern at 30 frames/s, as a school's webcam sends (the default is 20).
    Smooth,
}

async fn open(driver: &Chromedriver, relay: &TestRelay, link: &str, camera: &[String]) -> Browser {
    let mut flags = media_flags(&relay.base, FAKE_MEDIA);
    flags.extend(camera.iter().cloned());
    let b = Browser::open_with(driver, flags).await;
    b.client.goto(link).await.expect("open the join link");
    b.until("the lesson connected", CONNECTED, Duration::from_secs(40))
        .await;
    b
}

fn number(v: &serde_json::Value, field: &str) -> u64 {
    v.get(field).and_then(|n| n.as_u64()).unwrap_or(0)
}

/// Milliseconds since the epoch on this machine's clock (the pages' `Date.now()` uses it too).
pub fn epoch_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// What a classroom's page shows of the teacher now (its tile's stats, refreshed each second).
pub async fn watched_in(classroom: &Browser) -> Watched {
    let v = classroom
        .eval(
            "(() => { const t = document.querySelector('figure:has(#teacher-video)'); \
             const d = t ? t.dataset : {}; \
             return { frames: +(d.frames || 0), freezes: +(d.freezes || 0), \
             freeze_ms: +(d.freezeMs || 0), \
             audio_samples: +(d.audioSamples || 0), audio_concealed: +(d.audioConcealed || 0), \
             jitter_buffer_ms: +(d.jitterBufferMs || 0), \
             jitter_buffer_frames: +(d.jitterBufferFrames || 0), \
             decode_ms: +(d.decodeMs || 0), rtt_ms: +(d.rttMs || 0), \
             audio_red: d.audioRed === 'true', \
             width: document.querySelector('#teacher-video')?.videoWidth || 0 }; })()",
        )
        .await;
    Watched {
        frames: number(&v, "frames"),
        freezes: number(&v, "freezes"),
        freeze_ms: number(&v, "freeze_ms"),
        audio_samples: number(&v, "audio_samples"),
        audio_concealed: number(&v, "audio_concealed"),
        width: number(&v, "width"),
        jitter_buffer_ms: number(&v, "jitter_buffer_ms"),
        jitter_buffer_frames: number(&v, "jitter_buffer_frames"),
        decode_ms: number(&v, "decode_ms"),
        rtt_ms: number(&v, "rtt_ms"),
        audio_red: v["audio_red"].as_bool().unwrap_or(false),
    }
}

/// The steps of a classroom page's load and media (its `tongpin:` performance marks, in seconds
/// since its navigation): the board on screen, then the offer, answer, connection and first
/// frame of the teacher's picture and of the page's own camera. A step marked more than once (a
/// connection offered again after a failure) lists each time.
pub async fn media_steps(page: &Browser) -> String {
    let steps = page
        .eval(
            "(() => { const at = (n) => performance.getEntriesByName(n) \
               .map(e => (e.startTime / 1000).toFixed(1) + ' s').join(', ') || '–'; \
             const t = document.getElementById('teacher-video')?.dataset.source; \
             const of = (who) => ['offer', 'answer', 'connected', 'picture'] \
               .map(step => step + ' ' + at('tongpin:media:' + step + ':' + who)).join(', '); \
             return 'board on screen ' + at('tongpin:rendered') + '; the teacher\\'s picture: ' + \
               (t ? of(t) : 'none') + '; own camera: ' + of('publish'); })()",
        )
        .await;
    steps.as_str().unwrap_or("no marks").to_string()
}

/// From now on `page` records the longest time its teacher's `<video>` went without a new
/// decoded frame (Chromium's `webkitDecodedFrameCount`, read every 10 ms with the page's clock):
/// the longest freeze, which `freezeCount` and `totalFreezesDuration` do not give.
pub async fn watch_freezes(page: &Browser) {
    page.eval(
        "(() => { const w = window.__longestFreeze = { count: -1, at: performance.now(), max: 0 }; \
         setInterval(() => { const v = document.querySelector('#teacher-video'); \
         const c = v ? (v.webkitDecodedFrameCount || 0) : 0; const now = performance.now(); \
         if (c !== w.count) { w.max = Math.max(w.max, now - w.at); w.at = now; w.count = c; } \
         }, 10); return true; })()",
    )
    .await;
}

/// The longest time without a new frame since [`watch_freezes`] (ms), the one still going on
/// included; `None` if it was not called on `page`.
pub async fn longest_freeze_ms(page: &Browser) -> Option<u64> {
    page.eval(
        "(() => { const w = window.__longestFreeze; \
         return w ? Math.round(Math.max(w.max, performance.now() - w.at)) : null; })()",
    )
    .await
    .as_u64()
}

/// The part of the teacher's picture the relay says a classroom's page gets
/// (`#own-link[data-picture]`: `low`, `middle`, `high`, `paused`, `whole`; sent at each switch
/// and every 2 s), or "" before it has said.
pub async fn picture_in(classroom: &Browser) -> String {
    classroom
        .eval("document.querySelector('#own-link')?.dataset.picture || ''")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

impl RuralDsl {
    /// Sets up both sites, opens the teacher's page at the school and the classroom's page on the
    /// rural link, and returns once the rural classroom decodes the teacher's video and audio.
    pub async fn start() -> RuralDsl {
        RuralDsl::start_on(&PROFILE, Camera::Default).await
    }

    /// [`RuralDsl::start`] with the rural classroom's link on `profile` (its settings at t=0) and
    /// the teacher's `camera`.
    pub async fn start_on(profile: &Profile, camera: Camera) -> RuralDsl {
        RuralDsl::start_with(profile, camera, &[]).await
    }

    /// [`RuralDsl::start_on`] with extra relay options (e.g. `--turn-port`).
    pub async fn start_with(profile: &Profile, camera: Camera, relay_options: &[&str]) -> RuralDsl {
        let options: Vec<String> = relay_options.iter().map(|o| o.to_string()).collect();
        RuralDsl::start_configured(profile, camera, |_| Extras {
            relay_options: options,
            ..Extras::default()
        })
        .await
    }

    /// [`RuralDsl::start_on`] with the relay options and the classroom's extra Chromium flags
    /// that `extras` chooses once the link exists (given the relay's address on it, e.g. for a
    /// certificate naming it).
    pub async fn start_configured(
        profile: &Profile,
        camera: Camera,
        extras: impl FnOnce(&str) -> Extras,
    ) -> RuralDsl {
        let school = TestNet::create("school");
        let link = EmulatedLink::create("rural");
        link.apply(profile, Duration::ZERO);
        // The relay binds the link's relay side; the school reaches it through its own pair.
        school.route_to(&link.relay_ip);
        let extras = extras(&link.relay_ip);
        let relay_options: Vec<&str> = extras.relay_options.iter().map(String::as_str).collect();
        let relay = TestRelay::start_at(&link.relay_ip, 0, &relay_options).await;
        let school_driver = Chromedriver::start_in(&school).await;
        let rural_driver = Chromedriver::start_in_namespace(
            &link.classroom_ns,
            &link.classroom_ip,
            &link.relay_ip,
        )
        .await;
        let room = CLASSROOMS[0];
        let videos = tempfile::tempdir().expect("a folder for the camera's video");
        let teacher_camera = match camera {
            Camera::Default => Vec::new(),
            // The last of a repeated switch is the one Chromium reads.
            Camera::Smooth => vec!["--use-fake-device-for-media-stream=fps=30".to_string()],
            Camera::Noise => vec![format!(
                "--use-file-for-fake-video-capture={}",
                write_noise_y4m(videos.path()).display()
            )],
        };
        let teacher = open(
            &school_driver,
            &relay,
            &relay.link(Role::Teacher),
            &teacher_camera,
        )
        .await;
        let classroom = open(
            &rural_driver,
            &relay,
            &relay.link(Role::Classroom(room)),
            &extras.classroom_flags,
        )
        .await;
        // The first picture on a link smaller than the teacher's stream is slow, a known weak
        // spot (Rural links issue): the relay overshoots the link while its estimate starts,
        // then the teacher's encoder, capped by REMB, sends almost nothing for a few seconds,
        // and the estimate grows back 50 kbit/s a second. On the 800 kbit/s storm link the
        // classroom decoded 40-45 s after joining in this session's runs (once over 60 s in a
        // full-suite run); on rural DSL it takes about 10 s.
        classroom
            .until(
                "the rural classroom decoding the teacher",
                "(() => { const t = document.querySelector('#teacher-video')?.closest('.tile'); \
                 return t && +t.dataset.frames > 30 && +t.dataset.audioSamples > 0; })()",
                FIRST_PICTURE,
            )
            .await;
        RuralDsl {
            teacher,
            classroom,
            _drivers: (school_driver, rural_driver),
            relay,
            _school: school,
            link,
            room,
            _videos: videos,
        }
    }

    /// What the rural classroom shows of the teacher now.
    pub async fn watched(&self) -> Watched {
        watched_in(&self.classroom).await
    }

    /// Opens a second classroom's page (`CLASSROOMS[1]`) at the school, whose link to the relay
    /// is not shaped: a classroom on a good link beside the rural one.
    pub async fn open_school_classroom(&self) -> Browser {
        let link = self.relay.link(Role::Classroom(CLASSROOMS[1]));
        open(&self._drivers.0, &self.relay, &link, &[]).await
    }

    /// Waits (10 s at most) until the classroom has heard 4 s more of the teacher's audio and
    /// decoded 40 more frames of its video, in both sides' views: the classroom's, then the
    /// teacher's of the classroom. Returns what the classroom showed before and after.
    pub async fn plays_both_ways(&self, how: &str) -> (Watched, Watched) {
        let from = self.watched().await;
        let to = crate::wait::until(
            &format!("4 s of the teacher's audio and 40 new video frames {how}"),
            Duration::from_secs(10),
            async || {
                let now = self.watched().await;
                let heard = now.heard().saturating_sub(from.heard());
                if heard >= 4 * SAMPLE_RATE && now.frames > from.frames + 40 {
                    Ok(now)
                } else {
                    Err(format!(
                        "{heard} samples heard since the start, {from:?} -> {now:?}"
                    ))
                }
            },
        )
        .await;
        assert!(to.width > 0, "the teacher's video has a picture: {to:?}");
        let decodes = self.teacher_decodes_the_classroom(30);
        let decoding = tokio::time::timeout(Duration::from_secs(30), async {
            while self.teacher.eval(&decodes).await.as_bool() != Some(true) {
                tokio::time::sleep(crate::wait::POLL).await;
            }
        })
        .await;
        if decoding.is_err() {
            // What each end saw, read once for the message: the teacher's cell of the
            // classroom, and the classroom page's media steps.
            let cell = self
                .teacher
                .eval(&format!(
                    "(() => {{ const c = document.querySelector('.grid-cell[data-classroom=\"{}\"]'); \
                     return c ? c.dataset.state + ', ' + (c.querySelector('.tile')?.dataset.frames ?? '–') \
                     + ' frames' : 'no cell'; }})()",
                    self.room.0
                ))
                .await;
            panic!(
                "waited 30 s for the teacher decoding the classroom {how}; the teacher's cell of \
                 the classroom: {cell}; the classroom's steps: {}",
                media_steps(&self.classroom).await
            );
        }
        (from, to)
    }

    /// A script expression: the teacher's tile of the rural classroom has decoded more than
    /// `frames` frames.
    pub fn teacher_decodes_the_classroom(&self, frames: u64) -> String {
        format!(
            "(() => {{ const t = document.querySelector('.grid-cell[data-classroom=\"{}\"] .tile'); \
             return t && +t.dataset.frames > {frames}; }})()",
            self.room.0
        )
    }

    /// How the teacher's grid grades the rural classroom's link (`good`, `fair`, `poor`), with
    /// its loss (per mille) and round trip (ms); `None` before the relay has reported it.
    pub async fn link_seen_by_the_teacher(&self) -> Option<LinkSeen> {
        let v = self
            .teacher
            .eval(&format!(
                "(() => {{ const b = document.querySelector('.grid-cell[data-classroom=\"{}\"] .link-grade'); \
                 return b ? [b.dataset.link, +b.dataset.lossPermille, +b.dataset.rttMs, \
                 +b.dataset.receivingKbps, b.title] : null; }})()",
                self.room.0
            ))
            .await;
        let grade = v.get(0)?.as_str()?.to_string();
        Some(LinkSeen {
            grade,
            loss_permille: v.get(1).and_then(|n| n.as_u64()).unwrap_or(0),
            rtt_ms: v.get(2).and_then(|n| n.as_u64()).unwrap_or(0),
            receiving_kbps: v.get(3).and_then(|n| n.as_u64()).unwrap_or(0),
            tooltip: v
                .get(4)
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_string(),
        })
    }

    /// The loss the relay reports to the teacher's page on its audio (per mille), as the page
    /// reads it from its own `getStats`; `None` before the first report.
    pub async fn audio_loss_reported_to_the_teacher(&self) -> Option<u64> {
        self.teacher
            .eval(
                "(() => { const m = document.getElementById('my-media'); \
                 return m && m.dataset.audioLossReported !== undefined ? \
                 +m.dataset.audioLossReported : null; })()",
            )
            .await
            .as_u64()
    }

    /// The teacher's page receives the rural classroom's audio as redundant audio (its grid
    /// tile's `data-audio-red`).
    pub async fn teacher_hears_the_classroom_as_red(&self) -> bool {
        self.teacher
            .eval(&format!(
                "document.querySelector('.grid-cell[data-classroom=\"{}\"] .tile')?.dataset.audioRed === 'true'",
                self.room.0
            ))
            .await
            .as_bool()
            .unwrap_or(false)
    }

    /// The teacher's page and the rural classroom's send their audio as redundant audio (each
    /// `#my-media[data-audio-red]`).
    pub async fn both_send_red(&self) -> (bool, bool) {
        let js = "document.getElementById('my-media')?.dataset.audioRed === 'true'";
        (
            self.teacher.eval(js).await.as_bool().unwrap_or(false),
            self.classroom.eval(js).await.as_bool().unwrap_or(false),
        )
    }

    /// Bytes of audio the teacher's browser has sent so far, RTP headers included
    /// (`#my-media[data-audio-bytes-sent]`).
    pub async fn teacher_audio_bytes_sent(&self) -> u64 {
        self.teacher
            .eval("+(document.getElementById('my-media')?.dataset.audioBytesSent || 0)")
            .await
            .as_u64()
            .unwrap_or(0)
    }

    /// What the teacher's browser sends, as its page shows it (`#my-media`'s data: the widths
    /// of the layers it encodes, its uplink estimate, what limits it), for messages.
    pub async fn teacher_sending(&self) -> String {
        self.teacher
            .eval(
                "(() => { const m = document.getElementById('my-media'); \
                 return m ? JSON.stringify(m.dataset) : 'no #my-media'; })()",
            )
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The rural classroom's time on each picture and in outages, from the attendance report
    /// (the relay stores it every 10 s), once `done` holds for it; panics with the last report
    /// after `within`.
    pub async fn link_time_until(
        &self,
        what: &str,
        within: Duration,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let admin = self.relay.bureau_admin().await;
        crate::wait::until(what, within, async || {
            let time = self.relay.link_time_of(&admin, self.room).await;
            if done(&time) {
                Ok(time)
            } else {
                Err(time.to_string())
            }
        })
        .await
    }

    /// From now on the classroom's page records when the teacher's tile's stats (refreshed each
    /// second) show new video frames and new audio heard (played from packets that arrived,
    /// not concealed), with the page's clock, every 20 ms.
    pub async fn watch_media(&self) {
        self.classroom
            .eval(
                "(() => { window.__framesAt = []; window.__heardAt = []; \
                 let f = -1, h = -1; setInterval(() => { \
                 const d = document.querySelector('figure:has(#teacher-video)')?.dataset || {}; \
                 const frames = +(d.frames || 0); \
                 const heard = (+(d.audioSamples || 0)) - (+(d.audioConcealed || 0)); \
                 if (frames > f) { f = frames; window.__framesAt.push(Date.now()); } \
                 if (heard > h) { h = heard; window.__heardAt.push(Date.now()); } }, 20); \
                 return true; })()",
            )
            .await;
    }

    /// The first new video frame and the first new audio after `since` (page clock ms) that
    /// [`RuralDsl::watch_media`] recorded, waiting up to `within`.
    pub async fn media_after(&self, what: &str, since: f64, within: Duration) -> (f64, f64) {
        crate::wait::until(what, within, async || {
            let js = format!(
                "[window.__framesAt.find(t => t > {since}) || 0, \
                  window.__heardAt.find(t => t > {since}) || 0]"
            );
            let v = self.classroom.eval(&js).await;
            let at = |i: usize| v.get(i).and_then(|t| t.as_f64()).unwrap_or(0.0);
            match (at(0), at(1)) {
                (frames, heard) if frames > 0.0 && heard > 0.0 => Ok((frames, heard)),
                (frames, heard) => Err(format!(
                    "new frames at {frames}, new audio at {heard}; the tile shows {:?}",
                    self.watched().await
                )),
            }
        })
        .await
    }

    /// From now on the classroom's page records each change of the picture the relay says it
    /// gets (`#own-link[data-picture]`, sent at each switch and every 2 s), every 50 ms, with the
    /// page's clock.
    pub async fn watch_pictures(&self) {
        self.classroom
            .eval(
                "(() => { window.__pictures = []; let last = ''; setInterval(() => { \
                 const p = document.querySelector('#own-link')?.dataset.picture || ''; \
                 if (p !== last) { last = p; window.__pictures.push([Date.now(), p]); } }, 50); \
                 return true; })()",
            )
            .await;
    }

    /// From now on the classroom's page records each change of the teacher's `<video>` width
    /// (the layer it decodes, as the person sees it), every 20 ms, with the page's clock.
    pub async fn watch_widths(&self) {
        self.classroom
            .eval(
                "(() => { window.__widths = []; let last = -1; setInterval(() => { \
                 const w = document.querySelector('#teacher-video')?.videoWidth || 0; \
                 if (w !== last) { last = w; window.__widths.push([Date.now(), w]); } }, 20); \
                 return true; })()",
            )
            .await;
    }

    /// The first time (page clock ms) after `since` that the decoded width went below (`down`)
    /// or above what it was at `since`, if it did.
    pub async fn width_changed_after(&self, since: f64, down: bool) -> Option<f64> {
        let v = self.classroom.eval("window.__widths || []").await;
        let widths: Vec<(f64, u64)> = v
            .as_array()?
            .iter()
            .filter_map(|e| Some((e.get(0)?.as_f64()?, e.get(1)?.as_u64()?)))
            .collect();
        let (_, then) = widths.iter().rev().find(|(t, _)| *t <= since)?;
        widths
            .iter()
            .filter(|(t, w)| *t > since && *w > 0 && (if down { w < then } else { w > then }))
            .map(|(t, _)| *t)
            .next()
    }

    /// The picture changes recorded since [`RuralDsl::watch_pictures`]: (page clock ms, "high",
    /// "middle", "low", "paused" or "whole").
    pub async fn pictures(&self) -> Vec<(f64, String)> {
        let v = self.classroom.eval("window.__pictures || []").await;
        v.as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|e| Some((e.get(0)?.as_f64()?, e.get(1)?.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first time (page clock ms) at or after `since` that the page showed a picture for
    /// which `wanted` holds; the picture in force at `since` counts from `since` on.
    pub async fn picture_after(
        &self,
        what: &str,
        since: f64,
        within: Duration,
        wanted: impl Fn(&str) -> bool,
    ) -> f64 {
        crate::wait::until(what, within, async || {
            let seen = self.pictures().await;
            let before = seen.iter().rev().find(|(t, _)| *t <= since);
            let candidates = before
                .map(|(_, p)| (since, p.clone()))
                .into_iter()
                .chain(seen.iter().filter(|(t, _)| *t > since).cloned());
            for (t, p) in candidates {
                if wanted(&p) {
                    return Ok(t);
                }
            }
            Err(format!("{seen:?}"))
        })
        .await
    }

    /// Frames the teacher's page decoded of the rural classroom (sent through its uplink).
    pub async fn teacher_frames_of_the_classroom(&self) -> u64 {
        self.teacher
            .eval(&format!(
                "+(document.querySelector('.grid-cell[data-classroom=\"{}\"] .tile')?.dataset.frames || 0)",
                self.room.0
            ))
            .await
            .as_u64()
            .unwrap_or(0)
    }

    /// Ends both browser sessions; the rest goes on drop.
    pub async fn close(self) {
        let RuralDsl {
            teacher, classroom, ..
        } = self;
        teacher.close().await;
        classroom.close().await;
    }
}
