//! The teacher's pointer input turned into protocol messages: ink is sent as a `Begin` at once,
//! then batched `Extend`s (every `INK_BATCH_MS`) and an `End`; the eraser sends each stroke it
//! touches once per drag; the laser pointer is throttled to one update per 33 ms.
//! Times are milliseconds from any fixed origin, supplied by the caller.

use crate::board::tools::{Toolbox, ERASER_RADIUS};
use shared::board::{limits, Board, Style};
use shared::geometry::strokes_hit;
use shared::ids::StrokeId;
use shared::points::{Deltas, Point};
use shared::protocol::{ClientOp, Pointer};

/// Least time between two laser pointer updates sent.
pub const LASER_INTERVAL_MS: f64 = 33.0;

/// At most this many eraser hit tests between two pointer events.
const MAX_ERASE_SAMPLES: usize = 64;

/// What a gesture asks of the edges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Out {
    /// Queue and send this board op.
    Op(ClientOp),
    /// Send the laser pointer (presence, not queued).
    Laser(Option<Pointer>),
    /// Draw this new piece of the teacher's stroke on the overlay now.
    Segment(Style, Point, Point),
    /// The local laser dot moved or went away: repaint the overlay.
    LaserMoved,
}

enum Drag {
    Ink {
        style: Style,
        /// The last point the relay was sent.
        sent: Point,
        /// Points not sent yet.
        buffer: Vec<Point>,
        /// Points in the stroke so far, sent or not.
        count: usize,
    },
    Erase {
        page: u16,
        last: Point,
        sent: Vec<StrokeId>,
    },
    Laser,
}

#[derive(Default)]
struct Laser {
    /// Where the local dot is.
    shown: Option<Pointer>,
    /// When the last update was sent, while the pointer is out.
    sent_at: Option<f64>,
    /// `shown` moved since the last update sent.
    pending: bool,
}

#[derive(Default)]
pub struct Gesture {
    drag: Option<Drag>,
    laser: Laser,
}

impl Gesture {
    /// The local laser dot.
    pub fn laser(&self) -> Option<Pointer> {
        self.laser.shown
    }

    /// The stroke being drawn, from its last sent point through the points not sent yet.
    pub fn unsent_ink(&self) -> Option<(Style, Point, &[Point])> {
        match &self.drag {
            Some(Drag::Ink {
                style,
                sent,
                buffer,
                ..
            }) => Some((*style, *sent, buffer)),
            _ => None,
        }
    }

    /// Whether [`Gesture::tick`] has work to do (ink to batch or a laser update held back).
    pub fn needs_tick(&self) -> bool {
        matches!(self.drag, Some(Drag::Ink { .. })) || self.laser.pending
    }

    pub fn down(&mut self, tools: &Toolbox, board: &Board, at: Point, now: f64) -> Vec<Out> {
        let mut out = self.up();
        if let Some(style) = tools.style() {
            out.extend(self.begin(style, board.current, at));
        } else if tools.tool == crate::board::tools::ToolKind::Eraser {
            let page = board.current;
            let mut sent = Vec::new();
            out.extend(erase_along(board, page, &mut sent, at, at));
            self.drag = Some(Drag::Erase {
                page,
                last: at,
                sent,
            });
        } else {
            self.drag = Some(Drag::Laser);
            out.extend(self.laser_to(board.current, at, now));
        }
        out
    }

    fn begin(&mut self, style: Style, page: u16, at: Point) -> Vec<Out> {
        self.drag = Some(Drag::Ink {
            style,
            sent: at,
            buffer: Vec::new(),
            count: 1,
        });
        vec![
            Out::Op(ClientOp::Begin {
                page,
                style,
                start: at,
                deltas: Deltas::default(),
            }),
            Out::Segment(style, at, at),
        ]
    }

    pub fn moved(&mut self, tools: &Toolbox, board: &Board, at: Point, now: f64) -> Vec<Out> {
        let mut out = Vec::new();
        match &mut self.drag {
            Some(Drag::Ink {
                style,
                sent,
                buffer,
                count,
            }) => {
                let last = buffer.last().copied().unwrap_or(*sent);
                if at == last {
                    return out;
                }
                let style = *style;
                buffer.push(at);
                *count += 1;
                out.push(Out::Segment(style, last, at));
                if *count >= limits::MAX_POINTS_PER_STROKE {
                    // The relay takes no longer strokes: finish this one, go on with a new one.
                    let page = board.current;
                    out.extend(self.up());
                    out.extend(self.begin(style, page, at));
                } else if buffer.len() >= limits::MAX_POINTS_PER_OP {
                    out.extend(self.flush());
                }
            }
            Some(Drag::Erase { page, last, sent }) => {
                out.extend(erase_along(board, *page, sent, *last, at));
                *last = at;
            }
            Some(Drag::Laser) => out.extend(self.laser_to(board.current, at, now)),
            None if tools.tool == crate::board::tools::ToolKind::Laser => {
                // A mouse hovering with the laser tool points too.
                out.extend(self.laser_to(board.current, at, now));
            }
            None => {}
        }
        out
    }

    /// Sends what waited for its batch: buffered ink, a held-back laser update.
    pub fn tick(&mut self, now: f64) -> Vec<Out> {
        let mut out = self.flush();
        let due = self
            .laser
            .sent_at
            .is_none_or(|t| now - t >= LASER_INTERVAL_MS);
        if self.laser.pending && due {
            self.laser.pending = false;
            self.laser.sent_at = Some(now);
            out.push(Out::Laser(self.laser.shown));
        }
        out
    }

    /// The pointer was lifted (or cancelled): finish the stroke, put the laser away.
    pub fn up(&mut self) -> Vec<Out> {
        let mut out = self.flush();
        match self.drag.take() {
            Some(Drag::Ink { .. }) => out.push(Out::Op(ClientOp::End)),
            Some(Drag::Laser) => out.extend(self.hide_laser()),
            Some(Drag::Erase { .. }) | None => {}
        }
        out
    }

    /// The pointer left the board.
    pub fn leave(&mut self) -> Vec<Out> {
        if self.drag.is_none() {
            self.hide_laser()
        } else {
            Vec::new()
        }
    }

    /// Another tool was chosen.
    pub fn tool_changed(&mut self) -> Vec<Out> {
        let mut out = self.up();
        out.extend(self.hide_laser());
        out
    }

    fn flush(&mut self) -> Vec<Out> {
        match &mut self.drag {
            Some(Drag::Ink { sent, buffer, .. }) if !buffer.is_empty() => {
                let deltas = Deltas::walk(*sent, buffer);
                *sent = buffer.last().copied().unwrap_or(*sent);
                buffer.clear();
                vec![Out::Op(ClientOp::Extend { deltas })]
            }
            _ => Vec::new(),
        }
    }

    fn laser_to(&mut self, page: u16, at: Point, now: f64) -> Vec<Out> {
        let p = Pointer { page, at };
        if self.laser.shown == Some(p) {
            return Vec::new();
        }
        self.laser.shown = Some(p);
        let mut out = vec![Out::LaserMoved];
        if self
            .laser
            .sent_at
            .is_none_or(|t| now - t >= LASER_INTERVAL_MS)
        {
            self.laser.sent_at = Some(now);
            self.laser.pending = false;
            out.push(Out::Laser(Some(p)));
        } else {
            self.laser.pending = true;
        }
        out
    }

    fn hide_laser(&mut self) -> Vec<Out> {
        let was_out = self.laser.shown.is_some() || self.laser.sent_at.is_some();
        self.laser = Laser::default();
        if was_out {
            vec![Out::LaserMoved, Out::Laser(None)]
        } else {
            Vec::new()
        }
    }
}

/// An Erase for the strokes on `page` within reach of the path `from`-`to` that are not in `sent`
/// yet (which it then joins).
fn erase_along(
    board: &Board,
    page: u16,
    sent: &mut Vec<StrokeId>,
    from: Point,
    to: Point,
) -> Option<Out> {
    let p = board.page(page)?;
    let (dx, dy) = (
        f64::from(to.x) - f64::from(from.x),
        f64::from(to.y) - f64::from(from.y),
    );
    let length = (dx * dx + dy * dy).sqrt();
    let samples = ((length / f64::from(ERASER_RADIUS)).ceil() as usize).clamp(1, MAX_ERASE_SAMPLES);
    let before = sent.len();
    for i in 1..=samples {
        let t = i as f64 / samples as f64;
        let at = Point::clamped(f64::from(from.x) + dx * t, f64::from(from.y) + dy * t);
        for id in strokes_hit(p, at, ERASER_RADIUS) {
            if !sent.contains(&id) && sent.len() - before < limits::MAX_ERASE {
                sent.push(id);
            }
        }
    }
    (sent.len() > before).then(|| {
        Out::Op(ClientOp::Erase {
            page,
            strokes: sent[before..].to_vec(),
        })
    })
}

#[cfg(test)]
#[path = "gesture_tests.rs"]
mod tests;
