//! Deterministic generators for tests and benchmarks: random board ops and pen paths.
//! Seeded, so any failing seed can be kept as its own test.

use crate::board::{Board, Op, Style, Tool};
use crate::ids::StrokeId;
use crate::points::{Deltas, Point, BOARD_HEIGHT, BOARD_WIDTH};
use crate::protocol::ClientOp;

/// A small, fast, seeded random source (xorshift64*).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A pen path like handwriting: a pointer sampled at 60 Hz moving at writing speed
/// (`px_per_event` screen pixels per event on a board shown `screen_width` pixels wide).
pub fn pen_path(rng: &mut Rng, points: usize, screen_width: f64, px_per_event: f64) -> Vec<Point> {
    let scale = f64::from(BOARD_WIDTH) / screen_width;
    let mut x = 200.0 + rng.below(u64::from(BOARD_WIDTH) - 400) as f64;
    let mut y = 200.0 + rng.below(u64::from(BOARD_HEIGHT) - 400) as f64;
    let mut heading = rng.below(628) as f64 / 100.0;
    let mut out = Vec::with_capacity(points);
    for _ in 0..points {
        heading += (rng.below(100) as f64 - 50.0) / 100.0;
        let speed = px_per_event * (0.5 + rng.below(100) as f64 / 100.0) * scale;
        x = (x + heading.cos() * speed).clamp(0.0, f64::from(BOARD_WIDTH));
        y = (y + heading.sin() * speed).clamp(0.0, f64::from(BOARD_HEIGHT));
        out.push(Point::clamped(x, y));
    }
    out
}

fn style(rng: &mut Rng) -> Style {
    let tool = if rng.chance(20) {
        Tool::Highlighter
    } else {
        Tool::Pen
    };
    Style {
        tool,
        color: (rng.next_u64() & 0xFF_FFFF) as u32,
        width: 1 + rng.below(40) as u16,
    }
}

fn open_stroke(board: &Board) -> Option<StrokeId> {
    board
        .pages
        .iter()
        .flat_map(|p| p.strokes.iter())
        .filter(|s| s.open)
        .map(|s| s.id)
        .max()
}

/// A random op a teacher might send given the board, mostly valid, sometimes not.
pub fn client_op(rng: &mut Rng, board: &Board, drawing: bool) -> ClientOp {
    let page = board.current;
    if drawing && rng.chance(70) {
        return if rng.chance(80) {
            let n = 1 + rng.below(6) as usize;
            let pts = pen_path(rng, n, 1600.0, 8.0);
            // Steps from an arbitrary point may leave the board: such ops are refused, which is fine.
            ClientOp::Extend {
                deltas: Deltas::walk(pts[0], &pts),
            }
        } else {
            ClientOp::End
        };
    }
    match rng.below(100) {
        0..=54 => {
            let n = 1 + rng.below(8) as usize;
            let pts = pen_path(rng, n, 1600.0, 8.0);
            ClientOp::Begin {
                page,
                style: style(rng),
                start: pts[0],
                deltas: Deltas::walk(pts[0], &pts[1..]),
            }
        }
        55..=66 => {
            let strokes = &board.pages[usize::from(page)].strokes;
            let mut ids: Vec<StrokeId> = strokes
                .iter()
                .filter(|_| rng.chance(30))
                .map(|s| s.id)
                .collect();
            if ids.is_empty() || rng.chance(5) {
                ids.push(StrokeId(1_000_000 + rng.below(1000)));
            }
            ids.sort();
            ids.dedup();
            ClientOp::Erase { page, strokes: ids }
        }
        67..=70 => ClientOp::Clear { page },
        71..=82 => ClientOp::Undo,
        83..=90 => ClientOp::Redo,
        91..=94 => ClientOp::AddPage,
        _ => ClientOp::ShowPage {
            page: rng.below(board.pages.len() as u64 + 1) as u16,
        },
    }
}

/// Resolves a client op against the board the way the relay does (the open stroke is the newest one).
pub fn resolve(board: &Board, op: ClientOp) -> Option<Op> {
    op.resolve(open_stroke(board)).ok()
}

/// A random op for `board`, resolved (may still be invalid, e.g. erasing an unknown stroke).
pub fn board_op(rng: &mut Rng, board: &Board) -> Op {
    loop {
        let drawing = open_stroke(board).is_some();
        if let Some(op) = resolve(board, client_op(rng, board, drawing)) {
            return op;
        }
    }
}
