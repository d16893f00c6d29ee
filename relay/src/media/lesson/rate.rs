//! Each second, every Publisher's video is capped at what its slowest Subscriber's link carries
//! ([`video_cap`]), with a REMB on the Publisher's connection. Publications nobody with an
//! estimate receives are left to their own congestion control, and so are simulcast Tracks:
//! each Subscriber gets the layer its link carries (`media::driver::layers`).
//!
//! In the same turn each Publisher's connection is given the worst loss among the Subscribers
//! of its audio ([`worst_of`]), which its reception reports carry
//! ([`crate::media::loss_report`]): the Publisher's Opus encoder then adds in-band FEC.

use super::{lock, LessonMedia};
use crate::media::forwarding::Kind;
use crate::media::loss_report::worst_of;
use crate::media::publisher_rate::video_cap;
use rtc::rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use std::sync::Weak;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(1);

pub(super) async fn publisher_rate_timer(media: Weak<LessonMedia>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let Some(media) = media.upgrade() else { return };
        super::layer_caps::update(&media);
        let limits = media.ctx.config.publisher_rate;
        let caps: Vec<_> = {
            let inner = lock(&media.inner);
            for p in inner.publications.values() {
                let audio = p.tracks.iter().filter(|t| t.kind == Kind::Audio);
                let losses = audio.flat_map(|track| {
                    inner
                        .subscriptions
                        .values()
                        .filter(|s| s.tracks.iter().any(|t| t.id == track.id))
                        .filter_map(|s| s.meter.read())
                        .map(|r| r.loss_permille)
                });
                p.worst_loss.set(worst_of(losses));
            }
            inner
                .publications
                .values()
                .flat_map(|p| {
                    p.tracks
                        .iter()
                        .filter(|t| t.kind == Kind::Video && !t.simulcast)
                })
                .filter_map(|track| {
                    let estimates = inner
                        .subscriptions
                        .values()
                        .filter(|s| s.tracks.iter().any(|t| t.id == track.id))
                        .filter_map(|s| s.estimate.get());
                    video_cap(&limits, estimates).map(|cap| (track.clone(), cap))
                })
                .collect()
        };
        for (track, cap) in caps {
            tracing::debug!(track = ?track.id, cap, "capping a Publisher's video");
            let remb = ReceiverEstimatedMaximumBitrate {
                sender_ssrc: 0,
                bitrate: cap as f32,
                ssrcs: vec![track.media_ssrc],
            };
            let sent = media.ctx.driver.try_write_rtcp(
                track.peer,
                track.track_id.clone(),
                vec![Box::new(remb)],
            );
            if let Err(e) = sent {
                tracing::debug!(track = ?track.id, "REMB not sent: {e}");
            }
        }
    }
}
