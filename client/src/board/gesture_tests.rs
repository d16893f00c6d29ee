//! Pen, eraser and laser gestures, with made-up times.

use super::*;
use crate::board::tools::ToolKind;
use shared::board::{Op, Tool};

fn tools(tool: ToolKind) -> Toolbox {
    Toolbox {
        tool,
        ..Toolbox::default()
    }
}

fn ops(out: Vec<Out>) -> Vec<ClientOp> {
    out.into_iter()
        .filter_map(|o| match o {
            Out::Op(op) => Some(op),
            _ => None,
        })
        .collect()
}

fn lasers(out: Vec<Out>) -> Vec<Option<Pointer>> {
    out.into_iter()
        .filter_map(|o| match o {
            Out::Laser(p) => Some(p),
            _ => None,
        })
        .collect()
}

#[test]
fn pen_begins_at_once_batches_moves_and_ends_on_up() {
    let t = tools(ToolKind::Pen);
    let board = Board::new();
    let mut g = Gesture::default();
    let a = Point::new(100, 100);
    let begin = ops(g.down(&t, &board, a, 0.0));
    assert_eq!(
        begin,
        [ClientOp::Begin {
            page: 0,
            style: t.style().unwrap(),
            start: a,
            deltas: Deltas::default()
        }]
    );
    assert!(g.needs_tick());
    let b = Point::new(110, 104);
    let c = Point::new(120, 90);
    assert!(ops(g.moved(&t, &board, b, 5.0)).is_empty());
    // A repeat of the last point is skipped.
    assert!(g.moved(&t, &board, b, 6.0).is_empty());
    assert!(ops(g.moved(&t, &board, c, 7.0)).is_empty());
    // The overlay draws what is not sent yet, from the last point sent.
    assert_eq!(g.unsent_ink(), Some((t.style().unwrap(), a, &[b, c][..])));
    assert_eq!(
        ops(g.tick(40.0)),
        [ClientOp::Extend {
            deltas: Deltas::walk(a, &[b, c])
        }]
    );
    assert_eq!(g.unsent_ink(), Some((t.style().unwrap(), c, &[][..])));
    // Nothing buffered: nothing sent.
    assert!(g.tick(80.0).is_empty());
    let d = Point::new(130, 90);
    g.moved(&t, &board, d, 90.0);
    assert_eq!(
        ops(g.up()),
        [
            ClientOp::Extend {
                deltas: Deltas::walk(c, &[d])
            },
            ClientOp::End
        ]
    );
    assert!(!g.needs_tick());
    assert_eq!(g.unsent_ink(), None);
}

#[test]
fn sent_ink_folds_into_the_same_stroke_on_the_board() {
    let t = tools(ToolKind::Highlighter);
    let mut board = Board::new();
    let mut g = Gesture::default();
    let path = [(10, 10), (20, 15), (35, 40), (35, 41), (3200, 1800)];
    let mut out = g.down(&t, &board, Point::new(5, 5), 0.0);
    for (i, (x, y)) in path.iter().enumerate() {
        out.extend(g.moved(&t, &board, Point::new(*x, *y), i as f64 * 30.0));
        out.extend(g.tick(i as f64 * 30.0));
    }
    out.extend(g.up());
    // Play the client ops to the board as the relay would.
    let mut stroke = StrokeId(0);
    for op in ops(out) {
        let seq = board.seq + 1;
        let op = match op {
            ClientOp::Begin {
                page,
                style,
                start,
                deltas,
            } => {
                stroke = StrokeId(seq);
                Op::Begin {
                    page,
                    style,
                    start,
                    deltas,
                }
            }
            ClientOp::Extend { deltas } => Op::Extend { stroke, deltas },
            ClientOp::End => Op::End { stroke },
            other => panic!("unexpected {other:?}"),
        };
        board.apply(seq, &op).unwrap();
    }
    let s = board.page(0).unwrap().stroke(StrokeId(1)).unwrap();
    assert_eq!(s.style.tool, Tool::Highlighter);
    assert!(!s.open);
    assert_eq!(s.points.0.len(), 1 + path.len());
    assert_eq!(s.points.0.last(), Some(&Point::new(3200, 1800)));
}

#[test]
fn eraser_sends_each_stroke_once_per_drag_and_catches_fast_moves() {
    let mut board = Board::new();
    let style = tools(ToolKind::Pen).style().unwrap();
    for (seq, y) in [(1, 100), (2, 300)] {
        let start = Point::new(500, y);
        let deltas = Deltas::walk(start, &[Point::new(900, y)]);
        board
            .apply(
                seq,
                &Op::Begin {
                    page: 0,
                    style,
                    start,
                    deltas,
                },
            )
            .unwrap();
    }
    let t = tools(ToolKind::Eraser);
    let mut g = Gesture::default();
    let first = ops(g.down(&t, &board, Point::new(600, 100), 0.0));
    assert_eq!(
        first,
        [ClientOp::Erase {
            page: 0,
            strokes: vec![StrokeId(1)]
        }]
    );
    // Still on stroke 1 (not echoed yet): nothing new.
    assert!(ops(g.moved(&t, &board, Point::new(610, 102), 1.0)).is_empty());
    // One jump from y=102 to y=500 crosses stroke 2 between two events.
    assert_eq!(
        ops(g.moved(&t, &board, Point::new(610, 500), 2.0)),
        [ClientOp::Erase {
            page: 0,
            strokes: vec![StrokeId(2)]
        }]
    );
    assert!(ops(g.up()).is_empty());
}

#[test]
fn laser_is_throttled_and_put_away() {
    let t = tools(ToolKind::Laser);
    let board = Board::new();
    let mut g = Gesture::default();
    let p = |x| {
        Some(Pointer {
            page: 0,
            at: Point::new(x, 10),
        })
    };
    assert_eq!(lasers(g.moved(&t, &board, Point::new(1, 10), 0.0)), [p(1)]);
    // 10 ms later: held back, but the local dot follows.
    let out = g.moved(&t, &board, Point::new(2, 10), 10.0);
    assert_eq!(out, [Out::LaserMoved]);
    assert_eq!(g.laser(), p(2));
    assert!(g.needs_tick());
    assert!(lasers(g.tick(20.0)).is_empty());
    assert_eq!(lasers(g.tick(40.0)), [p(2)]);
    assert!(!g.needs_tick());
    assert_eq!(lasers(g.moved(&t, &board, Point::new(3, 10), 80.0)), [p(3)]);
    assert_eq!(lasers(g.leave()), [None]);
    assert_eq!(g.laser(), None);
    // Already away: nothing more to send.
    assert!(g.tool_changed().is_empty());
}

#[test]
fn laser_drag_hides_on_up() {
    let t = tools(ToolKind::Laser);
    let board = Board::new();
    let mut g = Gesture::default();
    g.down(&t, &board, Point::new(5, 5), 0.0);
    assert_eq!(lasers(g.up()), [None]);
}
