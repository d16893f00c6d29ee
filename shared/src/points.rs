//! Points in board coordinates and their compact encoding.
//!
//! The board has a fixed 16:9 aspect: x in `0..=BOARD_WIDTH`, y in `0..=BOARD_HEIGHT`, whatever the
//! screen. Coordinates are integers, so NaN and infinities can not exist on the wire.
//! On the wire a run of points is a list of zigzag varint deltas (postcard encodes `i16` that way):
//! a pen moving a few pixels per pointer event costs one byte per coordinate.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Board width in board units.
pub const BOARD_WIDTH: u16 = 3200;
/// Board height in board units (16:9).
pub const BOARD_HEIGHT: u16 = 1800;

/// A point on the board.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Point {
    pub x: u16,
    pub y: u16,
}

impl Point {
    pub fn new(x: u16, y: u16) -> Self {
        Point { x, y }
    }

    /// Whether the point lies on the board.
    pub fn on_board(self) -> bool {
        self.x <= BOARD_WIDTH && self.y <= BOARD_HEIGHT
    }

    /// The point clamped onto the board from any float position (for input from pointer events).
    pub fn clamped(x: f64, y: f64) -> Self {
        let cx = if x.is_finite() {
            x.round().clamp(0.0, BOARD_WIDTH as f64)
        } else {
            0.0
        };
        let cy = if y.is_finite() {
            y.round().clamp(0.0, BOARD_HEIGHT as f64)
        } else {
            0.0
        };
        Point {
            x: cx as u16,
            y: cy as u16,
        }
    }

    /// `self + d`, or `None` if the result leaves the board.
    pub fn offset(self, d: Delta) -> Option<Point> {
        let x = i32::from(self.x) + i32::from(d.dx);
        let y = i32::from(self.y) + i32::from(d.dy);
        if (0..=i32::from(BOARD_WIDTH)).contains(&x) && (0..=i32::from(BOARD_HEIGHT)).contains(&y) {
            Some(Point {
                x: x as u16,
                y: y as u16,
            })
        } else {
            None
        }
    }

    /// The delta that moves `from` to `self`.
    pub fn delta_from(self, from: Point) -> Delta {
        // Both points are on the board, so the difference fits i16 (BOARD_WIDTH < i16::MAX).
        Delta {
            dx: (i32::from(self.x) - i32::from(from.x)) as i16,
            dy: (i32::from(self.y) - i32::from(from.y)) as i16,
        }
    }
}

/// A step from one point to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Delta {
    pub dx: i16,
    pub dy: i16,
}

/// A run of steps, as sent while a stroke is drawn. Serialized as a flat list `[dx0, dy0, dx1, dy1, ..]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Deltas(pub Vec<Delta>);

impl Deltas {
    /// The steps that walk from `from` through `points`.
    pub fn walk(from: Point, points: &[Point]) -> Deltas {
        let mut prev = from;
        Deltas(
            points
                .iter()
                .map(|&p| {
                    let d = p.delta_from(prev);
                    prev = p;
                    d
                })
                .collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The points reached by applying the steps from `from`, or `None` if one leaves the board.
    pub fn resolve(&self, from: Point) -> Option<Vec<Point>> {
        let mut at = from;
        let mut out = Vec::with_capacity(self.0.len());
        for &d in &self.0 {
            at = at.offset(d)?;
            out.push(at);
        }
        Some(out)
    }
}

impl Serialize for Deltas {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len() * 2))?;
        for d in &self.0 {
            seq.serialize_element(&d.dx)?;
            seq.serialize_element(&d.dy)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Deltas {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let flat = d.deserialize_seq(FlatVisitor::<i16>::new())?;
        if flat.len() % 2 != 0 {
            return Err(de::Error::custom("a delta list must hold dx,dy pairs"));
        }
        Ok(Deltas(
            flat.chunks_exact(2)
                .map(|c| Delta { dx: c[0], dy: c[1] })
                .collect(),
        ))
    }
}

/// The points of a stored stroke (absolute). Serialized as the first point followed by deltas,
/// which keeps board snapshots small.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Points(pub Vec<Point>);

impl Serialize for Points {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len() * 2))?;
        let mut prev = Point::new(0, 0);
        for &p in &self.0 {
            let d = p.delta_from(prev);
            seq.serialize_element(&d.dx)?;
            seq.serialize_element(&d.dy)?;
            prev = p;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let deltas = Deltas::deserialize(d)?;
        deltas
            .resolve(Point::new(0, 0))
            .map(Points)
            .ok_or_else(|| de::Error::custom("a stroke point lies outside the board"))
    }
}

/// Collects a sequence without trusting its announced length for allocation.
struct FlatVisitor<T>(std::marker::PhantomData<T>);

impl<T> FlatVisitor<T> {
    fn new() -> Self {
        FlatVisitor(std::marker::PhantomData)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for FlatVisitor<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of coordinates")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        // Cap the up-front allocation: the announced length comes from the network.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_roundtrip_through_delta_encoding() {
        let pts = Points(vec![
            Point::new(10, 20),
            Point::new(12, 19),
            Point::new(3200, 1800),
            Point::new(0, 0),
        ]);
        let bytes = postcard::to_allocvec(&pts).unwrap();
        let back: Points = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, pts);
    }

    #[test]
    fn small_steps_cost_one_byte_per_coordinate() {
        let d = Deltas(vec![Delta { dx: 3, dy: -5 }; 10]);
        let bytes = postcard::to_allocvec(&d).unwrap();
        assert_eq!(bytes.len(), 1 + 20);
    }

    #[test]
    fn odd_delta_list_is_an_error() {
        let bytes = postcard::to_allocvec(&vec![1i16, 2, 3]).unwrap();
        assert!(postcard::from_bytes::<Deltas>(&bytes).is_err());
    }

    #[test]
    fn points_off_the_board_are_an_error() {
        let bytes = postcard::to_allocvec(&vec![4000i16, 2]).unwrap();
        assert!(postcard::from_bytes::<Points>(&bytes).is_err());
        let bytes = postcard::to_allocvec(&vec![-1i16, 2]).unwrap();
        assert!(postcard::from_bytes::<Points>(&bytes).is_err());
    }

    #[test]
    fn clamped_handles_non_finite_input() {
        assert_eq!(Point::clamped(f64::NAN, f64::INFINITY), Point::new(0, 0));
        assert_eq!(Point::clamped(-5.0, 99999.0), Point::new(0, BOARD_HEIGHT));
    }
}
