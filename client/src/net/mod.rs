//! The lesson's connection to the relay.
//!
//! - Pure (unit-tested natively): [`link`] (the join link's token and the WebSocket URL),
//!   [`backoff`] (reconnect delays with jitter), [`outbox`] (the teacher's unacknowledged ops and
//!   their `cseq`s, sent again after a reconnect), [`liveness`] (when to ping, when a socket
//!   that never opened or went silent is given up).
//! - Browser (wasm32): [`connection`] (the loop that owns the WebSocket: reconnect, ping, idle
//!   timeout) over [`socket`] (one browser WebSocket with its callbacks turned into a channel).

pub mod backoff;
pub mod link;
pub mod liveness;
pub mod outbox;

#[cfg(target_arch = "wasm32")]
pub mod connection;
#[cfg(target_arch = "wasm32")]
pub mod socket;

#[cfg(target_arch = "wasm32")]
pub use connection::{Event, Net};
