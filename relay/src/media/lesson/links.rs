//! Every 2 s, how each classroom's link fares ([`LinkReport`]) goes to the lesson's teacher and
//! observers as [`ServerMsg::Links`]: what the relay's estimator saw on the Subscription that
//! carries most to that classroom (the teacher's picture, as a rule).

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
        let mut best: BTreeMap<ClassroomId, LinkReading> = BTreeMap::new();
        for s in inner.subscriptions.values() {
            let Some(Role::Classroom(room)) = inner.members.get(&s.owner).map(|m| m.role) else {
                continue;
            };
            let Some(reading) = s.meter.read() else {
                continue;
            };
            let entry = best.entry(room).or_insert(reading);
            if reading.delivered_bps > entry.delivered_bps {
                *entry = reading;
            }
        }
        let links = report.update(best);
        if links.is_empty() {
            continue;
        }
        for m in inner.members.values() {
            if let (Role::Teacher | Role::Observer, Some(notify)) = (m.role, &m.notify) {
                notify.send(ServerMsg::Links(links.clone()));
            }
        }
    }
}
