//! Publications: a Publisher's offer answered on the media driver, its Tracks listed as they
//! open.

use super::*;
use crate::media::forwarding::{Kind, MediaError, TrackId};
use crate::media::sdp;
use crate::room::ConnId;
use shared::ids::Role;
use std::sync::Arc;

/// A Track that opened on a Publisher's connection.
pub(super) struct OpenedTrack {
    pub track_id: String,
    pub kind: Kind,
    pub ssrc: u32,
    pub codec: RTCRtpCodec,
    pub simulcast: bool,
}

impl LessonMedia {
    /// Publishes `conn`'s camera and microphone from a send-only offer; returns its id and
    /// the answer. An earlier publication of `conn` ends.
    pub async fn publish(
        self: &Arc<Self>,
        conn: ConnId,
        offer: String,
    ) -> Result<(MediaId, String), LessonMediaError> {
        let kinds = sdp::published_kinds(&offer).inspect_err(|e| {
            tracing::info!(lesson = %self.lesson, error = %e, "a publisher's offer is refused");
        })?;
        let earlier: Vec<MediaId> = {
            let inner = lock(&self.inner);
            match inner.table.role(conn) {
                None => return Err(MediaError::NotJoined(conn).into()),
                Some(Role::Observer) => return Err(MediaError::ObserverCannotPublish.into()),
                Some(_) => {}
            }
            inner
                .publications
                .iter()
                .filter(|(_, p)| p.owner == conn)
                .map(|(id, _)| *id)
                .collect()
        };
        for media in earlier {
            self.end(media, false).await;
        }
        let opened = self
            .ctx
            .driver
            .open(self.lesson.0, offer, Vec::new())
            .await?;
        let media = self.ctx.next_media();
        let present = {
            let mut inner = lock(&self.inner);
            let present = inner.members.contains_key(&conn);
            if present {
                inner.publications.insert(
                    media,
                    Publication {
                        owner: conn,
                        peer: opened.conn,
                        expected: kinds,
                        tracks: Vec::new(),
                        announced: false,
                        worst_loss: opened.worst_loss.clone(),
                        layer_cap: None,
                    },
                );
                self.ctx.own(opened.conn, self, media);
            }
            present
        };
        if !present {
            self.ctx.close(opened.conn).await;
            return Err(LessonMediaError::Left);
        }
        // Listed once all its Tracks opened, or after a while with those that did.
        let lesson = Arc::downgrade(self);
        tokio::spawn(async move {
            tokio::time::sleep(ANNOUNCE_AFTER).await;
            if let Some(lesson) = lesson.upgrade() {
                lesson.announce(media).await;
            }
        });
        Ok((media, self.announced_answer(opened.answer)))
    }

    /// A Track of publication `media` opened.
    pub(super) async fn add_track(&self, media: MediaId, opened: OpenedTrack) {
        let complete = {
            let mut inner = lock(&self.inner);
            let Some(p) = inner.publications.get_mut(&media) else {
                return;
            };
            if p.tracks.iter().any(|t| t.kind == opened.kind) {
                return;
            }
            let relayed = Arc::new(Relayed {
                id: TrackId(media.0 * 2 + u64::from(opened.kind == Kind::Video)),
                kind: opened.kind,
                codec: opened.codec,
                peer: p.peer,
                track_id: opened.track_id,
                media_ssrc: opened.ssrc,
                simulcast: opened.simulcast,
            });
            p.tracks.push(Arc::clone(&relayed));
            if p.announced {
                // Listed already (it waited too long for this Track): list this one too.
                let owner = p.owner;
                let _ = inner.table.publish(owner, relayed.id, relayed.kind);
                let mut after = Aftermath {
                    sources_changed: true,
                    ..Aftermath::default()
                };
                self.finish_locked(&inner, &mut after);
                drop(inner);
                for (notify, msg) in after.notices {
                    notify.send(msg);
                }
                return;
            }
            p.expected
                .iter()
                .all(|k| p.tracks.iter().any(|t| t.kind == *k))
        };
        if complete {
            self.announce(media).await;
        }
    }

    /// Lists the publication's Tracks in the table, so the rules route them.
    pub(super) async fn announce(&self, media: MediaId) {
        let after = {
            let mut inner = lock(&self.inner);
            let Some(p) = inner.publications.get_mut(&media) else {
                return;
            };
            if p.announced || p.tracks.is_empty() {
                return;
            }
            p.announced = true;
            let (owner, tracks) = (p.owner, p.tracks.clone());
            for t in tracks {
                if let Err(e) = inner.table.publish(owner, t.id, t.kind) {
                    tracing::warn!(lesson = %self.lesson, %media, "track not listed: {e}");
                }
            }
            let mut after = Aftermath {
                sources_changed: true,
                ..Aftermath::default()
            };
            self.finish_locked(&inner, &mut after);
            after
        };
        self.finish(after).await;
    }
}
