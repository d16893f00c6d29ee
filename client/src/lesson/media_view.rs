//! The lesson's video: the teacher large beside the board in a classroom, the teacher's grid of
//! classrooms with audio levels and the floor, and everyone's own camera and microphone controls.

use super::{Lesson, Msg};
use crate::labels;
use crate::media::{DeviceKind, MediaEvent, SendStats, TileStats};
use shared::ids::{ClassroomId, MediaId, Role};
use yew::prelude::*;

/// `data-sent-widths`: the widths this page's camera is sent at, smallest first ("320,640").
fn sent_widths(sent: &SendStats) -> String {
    let widths: Vec<String> = sent.widths.iter().map(u32::to_string).collect();
    widths.join(",")
}

fn sending_tooltip(sent: &SendStats) -> String {
    labels::sending(&sent.widths, sent.outgoing_kbps, sent.limited_by.as_deref())
}

impl Lesson {
    fn classroom_name(&self, id: ClassroomId) -> String {
        self.state
            .roster
            .iter()
            .find(|a| a.role == Role::Classroom(id))
            .map(|a| a.name.clone())
            .unwrap_or_else(|| format!("教室 {}", id.0))
    }

    fn tile_data(&self, source: MediaId) -> TileStats {
        self.media.stats.get(&source).copied().unwrap_or_default()
    }

    /// A received Source as a `<video>` with its decoded-frame and audio figures as attributes.
    fn video_tile(&self, source: MediaId, id: Option<&'static str>, label: String) -> Html {
        let stats = self.tile_data(source);
        let level = format!("width: {:.0}%", (stats.audio_level * 100.0).min(100.0));
        html! {
            <figure class="tile" data-tile={source.to_string()}
                data-frames={stats.frames_decoded.to_string()}
                data-width={stats.width.to_string()}
                data-freezes={stats.freezes.to_string()}
                data-freeze-ms={stats.freeze_ms.to_string()}
                data-audio-level={format!("{:.3}", stats.audio_level)}
                data-audio-samples={stats.audio_samples.to_string()}
                data-audio-concealed={stats.audio_concealed.to_string()}
                data-jitter-buffer-ms={stats.jitter_buffer_ms.to_string()}
                data-jitter-buffer-frames={stats.jitter_buffer_frames.to_string()}
                data-decode-ms={stats.decode_ms.to_string()}
                data-rtt-ms={stats.rtt_ms.to_string()}
                data-audio-red={stats.audio_red.then_some("true")}>
                <video id={id} data-source={source.to_string()} autoplay=true playsinline=true></video>
                <figcaption>
                    <span class="tile-name">{ label }</span>
                    <span class="level" title="音量"><span class="level-bar" style={level}></span></span>
                </figcaption>
            </figure>
        }
    }

    /// Own camera preview, microphone and camera switches, device choice, and why there is none.
    pub(super) fn media_controls(&self, ctx: &Context<Self>) -> Html {
        let m = &self.media;
        if !m.publishes() {
            return html! {};
        }
        let link = ctx.link();
        let options = |kind: DeviceKind| -> Html {
            let in_use = match kind {
                DeviceKind::Camera => m.in_use.0.as_deref(),
                DeviceKind::Microphone => m.in_use.1.as_deref(),
            };
            m.devices
                .iter()
                .filter(|d| d.kind == kind)
                .enumerate()
                .map(|(i, d)| {
                    let label = if d.label.is_empty() {
                        format!("设备 {}", i + 1)
                    } else {
                        d.label.clone()
                    };
                    let selected = in_use == Some(d.id.as_str());
                    html! { <option value={d.id.clone()} {selected}>{ label }</option> }
                })
                .collect()
        };
        html! {
            <section id="my-media" class="my-media"
                data-audio-loss-reported={m.sent.reported_audio_loss.map(|p| p.to_string())}
                data-outgoing-kbps={m.sent.outgoing_kbps.map(|k| k.to_string())}
                data-sent-widths={sent_widths(&m.sent)}
                data-limited-by={m.sent.limited_by.clone()}
                data-audio-red={m.sent.audio_red.then_some("true")}
                data-audio-bytes-sent={m.sent.audio_bytes.to_string()}>
                if m.has_local() {
                    <video class="self-view" data-source="self" autoplay=true playsinline=true muted=true
                        title={sending_tooltip(&m.sent)}></video>
                    <div class="media-buttons">
                        <button id="mic-toggle" class={classes!("media-button", (!m.mic_on).then_some("off"))}
                            onclick={link.callback(|_| Msg::Media(MediaEvent::ToggleMic))}>
                            { if m.mic_on { "麦克风：开" } else { "麦克风：已静音" } }
                        </button>
                        <button id="camera-toggle" class={classes!("media-button", (!m.camera_on).then_some("off"))}
                            onclick={link.callback(|_| Msg::Media(MediaEvent::ToggleCamera))}>
                            { if m.camera_on { "摄像头：开" } else { "摄像头：已关闭" } }
                        </button>
                    </div>
                    if !m.devices.is_empty() {
                        <label class="device">{ "摄像头" }
                            <select id="camera-select" onchange={Self::choose_device(ctx, DeviceKind::Camera)}>
                                { options(DeviceKind::Camera) }
                            </select>
                        </label>
                        <label class="device">{ "麦克风" }
                            <select id="mic-select" onchange={Self::choose_device(ctx, DeviceKind::Microphone)}>
                                { options(DeviceKind::Microphone) }
                            </select>
                        </label>
                    }
                }
                if let Some(problem) = &m.device_problem {
                    <p id="device-problem" class="device-problem" role="status">{ problem.clone() }</p>
                }
            </section>
        }
    }

    /// How classroom `id`'s link fares (good, fair, poor), the figures in its tooltip; nothing
    /// until the relay has measured it.
    fn link_badge(&self, id: ClassroomId) -> Html {
        let Some(link) = self.state.links.iter().find(|l| l.classroom == id) else {
            return html! {};
        };
        let grade = link.grade.as_str();
        html! {
            <span class={classes!("link-grade", grade)} data-link={grade}
                data-picture={link.picture.as_str()}
                data-loss-permille={link.loss_permille.to_string()}
                data-rtt-ms={link.rtt_ms.to_string()}
                data-receiving-kbps={link.receiving_kbps.to_string()}
                title={labels::link_details(link)}>
                { labels::link_grade(link.grade) }
            </span>
        }
    }

    /// A classroom's own link, in plain words under the teacher's picture (the figures in its
    /// tooltip); nothing on other pages or before the relay has measured it.
    fn own_link(&self) -> Html {
        let Role::Classroom(me) = self.state.role else {
            return html! {};
        };
        let Some(link) = self.state.links.iter().find(|l| l.classroom == me) else {
            return html! {};
        };
        let grade = link.grade.as_str();
        html! {
            <p id="own-link" class={classes!("link-grade", "own", grade)} data-link={grade}
                data-picture={link.picture.as_str()}
                title={labels::link_details(link)} role="status">
                { labels::own_link_and_picture(link) }
            </p>
        }
    }

    /// The classrooms of the teacher's grid, in the roster's order: each with its camera's
    /// Source (if it is listed) and whether it is connected. A classroom whose camera is listed
    /// but which the roster does not name yet comes last.
    fn grid_classrooms(&self) -> Vec<(ClassroomId, Option<MediaId>, bool)> {
        let sources = self.media.classroom_sources();
        let source_of = |id: ClassroomId| sources.iter().find(|(_, c)| *c == id).map(|(s, _)| *s);
        let mut cells: Vec<(ClassroomId, Option<MediaId>, bool)> = self
            .state
            .roster
            .iter()
            .filter_map(|a| match a.role {
                Role::Classroom(id) => Some((id, source_of(id), a.online)),
                _ => None,
            })
            .collect();
        for (source, id) in &sources {
            if !cells.iter().any(|(c, _, _)| c == id) {
                cells.push((*id, Some(*source), true));
            }
        }
        cells
    }

    /// The teacher's grid: a cell per classroom of the lesson, with its camera and audio level
    /// (or why there is no picture: not connected, or connected without a camera), how its
    /// link fares, and the floor.
    pub(super) fn classroom_grid(&self, ctx: &Context<Self>) -> Html {
        let cells = self.grid_classrooms();
        let floor = self.media.plan.floor;
        html! {
            <section id="classroom-grid" class="classroom-grid">
                <h2>{ "各教室" }</h2>
                if cells.is_empty() {
                    <p class="muted">{ "这节课没有接收教室" }</p>
                }
                { for cells.into_iter().map(|(id, source, online)| {
                    let has_floor = floor == Some(id);
                    let onclick = ctx.link().callback(move |_| Msg::Floor(if has_floor { None } else { Some(id) }));
                    let state = match (source, online) {
                        (Some(_), _) => "picture",
                        (None, true) => "no-picture",
                        (None, false) => "offline",
                    };
                    html! {
                        <div class={classes!("grid-cell", has_floor.then_some("has-floor"), (!online).then_some("offline"))}
                            data-classroom={id.0.to_string()} data-state={state}>
                            if let Some(source) = source {
                                { self.video_tile(source, None, self.classroom_name(id)) }
                            } else {
                                <figure class="tile-none">
                                    <span class="tile-none-why">
                                        { if online { "已连接，暂无画面" } else { "未连接" } }
                                    </span>
                                    <figcaption><span class="tile-name">{ self.classroom_name(id) }</span></figcaption>
                                </figure>
                            }
                            { self.link_badge(id) }
                            if online {
                                <button class="floor-button" data-classroom={id.0.to_string()} {onclick}>
                                    { if has_floor { "收回发言权" } else { "请TA发言" } }
                                </button>
                            }
                        </div>
                    }
                }) }
                if self.media.needs_gesture {
                    <button id="unmute" class="media-button" onclick={ctx.link().callback(|_| Msg::Media(MediaEvent::UnmuteAll))}>{ "点击开启声音" }</button>
                }
            </section>
        }
    }

    /// A classroom's (or observer's) side: the teacher large, the classroom with the floor, own camera.
    pub(super) fn media_side(&self, ctx: &Context<Self>) -> Html {
        let teacher = self.media.teacher_source();
        let floor = self.media.plan.floor;
        let floor_source = self
            .media
            .classroom_sources()
            .into_iter()
            .find(|(_, id)| Some(*id) == floor);
        html! {
            <aside id="media" class="media-side">
                if let Some(source) = teacher {
                    { self.video_tile(source, Some("teacher-video"), "主讲老师".to_string()) }
                } else {
                    <div class="tile waiting">{ "等待老师的画面…" }</div>
                }
                { self.own_link() }
                if let Some((source, id)) = floor_source {
                    <div class="floor-tile">
                        { self.video_tile(source, Some("floor-video"), format!("正在发言：{}", self.classroom_name(id))) }
                    </div>
                }
                if self.media.needs_gesture {
                    <button id="unmute" class="media-button" onclick={ctx.link().callback(|_| Msg::Media(MediaEvent::UnmuteAll))}>{ "点击开启声音" }</button>
                }
                { self.media_controls(ctx) }
            </aside>
        }
    }
}
