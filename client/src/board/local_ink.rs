//! The teacher's own strokes as sent, drawn on the overlay until the board (the relay's echo)
//! holds them, so the teacher sees ink under the pen at once even on a slow link.
//!
//! A stroke is retired when the board has reached the sequence number of its `End` (learnt from
//! the `Ack`), or when the relay refused one of its ops.

use shared::board::Style;
use shared::points::Point;
use shared::protocol::ClientOp;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalStroke {
    pub page: u16,
    pub style: Style,
    pub points: Vec<Point>,
    /// `cseq` of the Begin.
    first: u32,
    /// `cseq` of the End, once the pen is up.
    end: Option<u32>,
    /// A board sequence number at or after the End's: the stroke is on the board from there on.
    end_seq: Option<u64>,
}

#[derive(Debug, Default)]
pub struct LocalInk {
    strokes: Vec<LocalStroke>,
}

impl LocalInk {
    pub fn strokes(&self) -> &[LocalStroke] {
        &self.strokes
    }

    /// An op was queued as `cseq`.
    pub fn queued(&mut self, cseq: u32, op: &ClientOp) {
        match op {
            ClientOp::Begin {
                page,
                style,
                start,
                deltas,
            } => {
                let mut points = vec![*start];
                points.extend(deltas.resolve(*start).unwrap_or_default());
                self.strokes.push(LocalStroke {
                    page: *page,
                    style: *style,
                    points,
                    first: cseq,
                    end: None,
                    end_seq: None,
                });
            }
            ClientOp::Extend { deltas } => {
                if let Some(s) = self.open_stroke() {
                    if let Some(&last) = s.points.last() {
                        s.points.extend(deltas.resolve(last).unwrap_or_default());
                    }
                }
            }
            ClientOp::End => {
                if let Some(s) = self.open_stroke() {
                    s.end = Some(cseq);
                }
            }
            _ => {}
        }
    }

    fn open_stroke(&mut self) -> Option<&mut LocalStroke> {
        self.strokes.last_mut().filter(|s| s.end.is_none())
    }

    /// The relay stored every op up to `cseq`, the last of them as board op `seq`. Returns
    /// whether a stroke was retired.
    pub fn acked(&mut self, cseq: u32, seq: u64, board_seq: u64) -> bool {
        for s in &mut self.strokes {
            if s.end_seq.is_none() && s.end.is_some_and(|end| end <= cseq) {
                s.end_seq = Some(seq);
            }
        }
        self.board_at(board_seq)
    }

    /// The relay refused `cseq`: a stroke it belonged to will not appear as drawn.
    pub fn refused(&mut self, cseq: u32) -> bool {
        let before = self.strokes.len();
        self.strokes
            .retain(|s| !(s.first <= cseq && s.end.is_none_or(|end| cseq <= end)));
        self.strokes.len() != before
    }

    /// The board reached `board_seq`. Returns whether a stroke was retired.
    pub fn board_at(&mut self, board_seq: u64) -> bool {
        let before = self.strokes.len();
        self.strokes
            .retain(|s| s.end_seq.is_none_or(|end| end > board_seq));
        self.strokes.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::board::Tool;
    use shared::points::Deltas;

    const STYLE: Style = Style {
        tool: Tool::Pen,
        color: 0x1f2937,
        width: 8,
    };

    fn begin(x: u16) -> ClientOp {
        ClientOp::Begin {
            page: 0,
            style: STYLE,
            start: Point::new(x, 10),
            deltas: Deltas::default(),
        }
    }

    fn extend(from: Point, to: Point) -> ClientOp {
        ClientOp::Extend {
            deltas: Deltas::walk(from, &[to]),
        }
    }

    #[test]
    fn stroke_collects_points_and_retires_when_the_board_has_its_end() {
        let mut ink = LocalInk::default();
        ink.queued(1, &begin(10));
        ink.queued(2, &extend(Point::new(10, 10), Point::new(20, 30)));
        ink.queued(3, &ClientOp::End);
        assert_eq!(
            ink.strokes()[0].points,
            [Point::new(10, 10), Point::new(20, 30)]
        );
        // The End is stored as op 7 but the board is only at 5: keep drawing it.
        assert!(!ink.acked(3, 7, 5));
        assert_eq!(ink.strokes().len(), 1);
        assert!(ink.board_at(7));
        assert!(ink.strokes().is_empty());
    }

    #[test]
    fn ack_before_end_does_not_retire() {
        let mut ink = LocalInk::default();
        ink.queued(1, &begin(10));
        assert!(!ink.acked(1, 4, 4));
        ink.queued(2, &ClientOp::End);
        assert!(!ink.board_at(4));
        assert!(ink.acked(2, 5, 5));
    }

    #[test]
    fn refusal_drops_only_the_stroke_it_belongs_to() {
        let mut ink = LocalInk::default();
        ink.queued(1, &begin(10));
        ink.queued(2, &ClientOp::End);
        ink.queued(3, &ClientOp::Undo);
        ink.queued(4, &begin(50));
        assert!(!ink.refused(3));
        assert!(ink.refused(4));
        assert_eq!(ink.strokes().len(), 1);
        assert_eq!(ink.strokes()[0].points[0], Point::new(10, 10));
    }
}
