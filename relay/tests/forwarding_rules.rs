//! The forwarding table under random joins, leaves, publishes and floor changes: the route changes
//! it returns always add up to its table, and the table always follows the lesson's rules.

use proptest::prelude::*;
use relay::media::forwarding::{Forwarding, Kind, RouteChange, TrackId};
use relay::room::ConnId;
use shared::ids::{ClassroomId, Role};
use std::collections::BTreeSet;

#[derive(Clone, Debug)]
enum Step {
    Join(ConnId, u8),
    Leave(ConnId),
    Publish(ConnId, u64, bool),
    Unpublish(ConnId, u64),
    Floor(ConnId, Option<u64>),
}

fn conn() -> impl Strategy<Value = ConnId> {
    (0u64..8).prop_map(ConnId)
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (conn(), 0u8..6).prop_map(|(c, r)| Step::Join(c, r)),
        conn().prop_map(Step::Leave),
        (conn(), 0u64..12, any::<bool>()).prop_map(|(c, t, v)| Step::Publish(c, t, v)),
        (conn(), 0u64..12).prop_map(|(c, t)| Step::Unpublish(c, t)),
        (conn(), proptest::option::of(0u64..4)).prop_map(|(c, f)| Step::Floor(c, f)),
    ]
}

fn role(r: u8) -> Role {
    match r {
        0 => Role::Teacher,
        5 => Role::Observer,
        n => Role::Classroom(ClassroomId(u64::from(n % 4))),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn changes_add_up_and_the_rules_hold(steps in proptest::collection::vec(step(), 1..60)) {
        let mut f = Forwarding::new();
        let mut table: BTreeSet<(TrackId, ConnId)> = BTreeSet::new();
        for s in steps {
            let changes = match s {
                Step::Join(c, r) if f.role(c).is_none() => f.join(c, role(r)),
                Step::Join(..) => vec![],
                Step::Leave(c) => f.leave(c),
                Step::Publish(c, t, video) => f.publish(c, TrackId(t), if video { Kind::Video } else { Kind::Audio }).unwrap_or_default(),
                Step::Unpublish(c, t) => f.unpublish(c, TrackId(t)).unwrap_or_default(),
                Step::Floor(c, floor) => f.set_floor(c, floor.map(ClassroomId)).unwrap_or_default(),
            };
            for change in changes {
                match change {
                    RouteChange::Subscribe { track, subscriber } => prop_assert!(table.insert((track, subscriber))),
                    RouteChange::Unsubscribe { track, subscriber } => prop_assert!(table.remove(&(track, subscriber))),
                }
            }
            let now: BTreeSet<(TrackId, ConnId)> = f.tracks().flat_map(|t| f.subscribers(t).into_iter().map(move |c| (t, c))).collect();
            prop_assert_eq!(&table, &now);
            for (track, to) in &now {
                let from = f.publisher(*track).and_then(|p| f.role(p)).expect("a publisher in the lesson");
                let to_role = f.role(*to).expect("a subscriber in the lesson");
                prop_assert_ne!(f.publisher(*track), Some(*to), "nobody receives their own track");
                prop_assert_ne!(from, Role::Observer, "observers publish nothing");
                if let (Role::Classroom(a), Role::Classroom(_) | Role::Observer) = (from, to_role) {
                    prop_assert_eq!(f.floor(), Some(a), "classrooms reach others only with the floor");
                }
            }
        }
    }
}
