//! Which published Track goes to which Subscriber, as a plain table.
//!
//! The rules of a 同頻 lesson: the teacher's tracks go to everyone; each classroom's tracks go to
//! the teacher; a classroom given the floor is also heard and seen by every other classroom and
//! by observers; observers publish nothing. Every change returns the routes to add and remove, so
//! the driver never computes them itself.

use crate::room::ConnId;
use shared::ids::{ClassroomId, Role};
use std::collections::{BTreeMap, BTreeSet};
use thiserror::Error;

/// A published track, numbered by the relay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrackId(pub u64);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Audio,
    Video,
}

/// A route to add or remove: `track` to `subscriber`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RouteChange {
    Subscribe { track: TrackId, subscriber: ConnId },
    Unsubscribe { track: TrackId, subscriber: ConnId },
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum MediaError {
    #[error("connection {0} is not in the lesson")]
    NotJoined(ConnId),
    #[error("observers receive the lesson and send nothing")]
    ObserverCannotPublish,
    #[error("only the teacher gives or takes the floor")]
    NotTheTeacher,
    #[error("classroom {0} is not connected")]
    ClassroomAbsent(ClassroomId),
    #[error("track {0:?} already exists")]
    TrackExists(TrackId),
    #[error("track {0:?} is not published by this connection")]
    NotYourTrack(TrackId),
}

#[derive(Clone, Copy, Debug)]
struct Track {
    publisher: ConnId,
    kind: Kind,
}

#[derive(Default)]
pub struct Forwarding {
    participants: BTreeMap<ConnId, Role>,
    tracks: BTreeMap<TrackId, Track>,
    floor: Option<ClassroomId>,
}

impl Forwarding {
    pub fn new() -> Forwarding {
        Forwarding::default()
    }

    pub fn floor(&self) -> Option<ClassroomId> {
        self.floor
    }

    /// Every published track.
    pub fn tracks(&self) -> impl Iterator<Item = TrackId> + '_ {
        self.tracks.keys().copied()
    }

    pub fn role(&self, conn: ConnId) -> Option<Role> {
        self.participants.get(&conn).copied()
    }

    pub fn kind(&self, track: TrackId) -> Option<Kind> {
        self.tracks.get(&track).map(|t| t.kind)
    }

    pub fn publisher(&self, track: TrackId) -> Option<ConnId> {
        self.tracks.get(&track).map(|t| t.publisher)
    }

    pub fn join(&mut self, conn: ConnId, role: Role) -> Vec<RouteChange> {
        self.change(|f| {
            f.participants.insert(conn, role);
            Ok(())
        })
        .unwrap_or_default()
    }

    /// Connection `old` continues as `new` (a page reconnected): same role, same tracks, so no
    /// route changes in substance.
    pub fn rename(&mut self, old: ConnId, new: ConnId) {
        if let Some(role) = self.participants.remove(&old) {
            self.participants.insert(new, role);
        }
        for t in self.tracks.values_mut() {
            if t.publisher == old {
                t.publisher = new;
            }
        }
    }

    /// A participant leaves: its tracks end; a classroom holding the floor loses it.
    pub fn leave(&mut self, conn: ConnId) -> Vec<RouteChange> {
        self.change(|f| {
            if let Some(Role::Classroom(id)) = f.participants.remove(&conn) {
                if f.floor == Some(id)
                    && !f.participants.values().any(|r| *r == Role::Classroom(id))
                {
                    f.floor = None;
                }
            }
            f.tracks.retain(|_, t| t.publisher != conn);
            Ok(())
        })
        .unwrap_or_default()
    }

    pub fn publish(
        &mut self,
        conn: ConnId,
        track: TrackId,
        kind: Kind,
    ) -> Result<Vec<RouteChange>, MediaError> {
        self.change(|f| {
            match f.participants.get(&conn) {
                None => return Err(MediaError::NotJoined(conn)),
                Some(Role::Observer) => return Err(MediaError::ObserverCannotPublish),
                Some(_) => {}
            }
            if f.tracks.contains_key(&track) {
                return Err(MediaError::TrackExists(track));
            }
            f.tracks.insert(
                track,
                Track {
                    publisher: conn,
                    kind,
                },
            );
            Ok(())
        })
    }

    pub fn unpublish(
        &mut self,
        conn: ConnId,
        track: TrackId,
    ) -> Result<Vec<RouteChange>, MediaError> {
        self.change(|f| {
            match f.tracks.get(&track) {
                Some(t) if t.publisher == conn => {}
                _ => return Err(MediaError::NotYourTrack(track)),
            }
            f.tracks.remove(&track);
            Ok(())
        })
    }

    /// The teacher (`by`) gives the floor to a classroom, or takes it back with `None`.
    pub fn set_floor(
        &mut self,
        by: ConnId,
        floor: Option<ClassroomId>,
    ) -> Result<Vec<RouteChange>, MediaError> {
        self.change(|f| {
            if f.participants.get(&by) != Some(&Role::Teacher) {
                return Err(MediaError::NotTheTeacher);
            }
            if let Some(id) = floor {
                if !f.participants.values().any(|r| *r == Role::Classroom(id)) {
                    return Err(MediaError::ClassroomAbsent(id));
                }
            }
            f.floor = floor;
            Ok(())
        })
    }

    /// Who receives `track` under the rules.
    pub fn subscribers(&self, track: TrackId) -> Vec<ConnId> {
        let Some(t) = self.tracks.get(&track) else {
            return Vec::new();
        };
        let Some(&from) = self.participants.get(&t.publisher) else {
            return Vec::new();
        };
        self.participants
            .iter()
            .filter(|(conn, to)| **conn != t.publisher && self.receives(from, **to))
            .map(|(conn, _)| *conn)
            .collect()
    }

    /// Whether `conn` receives `track` under the rules (what [`Forwarding::subscribers`] lists).
    pub fn may_receive(&self, track: TrackId, conn: ConnId) -> bool {
        let Some(t) = self.tracks.get(&track) else {
            return false;
        };
        match (
            self.participants.get(&t.publisher),
            self.participants.get(&conn),
        ) {
            (Some(&from), Some(&to)) => conn != t.publisher && self.receives(from, to),
            _ => false,
        }
    }

    /// Whether a participant in role `to` receives what one in role `from` publishes.
    fn receives(&self, from: Role, to: Role) -> bool {
        match from {
            Role::Teacher => true,
            Role::Classroom(id) => {
                to == Role::Teacher || (self.floor == Some(id) && to != Role::Classroom(id))
            }
            Role::Observer => false,
        }
    }

    fn routes(&self) -> BTreeSet<(TrackId, ConnId)> {
        self.tracks
            .keys()
            .flat_map(|t| self.subscribers(*t).into_iter().map(move |c| (*t, c)))
            .collect()
    }

    /// Applies `edit`; on success returns the routes it adds and removes, on error changes nothing.
    fn change(
        &mut self,
        edit: impl FnOnce(&mut Forwarding) -> Result<(), MediaError>,
    ) -> Result<Vec<RouteChange>, MediaError> {
        let before = self.routes();
        let saved = (self.participants.clone(), self.tracks.clone(), self.floor);
        if let Err(e) = edit(self) {
            (self.participants, self.tracks, self.floor) = saved;
            return Err(e);
        }
        let after = self.routes();
        let mut out: Vec<RouteChange> = before
            .difference(&after)
            .map(|&(track, subscriber)| RouteChange::Unsubscribe { track, subscriber })
            .collect();
        out.extend(
            after
                .difference(&before)
                .map(|&(track, subscriber)| RouteChange::Subscribe { track, subscriber }),
        );
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEACHER: ConnId = ConnId(1);
    const A: ConnId = ConnId(2);
    const B: ConnId = ConnId(3);
    const OBSERVER: ConnId = ConnId(4);
    const ROOM_A: ClassroomId = ClassroomId(20);
    const ROOM_B: ClassroomId = ClassroomId(30);

    fn lesson() -> Forwarding {
        let mut f = Forwarding::new();
        f.join(TEACHER, Role::Teacher);
        f.join(A, Role::Classroom(ROOM_A));
        f.join(B, Role::Classroom(ROOM_B));
        f.join(OBSERVER, Role::Observer);
        f
    }

    fn subs(changes: &[RouteChange]) -> Vec<(u64, ConnId)> {
        changes
            .iter()
            .filter_map(|c| match c {
                RouteChange::Subscribe { track, subscriber } => Some((track.0, *subscriber)),
                _ => None,
            })
            .collect()
    }

    fn unsubs(changes: &[RouteChange]) -> Vec<(u64, ConnId)> {
        changes
            .iter()
            .filter_map(|c| match c {
                RouteChange::Unsubscribe { track, subscriber } => Some((track.0, *subscriber)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_teacher_reaches_everyone_and_classrooms_reach_the_teacher() {
        let mut f = lesson();
        let c = f.publish(TEACHER, TrackId(10), Kind::Video).unwrap();
        assert_eq!(subs(&c), vec![(10, A), (10, B), (10, OBSERVER)]);
        let c = f.publish(A, TrackId(20), Kind::Audio).unwrap();
        assert_eq!(subs(&c), vec![(20, TEACHER)]);
        assert_eq!(f.subscribers(TrackId(20)), vec![TEACHER]);
    }

    #[test]
    fn the_floor_opens_a_classroom_to_the_others_and_closes_again() {
        let mut f = lesson();
        f.publish(A, TrackId(20), Kind::Video).unwrap();
        f.publish(B, TrackId(30), Kind::Video).unwrap();
        let c = f.set_floor(TEACHER, Some(ROOM_A)).unwrap();
        assert_eq!(subs(&c), vec![(20, B), (20, OBSERVER)]);
        assert!(unsubs(&c).is_empty());
        // Moving the floor to B: A's extra routes end, B's begin.
        let c = f.set_floor(TEACHER, Some(ROOM_B)).unwrap();
        assert_eq!(unsubs(&c), vec![(20, B), (20, OBSERVER)]);
        assert_eq!(subs(&c), vec![(30, A), (30, OBSERVER)]);
        let c = f.set_floor(TEACHER, None).unwrap();
        assert_eq!(unsubs(&c), vec![(30, A), (30, OBSERVER)]);
        assert_eq!(f.subscribers(TrackId(30)), vec![TEACHER]);
    }

    #[test]
    fn only_the_teacher_gives_the_floor_and_observers_never_publish() {
        let mut f = lesson();
        assert_eq!(f.set_floor(A, Some(ROOM_A)), Err(MediaError::NotTheTeacher));
        assert_eq!(
            f.set_floor(TEACHER, Some(ClassroomId(99))),
            Err(MediaError::ClassroomAbsent(ClassroomId(99)))
        );
        assert_eq!(
            f.publish(OBSERVER, TrackId(5), Kind::Video),
            Err(MediaError::ObserverCannotPublish)
        );
        assert_eq!(
            f.publish(ConnId(77), TrackId(5), Kind::Video),
            Err(MediaError::NotJoined(ConnId(77)))
        );
        f.publish(A, TrackId(20), Kind::Audio).unwrap();
        assert_eq!(
            f.publish(B, TrackId(20), Kind::Audio),
            Err(MediaError::TrackExists(TrackId(20)))
        );
        assert_eq!(
            f.unpublish(B, TrackId(20)),
            Err(MediaError::NotYourTrack(TrackId(20)))
        );
        assert_eq!(f.floor(), None);
    }

    #[test]
    fn leaving_ends_a_publishers_tracks_and_its_floor() {
        let mut f = lesson();
        f.publish(A, TrackId(20), Kind::Video).unwrap();
        f.set_floor(TEACHER, Some(ROOM_A)).unwrap();
        let c = f.leave(A);
        assert_eq!(unsubs(&c), vec![(20, TEACHER), (20, B), (20, OBSERVER)]);
        assert_eq!(f.floor(), None);
        assert!(f.subscribers(TrackId(20)).is_empty());
        // A subscriber leaving removes its routes too.
        f.publish(TEACHER, TrackId(10), Kind::Audio).unwrap();
        let c = f.leave(B);
        assert_eq!(unsubs(&c), vec![(10, B)]);
    }

    #[test]
    fn may_receive_agrees_with_the_subscriber_lists() {
        let mut f = lesson();
        f.publish(TEACHER, TrackId(10), Kind::Video).unwrap();
        f.publish(A, TrackId(20), Kind::Video).unwrap();
        f.publish(B, TrackId(30), Kind::Audio).unwrap();
        for floor in [None, Some(ROOM_A), Some(ROOM_B)] {
            f.set_floor(TEACHER, floor).unwrap();
            for track in [10, 20, 30, 99].map(TrackId) {
                let listed = f.subscribers(track);
                for conn in [TEACHER, A, B, OBSERVER, ConnId(77)] {
                    assert_eq!(
                        f.may_receive(track, conn),
                        listed.contains(&conn),
                        "track {track:?}, conn {conn}, floor {floor:?}"
                    );
                }
            }
        }
    }
}
