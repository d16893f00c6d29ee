//! IDs are types: a `LessonId` can not be passed where a `ClassroomId` is meant.
//! All are fixed-width integers (never `usize` on the wire: it differs between wasm32 and x86_64).

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A scheduled lesson: one teacher in a master classroom, teaching remote classrooms live.
    LessonId(u64)
);
id_type!(
    /// A physical classroom (master or remote) in a school.
    ClassroomId(u64)
);
id_type!(
    /// A school (master school or rural school).
    SchoolId(u64)
);
id_type!(
    /// A teacher.
    TeacherId(u64)
);
id_type!(
    /// A weekly series of lessons within a term.
    SeriesId(u64)
);
id_type!(
    /// A stroke on the board. It equals the sequence number of the op that began it.
    StrokeId(u64)
);
id_type!(
    /// One browser page load. A reconnecting page keeps its id, so the relay can
    /// recognise ops it has already applied.
    PageId(u64)
);
id_type!(
    /// A Publication or a Subscription of the media plane: each is its own peer connection. A
    /// Source is named by its Publication's id. Publications and Subscriptions share one series
    /// across the relay.
    MediaId(u64)
);

/// Who a participant is in a lesson. Checked by the relay on every message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    /// The teacher in the master classroom: draws on the board.
    Teacher,
    /// A remote classroom: sees and hears the lesson.
    Classroom(ClassroomId),
    /// Bureau staff or a colleague observing the lesson (教研): receives only.
    Observer,
}

impl Role {
    /// Whether this role may change the board.
    pub fn may_draw(self) -> bool {
        matches!(self, Role::Teacher)
    }

    /// Whether this role may move the shared laser pointer.
    pub fn may_point(self) -> bool {
        matches!(self, Role::Teacher)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Teacher => f.write_str("teacher"),
            Role::Classroom(id) => write!(f, "classroom {id}"),
            Role::Observer => f.write_str("observer"),
        }
    }
}
