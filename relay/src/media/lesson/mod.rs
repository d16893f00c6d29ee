//! One lesson's media plane: its Publishers' connections, its Subscribers' connections, and the
//! RTP between them.
//!
//! The rules (who may receive what) are the [`Forwarding`] table's; this module only carries
//! them out on the media driver ([`crate::media::driver`]). A publication is one connection's
//! camera and microphone (one peer connection, at most one audio and one video Track); a
//! subscription is one connection receiving one publication (its own peer connection, offered by
//! the subscriber). Every change to what a participant may receive is sent to it as
//! [`ServerMsg::Sources`]; a subscription the rules no longer allow is ended by the relay
//! ([`ServerMsg::MediaEnded`]).
//!
//! Packets never pass through this module: once a subscription is connected, the lesson routes
//! each of its Tracks in the driver, which writes every packet of the Publisher's Track to the
//! Subscriber's connection in the turn it arrived (header extensions dropped, SSRC and payload
//! type the Subscriber's). A Subscriber whose pacer is full loses that packet, no one else; its
//! NACKs and keyframe requests repair it.
//!
//! - this module: [`LessonMedia`], its members (joining, a lost socket's grace, leaving), the
//!   floor, ending publications and subscriptions, and the `Sources` each member may receive.
//! - `publication`: answering a Publisher, listing its Tracks as they open.
//! - `subscription`: answering a Subscriber, routing its Tracks once connected, keyframe
//!   requests.
//! - `events`: the driver's events, handed to the lesson owning the connection.
//! - `rate`: caps each Publisher's video at its slowest Subscriber's link (REMB, each second).
//! - `links`: every 2 s, how each classroom's link fares, to the teacher and observers.
//! - `notifier`: media notices to one WebSocket connection, never dropped, never blocking.

pub(super) mod events;
mod layer_caps;
mod links;
mod notifier;
mod publication;
mod rate;
mod subscription;

use notifier::Notifier;
use subscription::keyframe_timer;

use crate::media::config::MediaConfig;
use crate::media::driver::{DriverError, MediaDriverHandle, PeerId};
use crate::media::forwarding::{Forwarding, Kind, MediaError, RouteChange, TrackId};
use crate::media::keyframes::KeyframeGate;
use crate::media::link_meter::LinkMeter;
use crate::media::loss_report::WorstLoss;
use crate::media::pacing::Estimate;
use crate::media::sdp::SdpError;
use crate::room::task::Outbound;
use crate::room::ConnId;
use rtc::rtp_transceiver::rtp_sender::RTCRtpCodec;
use shared::ids::{LessonId, MediaId, PageId, Role};
use shared::protocol::{ServerMsg, Source};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::mpsc;

/// Subscriptions one connection may hold (the teacher's grid of classrooms).
pub const MAX_SUBSCRIPTIONS: usize = 256;
/// A publication is listed once all its Tracks arrived, or after this long with those that did.
const ANNOUNCE_AFTER: Duration = Duration::from_secs(4);

#[derive(Debug, Error)]
pub enum LessonMediaError {
    #[error("{0}")]
    Rules(#[from] MediaError),
    #[error("{0}")]
    Driver(#[from] DriverError),
    #[error("{0}")]
    Sdp(#[from] SdpError),
    #[error("there is no source {0} in this lesson")]
    NoSuchSource(MediaId),
    #[error("you may not receive source {0}")]
    NotAllowed(MediaId),
    #[error("the offer receives none of the source's media")]
    NothingToReceive,
    #[error("no publication or subscription {0} of yours")]
    NoSuchMedia(MediaId),
    #[error("at most {MAX_SUBSCRIPTIONS} subscriptions per connection")]
    TooManySubscriptions,
    #[error("the connection left the lesson")]
    Left,
    #[error("this lesson has {0} WHIP/WHEP participants already; try again later")]
    TooManyHttpParticipants(usize),
}

/// What all lessons share: configuration, the media driver, which lesson owns each of its
/// connections, media ids.
pub struct MediaContext {
    pub config: MediaConfig,
    pub driver: MediaDriverHandle,
    /// The embedded TURN server, when `--turn-port` is set.
    pub turn: Option<crate::media::turn_io::Turn>,
    peers: Mutex<HashMap<PeerId, PeerOwner>>,
    /// Where the lessons' time on each picture goes ([`crate::media::Media::record_link_time`]).
    pub(super) link_time: std::sync::OnceLock<mpsc::Sender<crate::media::LinkTimeBatch>>,
    next_media: AtomicU64,
    epoch: Instant,
}

/// The Publication or Subscription a driver connection carries.
#[derive(Clone)]
struct PeerOwner {
    lesson: Weak<LessonMedia>,
    media: MediaId,
}

impl MediaContext {
    pub fn new(
        config: MediaConfig,
        driver: MediaDriverHandle,
        turn: Option<crate::media::turn_io::Turn>,
    ) -> MediaContext {
        MediaContext {
            config,
            driver,
            turn,
            peers: Mutex::new(HashMap::new()),
            link_time: std::sync::OnceLock::new(),
            next_media: AtomicU64::new(1),
            epoch: Instant::now(),
        }
    }

    fn own(&self, peer: PeerId, lesson: &Arc<LessonMedia>, media: MediaId) {
        lock(&self.peers).insert(
            peer,
            PeerOwner {
                lesson: Arc::downgrade(lesson),
                media,
            },
        );
    }

    fn owner(&self, peer: PeerId) -> Option<PeerOwner> {
        lock(&self.peers).get(&peer).cloned()
    }

    /// Closes `peer` on the driver and forgets who owned it.
    async fn close(&self, peer: PeerId) {
        lock(&self.peers).remove(&peer);
        if let Err(e) = self.driver.close(peer).await {
            tracing::debug!("closing {peer}: {e}");
        }
    }

    fn next_media(&self) -> MediaId {
        MediaId(self.next_media.fetch_add(1, Ordering::Relaxed))
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
}

/// A published Track as the relay forwards it.
pub struct Relayed {
    pub id: TrackId,
    pub kind: Kind,
    pub codec: RTCRtpCodec,
    /// The Publisher's connection and the Track's id on it.
    peer: PeerId,
    track_id: String,
    media_ssrc: u32,
    /// It arrives as simulcast layers: each Subscriber gets the one its link carries, so the
    /// Publisher's rate is not capped at the slowest link.
    simulcast: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Member {
    role: Role,
    notify: Option<Notifier>,
    /// For a WHIP/WHEP participant: a digest of the bearer token that created it, which a
    /// DELETE must present again.
    http_key: Option<[u8; 32]>,
    /// The page of a WebSocket participant (kept across its reconnects).
    page: Option<PageId>,
    /// Its WebSocket was lost; it leaves unless the page reconnects in time.
    detached: bool,
}

struct Publication {
    owner: ConnId,
    peer: PeerId,
    expected: Vec<Kind>,
    tracks: Vec<Arc<Relayed>>,
    announced: bool,
    /// The worst loss of its audio's Subscribers, reported to its connection
    /// ([`crate::media::loss_report`]).
    worst_loss: WorstLoss,
    /// The highest layer of its simulcast camera the driver was last told (`None`: not told).
    layer_cap: Option<Option<usize>>,
}

struct Subscription {
    owner: ConnId,
    source: MediaId,
    peer: PeerId,
    /// In the order of the connection's local tracks.
    tracks: Vec<Arc<Relayed>>,
    /// The Subscriber's link, as its connection's congestion controller estimates it.
    estimate: Estimate,
    /// What its estimator last saw (loss, round trip, rate), for the teacher's grid.
    meter: LinkMeter,
}

#[derive(Default)]
struct Inner {
    table: Forwarding,
    members: BTreeMap<ConnId, Member>,
    publications: BTreeMap<MediaId, Publication>,
    subscriptions: BTreeMap<MediaId, Subscription>,
}

impl Inner {
    /// Who owns `media` (a Publication or a Subscription).
    fn owner_of(&self, media: MediaId) -> Option<ConnId> {
        self.publications
            .get(&media)
            .map(|p| p.owner)
            .or_else(|| self.subscriptions.get(&media).map(|s| s.owner))
    }

    /// Every Publication and Subscription `conn` owns.
    fn media_of(&self, conn: ConnId) -> Vec<MediaId> {
        let publications = self.publications.iter().filter(|(_, p)| p.owner == conn);
        let subscriptions = self.subscriptions.iter().filter(|(_, s)| s.owner == conn);
        publications
            .map(|(id, _)| *id)
            .chain(subscriptions.map(|(id, _)| *id))
            .collect()
    }
}

/// What ending publications and subscriptions leaves to do outside the lock: connections to close, messages to send.
#[derive(Default)]
struct Aftermath {
    close: Vec<PeerId>,
    notices: Vec<(Notifier, ServerMsg)>,
    sources_changed: bool,
}

pub struct LessonMedia {
    pub lesson: LessonId,
    ctx: Arc<MediaContext>,
    inner: Mutex<Inner>,
    gate: Mutex<KeyframeGate>,
    /// Woken when the picture a Subscription carries changes ([`links`] reports it at once).
    pictures: Arc<tokio::sync::Notify>,
}

impl LessonMedia {
    pub fn new(lesson: LessonId, ctx: Arc<MediaContext>) -> Arc<LessonMedia> {
        let gap = ctx.config.keyframe_gap_ms;
        let media = Arc::new(LessonMedia {
            lesson,
            ctx,
            inner: Mutex::new(Inner::default()),
            gate: Mutex::new(KeyframeGate::new(gap)),
            pictures: Arc::new(tokio::sync::Notify::new()),
        });
        tokio::spawn(keyframe_timer(Arc::downgrade(&media)));
        tokio::spawn(rate::publisher_rate_timer(Arc::downgrade(&media)));
        tokio::spawn(links::link_report_timer(
            Arc::downgrade(&media),
            media.pictures.clone(),
        ));
        media
    }

    pub fn is_empty(&self) -> bool {
        lock(&self.inner).members.is_empty()
    }

    /// A WebSocket connection of page `page` joins; `notify` is its outbound queue.
    ///
    /// If a connection of the same page and role is still in the lesson (its link dropped a
    /// moment ago, or it is being replaced), its Publication and Subscriptions carry on under the
    /// new connection: the page's peer connections never noticed the WebSocket going. The new
    /// connection is told which with [`ServerMsg::MediaResumed`], then gets its `Sources`.
    pub fn join(&self, conn: ConnId, role: Role, page: PageId, out: mpsc::Sender<Outbound>) {
        let notify = Notifier::spawn(out);
        let mut inner = lock(&self.inner);
        let earlier = inner
            .members
            .iter()
            .find(|(_, m)| m.page == Some(page) && m.role == role)
            .map(|(c, _)| *c);
        let mut resumed = ServerMsg::MediaResumed {
            publication: None,
            subscriptions: Vec::new(),
        };
        if let Some(old) = earlier {
            inner.members.remove(&old);
            inner.table.rename(old, conn);
            let mut publication = None;
            for (id, p) in inner
                .publications
                .iter_mut()
                .filter(|(_, p)| p.owner == old)
            {
                p.owner = conn;
                publication = Some(*id);
            }
            let mut subscriptions = Vec::new();
            for (id, s) in inner
                .subscriptions
                .iter_mut()
                .filter(|(_, s)| s.owner == old)
            {
                s.owner = conn;
                subscriptions.push((s.source, *id));
            }
            resumed = ServerMsg::MediaResumed {
                publication,
                subscriptions,
            };
        } else {
            inner.table.join(conn, role);
        }
        inner.members.insert(
            conn,
            Member {
                role,
                notify: Some(notify.clone()),
                http_key: None,
                page: Some(page),
                detached: false,
            },
        );
        let mut ice: Vec<shared::protocol::IceServer> = self
            .ctx
            .config
            .client_ice_servers
            .iter()
            .map(|s| shared::protocol::IceServer {
                urls: vec![s.url.clone()],
                username: s.username.clone(),
                credential: s.credential.clone(),
            })
            .collect();
        if let Some(turn) = &self.ctx.turn {
            // Credentials of this page's own, for the embedded TURN server.
            let id = format!("{}-{}", self.lesson.0, conn.0);
            ice.extend(turn.ice_servers(&id, crate::auth::now_secs()));
        }
        notify.send(ServerMsg::IceServers(ice));
        notify.send(resumed);
        notify.send(sources_msg(&inner, conn));
    }

    /// A WebSocket connection was lost (not closed by its page): its media carries on for
    /// `grace`, for the page to reconnect ([`LessonMedia::join`]), then it leaves.
    pub fn detach(self: &Arc<Self>, conn: ConnId, grace: Duration) {
        {
            let mut inner = lock(&self.inner);
            match inner.members.get_mut(&conn) {
                Some(m) => m.detached = true,
                None => return,
            }
        }
        let media = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            let still = lock(&media.inner)
                .members
                .get(&conn)
                .is_some_and(|m| m.detached);
            if still {
                media.leave(conn).await;
            }
        });
    }

    /// A WHIP/WHEP participant joins; `key` is a digest of its bearer token. At most
    /// [`MediaConfig::max_http_participants`] per lesson.
    pub fn join_http(
        &self,
        conn: ConnId,
        role: Role,
        key: [u8; 32],
    ) -> Result<(), LessonMediaError> {
        let http = lock(&self.inner)
            .members
            .values()
            .filter(|m| m.http_key.is_some())
            .count();
        let limit = self.ctx.config.max_http_participants;
        if http >= limit {
            return Err(LessonMediaError::TooManyHttpParticipants(limit));
        }
        self.join_member(
            conn,
            Member {
                role,
                notify: None,
                http_key: Some(key),
                page: None,
                detached: false,
            },
        );
        Ok(())
    }

    fn join_member(&self, conn: ConnId, member: Member) {
        let mut inner = lock(&self.inner);
        inner.table.join(conn, member.role);
        inner.members.insert(conn, member);
    }

    /// A connection leaves: its publications and subscriptions end.
    pub async fn leave(&self, conn: ConnId) {
        let after = {
            let mut inner = lock(&self.inner);
            let mut after = Aftermath::default();
            for media in inner.media_of(conn) {
                self.end_locked(&mut inner, media, false, &mut after);
            }
            self.remove_member_locked(&mut inner, conn, &mut after);
            self.finish_locked(&inner, &mut after);
            after
        };
        self.finish(after).await;
    }

    /// Ends one of `conn`'s Publications or Subscriptions.
    pub async fn end_media(&self, conn: ConnId, media: MediaId) -> Result<(), LessonMediaError> {
        let owned = lock(&self.inner).owner_of(media);
        if owned != Some(conn) {
            return Err(LessonMediaError::NoSuchMedia(media));
        }
        self.end(media, false).await;
        Ok(())
    }

    /// Ends a WHIP/WHEP resource's `media` (DELETE on the resource, with the token that created
    /// it): its participant leaves.
    pub async fn end_http_media(
        &self,
        media: MediaId,
        key: [u8; 32],
    ) -> Result<(), LessonMediaError> {
        let owner = {
            let inner = lock(&self.inner);
            inner.owner_of(media).filter(|owner| {
                inner
                    .members
                    .get(owner)
                    .is_some_and(|m| m.http_key == Some(key))
            })
        };
        match owner {
            Some(owner) => {
                self.leave(owner).await;
                Ok(())
            }
            None => Err(LessonMediaError::NoSuchMedia(media)),
        }
    }

    /// Ends a Publication or Subscription; `tell_owner`: send its owner [`ServerMsg::MediaEnded`].
    /// A WHIP/WHEP participant left with neither leaves the lesson.
    async fn end(&self, media: MediaId, tell_owner: bool) {
        let after = {
            let mut inner = lock(&self.inner);
            let mut after = Aftermath::default();
            let owner = inner.owner_of(media);
            self.end_locked(&mut inner, media, tell_owner, &mut after);
            if let Some(owner) = owner {
                let http = inner
                    .members
                    .get(&owner)
                    .is_some_and(|m| m.notify.is_none());
                if http && inner.media_of(owner).is_empty() {
                    self.remove_member_locked(&mut inner, owner, &mut after);
                }
            }
            self.finish_locked(&inner, &mut after);
            after
        };
        self.finish(after).await;
    }

    /// `conn` is no longer a member; the subscriptions the rules no longer allow end.
    fn remove_member_locked(&self, inner: &mut Inner, conn: ConnId, after: &mut Aftermath) {
        inner.members.remove(&conn);
        let changes = inner.table.leave(conn);
        self.apply_unsubscribes(inner, &changes, after);
        after.sources_changed = true;
    }

    fn end_locked(
        &self,
        inner: &mut Inner,
        media: MediaId,
        tell_owner: bool,
        after: &mut Aftermath,
    ) {
        if let Some(p) = inner.publications.remove(&media) {
            let mut gate = lock(&self.gate);
            for t in &p.tracks {
                let _ = inner.table.unpublish(p.owner, t.id);
                gate.forget(t.id);
            }
            drop(gate);
            after.close.push(p.peer);
            after.sources_changed |= p.announced;
            if tell_owner {
                if let Some(tx) = inner.members.get(&p.owner).and_then(|m| m.notify.clone()) {
                    after.notices.push((tx, ServerMsg::MediaEnded { media }));
                }
            }
            let subscribers: Vec<MediaId> = inner
                .subscriptions
                .iter()
                .filter(|(_, s)| s.source == media)
                .map(|(id, _)| *id)
                .collect();
            for sub in subscribers {
                self.end_locked(inner, sub, true, after);
            }
        } else if let Some(s) = inner.subscriptions.remove(&media) {
            // Closing its connection ends its routes in the driver.
            after.close.push(s.peer);
            if tell_owner {
                if let Some(tx) = inner.members.get(&s.owner).and_then(|m| m.notify.clone()) {
                    after.notices.push((tx, ServerMsg::MediaEnded { media }));
                }
            }
        }
    }

    /// Ends the subscriptions the rules no longer allow.
    fn apply_unsubscribes(
        &self,
        inner: &mut Inner,
        changes: &[RouteChange],
        after: &mut Aftermath,
    ) {
        for change in changes {
            let RouteChange::Unsubscribe { track, subscriber } = *change else {
                continue;
            };
            let ended: Vec<MediaId> = inner
                .subscriptions
                .iter()
                .filter(|(_, s)| s.owner == subscriber && s.tracks.iter().any(|t| t.id == track))
                .map(|(id, _)| *id)
                .collect();
            for media in ended {
                self.end_locked(inner, media, true, after);
            }
        }
    }

    /// The teacher gives the floor to a classroom, or takes it back.
    pub async fn set_floor(
        &self,
        conn: ConnId,
        floor: Option<shared::ids::ClassroomId>,
    ) -> Result<(), LessonMediaError> {
        let after = {
            let mut inner = lock(&self.inner);
            let changes = inner.table.set_floor(conn, floor)?;
            let mut after = Aftermath {
                sources_changed: true,
                ..Aftermath::default()
            };
            self.apply_unsubscribes(&mut inner, &changes, &mut after);
            self.finish_locked(&inner, &mut after);
            after
        };
        self.finish(after).await;
        // The classroom holding the floor is seen large: its camera's higher layer.
        layer_caps::update(self);
        Ok(())
    }

    /// Queues everyone's new [`ServerMsg::Sources`] if they changed.
    fn finish_locked(&self, inner: &Inner, after: &mut Aftermath) {
        if !after.sources_changed {
            return;
        }
        for (conn, member) in &inner.members {
            if let Some(tx) = &member.notify {
                after.notices.push((tx.clone(), sources_msg(inner, *conn)));
            }
        }
    }

    async fn finish(&self, after: Aftermath) {
        for (notify, msg) in after.notices {
            notify.send(msg);
        }
        for peer in after.close {
            self.ctx.close(peer).await;
        }
    }

    /// The driver's answer with the announced address written in, if one is configured.
    fn announced_answer(&self, answer: String) -> String {
        let config = &self.ctx.config;
        match config.announced_ip {
            Some(public) => crate::media::sdp::announce(&answer, config.bind_ip, public),
            None => answer,
        }
    }

    /// The teacher's first listed publication, for WHEP players.
    pub fn teacher_source(&self) -> Option<MediaId> {
        self.source_of(Role::Teacher)
    }

    /// The listed Publication of a member in `role` (the first, if several publish).
    pub fn source_of(&self, role: Role) -> Option<MediaId> {
        let inner = lock(&self.inner);
        inner
            .publications
            .iter()
            .filter(|(_, p)| p.announced)
            .find(|(_, p)| inner.members.get(&p.owner).map(|m| m.role) == Some(role))
            .map(|(id, _)| *id)
    }
}

fn sources_msg(inner: &Inner, conn: ConnId) -> ServerMsg {
    let sources = inner
        .publications
        .iter()
        .filter(|(_, p)| p.announced && p.owner != conn)
        .filter(|(_, p)| p.tracks.iter().any(|t| inner.table.may_receive(t.id, conn)))
        .filter_map(|(id, p)| {
            let role = inner.members.get(&p.owner)?.role;
            Some(Source {
                id: *id,
                role,
                audio: p.tracks.iter().any(|t| t.kind == Kind::Audio),
                video: p.tracks.iter().any(|t| t.kind == Kind::Video),
            })
        })
        .collect();
    ServerMsg::Sources {
        floor: inner.table.floor(),
        sources,
    }
}
