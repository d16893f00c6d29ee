//! Subscriptions: a Subscriber's receive-only offer answered with the Source's Tracks, its sinks
//! attached once connected, its keyframe requests coalesced towards the Publisher.

use super::*;
use crate::media::fanout::{Outlet, Sink};
use crate::media::forwarding::{Kind, TrackId};
use crate::media::interceptor::is_keyframe_request;
use crate::media::peer::{self, PeerError, PeerEvents};
use crate::media::sdp::{self};
use crate::room::ConnId;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters,
};
use std::sync::{Arc, Weak};
use std::time::Duration;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::peer_connection::RTCPeerConnectionState;
use webrtc::rtp_transceiver::RtpSender;

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
        let codecs: Vec<(Kind, RTCRtpCodec)> =
            tracks.iter().map(|t| (t.kind, t.codec.clone())).collect();
        let (pc, mut events) = peer::open(
            &self.ctx.config,
            &self.ctx.ports,
            peer::subscriber_engine(&codecs)?,
            true,
        )
        .await?;
        let mut outs = Vec::new();
        let answered = async {
            for t in &tracks {
                let ssrc = rand::random::<u32>();
                let kind_name = if t.kind == Kind::Video {
                    "video"
                } else {
                    "audio"
                };
                let local = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
                    format!("source-{source}"),
                    format!("source-{source}-{kind_name}"),
                    kind_name.to_string(),
                    peer::codec_kind(t.kind),
                    vec![RTCRtpEncodingParameters {
                        rtp_coding_parameters: RTCRtpCodingParameters {
                            ssrc: Some(ssrc),
                            ..Default::default()
                        },
                        codec: t.codec.clone(),
                        ..Default::default()
                    }],
                )));
                let sender = pc
                    .add_track(Arc::clone(&local) as Arc<dyn TrackLocal>)
                    .await
                    .map_err(|e| PeerError::WebRtc(e.to_string()))?;
                outs.push(Outgoing {
                    relayed: Arc::clone(t),
                    local,
                    sender,
                    ssrc,
                });
            }
            peer::answer(&self.ctx.config, &pc, &mut events, offer).await
        }
        .await;
        let answer = answer_or_close(&pc, answered).await?;
        let media = self.ctx.next_media();
        let still = {
            let mut inner = lock(&self.inner);
            let still = inner.members.contains_key(&conn)
                && tracks.iter().all(|t| inner.table.may_receive(t.id, conn));
            if still {
                inner.subscriptions.insert(
                    media,
                    Subscription {
                        owner: conn,
                        source,
                        pc: Arc::clone(&pc),
                        tracks,
                        estimate: events.estimate.clone(),
                    },
                );
            }
            still
        };
        if !still {
            let _ = pc.close().await;
            return Err(LessonMediaError::NotAllowed(source));
        }
        tokio::spawn(Arc::clone(self).run_subscription(media, events, outs));
        Ok((media, answer))
    }

    pub(super) async fn run_subscription(
        self: Arc<Self>,
        media: MediaId,
        mut events: PeerEvents,
        outs: Vec<Outgoing>,
    ) {
        if !connected(&mut events).await {
            return self.end(media, true).await;
        }
        for out in outs {
            let payload_type = match out.sender.get_parameters().await {
                Ok(p) => p.rtp_parameters.codecs.first().map(|c| c.payload_type),
                Err(_) => None,
            };
            let Some(payload_type) = payload_type else {
                continue;
            };
            {
                // Added under the lock, so a subscription ended meanwhile leaves no sink behind.
                let inner = lock(&self.inner);
                if !inner.subscriptions.contains_key(&media) {
                    return;
                }
                out.relayed.fanout.add(Sink {
                    media,
                    ssrc: out.ssrc,
                    payload_type,
                    outlet: Arc::clone(&out.local) as Arc<dyn Outlet>,
                });
            }
            tokio::spawn(read_feedback(
                Arc::downgrade(&self),
                out.relayed.id,
                Arc::clone(&out.local),
            ));
            if out.relayed.kind == Kind::Video {
                self.keyframe(out.relayed.id);
            }
        }
        while events.state.changed().await.is_ok() {
            let state = *events.state.borrow();
            if matches!(
                state,
                RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed
            ) {
                break;
            }
        }
        self.end(media, true).await;
    }

    /// A subscriber wants a keyframe of `track`: passed on now, or when the gap allows.
    pub(super) fn keyframe(&self, track: TrackId) {
        let now = self.ctx.now_ms();
        if lock(&self.gate).request(track, now) {
            self.send_pli(track);
        }
    }

    pub(super) fn send_pli(&self, track: TrackId) {
        let relayed = {
            let inner = lock(&self.inner);
            inner
                .publications
                .values()
                .flat_map(|p| p.tracks.iter())
                .find(|t| t.id == track)
                .cloned()
        };
        let Some(relayed) = relayed else { return };
        tokio::spawn(async move {
            let pli = PictureLossIndication {
                sender_ssrc: 0,
                media_ssrc: relayed.media_ssrc,
            };
            let _ = relayed.remote.write_rtcp(vec![Box::new(pli)]).await;
        });
    }
}

pub(super) struct Outgoing {
    relayed: Arc<Relayed>,
    local: Arc<TrackLocalStaticRTP>,
    sender: Arc<dyn RtpSender>,
    ssrc: u32,
}

/// Waits until the connection is up; false if it failed, closed or took too long.
pub(super) async fn connected(events: &mut PeerEvents) -> bool {
    let wait = async {
        loop {
            match *events.state.borrow_and_update() {
                RTCPeerConnectionState::Connected => return true,
                RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed => return false,
                _ => {}
            }
            if events.state.changed().await.is_err() {
                return false;
            }
        }
    };
    tokio::time::timeout(CONNECT_TIMEOUT, wait)
        .await
        .unwrap_or(false)
}

/// Passes a subscriber's keyframe requests to the lesson's gate.
pub(super) async fn read_feedback(
    media: Weak<LessonMedia>,
    track: TrackId,
    local: Arc<TrackLocalStaticRTP>,
) {
    while let Some(event) = local.poll().await {
        let TrackLocalEvent::OnRtcpPacket(packets) = event else {
            continue;
        };
        if packets.iter().any(|p| is_keyframe_request(p.as_ref())) {
            match media.upgrade() {
                Some(media) => media.keyframe(track),
                None => return,
            }
        }
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
