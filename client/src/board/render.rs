//! Drawing on 2D canvases in board units: a whole page, new ink on strokes, the teacher's pending
//! strokes and the laser pointer. One path per stroke and no allocation per point, so a page of
//! 10,000 strokes repaints in a frame or two.

use crate::board::canvas::Surface;
use crate::board::letterbox::Fit;
use crate::board::local_ink::LocalStroke;
use crate::board::redraw::InkRun;
use crate::board::tools::css_color;
use shared::board::{Board, Stroke, Style, Tool};
use shared::points::{Point, BOARD_HEIGHT, BOARD_WIDTH};
use std::f64::consts::TAU;
use web_sys::CanvasRenderingContext2d;

const HIGHLIGHTER_ALPHA: f64 = 0.35;
const LASER_RADIUS: f64 = 14.0;
/// Points of a stroke closer together than this many canvas pixels are drawn as one.
const MIN_STEP_PX: f64 = 1.0;

/// Sets the stroke style only when it differs from the last one set, and strokes paths.
struct Pen<'a> {
    ctx: &'a CanvasRenderingContext2d,
    current: Option<Style>,
    /// Points closer than this (squared, in board units) to the last one drawn are skipped: they
    /// add nothing visible at this scale but cost the rasterizer a join each.
    min_step_sq: f64,
}

impl<'a> Pen<'a> {
    fn new(ctx: &'a CanvasRenderingContext2d, fit: &Fit) -> Self {
        ctx.set_line_cap("round");
        ctx.set_line_join("round");
        let step = MIN_STEP_PX / fit.scale;
        Pen {
            ctx,
            current: None,
            min_step_sq: step * step,
        }
    }

    fn take(&mut self, style: Style) {
        if self.current == Some(style) {
            return;
        }
        let color = css_color(style.color);
        self.ctx.set_stroke_style_str(&color);
        self.ctx.set_fill_style_str(&color);
        self.ctx.set_line_width(f64::from(style.width));
        self.ctx.set_global_alpha(match style.tool {
            Tool::Pen => 1.0,
            Tool::Highlighter => HIGHLIGHTER_ALPHA,
        });
        self.current = Some(style);
    }

    /// Strokes `points` as one path, coming from `lead` if given (the last point already drawn).
    fn line(&mut self, style: Style, lead: Option<Point>, points: &[Point]) {
        self.take(style);
        let ctx = self.ctx;
        let (first, rest) = match (lead, points.split_first()) {
            (Some(lead), _) => (lead, points),
            (None, Some((first, rest))) => (*first, rest),
            (None, None) => return,
        };
        let (x, y) = (f64::from(first.x), f64::from(first.y));
        ctx.begin_path();
        if rest.is_empty() {
            // A dot: zero-length lines are not painted everywhere; a disc is.
            let _ = ctx.arc(x, y, f64::from(style.width) / 2.0, 0.0, TAU);
            ctx.fill();
            return;
        }
        ctx.move_to(x, y);
        let mut last = first;
        for (i, &p) in rest.iter().enumerate() {
            if i + 1 < rest.len() && distance_sq(last, p) < self.min_step_sq {
                continue;
            }
            ctx.line_to(f64::from(p.x), f64::from(p.y));
            last = p;
        }
        ctx.stroke();
    }
}

impl Pen<'_> {
    /// Paints many strokes. Consecutive opaque pen strokes of the same style go into one path
    /// (one `stroke()` for a run instead of one per stroke), which is what makes a late joiner's
    /// 10,000-stroke board quick to draw. Highlighter strokes stay one path each, so overlaps
    /// look the same as when they were drawn live.
    fn strokes(&mut self, strokes: &[Stroke]) {
        let ctx = self.ctx;
        let mut open: Option<Style> = None;
        for stroke in strokes {
            let pts = &stroke.points.0;
            let mergeable = stroke.style.tool == Tool::Pen && pts.len() >= 2;
            if open.is_some() && (!mergeable || open != Some(stroke.style)) {
                ctx.stroke();
                open = None;
            }
            if !mergeable {
                self.line(stroke.style, None, pts);
                continue;
            }
            if open.is_none() {
                self.take(stroke.style);
                ctx.begin_path();
                open = Some(stroke.style);
            }
            self.subpath(pts);
        }
        if open.is_some() {
            ctx.stroke();
        }
    }

    /// Adds `points` (at least two) to the current path, skipping points too close to be seen.
    fn subpath(&self, points: &[Point]) {
        let ctx = self.ctx;
        let first = points[0];
        ctx.move_to(f64::from(first.x), f64::from(first.y));
        let mut last = first;
        let rest = &points[1..];
        for (i, &p) in rest.iter().enumerate() {
            if i + 1 < rest.len() && distance_sq(last, p) < self.min_step_sq {
                continue;
            }
            ctx.line_to(f64::from(p.x), f64::from(p.y));
            last = p;
        }
    }
}

fn distance_sq(a: Point, b: Point) -> f64 {
    let dx = f64::from(a.x) - f64::from(b.x);
    let dy = f64::from(a.y) - f64::from(b.y);
    dx * dx + dy * dy
}

/// Maps board units onto the canvas and clips to the board.
fn enter_board(ctx: &CanvasRenderingContext2d, fit: &Fit) {
    ctx.save();
    let _ = ctx.set_transform(fit.scale, 0.0, 0.0, fit.scale, fit.left, fit.top);
    ctx.begin_path();
    ctx.rect(0.0, 0.0, f64::from(BOARD_WIDTH), f64::from(BOARD_HEIGHT));
    ctx.clip();
}

fn clear(s: &Surface, color: Option<&str>) {
    let ctx = &s.ctx;
    let _ = ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0);
    let (w, h) = (f64::from(s.canvas.width()), f64::from(s.canvas.height()));
    match color {
        Some(c) => {
            ctx.set_fill_style_str(c);
            ctx.fill_rect(0.0, 0.0, w, h);
        }
        None => ctx.clear_rect(0.0, 0.0, w, h),
    }
}

/// Repaints the shown page completely.
pub fn page(s: &Surface, board: &Board) {
    clear(s, Some("#ffffff"));
    let Some(page) = board.page(board.current) else {
        return;
    };
    enter_board(&s.ctx, &s.fit);
    let mut pen = Pen::new(&s.ctx, &s.fit);
    pen.strokes(&page.strokes);
    s.ctx.restore();
}

/// Paints only the new points of strokes on the shown page.
pub fn ink(s: &Surface, board: &Board, runs: &[InkRun]) {
    let Some(page) = board.page(board.current) else {
        return;
    };
    enter_board(&s.ctx, &s.fit);
    let mut pen = Pen::new(&s.ctx, &s.fit);
    for run in runs {
        if let Some(stroke) = page.stroke(run.stroke) {
            let from = run.from.min(stroke.points.0.len().saturating_sub(1));
            pen.line(stroke.style, None, &stroke.points.0[from..]);
        }
    }
    s.ctx.restore();
}

/// Repaints the overlay: the teacher's strokes not yet on the board, the stroke under the pen
/// (`unsent`: its last sent point and the points after it) and the laser pointer.
pub fn overlay<'a>(
    s: &Surface,
    local: impl IntoIterator<Item = &'a LocalStroke>,
    unsent: Option<(Style, Point, &[Point])>,
    laser: Option<Point>,
) {
    clear(s, None);
    enter_board(&s.ctx, &s.fit);
    let mut pen = Pen::new(&s.ctx, &s.fit);
    for stroke in local {
        pen.line(stroke.style, None, &stroke.points);
    }
    if let Some((style, from, points)) = unsent {
        if !points.is_empty() {
            pen.line(style, Some(from), points);
        }
    }
    if let Some(at) = laser {
        laser_dot(&s.ctx, &s.fit, at);
    }
    s.ctx.restore();
}

/// Adds one piece of the stroke under the pen to the overlay.
pub fn segment(s: &Surface, style: Style, from: Point, to: Point) {
    enter_board(&s.ctx, &s.fit);
    let mut pen = Pen::new(&s.ctx, &s.fit);
    if from == to {
        pen.line(style, None, &[to]);
    } else {
        pen.line(style, Some(from), &[to]);
    }
    s.ctx.restore();
}

/// A red glowing dot, visible on a washed-out projector.
fn laser_dot(ctx: &CanvasRenderingContext2d, fit: &Fit, at: Point) {
    let (x, y) = (f64::from(at.x), f64::from(at.y));
    ctx.set_global_alpha(1.0);
    ctx.begin_path();
    let _ = ctx.arc(x, y, LASER_RADIUS * 2.6, 0.0, TAU);
    ctx.set_fill_style_str("rgba(239, 68, 68, 0.22)");
    ctx.fill();
    // Shadows are in canvas pixels, not board units.
    ctx.set_shadow_blur(LASER_RADIUS * 2.0 * fit.scale);
    ctx.set_shadow_color("rgba(239, 68, 68, 0.95)");
    ctx.begin_path();
    let _ = ctx.arc(x, y, LASER_RADIUS, 0.0, TAU);
    ctx.set_fill_style_str("#ef4444");
    ctx.fill();
    ctx.set_shadow_blur(0.0);
    ctx.begin_path();
    let _ = ctx.arc(x, y, LASER_RADIUS * 0.4, 0.0, TAU);
    ctx.set_fill_style_str("#fee2e2");
    ctx.fill();
}
