//! The lesson component: owns the lesson state, the connection and the two canvases (the board,
//! and an overlay for the laser pointer and the teacher's not-yet-echoed ink). Network events and
//! pointer input come in as messages; the board is painted directly, the rest through the markup.

use crate::board::canvas::{ResizeWatch, Surface};
use crate::board::gesture::Gesture;
use crate::board::pointer::{self, PointerInput};
use crate::board::redraw::Redraw;
use crate::board::render;
use crate::board::toolbar::{tool_id, Action, Toolbar};
use crate::board::tools::{ToolKind, Toolbox};
use crate::listener::Listener;
use crate::marks::mark;
use crate::media::{DeviceKind, Effects, MediaEvent, MediaPlane};
use crate::net::link::ws_url;
use crate::net::{Event as NetEvent, Net};
use crate::ready;
use crate::roster::Roster;
use crate::state::{LessonState, Outcome, Status};
use crate::status::StatusBadge;
use gloo_timers::callback::{Interval, Timeout};
use shared::ids::{LessonId, PageId, Role};
use shared::protocol::{ClientMsg, ServerMsg};
use web_sys::HtmlCanvasElement;
use yew::prelude::*;

mod media_view;
mod teacher;

const TOAST_MS: u32 = 3_000;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub token: AttrValue,
    pub lesson: LessonId,
    /// The role the token claims (the relay's Welcome has the last word).
    pub role: Role,
}

pub enum Msg {
    Net(NetEvent),
    Resize,
    Pointer(PointerInput),
    Tick,
    Tool(ToolKind),
    Color(u32),
    Width(u16),
    Action(Action),
    ToastDone,
    Media(MediaEvent),
    /// The teacher gives a classroom the floor, or takes it back.
    Floor(Option<shared::ids::ClassroomId>),
}

pub struct Lesson {
    state: LessonState,
    net: Option<Net>,
    board_ref: NodeRef,
    overlay_ref: NodeRef,
    board: Option<Surface>,
    overlay: Option<Surface>,
    tools: Toolbox,
    gesture: Gesture,
    /// Runs every `INK_BATCH_MS` while the gesture has something to batch.
    ticker: Option<Interval>,
    toast: Option<(String, Timeout)>,
    /// The lesson is over and this classroom computer goes back to its device page.
    returning: bool,
    _resize: Option<ResizeWatch>,
    _pointer: Vec<Listener>,
    shown_title: String,
    /// A snapshot arrived and its first full repaint has not been marked yet.
    snapshot_pending: bool,
    media: MediaPlane,
}

/// A random id for this page load, kept across reconnects.
fn new_page_id() -> PageId {
    let half = || (js_sys::Math::random() * 4_294_967_296.0) as u64;
    PageId((half() << 32) | half())
}

/// The value of the lesson root's `data-role`.
fn role_name(role: Role) -> &'static str {
    match role {
        Role::Teacher => "teacher",
        Role::Classroom(_) => "classroom",
        Role::Observer => "observer",
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}

impl Component for Lesson {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        let props = ctx.props();
        let state = LessonState::new(props.token.to_string(), props.role, new_page_id());
        let location = web_sys::window().map(|w| w.location());
        let protocol = location.as_ref().and_then(|l| l.protocol().ok());
        let host = location.as_ref().and_then(|l| l.host().ok());
        let url = ws_url(
            protocol.as_deref().unwrap_or("http:"),
            host.as_deref().unwrap_or("localhost"),
            props.lesson,
        );
        let net = Net::start(url, ctx.link().callback(Msg::Net));
        let media = MediaPlane::new(props.role, ctx.link().callback(Msg::Media));
        Lesson {
            media,
            state,
            net: Some(net),
            board_ref: NodeRef::default(),
            overlay_ref: NodeRef::default(),
            board: None,
            overlay: None,
            tools: Toolbox::default(),
            gesture: Gesture::default(),
            ticker: None,
            toast: None,
            returning: false,
            _resize: None,
            _pointer: Vec::new(),
            shown_title: String::new(),
            snapshot_pending: false,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Net(event) => self.net_event(ctx, event),
            Msg::Resize => {
                self.resize();
                false
            }
            Msg::Pointer(input) => self.pointer(ctx, input),
            Msg::Tick => {
                let out = self.gesture.tick(now());
                self.act(ctx, out)
            }
            Msg::Tool(tool) => {
                self.choose(ctx, tool);
                true
            }
            Msg::Color(color) => {
                self.tools.color = color;
                self.ensure_inking(ctx);
                true
            }
            Msg::Width(width) => {
                self.tools.width = width;
                self.ensure_inking(ctx);
                true
            }
            Msg::Action(action) => self.action(ctx, action),
            Msg::ToastDone => {
                self.toast = None;
                true
            }
            Msg::Media(event) => {
                let fx = self.media.event(event);
                self.media_effects(ctx, fx)
            }
            Msg::Floor(floor) => {
                self.send(ClientMsg::Floor(floor));
                false
            }
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            self.board = self
                .board_ref
                .cast::<HtmlCanvasElement>()
                .and_then(Surface::new);
            self.overlay = self
                .overlay_ref
                .cast::<HtmlCanvasElement>()
                .and_then(Surface::new);
            if let Some(board) = &self.board {
                let on_resize = ctx.link().callback(|()| Msg::Resize);
                self._resize = Some(ResizeWatch::new(&board.canvas, on_resize));
                self._pointer = pointer::listen(&board.canvas, ctx.link().callback(Msg::Pointer));
            }
            self.resize();
            ready::mark();
        }
        self.media.attach();
        if self.shown_title != self.state.title {
            self.shown_title = self.state.title.clone();
            if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
                doc.set_title(&format!(
                    "{} · {}",
                    self.shown_title,
                    crate::labels::PRODUCT
                ));
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let s = &self.state;
        let teacher = s.role.may_draw();
        let link = ctx.link();
        let page_text = format!("{} / {}", s.board.current + 1, s.board.pages.len());
        html! {
            <main id="lesson"
                class={classes!("lesson", if teacher { "teacher" } else { "classroom" })}
                data-status={s.status.name()}
                data-role={role_name(s.role)}
                data-seq={s.board.seq.to_string()}
                data-strokes={s.board.stroke_count().to_string()}
                data-page={s.board.current.to_string()}>
                if teacher {
                    <Toolbar tools={self.tools} page={s.board.current} pages={s.board.pages.len()}
                        on_tool={link.callback(Msg::Tool)}
                        on_color={link.callback(Msg::Color)}
                        on_width={link.callback(Msg::Width)}
                        on_action={link.callback(Msg::Action)} />
                }
                <div class="workspace">
                    <div class="stage">
                        <div class={classes!("board-box", format!("using-{}", tool_id(self.tools.tool)))}>
                            <canvas id="board" ref={self.board_ref.clone()}></canvas>
                            <canvas id="overlay" ref={self.overlay_ref.clone()} aria-hidden="true"></canvas>
                        </div>
                    </div>
                    if teacher {
                        <aside class="side">
                            <h1 class="title">{ if s.title.is_empty() { crate::labels::PRODUCT } else { s.title.as_str() } }</h1>
                            <StatusBadge status={s.status.clone()} unacked={s.unacked()} />
                            { self.media_controls(ctx) }
                            { self.classroom_grid(ctx) }
                            <Roster roster={s.roster.clone()} />
                        </aside>
                    } else {
                        { self.media_side(ctx) }
                    }
                </div>
                if !teacher {
                    <div id="page-indicator" class="page-badge">{ page_text }</div>
                    <StatusBadge status={s.status.clone()} unacked={0} />
                }
                if let Some((text, _)) = &self.toast {
                    <div id="toast" class="toast" role="alert">{ text.clone() }</div>
                }
                if let Status::Closed { reason } = &s.status {
                    <div class="fatal">
                        <div class="card">
                            <h1>{ crate::labels::PRODUCT }</h1>
                            <p id="error" class="error">{ reason.clone() }</p>
                            if self.returning {
                                <p id="device-return">{ format!("{DEVICE_RETURN_SECS} 秒后返回教室待机页面") }</p>
                            }
                        </div>
                    </div>
                }
            </main>
        }
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        // Ends the connection loop and closes the socket.
        self.net = None;
        self.ticker = None;
    }
}

impl Lesson {
    fn net_event(&mut self, ctx: &Context<Self>, event: NetEvent) -> bool {
        match event {
            NetEvent::Opened(conn) => {
                mark("tongpin:hello");
                let hello = self.state.opened(conn);
                if let Some(net) = &self.net {
                    net.send(conn, hello);
                }
                false
            }
            NetEvent::Message(conn, msg) => {
                if matches!(msg, ServerMsg::Snapshot(_)) {
                    mark("tongpin:snapshot");
                    self.snapshot_pending = true;
                }
                let welcome = matches!(msg, ServerMsg::Welcome { .. });
                let mut out = self.state.receive(conn, msg);
                let mut view = false;
                if welcome && self.state.conn() == Some(conn) {
                    let fx = self.media.welcomed(self.state.role);
                    view |= self.media_effects(ctx, fx);
                }
                if let Some(media) = out.media.take() {
                    let fx = self.media.server(media);
                    view |= self.media_effects(ctx, fx);
                }
                self.apply(ctx, out) || view
            }
            NetEvent::Closed {
                code,
                reason,
                retry,
            } => {
                self.media.disconnected();
                if code == shared::protocol::CloseCode::LESSON_OVER && opened_by_device() {
                    self.returning = true;
                    return_to_device_page();
                }
                let out = self.state.closed(code, &reason, retry);
                self.apply(ctx, out)
            }
        }
    }

    /// Carries out what the lesson state asked for. Returns whether the markup needs rendering.
    fn apply(&mut self, ctx: &Context<Self>, out: Outcome) -> bool {
        for msg in out.send {
            self.send(msg);
        }
        let full = out.board == Redraw::Full;
        if let Some(surface) = &self.board {
            match &out.board {
                Redraw::Nothing => {}
                Redraw::Ink(runs) => render::ink(surface, &self.state.board, runs),
                Redraw::Full => {
                    render::page(surface, &self.state.board);
                    if std::mem::take(&mut self.snapshot_pending) {
                        mark("tongpin:drawn");
                        // Reading a pixel makes the canvas finish drawing before the mark.
                        let _ = surface.ctx.get_image_data(0.0, 0.0, 1.0, 1.0);
                        mark("tongpin:rendered");
                    }
                }
            }
        }
        if out.overlay || full {
            self.paint_overlay();
        }
        if out.reconnect {
            if let (Some(net), Some(conn)) = (&self.net, self.state.conn()) {
                net.reconnect(conn);
            }
        }
        if let Some(text) = out.notice {
            self.show_toast(ctx, text);
            return true;
        }
        out.view
    }

    fn media_effects(&mut self, ctx: &Context<Self>, fx: Effects) -> bool {
        for msg in fx.send {
            self.send(msg);
        }
        if let Some(text) = fx.notice {
            self.show_toast(ctx, text);
            return true;
        }
        fx.view
    }

    fn choose_device(ctx: &Context<Self>, kind: DeviceKind) -> Callback<Event> {
        ctx.link().callback(move |e: Event| {
            let id = e
                .target_dyn_into::<web_sys::HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default();
            Msg::Media(MediaEvent::ChooseDevice { kind, id })
        })
    }

    fn send(&self, msg: ClientMsg) {
        if let (Some(net), Some(conn)) = (&self.net, self.state.conn()) {
            net.send(conn, msg);
        }
    }

    fn show_toast(&mut self, ctx: &Context<Self>, text: String) {
        let link = ctx.link().clone();
        let timer = Timeout::new(TOAST_MS, move || link.send_message(Msg::ToastDone));
        self.toast = Some((text, timer));
    }

    /// Matches both canvases to their on-screen size and repaints them.
    fn resize(&mut self) {
        let mut changed = false;
        for s in [&mut self.board, &mut self.overlay].into_iter().flatten() {
            changed |= s.fit_to_box();
        }
        if changed {
            if let Some(s) = &self.board {
                render::page(s, &self.state.board);
            }
            self.paint_overlay();
        }
    }

    fn paint_overlay(&self) {
        let Some(s) = &self.overlay else {
            return;
        };
        let current = self.state.board.current;
        let laser = if self.state.role.may_point() {
            self.gesture.laser()
        } else {
            self.state.pointer
        };
        let laser = laser.filter(|p| p.page == current).map(|p| p.at);
        let local = self
            .state
            .local
            .strokes()
            .iter()
            .filter(|l| l.page == current);
        render::overlay(s, local, self.gesture.unsent_ink(), laser);
    }
}

/// Seconds a classroom computer shows "the lesson is over" before going back to `/classroom`.
const DEVICE_RETURN_SECS: u32 = 10;

/// A lesson opened by a classroom computer's standing link (`/lesson?from=classroom#token=…`)
/// goes back to the device page when it is over, to wait for the next lesson.
fn return_to_device_page() {
    let Some(window) = web_sys::window() else {
        return;
    };
    gloo_timers::callback::Timeout::new(DEVICE_RETURN_SECS * 1000, move || {
        let _ = window.location().assign("/classroom");
    })
    .forget();
}

/// Whether this page was opened by a classroom computer's device page.
fn opened_by_device() -> bool {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .is_some_and(|q| q.contains("from=classroom"))
}
