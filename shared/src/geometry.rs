//! Eraser hit-testing: which strokes does an eraser of a given radius touch at a point?

use crate::board::Page;
use crate::ids::StrokeId;
use crate::points::Point;

/// The ids of strokes on `page` that pass within `radius` (plus half their width) of `at`.
pub fn strokes_hit(page: &Page, at: Point, radius: u16) -> Vec<StrokeId> {
    page.strokes
        .iter()
        .filter(|s| {
            let reach = f64::from(radius) + f64::from(s.style.width) / 2.0;
            let pts = &s.points.0;
            match pts.len() {
                0 => false,
                1 => distance_sq(at, pts[0]) <= reach * reach,
                _ => pts
                    .windows(2)
                    .any(|w| segment_distance_sq(at, w[0], w[1]) <= reach * reach),
            }
        })
        .map(|s| s.id)
        .collect()
}

fn distance_sq(a: Point, b: Point) -> f64 {
    let dx = f64::from(a.x) - f64::from(b.x);
    let dy = f64::from(a.y) - f64::from(b.y);
    dx * dx + dy * dy
}

/// Squared distance from `p` to the segment `a`-`b`.
pub fn segment_distance_sq(p: Point, a: Point, b: Point) -> f64 {
    let (px, py) = (f64::from(p.x), f64::from(p.y));
    let (ax, ay) = (f64::from(a.x), f64::from(a.y));
    let (bx, by) = (f64::from(b.x), f64::from(b.y));
    let (dx, dy) = (bx - ax, by - ay);
    let len_sq = dx * dx + dy * dy;
    let t = if len_sq == 0.0 {
        0.0
    } else {
        (((px - ax) * dx + (py - ay) * dy) / len_sq).clamp(0.0, 1.0)
    };
    let (cx, cy) = (ax + t * dx, ay + t * dy);
    (px - cx) * (px - cx) + (py - cy) * (py - cy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::{Board, Op, Style, Tool};
    use crate::points::Deltas;

    #[test]
    fn eraser_hits_only_nearby_strokes() {
        let mut b = Board::new();
        let style = Style {
            tool: Tool::Pen,
            color: 0,
            width: 4,
        };
        let line = |y| Op::Begin {
            page: 0,
            style,
            start: Point::new(100, y),
            deltas: Deltas::walk(Point::new(100, y), &[Point::new(500, y)]),
        };
        b.apply(1, &line(100)).unwrap();
        b.apply(2, &line(300)).unwrap();
        let page = b.page(0).unwrap();
        assert_eq!(
            strokes_hit(page, Point::new(300, 105), 5),
            vec![StrokeId(1)]
        );
        assert_eq!(
            strokes_hit(page, Point::new(300, 200), 5),
            Vec::<StrokeId>::new()
        );
        assert_eq!(
            strokes_hit(page, Point::new(300, 298), 1),
            vec![StrokeId(2)]
        );
    }
}
