//! The media plane's core, without IO (groundwork for the live audio/video issue): which published
//! Track goes to which Subscriber, and how keyframe requests reach a Publisher. The webrtc-rs
//! driver that will move RTP sits on top of these and only forwards events into them.
//!
//! - [`forwarding`]: the [`forwarding::Forwarding`] table: roles, tracks, the floor.
//! - [`keyframes`]: [`keyframes::KeyframeGate`], coalescing keyframe requests per track.

pub mod forwarding;
pub mod keyframes;
