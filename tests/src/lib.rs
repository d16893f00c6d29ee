//! Helpers for the end-to-end tests: start the real relay as a child process, connect real
//! WebSocket clients that keep a board the way the browser does, drive headless Chromium.
//!
//! - [`relay`]: [`relay::TestRelay`], the relay binary on 127.0.0.1 with a fresh data folder.
//! - [`client`]: [`client::LessonClient`], a WebSocket lesson client.
//! - [`media`]: webrtc-rs peers that publish generated VP8/Opus RTP and count what arrives.
//! - [`link`]: a user-space link emulator (rate, queue, delay, jitter, loss, outages) and the
//!   rural profiles P0-P6.
//! - [`netns`]: a network namespace per test, joined by a veth pair, for WebRTC peers.
//! - [`browser`]: headless Chromium through chromedriver.
//! - [`http`]: one plain HTTP/1.1 request (WHIP/WHEP).
//! - [`camera`]: a fake camera of random noise, for a stream as large as its cap.
//! - [`rural`]: the "rural DSL" scenario in two browsers, shared by its test and its bench.
//! - [`wait`]: polling for a condition with a deadline instead of sleeping.

pub mod browser;
pub mod camera;
pub mod client;
pub mod http;
pub mod link;
pub mod media;
pub mod netns;
pub mod relay;
pub mod rural;
pub mod tls;
pub mod wait;

/// Every wait in these tests is bounded by this unless it says otherwise.
pub const WAIT: std::time::Duration = std::time::Duration::from_secs(10);
