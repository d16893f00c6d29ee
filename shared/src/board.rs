//! The whiteboard document: pages of strokes, plus the teacher's undo/redo history.
//!
//! A [`Board`] is the fold of its ops: the relay gives every stored [`Op`] a sequence number
//! (1, 2, 3, ..) and every copy of the board, in the relay or in a browser, applies the same ops in
//! the same order and arrives at the same state. A snapshot (the serialized board) plus the ops
//! after it equals the full replay. Presence (the laser pointer, cursors) is not part of the board.

use crate::ids::StrokeId;
use crate::points::{Deltas, Point, Points};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Limits that keep every board bounded whatever a client sends.
pub mod limits {
    /// Pages in one lesson.
    pub const MAX_PAGES: usize = 100;
    /// Strokes on one page.
    pub const MAX_STROKES_PER_PAGE: usize = 20_000;
    /// Points in one stroke.
    pub const MAX_POINTS_PER_STROKE: usize = 10_000;
    /// Points in one Begin or Extend op.
    pub const MAX_POINTS_PER_OP: usize = 1_000;
    /// Strokes removed by one Erase op.
    pub const MAX_ERASE: usize = 1_000;
    /// Undo steps kept.
    pub const MAX_HISTORY: usize = 64;
    /// Points a lesson's board takes in all (about 14 hours of continuous writing). Keeps every
    /// snapshot, history included, far below the client's frame limit (about 2 bytes a point).
    pub const MAX_BOARD_POINTS: u64 = 3_000_000;
    /// Pen widths in board units.
    pub const WIDTH_RANGE: std::ops::RangeInclusive<u16> = 1..=200;
}

/// Pen or highlighter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Tool {
    Pen,
    Highlighter,
}

/// How a stroke looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Style {
    pub tool: Tool,
    /// 0xRRGGBB.
    pub color: u32,
    /// Line width in board units.
    pub width: u16,
}

/// One stroke of ink.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stroke {
    pub id: StrokeId,
    pub style: Style,
    pub points: Points,
    /// Still being drawn: Extend ops may add points.
    pub open: bool,
}

/// One page of the board. Strokes are kept in creation order (their id), which is also paint order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page {
    pub strokes: Vec<Stroke>,
}

impl Page {
    fn index_of(&self, id: StrokeId) -> Result<usize, usize> {
        self.strokes.binary_search_by_key(&id, |s| s.id)
    }

    /// The stroke with this id, if it is on this page.
    pub fn stroke(&self, id: StrokeId) -> Option<&Stroke> {
        self.index_of(id).ok().map(|i| &self.strokes[i])
    }

    fn insert(&mut self, stroke: Stroke) {
        match self.index_of(stroke.id) {
            Ok(i) => self.strokes[i] = stroke,
            Err(i) => self.strokes.insert(i, stroke),
        }
    }

    fn take(&mut self, id: StrokeId) -> Option<Stroke> {
        self.index_of(id).ok().map(|i| self.strokes.remove(i))
    }
}

/// A stored change to the board. Sequence numbers are assigned by the relay and are not part of the op.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Start a stroke on `page` at `start`, followed by `deltas`. The new stroke's id is this op's seq.
    Begin {
        page: u16,
        style: Style,
        start: Point,
        deltas: Deltas,
    },
    /// More points for an open stroke, as steps from its last point.
    Extend { stroke: StrokeId, deltas: Deltas },
    /// The pen was lifted.
    End { stroke: StrokeId },
    /// Remove strokes (the eraser).
    Erase { page: u16, strokes: Vec<StrokeId> },
    /// Remove every stroke on a page.
    Clear { page: u16 },
    /// Take back the last Begin, Erase or Clear.
    Undo,
    /// Re-apply the last undone change.
    Redo,
    /// Append an empty page and show it.
    AddPage,
    /// Show another page in every classroom.
    ShowPage { page: u16 },
}

/// Why an op does not apply. The board is unchanged when `apply` returns one of these.
#[derive(Clone, Debug, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum BoardError {
    #[error("op {got} is out of order: the board expects op {expected}")]
    OutOfOrder { expected: u64, got: u64 },
    #[error("page {0} does not exist")]
    UnknownPage(u16),
    #[error("stroke {0} is not on the board")]
    UnknownStroke(StrokeId),
    #[error("stroke {0} is already finished")]
    StrokeClosed(StrokeId),
    #[error("a point lies outside the board")]
    OffBoard,
    #[error("too many points: {0}")]
    TooManyPoints(usize),
    #[error("pen width {0} is out of range")]
    BadWidth(u16),
    #[error("colour {0:#x} is not 0xRRGGBB")]
    BadColor(u32),
    #[error("an erase must name between 1 and {max} distinct strokes", max = limits::MAX_ERASE)]
    BadErase,
    #[error("the board is full: start a new lesson board")]
    BoardFull,
    #[error("the page is full")]
    PageFull,
    #[error("the board has the maximum number of pages")]
    TooManyPages,
    #[error("nothing to undo")]
    NothingToUndo,
    #[error("nothing to redo")]
    NothingToRedo,
}

/// One undoable change: the strokes it added (still on the page) and the strokes it removed (kept here).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub page: u16,
    pub added: Vec<StrokeId>,
    pub removed: Vec<Stroke>,
}

/// What an applied op changed, so a view can redraw as little as possible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Points were appended to a stroke, starting at point index `from`.
    Ink {
        page: u16,
        stroke: StrokeId,
        from: usize,
    },
    /// A page's strokes changed in some other way: redraw it.
    Page(u16),
    /// The shown page changed (or a page was added).
    View,
}

/// The whiteboard of one lesson.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Board {
    /// Sequence number of the last applied op (0 for a new board).
    pub seq: u64,
    pub pages: Vec<Page>,
    /// The page every classroom is shown.
    pub current: u16,
    /// Points added to this board so far (never decreases; bounded by `MAX_BOARD_POINTS`).
    pub points: u64,
    /// The stroke begun last: the one a compact ink message ([`crate::protocol::ServerMsg::Ink`])
    /// extends.
    pub last_begun: Option<StrokeId>,
    undo: Vec<Edit>,
    redo: Vec<Edit>,
}

impl Default for Board {
    fn default() -> Self {
        Board {
            seq: 0,
            pages: vec![Page::default()],
            current: 0,
            points: 0,
            last_begun: None,
            undo: Vec::new(),
            redo: Vec::new(),
        }
    }
}

impl Board {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn page(&self, page: u16) -> Option<&Page> {
        self.pages.get(usize::from(page))
    }

    /// The stroke with this id, wherever it is, with its page.
    pub fn stroke(&self, id: StrokeId) -> Option<(u16, &Stroke)> {
        self.pages
            .iter()
            .enumerate()
            .find_map(|(i, p)| p.stroke(id).map(|s| (i as u16, s)))
    }

    /// Strokes on all pages.
    pub fn stroke_count(&self) -> usize {
        self.pages.iter().map(|p| p.strokes.len()).sum()
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// The same content (pages and shown page), ignoring sequence numbers and history.
    pub fn same_content(&self, other: &Board) -> bool {
        self.pages == other.pages && self.current == other.current
    }

    /// Whether a board that came from outside (a snapshot off the wire or the database) keeps the
    /// invariants `apply` relies on: at least one page, the shown page exists, strokes in id order
    /// with unique ids no newer than `seq`, history only about existing pages.
    pub fn is_consistent(&self) -> bool {
        let pages_ok = !self.pages.is_empty()
            && self.pages.len() <= limits::MAX_PAGES
            && usize::from(self.current) < self.pages.len();
        let strokes_ok = self.pages.iter().all(|p| {
            p.strokes.windows(2).all(|w| w[0].id < w[1].id)
                && p.strokes.iter().all(|s| s.id.0 <= self.seq)
        });
        let history_ok = self
            .undo
            .iter()
            .chain(&self.redo)
            .all(|e| usize::from(e.page) < self.pages.len());
        let last_ok = self.last_begun.is_none_or(|id| id.0 <= self.seq);
        pages_ok && strokes_ok && history_ok && last_ok
    }

    /// The op a compact ink message stands for: more points for the stroke begun last.
    pub fn ink_op(&self, deltas: Deltas) -> Option<Op> {
        self.last_begun.map(|stroke| Op::Extend { stroke, deltas })
    }

    /// Whether `op` can travel as a compact ink message (it extends the stroke begun last).
    pub fn is_ink(&self, op: &Op) -> bool {
        matches!(op, Op::Extend { stroke, .. } if Some(*stroke) == self.last_begun)
    }

    fn check_budget(&self, more: usize) -> Result<(), BoardError> {
        if self.points + more as u64 > limits::MAX_BOARD_POINTS {
            return Err(BoardError::BoardFull);
        }
        Ok(())
    }

    /// Checks that `op` would apply, without changing anything.
    pub fn check(&self, op: &Op) -> Result<(), BoardError> {
        match op {
            Op::Begin {
                page,
                style,
                start,
                deltas,
            } => {
                let p = self.page(*page).ok_or(BoardError::UnknownPage(*page))?;
                check_style(style)?;
                if !start.on_board() {
                    return Err(BoardError::OffBoard);
                }
                if deltas.len() + 1 > limits::MAX_POINTS_PER_OP {
                    return Err(BoardError::TooManyPoints(deltas.len() + 1));
                }
                if p.strokes.len() >= limits::MAX_STROKES_PER_PAGE {
                    return Err(BoardError::PageFull);
                }
                self.check_budget(deltas.len() + 1)?;
                deltas.resolve(*start).ok_or(BoardError::OffBoard)?;
            }
            Op::Extend { stroke, deltas } => {
                let (_, s) = self
                    .stroke(*stroke)
                    .ok_or(BoardError::UnknownStroke(*stroke))?;
                if !s.open {
                    return Err(BoardError::StrokeClosed(*stroke));
                }
                if deltas.len() > limits::MAX_POINTS_PER_OP {
                    return Err(BoardError::TooManyPoints(deltas.len()));
                }
                let total = s.points.0.len() + deltas.len();
                if total > limits::MAX_POINTS_PER_STROKE {
                    return Err(BoardError::TooManyPoints(total));
                }
                self.check_budget(deltas.len())?;
                let last = s.points.0.last().copied().unwrap_or(Point::new(0, 0));
                deltas.resolve(last).ok_or(BoardError::OffBoard)?;
            }
            Op::End { stroke } => {
                let (_, s) = self
                    .stroke(*stroke)
                    .ok_or(BoardError::UnknownStroke(*stroke))?;
                if !s.open {
                    return Err(BoardError::StrokeClosed(*stroke));
                }
            }
            Op::Erase { page, strokes } => {
                let p = self.page(*page).ok_or(BoardError::UnknownPage(*page))?;
                if strokes.is_empty() || strokes.len() > limits::MAX_ERASE {
                    return Err(BoardError::BadErase);
                }
                let mut seen = strokes.clone();
                seen.sort_unstable();
                seen.dedup();
                if seen.len() != strokes.len() {
                    return Err(BoardError::BadErase);
                }
                if let Some(missing) = strokes.iter().find(|id| p.stroke(**id).is_none()) {
                    return Err(BoardError::UnknownStroke(*missing));
                }
            }
            Op::Clear { page } | Op::ShowPage { page } => {
                self.page(*page).ok_or(BoardError::UnknownPage(*page))?;
            }
            Op::Undo => {
                if self.undo.is_empty() {
                    return Err(BoardError::NothingToUndo);
                }
            }
            Op::Redo => {
                if self.redo.is_empty() {
                    return Err(BoardError::NothingToRedo);
                }
            }
            Op::AddPage => {
                if self.pages.len() >= limits::MAX_PAGES {
                    return Err(BoardError::TooManyPages);
                }
            }
        }
        Ok(())
    }

    /// Applies the op with sequence number `seq` (which must be `self.seq + 1`).
    /// On error the board is unchanged.
    pub fn apply(&mut self, seq: u64, op: &Op) -> Result<Change, BoardError> {
        if seq != self.seq + 1 {
            return Err(BoardError::OutOfOrder {
                expected: self.seq + 1,
                got: seq,
            });
        }
        self.check(op)?;
        self.seq = seq;
        Ok(self.apply_checked(seq, op))
    }

    fn apply_checked(&mut self, seq: u64, op: &Op) -> Change {
        match op {
            Op::Begin {
                page,
                style,
                start,
                deltas,
            } => {
                let id = StrokeId(seq);
                let mut points = Vec::with_capacity(deltas.len() + 1);
                points.push(*start);
                points.extend(deltas.resolve(*start).unwrap_or_default());
                self.points += points.len() as u64;
                self.pages[usize::from(*page)].insert(Stroke {
                    id,
                    style: *style,
                    points: Points(points),
                    open: true,
                });
                self.record(Edit {
                    page: *page,
                    added: vec![id],
                    removed: Vec::new(),
                });
                self.last_begun = Some(id);
                Change::Ink {
                    page: *page,
                    stroke: id,
                    from: 0,
                }
            }
            Op::Extend { stroke, deltas } => {
                let (page, _) = self
                    .stroke(*stroke)
                    .map(|(p, s)| (p, s.id))
                    .unwrap_or((0, *stroke));
                let p = &mut self.pages[usize::from(page)];
                let from = match p.index_of(*stroke) {
                    Ok(i) => {
                        let s = &mut p.strokes[i];
                        let last = s.points.0.last().copied().unwrap_or(Point::new(0, 0));
                        let from = s.points.0.len().saturating_sub(1);
                        s.points.0.extend(deltas.resolve(last).unwrap_or_default());
                        self.points += deltas.len() as u64;
                        from
                    }
                    Err(_) => 0,
                };
                Change::Ink {
                    page,
                    stroke: *stroke,
                    from,
                }
            }
            Op::End { stroke } => {
                let page = self.stroke(*stroke).map(|(p, _)| p).unwrap_or(0);
                let p = &mut self.pages[usize::from(page)];
                if let Ok(i) = p.index_of(*stroke) {
                    p.strokes[i].open = false;
                }
                Change::Page(page)
            }
            Op::Erase { page, strokes } => {
                let p = &mut self.pages[usize::from(*page)];
                let removed: Vec<Stroke> = strokes
                    .iter()
                    .filter_map(|id| p.take(*id))
                    .map(closed)
                    .collect();
                self.record(Edit {
                    page: *page,
                    added: Vec::new(),
                    removed,
                });
                Change::Page(*page)
            }
            Op::Clear { page } => {
                let p = &mut self.pages[usize::from(*page)];
                if !p.strokes.is_empty() {
                    let removed = std::mem::take(&mut p.strokes)
                        .into_iter()
                        .map(closed)
                        .collect();
                    self.record(Edit {
                        page: *page,
                        added: Vec::new(),
                        removed,
                    });
                }
                Change::Page(*page)
            }
            Op::Undo => {
                // check() guarantees the stack is not empty.
                let edit = self.undo.pop().unwrap_or_else(|| Edit {
                    page: 0,
                    added: vec![],
                    removed: vec![],
                });
                let page = edit.page;
                let inverse = self.invert(edit);
                self.redo.push(inverse);
                Change::Page(page)
            }
            Op::Redo => {
                let edit = self.redo.pop().unwrap_or_else(|| Edit {
                    page: 0,
                    added: vec![],
                    removed: vec![],
                });
                let page = edit.page;
                let inverse = self.invert(edit);
                self.undo.push(inverse);
                Change::Page(page)
            }
            Op::AddPage => {
                self.pages.push(Page::default());
                self.current = (self.pages.len() - 1) as u16;
                Change::View
            }
            Op::ShowPage { page } => {
                self.current = *page;
                Change::View
            }
        }
    }

    /// Reverses an edit on the board and returns the edit that reverses it back.
    fn invert(&mut self, edit: Edit) -> Edit {
        // `is_consistent` boards only hold edits of existing pages; anything else inverts to nothing.
        let Some(p) = self.pages.get_mut(usize::from(edit.page)) else {
            return Edit {
                page: edit.page,
                added: Vec::new(),
                removed: Vec::new(),
            };
        };
        let taken: Vec<Stroke> = edit
            .added
            .iter()
            .filter_map(|id| p.take(*id))
            .map(closed)
            .collect();
        let restored: Vec<StrokeId> = edit.removed.iter().map(|s| s.id).collect();
        for s in edit.removed {
            p.insert(s);
        }
        Edit {
            page: edit.page,
            added: restored,
            removed: taken,
        }
    }

    fn record(&mut self, edit: Edit) {
        self.redo.clear();
        self.undo.push(edit);
        if self.undo.len() > limits::MAX_HISTORY {
            self.undo.remove(0);
        }
    }
}

fn closed(mut s: Stroke) -> Stroke {
    s.open = false;
    s
}

fn check_style(style: &Style) -> Result<(), BoardError> {
    if !limits::WIDTH_RANGE.contains(&style.width) {
        return Err(BoardError::BadWidth(style.width));
    }
    if style.color > 0xFF_FFFF {
        return Err(BoardError::BadColor(style.color));
    }
    Ok(())
}
