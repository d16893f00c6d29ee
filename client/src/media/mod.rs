//! The page's camera, microphone and videos.
//!
//! - Pure (unit-tested natively): [`plan`], which Sources to subscribe to and which offer an
//!   answer, a refusal or an end belongs to.
//! - Browser (wasm32): [`plane`], the browser's WebRTC carrying out the plan (one send-only
//!   RTCPeerConnection for this page, one receive-only connection per Source); [`devices`]
//!   (cameras and microphones) and [`rtc`] (helpers around RTCPeerConnection).

pub mod plan;

#[cfg(target_arch = "wasm32")]
mod devices;
#[cfg(target_arch = "wasm32")]
mod plane;
#[cfg(target_arch = "wasm32")]
mod rtc;

#[cfg(target_arch = "wasm32")]
pub use devices::DeviceKind;
#[cfg(target_arch = "wasm32")]
pub use plane::{Effects, MediaEvent, MediaPlane};
#[cfg(target_arch = "wasm32")]
pub use rtc::{SendStats, TileStats};
