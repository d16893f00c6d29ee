//! Subscriptions: a Subscriber's receive-only offer answered on the media driver with the
//! Source's Tracks, routed once connected, its keyframe requests coalesced towards the Publisher.

use super::*;
use crate::media::codecs::codec_kind;
use crate::media::driver::SendTrack;
use crate::media::forwarding::{Kind, TrackId};
use crate::media::sdp;
use crate::room::ConnId;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use std::sync::{Arc, Weak};
use std::time::Duration;

impl LessonMedia {
    /// `conn` receives publication `source`, from a receive-only offer.
    pub async fn subscribe(
        self: &Arc<Self>,
        conn: ConnId,
        source: MediaId,
        offer: String,
    ) -> Result<(MediaId, String), LessonMediaError> {
        let kinds = sdp::received_kinds(&offer)?;
        let (tracks, earlier) = {
            let inner = lock(&self.inner);
            let p = inner
                .publications
                .get(&source)
                .filter(|p| p.announced)
                .ok_or(LessonMediaError::NoSuchSource(source))?;
            let allowed: Vec<Arc<Relayed>> = p
                .tracks
                .iter()
                .filter(|t| inner.table.may_receive(t.id, conn))
                .cloned()
                .collect();
            if allowed.is_empty() {
                return Err(LessonMediaError::NotAllowed(source));
            }
            let earlier: Vec<MediaId> = inner
                .subscriptions
                .iter()
                .filter(|(_, s)| s.owner == conn && s.source == source)
                .map(|(id, _)| *id)
                .collect();
            let held = inner
                .subscriptions
                .values()
                .filter(|s| s.owner == conn)
                .count();
            if held - earlier.len() >= MAX_SUBSCRIPTIONS {
                return Err(LessonMediaError::TooManySubscriptions);
            }
            let wanted: Vec<Arc<Relayed>> = allowed
                .into_iter()
                .filter(|t| kinds.contains(&t.kind))
                .collect();
            (wanted, earlier)
        };
        if tracks.is_empty() {
            return Err(LessonMediaError::NothingToReceive);
        }
        for media in earlier {
            self.end(media, false).await;
        }
        let send = tracks
            .iter()
            .map(|t| SendTrack {
                kind: codec_kind(t.kind),
                codec: t.codec.clone(),
            })
            .collect();
        let opened = self.ctx.driver.open(self.lesson.0, offer, send).await?;
        let media = self.ctx.next_media();
        let still = {
            let mut inner = lock(&self.inner);
            let still = inner.members.contains_key(&conn)
                && inner.publications.contains_key(&source)
                && tracks.iter().all(|t| inner.table.may_receive(t.id, conn));
            if still {
                opened.meter.tell_pictures(self.pictures.clone());
                inner.subscriptions.insert(
                    media,
                    Subscription {
                        owner: conn,
                        source,
                        peer: opened.conn,
                        tracks,
                        estimate: opened.estimate,
                        meter: opened.meter,
                    },
                );
                self.ctx.own(opened.conn, self, media);
            }
            still
        };
        if !still {
            self.ctx.close(opened.conn).await;
            return Err(LessonMediaError::NotAllowed(source));
        }
        Ok((media, self.announced_answer(opened.answer)))
    }

    /// Subscription `media` connected: its Tracks are routed to it, and the Publisher is asked
    /// for a keyframe so its picture starts at once.
    pub(super) async fn subscription_connected(&self, media: MediaId) {
        let routes: Vec<(PeerId, String, PeerId, usize, TrackId, Kind)> = {
            let inner = lock(&self.inner);
            let Some(s) = inner.subscriptions.get(&media) else {
                return;
            };
            s.tracks
                .iter()
                .enumerate()
                .map(|(i, t)| (t.peer, t.track_id.clone(), s.peer, i, t.id, t.kind))
                .collect()
        };
        for (source, track_id, sink, local, track, kind) in routes {
            if let Err(e) = self.ctx.driver.route(source, track_id, sink, local).await {
                tracing::debug!(lesson = %self.lesson, %media, "not routed: {e}");
                return;
            }
            if kind == Kind::Video {
                self.keyframe(track);
            }
        }
    }

    /// Subscription `media`'s Subscriber asked for a keyframe of its local track `local`.
    pub(super) fn keyframe_requested(&self, media: MediaId, local: usize) {
        let track = lock(&self.inner)
            .subscriptions
            .get(&media)
            .and_then(|s| s.tracks.get(local))
            .map(|t| t.id);
        if let Some(track) = track {
            self.keyframe(track);
        }
    }

    /// A subscriber wants a keyframe of `track`: passed on now, or when the gap allows.
    pub(super) fn keyframe(&self, track: TrackId) {
        let now = self.ctx.now_ms();
        if lock(&self.gate).request(track, now) {
            self.send_pli(track);
        }
    }

    pub(super) fn send_pli(&self, track: TrackId) {
        let Some(relayed) = self.relayed(track) else {
            return;
        };
        let pli = PictureLossIndication {
            sender_ssrc: 0,
            media_ssrc: relayed.media_ssrc,
        };
        let sent = self.ctx.driver.try_write_rtcp(
            relayed.peer,
            relayed.track_id.clone(),
            vec![Box::new(pli)],
        );
        if let Err(e) = sent {
            tracing::debug!(lesson = %self.lesson, "keyframe request not sent: {e}");
        }
    }

    fn relayed(&self, track: TrackId) -> Option<Arc<Relayed>> {
        let inner = lock(&self.inner);
        inner
            .publications
            .values()
            .flat_map(|p| p.tracks.iter())
            .find(|t| t.id == track)
            .cloned()
    }
}

/// Sends keyframe requests held back by the gap once it has passed.
pub(super) async fn keyframe_timer(media: Weak<LessonMedia>) {
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let Some(media) = media.upgrade() else { return };
        let now = media.ctx.now_ms();
        let due = lock(&media.gate).due(now);
        for track in due {
            media.send_pli(track);
        }
    }
}
