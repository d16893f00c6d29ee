//! Property tests of the board model: random op sequences, snapshots, undo/redo.

use proptest::prelude::*;
use shared::board::{Board, BoardError, Op, Style, Tool};
use shared::ids::StrokeId;
use shared::points::{Deltas, Point};
use shared::testkit::{board_op, Rng};

/// Applies `n` random ops; returns the ops that applied (with their seq) and the final board.
fn run(seed: u64, n: usize) -> (Vec<Op>, Board) {
    let mut rng = Rng::new(seed);
    let mut board = Board::new();
    let mut applied = Vec::new();
    for _ in 0..n {
        let op = board_op(&mut rng, &board);
        let before = board.clone();
        match board.apply(board.seq + 1, &op) {
            Ok(_) => applied.push(op),
            // A refused op leaves the board exactly as it was.
            Err(_) => assert_eq!(board, before, "refused op {op:?} changed the board"),
        }
    }
    (applied, board)
}

fn replay(ops: &[Op]) -> Board {
    let mut b = Board::new();
    for (i, op) in ops.iter().enumerate() {
        b.apply(i as u64 + 1, op)
            .expect("replaying accepted ops succeeds");
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn replay_of_accepted_ops_rebuilds_the_board(seed in any::<u64>(), n in 1usize..300) {
        let (ops, board) = run(seed, n);
        prop_assert!(board.is_consistent());
        prop_assert_eq!(replay(&ops), board);
    }

    #[test]
    fn snapshot_plus_tail_equals_full_replay(seed in any::<u64>(), n in 1usize..300, cut in 0.0f64..1.0) {
        let (ops, board) = run(seed, n);
        let k = ((ops.len() as f64) * cut) as usize;
        let head = replay(&ops[..k]);
        let bytes = postcard::to_allocvec(&head).unwrap();
        let mut restored: Board = postcard::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&restored, &head);
        for (i, op) in ops[k..].iter().enumerate() {
            restored.apply((k + i) as u64 + 1, op).unwrap();
        }
        prop_assert_eq!(restored, board);
    }

    #[test]
    fn undo_then_redo_are_inverses(seed in any::<u64>(), n in 1usize..200) {
        let (_, mut board) = run(seed, n);
        // Make one undoable change on top of whatever the history is.
        let mut rng = Rng::new(seed ^ 0xABCD);
        let before = board.clone();
        let op = loop {
            let op = board_op(&mut rng, &board);
            if matches!(op, Op::Begin { .. } | Op::Erase { .. } | Op::Clear { .. }) && board.check(&op).is_ok() {
                break op;
            }
        };
        let is_noop_clear = matches!(op, Op::Clear { page } if board.pages[page as usize].strokes.is_empty());
        board.apply(board.seq + 1, &op).unwrap();
        let after = board.clone();
        if !is_noop_clear {
            // Strokes that undo or redo bring back are finished, not open: compare ink only.
            board.apply(board.seq + 1, &Op::Undo).unwrap();
            prop_assert!(finished(&board).same_content(&finished(&before)), "undo did not restore the board");
            board.apply(board.seq + 1, &Op::Redo).unwrap();
            prop_assert!(finished(&board).same_content(&finished(&after)), "redo did not re-apply the change");
        }
    }
}

/// The board with every stroke marked finished.
fn finished(b: &Board) -> Board {
    let mut b = b.clone();
    for p in &mut b.pages {
        for s in &mut p.strokes {
            s.open = false;
        }
    }
    b
}

fn pen() -> Style {
    Style {
        tool: Tool::Pen,
        color: 0x1f2937,
        width: 4,
    }
}

#[test]
fn erasing_an_unknown_stroke_is_an_error_value() {
    let mut b = Board::new();
    let err = b
        .apply(
            1,
            &Op::Erase {
                page: 0,
                strokes: vec![StrokeId(42)],
            },
        )
        .unwrap_err();
    assert_eq!(err, BoardError::UnknownStroke(StrokeId(42)));
    assert_eq!(b, Board::new());
}

#[test]
fn ops_must_come_in_sequence() {
    let mut b = Board::new();
    assert_eq!(
        b.apply(2, &Op::AddPage),
        Err(BoardError::OutOfOrder {
            expected: 1,
            got: 2
        })
    );
}

#[test]
fn a_stroke_streams_then_closes() {
    let mut b = Board::new();
    let start = Point::new(10, 10);
    b.apply(
        1,
        &Op::Begin {
            page: 0,
            style: pen(),
            start,
            deltas: Deltas::walk(start, &[Point::new(20, 20)]),
        },
    )
    .unwrap();
    b.apply(
        2,
        &Op::Extend {
            stroke: StrokeId(1),
            deltas: Deltas::walk(Point::new(20, 20), &[Point::new(30, 25)]),
        },
    )
    .unwrap();
    b.apply(
        3,
        &Op::End {
            stroke: StrokeId(1),
        },
    )
    .unwrap();
    let (_, s) = b.stroke(StrokeId(1)).unwrap();
    assert_eq!(
        s.points.0,
        vec![start, Point::new(20, 20), Point::new(30, 25)]
    );
    assert!(!s.open);
    let extend_closed = Op::Extend {
        stroke: StrokeId(1),
        deltas: Deltas::walk(Point::new(30, 25), &[Point::new(1, 1)]),
    };
    assert_eq!(
        b.apply(4, &extend_closed),
        Err(BoardError::StrokeClosed(StrokeId(1)))
    );
}

#[test]
fn steps_off_the_board_are_refused() {
    let mut b = Board::new();
    let start = Point::new(3190, 10);
    let op = Op::Begin {
        page: 0,
        style: pen(),
        start,
        deltas: Deltas(vec![shared::points::Delta { dx: 50, dy: 0 }]),
    };
    assert_eq!(b.apply(1, &op), Err(BoardError::OffBoard));
}

#[test]
fn clear_then_undo_restores_the_page() {
    let mut b = Board::new();
    for i in 0..3u16 {
        let start = Point::new(10 * i, 10);
        b.apply(
            b.seq + 1,
            &Op::Begin {
                page: 0,
                style: pen(),
                start,
                deltas: Deltas::default(),
            },
        )
        .unwrap();
        b.apply(
            b.seq + 1,
            &Op::End {
                stroke: StrokeId(b.seq),
            },
        )
        .unwrap();
    }
    let full = b.clone();
    b.apply(b.seq + 1, &Op::Clear { page: 0 }).unwrap();
    assert!(b.pages[0].strokes.is_empty());
    b.apply(b.seq + 1, &Op::Undo).unwrap();
    assert!(b.same_content(&full));
    assert_eq!(b.apply(b.seq + 1, &Op::Undo).map(|_| ()), Ok(()));
    assert_eq!(b.pages[0].strokes.len(), 2);
}

#[test]
fn bad_style_is_refused() {
    let mut b = Board::new();
    let start = Point::new(1, 1);
    let wide = Style { width: 0, ..pen() };
    assert_eq!(
        b.apply(
            1,
            &Op::Begin {
                page: 0,
                style: wide,
                start,
                deltas: Deltas::default()
            }
        ),
        Err(BoardError::BadWidth(0))
    );
    let colour = Style {
        color: 0x1_000_000,
        ..pen()
    };
    assert!(matches!(
        b.apply(
            1,
            &Op::Begin {
                page: 0,
                style: colour,
                start,
                deltas: Deltas::default()
            }
        ),
        Err(BoardError::BadColor(_))
    ));
}

#[test]
fn a_board_has_a_total_ink_budget() {
    let mut b = Board::new();
    b.points = shared::board::limits::MAX_BOARD_POINTS - 1;
    let start = Point::new(1, 1);
    let two = Op::Begin {
        page: 0,
        style: pen(),
        start,
        deltas: Deltas::walk(start, &[Point::new(2, 2)]),
    };
    assert_eq!(b.apply(1, &two), Err(BoardError::BoardFull));
    let one = Op::Begin {
        page: 0,
        style: pen(),
        start,
        deltas: Deltas::default(),
    };
    b.apply(1, &one).unwrap();
    assert_eq!(b.points, shared::board::limits::MAX_BOARD_POINTS);
}
