//! The teacher's side of the lesson: what pointer gestures and toolbar buttons send.

use super::{now, Lesson, Msg};
use crate::board::gesture::Out;
use crate::board::pointer::PointerInput;
use crate::board::render;
use crate::board::toolbar::Action;
use crate::board::tools::ToolKind;
use crate::state::Status;
use gloo_timers::callback::Interval;
use shared::points::Point;
use shared::protocol::{ClientOp, INK_BATCH_MS};
use yew::prelude::*;

impl Lesson {
    /// Pen, touch or mouse input on the board.
    pub(super) fn pointer(&mut self, ctx: &Context<Self>, input: PointerInput) -> bool {
        match input {
            PointerInput::Down(x, y) => {
                let Some(at) = self.pointer_at(x, y) else {
                    return false;
                };
                let out = self.gesture.down(&self.tools, &self.state.board, at, now());
                self.act(ctx, out)
            }
            PointerInput::Move(points) => {
                let mut changed = false;
                for (x, y) in points {
                    if let Some(at) = self.pointer_at(x, y) {
                        let out = self
                            .gesture
                            .moved(&self.tools, &self.state.board, at, now());
                        changed |= self.act(ctx, out);
                    }
                }
                changed
            }
            PointerInput::Up => {
                let out = self.gesture.up();
                self.act(ctx, out)
            }
            PointerInput::Leave => {
                let out = self.gesture.leave();
                self.act(ctx, out)
            }
        }
    }

    /// Carries out what the gesture asked for. Returns whether the markup needs rendering.
    pub(super) fn act(&mut self, ctx: &Context<Self>, outs: Vec<Out>) -> bool {
        let mut overlay = false;
        let mut queued = false;
        for out in outs {
            match out {
                Out::Op(op) => {
                    queued = true;
                    if let Some(msg) = self.state.local_op(op) {
                        self.send(msg);
                    }
                }
                Out::Laser(p) => {
                    if let Some(msg) = self.state.presence(p) {
                        self.send(msg);
                    }
                }
                Out::Segment(style, from, to) => {
                    if let Some(s) = &self.overlay {
                        render::segment(s, style, from, to);
                    }
                }
                Out::LaserMoved => overlay = true,
            }
        }
        if overlay {
            self.paint_overlay();
        }
        if self.gesture.needs_tick() {
            if self.ticker.is_none() {
                let link = ctx.link().clone();
                self.ticker = Some(Interval::new(INK_BATCH_MS, move || {
                    link.send_message(Msg::Tick)
                }));
            }
        } else {
            self.ticker = None;
        }
        // The pending count shows while disconnected.
        queued && self.state.status != Status::Connected
    }

    fn pointer_at(&self, x: f64, y: f64) -> Option<Point> {
        if !self.state.role.may_draw() || matches!(self.state.status, Status::Closed { .. }) {
            return None;
        }
        self.board.as_ref().map(|b| b.board_point(x, y))
    }

    pub(super) fn choose(&mut self, ctx: &Context<Self>, tool: ToolKind) {
        let out = self.gesture.tool_changed();
        self.tools.tool = tool;
        self.act(ctx, out);
    }

    /// Picking a colour or a width while erasing or pointing means "back to the pen".
    pub(super) fn ensure_inking(&mut self, ctx: &Context<Self>) {
        if self.tools.style().is_none() {
            self.choose(ctx, ToolKind::Pen);
        }
    }

    pub(super) fn action(&mut self, ctx: &Context<Self>, action: Action) -> bool {
        let board = &self.state.board;
        let op = match action {
            Action::Undo => ClientOp::Undo,
            Action::Redo => ClientOp::Redo,
            Action::Clear => {
                let sure = web_sys::window()
                    .and_then(|w| w.confirm_with_message("确定要清除本页的所有笔迹吗？").ok())
                    .unwrap_or(false);
                if !sure {
                    return false;
                }
                ClientOp::Clear {
                    page: board.current,
                }
            }
            Action::PagePrev if board.current > 0 => ClientOp::ShowPage {
                page: board.current - 1,
            },
            Action::PageNext if usize::from(board.current) + 1 < board.pages.len() => {
                ClientOp::ShowPage {
                    page: board.current + 1,
                }
            }
            Action::PagePrev | Action::PageNext => return false,
            Action::PageAdd => ClientOp::AddPage,
        };
        self.act(ctx, vec![Out::Op(op)])
    }
}
