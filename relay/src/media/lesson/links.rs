//! Every 2 s, how each classroom's link fares ([`LinkReport`]) goes to the lesson's teacher and
//! observers as [`ServerMsg::Links`], and to each classroom its own: what the relay's estimator
//! saw on the Subscription that carries most to that classroom (the teacher's picture, as a
//! rule).

use super::{lock, LessonMedia};
use crate::media::link_meter::LinkReading;
use crate::media::link_report::LinkReport;
use shared::ids::{ClassroomId, Role};
use shared::protocol::ServerMsg;
use std::collections::BTreeMap;
use std::sync::Weak;
use std::time::Duration;

const EVERY: Duration = Duration::from_secs(2);

pub(super) async fn link_report_timer(media: Weak<LessonMedia>) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut report = LinkReport::default();
    loop {
        tick.tick().await;
        let Some(media) = media.upgrade() else { return };
        let inner = lock(&media.inner);
        // Per classroom: its Subscription to the teacher if it has one, else the one that
        // carries most.
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
        let best = best.into_iter().map(|(room, (_, reading))| (room, reading));
        let links = report.update(best);
        if links.is_empty() {
            continue;
        }
        for m in inner.members.values() {
            let Some(notify) = &m.notify else { continue };
            match m.role {
                Role::Teacher | Role::Observer => notify.send(ServerMsg::Links(links.clone())),
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
}
