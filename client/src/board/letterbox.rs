//! The 16:9 board fitted (letterboxed) into a canvas: scale and offset, both ways.

use shared::points::{Point, BOARD_HEIGHT, BOARD_WIDTH};

/// Where the board lies in a canvas of some size (in any pixel unit).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// Canvas pixels per board unit.
    pub scale: f64,
    /// Left edge of the board in the canvas.
    pub left: f64,
    /// Top edge of the board in the canvas.
    pub top: f64,
}

impl Fit {
    /// The largest 16:9 area centred in a `width` x `height` canvas.
    pub fn new(width: f64, height: f64) -> Fit {
        let (bw, bh) = (f64::from(BOARD_WIDTH), f64::from(BOARD_HEIGHT));
        let width = if width.is_finite() {
            width.max(1.0)
        } else {
            1.0
        };
        let height = if height.is_finite() {
            height.max(1.0)
        } else {
            1.0
        };
        let scale = (width / bw).min(height / bh);
        Fit {
            scale,
            left: (width - bw * scale) / 2.0,
            top: (height - bh * scale) / 2.0,
        }
    }

    /// The board point under canvas position (`x`, `y`), clamped onto the board.
    pub fn to_board(self, x: f64, y: f64) -> Point {
        Point::clamped((x - self.left) / self.scale, (y - self.top) / self.scale)
    }

    #[cfg(test)]
    /// The canvas position of a board point.
    pub fn to_canvas(self, p: Point) -> (f64, f64) {
        (
            self.left + f64::from(p.x) * self.scale,
            self.top + f64::from(p.y) * self.scale,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_canvas_gets_bars_left_and_right() {
        let fit = Fit::new(2000.0, 900.0);
        assert_eq!(fit.scale, 0.5);
        assert_eq!((fit.left, fit.top), (200.0, 0.0));
        assert_eq!(fit.to_board(200.0, 0.0), Point::new(0, 0));
        assert_eq!(fit.to_board(1000.0, 450.0), Point::new(1600, 900));
        assert_eq!(fit.to_canvas(Point::new(3200, 1800)), (1800.0, 900.0));
    }

    #[test]
    fn tall_canvas_gets_bars_above_and_below_and_outside_is_clamped() {
        let fit = Fit::new(1600.0, 1900.0);
        assert_eq!((fit.left, fit.top), (0.0, 500.0));
        assert_eq!(fit.to_board(-10.0, 0.0), Point::new(0, 0));
        assert_eq!(fit.to_board(5000.0, 5000.0), Point::new(3200, 1800));
    }

    #[test]
    fn empty_canvas_does_not_divide_by_zero() {
        let fit = Fit::new(0.0, f64::NAN);
        assert!(fit.scale > 0.0);
    }
}
