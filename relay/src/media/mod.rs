//! The media plane: live audio and video between the master classroom and the remote classrooms,
//! forwarded by the relay with webrtc-rs.
//!
//! - [`forwarding`]: the [`forwarding::Forwarding`] table (no IO): roles, Tracks, the floor, and
//!   which Subscriber receives which Track.
//! - [`fanout`]: what a Publisher's packet becomes before it is copied to Subscribers (no IO).
//! - [`keyframes`]: [`keyframes::KeyframeGate`], coalescing keyframe requests per Track (no IO).
//! - [`sdp`]: what the relay reads from offers and writes into answers (no IO).
//! - [`config`]: ICE address and port, announced address, STUN/TURN for the pages.
//! - [`driver`]: every peer connection as a webrtc-rs sans-IO `rtc` state machine on one UDP
//!   socket, driven by one task, which also forwards each packet along the lessons' routes.
//! - [`codecs`]: the codecs and payload types the relay speaks (no IO).
//! - [`chain`]: the interceptors on each peer connection.
//! - [`interceptor`]: lets subscribers' keyframe requests through to the relay.
//! - [`retransmit`]: answers a Subscriber's NACKs within limits (no IO).
//! - [`publisher_rate`]: caps a Publisher's video at its slowest Subscriber's link (no IO).
//! - [`pacing`]: paces what a Subscriber is sent at the estimated rate, audio first (no IO).
//! - [`estimator`]: estimates a Subscriber's link from its transport-wide feedback (no IO).
//! - [`probe`]: probes a Subscriber's link before a switch up to a higher layer (no IO).
//! - [`rtx`]: retransmissions on their own SSRC, as the pacer sends its probes (no IO).
//! - [`link_meter`]: the loss, round trip and rate the estimator last saw, for the lesson's
//!   report to the teacher.
//! - [`link_report`]: smooths those readings into each classroom's link grade (no IO).
//! - [`vp8`]: the VP8 payload descriptor: key frames, picture ID, TL0PICIDX (no IO).
//! - [`simulcast`]: one Subscriber's layer of a simulcast Track: which layer, and the switch at
//!   a key frame with continuous numbers (no IO).
//! - [`throttle`]: hands deadlines to an interceptor at most once per period (no IO).
//! - [`turn`]: a TURN server core (no IO) that relays only to the relay's own media address,
//!   with TURN REST credentials.
//! - [`turn_io`]: the TURN server's UDP, TCP and TLS sockets, and its link to the driver.
//! - [`turn_tls`]: the TURN server's certificate and key (`turns:`).
//! - [`lesson`]: one lesson's publications and subscriptions, and the RTP forwarding between them.
//!
//! [`Media`] holds the lessons that have media now.

pub mod chain;
pub mod codecs;
pub mod config;
pub mod driver;
pub mod estimator;
pub mod fanout;
pub mod forwarding;
pub mod interceptor;
pub mod keyframes;
pub mod lesson;
pub mod link_meter;
pub mod link_report;
pub mod link_time;
pub mod loss_report;
pub mod pacing;
pub mod probe;
pub mod publisher_rate;
pub mod red;
pub mod retransmit;
pub mod rtx;
pub mod sdp;
pub mod simulcast;
pub mod throttle;
pub mod turn;
pub mod turn_io;
pub mod turn_tls;
pub mod vp8;

use driver::{DriverConfig, DriverError};
use lesson::{LessonMedia, MediaContext};
use shared::ids::LessonId;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use thiserror::Error;
use tokio::sync::mpsc;

/// One lesson's time on each picture per classroom, since the last batch.
pub type LinkTimeBatch = (
    LessonId,
    Vec<(shared::ids::ClassroomId, crate::attendance::LinkTime)>,
);

#[derive(Debug, Error)]
pub enum MediaStartError {
    #[error("media port: {0}")]
    Driver(#[from] DriverError),
    #[error("{0}")]
    Turn(#[from] turn_io::TurnIoError),
}

/// Every lesson's media plane, created when its first participant joins and dropped after the
/// last one leaves.
pub struct Media {
    ctx: Arc<MediaContext>,
    lessons: Mutex<HashMap<LessonId, Arc<LessonMedia>>>,
}

impl Media {
    /// Binds the media port and starts the driver (on the current tokio runtime).
    pub fn start(config: config::MediaConfig) -> Result<Media, MediaStartError> {
        let mut driver = DriverConfig::new(SocketAddr::new(config.bind_ip, config.port));
        driver.workers = config.worker_count();
        driver.chain = driver::ChainLimits {
            retransmit: config.retransmit,
            pacing: config.pacing,
        };
        let has_turn = config.turn_port.is_some() || config.turn_tls.is_some();
        let diverted = has_turn.then(|| {
            let (to, from_driver) = tokio::sync::mpsc::channel(turn_io::DIVERT_QUEUE);
            driver.divert = Some(driver::Divert {
                ip: turn_io::RELAY_IP,
                to,
            });
            from_driver
        });
        let (handle, events) = driver::start(driver)?;
        let turn = match diverted {
            Some(diverted) => {
                let public_ip = config.announced_ip.unwrap_or(config.bind_ip);
                let settings = turn_io::TurnSettings {
                    plain: config
                        .turn_port
                        .map(|port| SocketAddr::new(config.bind_ip, port)),
                    tls: config.turn_tls.as_ref().map(|tls| turn_io::TlsSettings {
                        bind: SocketAddr::new(config.bind_ip, tls.port),
                        name: tls.name.clone(),
                        server: Arc::clone(&tls.server),
                    }),
                    public_ip,
                };
                let media = SocketAddr::new(public_ip, handle.local_addr().port());
                Some(turn_io::start(&settings, media, handle.clone(), diverted)?)
            }
            None => None,
        };
        let ctx = Arc::new(MediaContext::new(config, handle, turn));
        tokio::spawn(lesson::events::dispatch(Arc::downgrade(&ctx), events));
        Ok(Media {
            ctx,
            lessons: Mutex::new(HashMap::new()),
        })
    }

    /// The lesson's media plane, created if it has none.
    pub fn lesson(&self, lesson: LessonId) -> Arc<LessonMedia> {
        let mut lessons = self.lessons.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(
            lessons
                .entry(lesson)
                .or_insert_with(|| LessonMedia::new(lesson, Arc::clone(&self.ctx))),
        )
    }

    /// Where each lesson's [`crate::attendance::LinkTime`] goes to be stored: every
    /// [`link_time::FLUSH_EVERY`] while it has media, and when its media ends. Set once.
    pub fn record_link_time(&self, to: mpsc::Sender<LinkTimeBatch>) {
        let _ = self.ctx.link_time.set(to);
    }

    /// The lesson's media plane if it has one.
    pub fn existing(&self, lesson: LessonId) -> Option<Arc<LessonMedia>> {
        let lessons = self.lessons.lock().unwrap_or_else(|e| e.into_inner());
        lessons.get(&lesson).cloned()
    }

    /// Drops the lesson's media plane if nobody is in it.
    pub fn release(&self, lesson: LessonId) {
        let mut lessons = self.lessons.lock().unwrap_or_else(|e| e.into_inner());
        if lessons.get(&lesson).is_some_and(|m| m.is_empty()) {
            lessons.remove(&lesson);
        }
    }
}
