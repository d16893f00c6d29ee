//! A user-space link emulator for rural links (this kernel has no `netem`): a router network
//! namespace between the relay's side and a classroom's forwards packets through two TUN devices
//! and, per direction, applies outage -> UDP block -> random loss -> a rate bottleneck with a
//! drop-tail queue bounded in time -> one-way delay and jitter without reordering.
//!
//! - [`pipeline`]: one direction, pure (packets in with a time, out when due), with its counters.
//! - [`rtp_count`]: copies of each RTP packet offered to a direction, by (SSRC, sequence number).
//! - [`rate_windows`]: bit/s per whole second in and out of a direction.
//! - [`control`]: the emulator's control lines (settings while running, counters).
//! - [`profiles`]: the rural profiles P0-P6.
//! - [`net`]: [`net::EmulatedLink`], the namespaces and the emulator process, removed on drop;
//!   [`net::Player`] plays a profile's changes over time (optionally sped up).
//!
//! The emulator itself is the `link-emulator` binary (`src/bin/link_emulator.rs`).

pub mod control;
pub mod net;
pub mod pipeline;
pub mod profiles;
pub mod rate_windows;
pub mod rtp_count;
