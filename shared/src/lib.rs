//! The protocol crate: everything the relay and the browser must agree on. No IO, no clock.
//!
//! Where to start:
//! - [`ids`]: the newtype IDs (`LessonId`, `ClassroomId`, `StrokeId`, ...) and the [`ids::Role`] of a participant.
//! - [`board`]: the whiteboard document. A [`board::Board`] is the fold of its sequenced [`board::Op`]s.
//! - [`points`]: stroke points in board coordinates and their compact delta encoding.
//! - [`geometry`]: eraser hit-testing on strokes.
//! - [`protocol`]: the messages on the lesson WebSocket ([`protocol::ClientMsg`], [`protocol::ServerMsg`]).
//! - [`codec`]: the binary wire format (postcard) with size limits and validation.
//! - [`token`]: the claims inside a join link's token (signing happens in the relay).
//! - [`link`]: how a classroom's link fares (good, fair, poor) and the figures behind it.
//! - [`schedule`]: timetable rules: terms and holidays, weekly series, clash checks.

pub mod board;
pub mod codec;
pub mod geometry;
pub mod ids;
pub mod link;
pub mod points;
pub mod protocol;
pub mod schedule;
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod token;
