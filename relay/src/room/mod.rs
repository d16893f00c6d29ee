//! Lesson rooms. One task owns each lesson's [`state::Room`]; connections talk to it through a
//! bounded channel ([`task::Command`]) and receive frames through their own bounded channel.
//!
//! - [`state`]: the room as a plain state machine (`handle(input)` then `take_outputs()`), no IO.
//! - [`task`]: the driver: stores ops, then delivers frames; resyncs clients that fall behind.
//! - [`registry`]: finds or starts the task of a lesson.

pub mod registry;
pub mod state;
pub mod task;

/// Identifies one connection (a lesson WebSocket, or a WHIP/WHEP resource) for the life of the
/// relay process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

impl std::fmt::Display for ConnId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
