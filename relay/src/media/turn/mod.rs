//! The embedded TURN server's core (no IO): for classrooms whose firewall passes only TLS on
//! port 443, the browser reaches the relay's media through `turns:` and this server.
//!
//! # Design
//!
//! [`TurnServer`] is a sans-IO state machine in the shape of the media driver's `rtc` cores: the
//! IO layer feeds it a client's datagram or stream frame ([`TurnServer::handle`]), data a peer
//! sent to a relayed address ([`TurnServer::handle_peer`]) and the time
//! ([`TurnServer::handle_timeout`], [`TurnServer::poll_timeout`]); it answers with
//! [`Output`]s to send. It owns no socket and reads no clock.
//!
//! - [`credentials`]: TURN REST credentials (`"<expiry>:<id>"`, base64 HMAC-SHA1 password),
//!   minted for each page by the relay and checked here; no account table.
//! - [`config`]: realm, secret, allowed peers, relayed address range, [`TurnLimits`].
//! - [`nonce`]: stateless NONCEs bound to the client's 5-tuple.
//! - [`auth`]: RFC 8489 long-term authentication of a request (401, 438, MESSAGE-INTEGRITY).
//! - [`budget`]: per client IP, how many unauthenticated answers go out over UDP (no
//!   reflection or amplification through the TURN port).
//! - [`allocation`]: one allocation's permissions and channel bindings.
//! - [`table`]: every allocation by 5-tuple and by relayed address, quotas, the port pool.
//! - [`wire`]: classifying input, encoding answers (rtc-stun / rtc-turn codecs).
//! - [`framing`]: where one message ends in a TCP/TLS byte stream (RFC 8656 §12.5).
//! - [`server`]: the RFC 8656 methods over RFC 8489 long-term credentials.
//!
//! Protocol: Allocate (UDP relaying only), Refresh, CreatePermission, ChannelBind, Send and Data
//! indications, ChannelData; STUN Binding is answered too. An unauthenticated request gets 401
//! with REALM and NONCE, a stale or foreign nonce 438; MESSAGE-INTEGRITY is rtc-stun's
//! HMAC-SHA1 with the long-term key MD5(username:realm:password); answers carry FINGERPRINT.
//!
//! # Security scope
//!
//! This server relays **only to the relay's own media address(es)**, given at construction
//! ([`TurnConfig::allowed_peers`]). CreatePermission and ChannelBind for any other peer are
//! refused with 403 Forbidden, and Send indications, ChannelData and peer data for any other
//! address are dropped, so it can never be an open relay towards the internet or the school's
//! LAN. Relayed addresses are virtual: an IP and ports from a bounded range; the IO layer
//! decides what they mean (it hands the media driver the client's packets as if they came
//! from the relayed address). Every table is bounded: allocations by [`TurnLimits`], and each
//! allocation's permissions and channels by the allowed peers. Malformed input is dropped or
//! answered with 400 and never panics (a property test feeds arbitrary bytes). Answers to
//! unauthenticated requests over UDP (Binding, 401, 438, 400), whose source may be forged, are
//! limited per client IP ([`budget`]), so the port cannot be used to reflect traffic at others.

pub mod allocation;
pub mod auth;
pub mod budget;
pub mod config;
pub mod credentials;
pub mod framing;
pub mod nonce;
pub mod server;
pub mod table;
pub mod wire;

#[cfg(test)]
mod client_interop;
#[cfg(test)]
mod tests;

pub use config::{ConfigError, FiveTuple, Transport, TurnConfig, TurnLimits};
pub use server::{Output, TurnServer};
