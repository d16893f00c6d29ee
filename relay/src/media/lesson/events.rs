//! The media driver's events, handed to the lesson owning the connection: a connection up or
//! gone, a Publisher's Track opened, a Subscriber's keyframe request. One task reads them all;
//! packets never come this way (the driver routes them itself).

use super::publication::OpenedTrack;
use super::{LessonMedia, MediaContext};
use crate::media::codecs::kind_of;
use crate::media::driver::DriverEvent;
use crate::media::interceptor::is_keyframe_request;
use shared::ids::MediaId;
use std::sync::{Arc, Weak};
use tokio::sync::mpsc;

/// Runs until the driver stops (when the last [`MediaContext`] is gone).
pub async fn dispatch(ctx: Weak<MediaContext>, mut events: mpsc::Receiver<DriverEvent>) {
    while let Some(event) = events.recv().await {
        let Some(ctx) = ctx.upgrade() else { return };
        let peer = match &event {
            DriverEvent::Connected(p)
            | DriverEvent::Disconnected(p)
            | DriverEvent::Failed(p)
            | DriverEvent::Closed(p) => *p,
            DriverEvent::TrackOpened { conn, .. }
            | DriverEvent::Rtp { conn, .. }
            | DriverEvent::Rtcp { conn, .. } => *conn,
        };
        // A connection the lessons closed already, or one of a lesson that ended.
        let Some(owner) = ctx.owner(peer) else {
            continue;
        };
        let Some(lesson) = owner.lesson.upgrade() else {
            continue;
        };
        drop(ctx);
        handle(&lesson, owner.media, event).await;
    }
}

async fn handle(lesson: &Arc<LessonMedia>, media: MediaId, event: DriverEvent) {
    match event {
        DriverEvent::Connected(_) => lesson.subscription_connected(media).await,
        // Consent lost for a moment: ICE may recover, or the driver reports Failed.
        DriverEvent::Disconnected(peer) => {
            tracing::debug!(lesson = %lesson.lesson, %media, "{peer} disconnected");
        }
        // Its owner is told (`MediaEnded`), Publisher or Subscriber: the page may still think
        // its side alive (the relay gave up on a DTLS handshake, or on consent, first) and would
        // otherwise wait for its browser to notice, or never publish again.
        DriverEvent::Failed(peer) | DriverEvent::Closed(peer) => {
            tracing::debug!(lesson = %lesson.lesson, %media, "{peer} is gone");
            lesson.end(media, true).await;
        }
        DriverEvent::TrackOpened {
            track_id,
            kind,
            ssrc,
            codec,
            simulcast,
            ..
        } => {
            let (Some(kind), Some(codec)) = (kind_of(kind), codec) else {
                return;
            };
            let opened = OpenedTrack {
                track_id,
                kind,
                ssrc,
                codec,
                simulcast,
            };
            lesson.add_track(media, opened).await;
        }
        DriverEvent::Rtcp {
            local_track: Some(local),
            packets,
            ..
        } => {
            if packets.iter().any(|p| is_keyframe_request(p.as_ref())) {
                lesson.keyframe_requested(media, local);
            }
        }
        DriverEvent::Rtcp { .. } | DriverEvent::Rtp { .. } => {}
    }
}
