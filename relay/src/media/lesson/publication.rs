//! Publications: a Publisher's offer answered, its Tracks listed as they arrive, each Track's
//! packets pumped into its fan-out.

use super::*;
use crate::media::fanout::Fanout;
use crate::media::forwarding::{Kind, MediaError, TrackId};
use crate::media::peer::{self, PeerError, PeerEvents};
use crate::media::sdp;
use crate::room::ConnId;
use rtc::rtp_transceiver::{RTCRtpTransceiverDirection, RTCRtpTransceiverInit};
use shared::ids::Role;
use std::sync::Arc;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::RTCPeerConnectionState;

impl LessonMedia {
    /// Publishes `conn`'s camera and microphone from a send-only offer; returns its id and
    /// the answer. An earlier publication of `conn` ends.
    pub async fn publish(
        self: &Arc<Self>,
        conn: ConnId,
        offer: String,
    ) -> Result<(MediaId, String), LessonMediaError> {
        let kinds = sdp::published_kinds(&offer)?;
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
        let (pc, mut events) = peer::open(
            &self.ctx.config,
            &self.ctx.ports,
            peer::publisher_engine()?,
            false,
        )
        .await?;
        let answered = async {
            for kind in &kinds {
                pc.add_transceiver_from_kind(
                    peer::codec_kind(*kind),
                    Some(RTCRtpTransceiverInit {
                        direction: RTCRtpTransceiverDirection::Recvonly,
                        ..Default::default()
                    }),
                )
                .await
                .map_err(|e| PeerError::WebRtc(e.to_string()))?;
            }
            peer::answer(&self.ctx.config, &pc, &mut events, offer).await
        }
        .await;
        let answer = answer_or_close(&pc, answered).await?;
        let media = self.ctx.next_media();
        let present = {
            let mut inner = lock(&self.inner);
            let present = inner.members.contains_key(&conn);
            if present {
                inner.publications.insert(
                    media,
                    Publication {
                        owner: conn,
                        pc: Arc::clone(&pc),
                        expected: kinds,
                        tracks: Vec::new(),
                        announced: false,
                    },
                );
            }
            present
        };
        if !present {
            let _ = pc.close().await;
            return Err(LessonMediaError::Left);
        }
        tokio::spawn(Arc::clone(self).run_publication(media, events));
        Ok((media, answer))
    }

    pub(super) async fn run_publication(self: Arc<Self>, media: MediaId, mut events: PeerEvents) {
        let deadline = tokio::time::sleep(ANNOUNCE_AFTER);
        tokio::pin!(deadline);
        let mut announced = false;
        loop {
            tokio::select! {
                track = events.tracks.recv() => {
                    let Some(track) = track else { continue };
                    announced |= self.add_track(media, track).await;
                }
                changed = events.state.changed() => {
                    let state = *events.state.borrow();
                    if changed.is_err() || matches!(state, RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed) {
                        break;
                    }
                }
                _ = &mut deadline, if !announced => {
                    self.announce(media).await;
                    announced = true;
                }
            }
        }
        self.end(media, false).await;
    }

    /// A publisher's Track arrived; returns whether the publication is now announced.
    pub(super) async fn add_track(
        self: &Arc<Self>,
        media: MediaId,
        remote: Arc<dyn TrackRemote>,
    ) -> bool {
        let Some(media_ssrc) = remote.ssrcs().await.first().copied() else {
            return false;
        };
        let Some(codec) = remote.codec(media_ssrc).await else {
            return false;
        };
        let Some(kind) = peer::kind_of(remote.kind().await) else {
            return false;
        };
        let relayed = Arc::new(Relayed {
            id: TrackId(media.0 * 2 + u64::from(kind == Kind::Video)),
            kind,
            codec,
            remote,
            media_ssrc,
            fanout: Fanout::default(),
        });
        let complete = {
            let mut inner = lock(&self.inner);
            let Some(p) = inner.publications.get_mut(&media) else {
                return false;
            };
            if p.tracks.iter().any(|t| t.kind == kind) {
                return false;
            }
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
                tokio::spawn(pump(relayed));
                return true;
            }
            p.expected
                .iter()
                .all(|k| p.tracks.iter().any(|t| t.kind == *k))
        };
        tokio::spawn(pump(relayed));
        if complete {
            self.announce(media).await;
        }
        complete
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

/// Reads a publisher's Track and forwards every packet.
pub(super) async fn pump(relayed: Arc<Relayed>) {
    while let Some(event) = relayed.remote.poll().await {
        match event {
            TrackRemoteEvent::OnRtpPacket(packet) => relayed.fanout.forward(packet),
            TrackRemoteEvent::OnEnded => break,
            _ => {}
        }
    }
}
