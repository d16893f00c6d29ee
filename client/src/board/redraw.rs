//! What part of the board canvas needs repainting after a batch of ops: nothing, new ink on
//! strokes of the shown page (drawn incrementally), or the whole shown page.

use shared::board::{Board, Change, Op, Tool};
use shared::ids::StrokeId;

/// New points on a stroke of the shown page, from point index `from` to its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InkRun {
    pub stroke: StrokeId,
    pub from: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Redraw {
    #[default]
    Nothing,
    Ink(Vec<InkRun>),
    Full,
}

impl Redraw {
    /// Notes what `op` changed; `board` is the board right after applying it.
    pub fn note(&mut self, board: &Board, op: &Op, change: Change) {
        match change {
            Change::Ink { page, stroke, from } if page == board.current => self.ink(stroke, from),
            Change::Ink { .. } => {}
            Change::Page(page) if page == board.current => {
                // Lifting a pen changes no pixels. A highlighter was drawn batch by batch, and
                // its translucent batches overlap where they join: repaint it as one path.
                if let Op::End { stroke } = op {
                    let highlighter = board
                        .stroke(*stroke)
                        .is_some_and(|(_, s)| s.style.tool == Tool::Highlighter);
                    if !highlighter {
                        return;
                    }
                }
                *self = Redraw::Full;
            }
            Change::Page(_) => {}
            Change::View => *self = Redraw::Full,
        }
    }

    fn ink(&mut self, stroke: StrokeId, from: usize) {
        match self {
            Redraw::Full => {}
            Redraw::Nothing => *self = Redraw::Ink(vec![InkRun { stroke, from }]),
            Redraw::Ink(runs) => match runs.iter_mut().find(|r| r.stroke == stroke) {
                Some(run) => run.from = run.from.min(from),
                None => runs.push(InkRun { stroke, from }),
            },
        }
    }

    #[cfg(test)]
    pub fn is_nothing(&self) -> bool {
        matches!(self, Redraw::Nothing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::board::{Style, Tool};
    use shared::points::{Deltas, Point};

    fn begin(page: u16, tool: Tool) -> Op {
        Op::Begin {
            page,
            style: Style {
                tool,
                color: 0,
                width: 4,
            },
            start: Point::new(1, 1),
            deltas: Deltas::default(),
        }
    }

    fn apply(board: &mut Board, r: &mut Redraw, op: Op) {
        let change = board.apply(board.seq + 1, &op).unwrap();
        r.note(board, &op, change);
    }

    #[test]
    fn ink_runs_merge_per_stroke() {
        let mut b = Board::new();
        let mut r = Redraw::Nothing;
        apply(&mut b, &mut r, begin(0, Tool::Pen));
        let extend = Op::Extend {
            stroke: StrokeId(1),
            deltas: Deltas::walk(Point::new(1, 1), &[Point::new(5, 5)]),
        };
        apply(&mut b, &mut r, extend);
        assert_eq!(
            r,
            Redraw::Ink(vec![InkRun {
                stroke: StrokeId(1),
                from: 0
            }])
        );
        // A pen's End repaints nothing.
        apply(
            &mut b,
            &mut r,
            Op::End {
                stroke: StrokeId(1),
            },
        );
        assert!(matches!(r, Redraw::Ink(_)));
    }

    #[test]
    fn other_pages_are_ignored_and_views_repaint() {
        let mut b = Board::new();
        let mut r = Redraw::Nothing;
        apply(&mut b, &mut r, Op::AddPage);
        assert_eq!(r, Redraw::Full);
        let mut r = Redraw::Nothing;
        apply(&mut b, &mut r, begin(0, Tool::Pen));
        apply(&mut b, &mut r, Op::Clear { page: 0 });
        assert!(r.is_nothing());
    }

    #[test]
    fn highlighter_end_repaints_the_page() {
        let mut b = Board::new();
        let mut r = Redraw::Nothing;
        apply(&mut b, &mut r, begin(0, Tool::Highlighter));
        apply(
            &mut b,
            &mut r,
            Op::End {
                stroke: StrokeId(1),
            },
        );
        assert_eq!(r, Redraw::Full);
    }
}
