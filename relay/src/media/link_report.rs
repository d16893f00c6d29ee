//! The teacher's view of each classroom's link (no IO): the lesson reads every classroom's
//! [`LinkReading`] every couple of seconds and [`LinkReport::update`] smooths them into the
//! [`ClassroomLink`]s the teacher's grid shows. A second's loss on a 1% link is a handful of
//! packets, so the grade follows a moving average (about the last six seconds), not each reading.

use super::link_meter::LinkReading;
use shared::ids::ClassroomId;
use shared::link::{ClassroomLink, LinkGrade, Picture};
use std::collections::BTreeMap;

/// The weight of a new reading in the averages (one reading every two seconds).
const NEW_WEIGHT: f64 = 0.3;

#[derive(Clone, Copy, Debug)]
struct Smoothed {
    loss: f64,
    rtt_ms: f64,
    feedbacks: u64,
}

#[derive(Debug, Default)]
pub struct LinkReport {
    classrooms: BTreeMap<ClassroomId, Smoothed>,
    /// What the last round showed (with the pictures changed since).
    shown: Vec<ClassroomLink>,
}

impl LinkReport {
    /// This round's readings, one per classroom (its Subscription that carries most); returns
    /// the links to show, in classroom order. A classroom without a reading this round is
    /// forgotten; a reading with no feedback since the last round counts as nothing new.
    pub fn update(
        &mut self,
        readings: impl IntoIterator<Item = (ClassroomId, LinkReading)>,
    ) -> Vec<ClassroomLink> {
        let mut next = BTreeMap::new();
        let mut links = Vec::new();
        for (classroom, r) in readings {
            let smoothed = match self.classrooms.get(&classroom) {
                Some(old) if old.feedbacks == r.feedbacks => *old,
                Some(old) => Smoothed {
                    loss: mix(old.loss, f64::from(r.loss_permille)),
                    rtt_ms: mix(old.rtt_ms, f64::from(r.rtt_ms)),
                    feedbacks: r.feedbacks,
                },
                None => Smoothed {
                    loss: f64::from(r.loss_permille),
                    rtt_ms: f64::from(r.rtt_ms),
                    feedbacks: r.feedbacks,
                },
            };
            let loss_permille = smoothed.loss.round().clamp(0.0, 1000.0) as u16;
            let rtt_ms = smoothed.rtt_ms.round().clamp(0.0, f64::from(u32::MAX)) as u32;
            links.push(ClassroomLink {
                classroom,
                grade: LinkGrade::of(loss_permille, rtt_ms).with_picture(r.picture),
                loss_permille,
                rtt_ms,
                receiving_kbps: (r.delivered_bps / 1000).min(u64::from(u32::MAX)) as u32,
                picture: r.picture,
            });
            next.insert(classroom, smoothed);
        }
        self.classrooms = next;
        links.sort_by_key(|l| l.classroom);
        links.dedup_by_key(|l| l.classroom);
        self.shown.clone_from(&links);
        links
    }

    /// The pictures the classrooms get now, between two rounds (a layer switched): if any
    /// differs from what was shown, the links shown with the new pictures (and their grades);
    /// otherwise nothing. The averages wait for the next round.
    pub fn repicture(
        &mut self,
        pictures: impl IntoIterator<Item = (ClassroomId, Picture)>,
    ) -> Option<Vec<ClassroomLink>> {
        let mut changed = false;
        for (classroom, picture) in pictures {
            let Ok(i) = self.shown.binary_search_by_key(&classroom, |l| l.classroom) else {
                continue;
            };
            let link = &mut self.shown[i];
            if link.picture != picture {
                link.picture = picture;
                link.grade = LinkGrade::of(link.loss_permille, link.rtt_ms).with_picture(picture);
                changed = true;
            }
        }
        changed.then(|| self.shown.clone())
    }
}

fn mix(old: f64, new: f64) -> f64 {
    old + (new - old) * NEW_WEIGHT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(loss_permille: u16, rtt_ms: u32, feedbacks: u64) -> LinkReading {
        LinkReading {
            loss_permille,
            rtt_ms,
            delivered_bps: 750_000,
            feedbacks,
            picture: Picture::Whole,
        }
    }

    #[test]
    fn the_first_reading_is_shown_as_it_is() {
        let mut report = LinkReport::default();
        let links = report.update([(ClassroomId(3), reading(5, 80, 1))]);
        assert_eq!(
            links,
            vec![ClassroomLink {
                classroom: ClassroomId(3),
                grade: LinkGrade::Good,
                loss_permille: 5,
                rtt_ms: 80,
                receiving_kbps: 750,
                picture: Picture::Whole,
            }]
        );
    }

    #[test]
    fn a_paused_picture_makes_the_link_poor() {
        let mut report = LinkReport::default();
        let paused = LinkReading {
            picture: Picture::Paused,
            ..reading(0, 40, 1)
        };
        let links = report.update([(ClassroomId(1), paused)]);
        assert_eq!(
            (links[0].grade, links[0].picture),
            (LinkGrade::Poor, Picture::Paused)
        );
    }

    #[test]
    fn one_bad_second_does_not_make_a_good_link_poor_but_a_lasting_one_does() {
        let mut report = LinkReport::default();
        let room = ClassroomId(1);
        for n in 1..=5 {
            report.update([(room, reading(5, 80, n))]);
        }
        let links = report.update([(room, reading(100, 80, 6))]);
        assert_eq!(links[0].grade, LinkGrade::Fair, "{links:?}");
        let mut grade = links[0].grade;
        for n in 7..=12 {
            grade = report.update([(room, reading(100, 80, n))])[0].grade;
        }
        assert_eq!(grade, LinkGrade::Poor);
    }

    #[test]
    fn no_new_feedback_changes_nothing_and_a_classroom_gone_is_forgotten() {
        let mut report = LinkReport::default();
        let (a, b) = (ClassroomId(1), ClassroomId(2));
        report.update([(a, reading(0, 50, 1)), (b, reading(0, 50, 1))]);
        // Same feedback count: the old averages stand, whatever the reading says.
        let links = report.update([(a, reading(900, 900, 1)), (b, reading(0, 50, 2))]);
        assert_eq!(links[0].loss_permille, 0);
        assert_eq!(links.len(), 2);
        // b left: only a is shown; b comes back as new.
        assert_eq!(report.update([(a, reading(0, 50, 2))]).len(), 1);
        let back = report.update([(a, reading(0, 50, 3)), (b, reading(300, 700, 9))]);
        assert_eq!(back[1].grade, LinkGrade::Poor);
    }

    #[test]
    fn a_picture_changed_between_rounds_is_shown_at_once_with_its_grade() {
        let mut report = LinkReport::default();
        let (a, b) = (ClassroomId(1), ClassroomId(2));
        let mut high = reading(0, 40, 1);
        high.picture = Picture::Layer(2);
        report.update([(a, high), (b, high)]);
        assert_eq!(report.repicture([(a, Picture::Layer(2))]), None);
        // Unknown classrooms are left out.
        assert_eq!(report.repicture([(ClassroomId(9), Picture::Paused)]), None);
        let links = report
            .repicture([(a, Picture::Paused), (b, Picture::Layer(2))])
            .expect("a changed");
        assert_eq!(links.len(), 2);
        assert_eq!(
            (links[0].picture, links[0].grade),
            (Picture::Paused, LinkGrade::Poor)
        );
        assert_eq!(links[1].picture, Picture::Layer(2));
        assert_eq!(links[0].loss_permille, 0, "the figures stay as shown");
        assert_eq!(report.repicture([(a, Picture::Paused)]), None);
    }
}
