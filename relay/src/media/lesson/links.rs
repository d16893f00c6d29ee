//! Every 2 s, how each classroom's link fares ([`LinkReport`]) goes to the lesson's teacher and
//! observers as [`ServerMsg::Links`], and to each classroom its own: what the relay's estimator
//! saw on the Subscription that carries most to that classroom (the teacher's picture, as a
//! rule). A change of the picture a classroom gets (a layer switched, the video paused) goes out
//! at once, with the figures of the last round. The same readings feed the lesson's
//! [`LinkClock`]: the time each classroom spends on each picture and in outages, handed every few
//! seconds to be stored for the attendance report.

use super::{lock, Inner, LessonMedia};
use crate::media::link_meter::LinkReading;
use crate::media::link_report::LinkReport;
use crate::media::link_time::{LinkClock, LinkSample};
use crate::media::LinkTimeBatch;
use shared::ids::{ClassroomId, Role};
use shared::link::ClassroomLink;
use shared::protocol::ServerMsg;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

const EVERY: Duration = Duration::from_secs(2);
/// Changes of picture go out at most this often (a burst of switches in one message).
const PICTURES_GAP: Duration = Duration::from_millis(200);

/// `pictures` is woken by each Subscription's [`crate::media::link_meter::LinkMeter`] when the
/// picture it carries changes.
pub(super) async fn link_report_timer(media: Weak<LessonMedia>, pictures: Arc<Notify>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut report = LinkReport::default();
    let mut clock = LinkClock::default();
    let start = Instant::now();
    let mut sink: Option<(mpsc::Sender<LinkTimeBatch>, shared::ids::LessonId)> = None;
    loop {
        let round = tokio::select! {
            _ = tick.tick() => true,
            () = pictures.notified() => false,
        };
        if !round {
            if let Some(media) = media.upgrade() {
                pictures_round(&media, &mut report);
            }
            tokio::time::sleep(PICTURES_GAP).await;
            continue;
        }
        let Some(media) = media.upgrade() else {
            // The lesson's media ended: what is left goes to the store.
            if let Some((to, lesson)) = sink {
                hand_over(&to, lesson, clock.take()).await;
            }
            return;
        };
        if sink.is_none() {
            sink = media
                .ctx
                .link_time
                .get()
                .map(|to| (to.clone(), media.lesson));
        }
        let due = links_round(&media, &mut report, &mut clock, start.elapsed());
        drop(media);
        if let Some((to, lesson)) = &sink {
            hand_over(to, *lesson, due).await;
        }
    }
}

/// Hands a batch to the store's writer; waits for room (the writer is never far behind) but
/// not forever, so a stuck database never holds up the lesson's reports.
async fn hand_over(
    to: &mpsc::Sender<LinkTimeBatch>,
    lesson: shared::ids::LessonId,
    batch: Vec<(ClassroomId, crate::attendance::LinkTime)>,
) {
    if batch.is_empty() {
        return;
    }
    match tokio::time::timeout(EVERY, to.send((lesson, batch))).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => tracing::warn!(%lesson, "link time not recorded: no store writer"),
        Err(_) => tracing::warn!(%lesson, "link time not recorded: the store writer is behind"),
    }
}

/// One round: the links to everyone who sees them, and the link time due to be stored.
fn links_round(
    media: &LessonMedia,
    report: &mut LinkReport,
    clock: &mut LinkClock,
    now: Duration,
) -> Vec<(ClassroomId, crate::attendance::LinkTime)> {
    let inner = lock(&media.inner);
    let best = readings(&inner);
    clock.observe(
        now,
        best.iter().map(|(room, r)| LinkSample {
            classroom: *room,
            feedbacks: r.feedbacks,
            picture: r.picture,
        }),
    );
    let links = report.update(best);
    if !links.is_empty() {
        tell(&inner, &links);
    }
    clock.due(now)
}

/// Between rounds: the pictures that changed, to everyone who sees them.
fn pictures_round(media: &LessonMedia, report: &mut LinkReport) {
    let inner = lock(&media.inner);
    let pictures = readings(&inner)
        .into_iter()
        .map(|(room, r)| (room, r.picture));
    if let Some(links) = report.repicture(pictures) {
        tell(&inner, &links);
    }
}

/// Per classroom, the reading of its Subscription to the teacher if it has one, else of the one
/// that carries most.
fn readings(inner: &Inner) -> BTreeMap<ClassroomId, LinkReading> {
    let mut best: BTreeMap<ClassroomId, (bool, LinkReading)> = BTreeMap::new();
    for s in inner.subscriptions.values() {
        let Some(Role::Classroom(room)) = inner.members.get(&s.owner).map(|m| m.role) else {
            continue;
        };
        let Some(reading) = s.meter.read() else {
            continue;
        };
        let of_teacher = inner
            .publications
            .get(&s.source)
            .and_then(|p| inner.members.get(&p.owner))
            .is_some_and(|m| m.role == Role::Teacher);
        let entry = best.entry(room).or_insert((of_teacher, reading));
        if (of_teacher, reading.delivered_bps) > (entry.0, entry.1.delivered_bps) {
            *entry = (of_teacher, reading);
        }
    }
    best.into_iter().map(|(room, (_, r))| (room, r)).collect()
}

/// `links` to the teacher and observers, and to each classroom its own.
fn tell(inner: &Inner, links: &[ClassroomLink]) {
    for m in inner.members.values() {
        let Some(notify) = &m.notify else { continue };
        match m.role {
            Role::Teacher | Role::Observer => notify.send(ServerMsg::Links(links.to_vec())),
            Role::Classroom(room) => {
                let own: Vec<_> = links
                    .iter()
                    .filter(|l| l.classroom == room)
                    .copied()
                    .collect();
                if !own.is_empty() {
                    notify.send(ServerMsg::Links(own));
                }
            }
        }
    }
}
