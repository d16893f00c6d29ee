//! What the page does about media, without the browser: which Sources to subscribe to and which
//! Subscriptions to drop when the relay's `Sources` list changes, and which pending offer an
//! answer, a refusal or an end belongs to. The wasm edge (`media`) carries the actions out with
//! RTCPeerConnection.

use shared::ids::{ClassroomId, MediaId};
use shared::protocol::Source;
use std::collections::BTreeMap;

/// What an offer was for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// This page's camera and microphone.
    Publish,
    /// Receiving one Source.
    Source(MediaId),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Open a receive-only connection for `source` and send its offer with `req`.
    Subscribe { source: MediaId, req: u32 },
    /// Close the connection for `source` (no longer listed, or ended by the relay).
    Drop { source: MediaId },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pending {
    req: u32,
    media: Option<MediaId>,
}

/// The first wait before publishing again after the page's Publication was lost; each loss in a
/// row doubles it, up to [`REPUBLISH_LONGEST_MS`].
pub const REPUBLISH_FIRST_MS: u32 = 1_000;
pub const REPUBLISH_LONGEST_MS: u32 = 16_000;

#[derive(Default)]
pub struct MediaPlan {
    pub sources: Vec<Source>,
    pub floor: Option<ClassroomId>,
    subs: BTreeMap<MediaId, Pending>,
    publish: Option<Pending>,
    /// Publications lost in a row (none connected in between).
    publish_losses: u32,
    next_req: u32,
}

impl MediaPlan {
    fn req(&mut self) -> u32 {
        self.next_req += 1;
        self.next_req
    }

    /// The relay's new `Sources`: subscribe to what is new, drop what is gone.
    pub fn sources(&mut self, floor: Option<ClassroomId>, sources: Vec<Source>) -> Vec<Action> {
        self.floor = floor;
        self.sources = sources;
        let listed: Vec<MediaId> = self.sources.iter().map(|s| s.id).collect();
        let mut out: Vec<Action> = Vec::new();
        let gone: Vec<MediaId> = self
            .subs
            .keys()
            .copied()
            .filter(|id| !listed.contains(id))
            .collect();
        for source in gone {
            self.subs.remove(&source);
            out.push(Action::Drop { source });
        }
        out.extend(self.ensure());
        out
    }

    /// Subscriptions for every listed Source that has none.
    pub fn ensure(&mut self) -> Vec<Action> {
        let missing: Vec<MediaId> = self
            .sources
            .iter()
            .map(|s| s.id)
            .filter(|id| !self.subs.contains_key(id))
            .collect();
        missing
            .into_iter()
            .map(|source| {
                let req = self.req();
                self.subs.insert(source, Pending { req, media: None });
                Action::Subscribe { source, req }
            })
            .collect()
    }

    /// A new publication is offered; returns its `req`.
    pub fn publish(&mut self) -> u32 {
        let req = self.req();
        self.publish = Some(Pending { req, media: None });
        req
    }

    fn target(&self, req: u32) -> Option<Target> {
        if self.publish.is_some_and(|p| p.req == req) {
            return Some(Target::Publish);
        }
        self.subs
            .iter()
            .find(|(_, p)| p.req == req)
            .map(|(source, _)| Target::Source(*source))
    }

    /// The relay answered `req`; `None` for an answer nobody waits for (ignore it).
    pub fn answered(&mut self, req: u32, media: MediaId) -> Option<Target> {
        let target = self.target(req)?;
        match target {
            Target::Publish => {
                if let Some(p) = self.publish.as_mut() {
                    p.media = Some(media);
                }
            }
            Target::Source(source) => {
                if let Some(p) = self.subs.get_mut(&source) {
                    p.media = Some(media);
                }
            }
        }
        Some(target)
    }

    /// The relay refused `req`. A refused Subscription stays remembered (so it is not retried in a
    /// loop) until the Source leaves the list.
    pub fn refused(&mut self, req: u32) -> Option<Target> {
        let target = self.target(req)?;
        if target == Target::Publish {
            self.publish = None;
        }
        Some(target)
    }

    /// The relay ended a Publication or Subscription; returns the Source whose connection to
    /// close, if it was one.
    pub fn ended(&mut self, media: MediaId) -> Option<MediaId> {
        let source = self
            .subs
            .iter()
            .find(|(_, p)| p.media == Some(media))
            .map(|(source, _)| *source)?;
        self.subs.remove(&source);
        Some(source)
    }

    /// The relay ended `media`: if it is this page's Publication, forget it and return how long
    /// to wait before publishing again (see [`MediaPlan::publication_lost`]).
    pub fn publication_ended(&mut self, media: MediaId) -> Option<u32> {
        if self.publish.is_some_and(|p| p.media == Some(media)) {
            Some(self.publication_lost())
        } else {
            None
        }
    }

    /// The page's Publication is gone (its connection failed, or the relay ended it): how long to
    /// wait (ms) before publishing again. A rural link that just came back may fail the next
    /// attempt too; the waits grow so that a link that stays down is not flooded with offers.
    pub fn publication_lost(&mut self) -> u32 {
        self.publish = None;
        let wait = REPUBLISH_FIRST_MS.saturating_mul(1 << self.publish_losses.min(8));
        self.publish_losses = self.publish_losses.saturating_add(1);
        wait.min(REPUBLISH_LONGEST_MS)
    }

    /// The page's Publication connected: the next loss waits the shortest time again.
    pub fn publication_connected(&mut self) {
        self.publish_losses = 0;
    }

    /// The page's own connection to `source` failed: forget it, so [`MediaPlan::ensure`]
    /// subscribes again while it is listed.
    pub fn failed(&mut self, source: MediaId) {
        self.subs.remove(&source);
    }

    /// Joined on a (new) WebSocket connection: the relay says which Publication and Subscriptions
    /// of the page's previous connection continue (`MediaResumed`). Returns the Subscriptions to
    /// drop and to open, and whether the page's Publication continues (else it must publish
    /// again). Offers still unanswered are never kept: their answers went to the old connection.
    pub fn resumed(
        &mut self,
        publication: Option<MediaId>,
        kept: &[(MediaId, MediaId)],
    ) -> (Vec<Action>, bool) {
        let keep_publication =
            publication.is_some() && self.publish.is_some_and(|p| p.media == publication);
        if !keep_publication {
            self.publish = None;
        }
        let dropped: Vec<MediaId> = self
            .subs
            .iter()
            .filter(|(source, p)| !p.media.is_some_and(|s| kept.contains(&(**source, s))))
            .map(|(source, _)| *source)
            .collect();
        let mut out = Vec::new();
        for source in dropped {
            self.subs.remove(&source);
            out.push(Action::Drop { source });
        }
        out.extend(self.ensure());
        (out, keep_publication)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::Role;

    fn src(id: u64, role: Role) -> Source {
        Source {
            id: MediaId(id),
            role,
            audio: true,
            video: true,
        }
    }

    #[test]
    fn subscribes_to_new_sources_and_drops_gone_ones() {
        let mut plan = MediaPlan::default();
        let a = plan.sources(None, vec![src(5, Role::Teacher)]);
        assert_eq!(
            a,
            vec![Action::Subscribe {
                source: MediaId(5),
                req: 1
            }]
        );
        assert_eq!(plan.sources(None, vec![src(5, Role::Teacher)]), vec![]);
        let room = Role::Classroom(ClassroomId(2));
        let a = plan.sources(
            Some(ClassroomId(2)),
            vec![src(5, Role::Teacher), src(9, room)],
        );
        assert_eq!(
            a,
            vec![Action::Subscribe {
                source: MediaId(9),
                req: 2
            }]
        );
        assert_eq!(plan.floor, Some(ClassroomId(2)));
        let a = plan.sources(None, vec![src(5, Role::Teacher)]);
        assert_eq!(a, vec![Action::Drop { source: MediaId(9) }]);
    }

    #[test]
    fn answers_refusals_and_ends_find_their_offer() {
        let mut plan = MediaPlan::default();
        let publish = plan.publish();
        plan.sources(None, vec![src(5, Role::Teacher)]);
        assert_eq!(plan.answered(publish, MediaId(100)), Some(Target::Publish));
        assert_eq!(
            plan.answered(2, MediaId(101)),
            Some(Target::Source(MediaId(5)))
        );
        assert_eq!(
            plan.answered(77, MediaId(1)),
            None,
            "an answer nobody waits for"
        );
        assert_eq!(
            plan.ended(MediaId(100)),
            None,
            "the relay does not end our publication this way"
        );
        assert_eq!(plan.ended(MediaId(101)), Some(MediaId(5)));
        // Still listed: subscribe again.
        assert_eq!(
            plan.ensure(),
            vec![Action::Subscribe {
                source: MediaId(5),
                req: 3
            }]
        );
        assert_eq!(plan.refused(3), Some(Target::Source(MediaId(5))));
        assert_eq!(
            plan.ensure(),
            vec![],
            "a refused subscription is not retried in a loop"
        );
        let again = plan.publish();
        assert_eq!(plan.refused(again), Some(Target::Publish));
    }

    #[test]
    fn a_lost_publication_is_published_again_after_growing_waits() {
        let mut plan = MediaPlan::default();
        let req = plan.publish();
        assert_eq!(plan.answered(req, MediaId(7)), Some(Target::Publish));
        // Another Publication's end (an earlier one, replaced) is not this page's loss.
        assert_eq!(plan.publication_ended(MediaId(6)), None);
        assert_eq!(plan.publication_ended(MediaId(7)), Some(REPUBLISH_FIRST_MS));
        // Gone: its answer is no longer awaited.
        assert_eq!(plan.answered(req, MediaId(7)), None);
        let waits: Vec<u32> = (0..6)
            .map(|_| {
                plan.publish();
                plan.publication_lost()
            })
            .collect();
        assert_eq!(waits, [2_000, 4_000, 8_000, 16_000, 16_000, 16_000]);
        // Once a Publication connected, the next loss waits the shortest time again.
        let req = plan.publish();
        plan.answered(req, MediaId(9));
        plan.publication_connected();
        assert_eq!(plan.publication_ended(MediaId(9)), Some(REPUBLISH_FIRST_MS));
        for _ in 0..100 {
            assert!(plan.publication_lost() <= REPUBLISH_LONGEST_MS);
        }
    }

    #[test]
    fn a_failed_connection_is_subscribed_again_while_listed() {
        let mut plan = MediaPlan::default();
        plan.sources(None, vec![src(5, Role::Teacher)]);
        plan.answered(1, MediaId(101));
        assert_eq!(plan.ensure(), vec![]);
        plan.failed(MediaId(5));
        assert_eq!(
            plan.ensure(),
            vec![Action::Subscribe {
                source: MediaId(5),
                req: 2
            }]
        );
        plan.sources(None, vec![]);
        plan.failed(MediaId(5));
        assert_eq!(
            plan.ensure(),
            vec![],
            "no longer listed: not subscribed again"
        );
    }

    #[test]
    fn a_fresh_connection_drops_every_subscription_and_subscribes_again() {
        let mut plan = MediaPlan::default();
        plan.sources(None, vec![src(5, Role::Teacher), src(6, Role::Observer)]);
        plan.publish();
        let (actions, keep) = plan.resumed(None, &[]);
        assert!(!keep, "nothing kept: publish again");
        assert_eq!(
            actions,
            vec![
                Action::Drop { source: MediaId(5) },
                Action::Drop { source: MediaId(6) },
                Action::Subscribe {
                    source: MediaId(5),
                    req: 4
                },
                Action::Subscribe {
                    source: MediaId(6),
                    req: 5
                },
            ]
        );
        assert_eq!(
            plan.answered(3, MediaId(9)),
            None,
            "the old publication's answer is ignored"
        );
        assert_eq!(
            plan.answered(4, MediaId(10)),
            Some(Target::Source(MediaId(5)))
        );
    }

    #[test]
    fn publications_and_subscriptions_the_relay_kept_are_kept() {
        let mut plan = MediaPlan::default();
        plan.sources(None, vec![src(5, Role::Teacher), src(6, Role::Observer)]);
        let publish = plan.publish();
        plan.answered(publish, MediaId(100));
        plan.answered(1, MediaId(101)); // source 5
                                        // source 6 (req 2) is still unanswered
        let (actions, keep) = plan.resumed(Some(MediaId(100)), &[(MediaId(5), MediaId(101))]);
        assert!(keep);
        assert_eq!(
            actions,
            vec![
                Action::Drop { source: MediaId(6) },
                Action::Subscribe {
                    source: MediaId(6),
                    req: 4
                }
            ]
        );
        // A publication the relay did not keep (another media id) is published again.
        let (_, keep) = plan.resumed(Some(MediaId(999)), &[(MediaId(5), MediaId(101))]);
        assert!(!keep);
    }

    #[test]
    fn sources_before_the_welcome_are_kept() {
        // The relay's Sources for a new connection can overtake its Welcome.
        let mut plan = MediaPlan::default();
        plan.sources(None, vec![src(5, Role::Teacher)]);
        let (after, _) = plan.resumed(None, &[]);
        assert!(after.contains(&Action::Subscribe {
            source: MediaId(5),
            req: 2
        }));
    }
}
