//! A classroom's camera arrives as two simulcast layers, and most of those who receive it show it
//! small: the teacher's grid has a tile per classroom, and so do observers. So every Subscriber
//! gets its smallest layer, except from the classroom holding the floor, which everyone sees
//! large: from that one, the layer its link carries. The lesson tells the driver
//! ([`crate::media::driver::MediaDriverHandle::try_cap_layers`]) each second and when the floor
//! moves, for each classroom's simulcast camera whose cap changed.

use super::{lock, LessonMedia};
use crate::media::driver::PeerId;
use crate::media::forwarding::Kind;
use shared::ids::{MediaId, Role};

/// The highest layer a classroom's camera is sent at, held or not the floor.
pub fn highest_layer(role: Role, floor: Option<shared::ids::ClassroomId>) -> Option<usize> {
    match role {
        Role::Classroom(id) if floor != Some(id) => Some(0),
        _ => None,
    }
}

/// A publication whose camera's cap changed: its id, its simulcast video Tracks (connection and
/// Track id) and the new highest layer.
type Change = (MediaId, Vec<(PeerId, String)>, Option<usize>);

/// Tells the driver of every classroom camera whose cap changed since it was last told.
pub(super) fn update(media: &LessonMedia) {
    let changed: Vec<Change> = {
        let mut inner = lock(&media.inner);
        let floor = inner.table.floor();
        let roles: Vec<_> = inner
            .publications
            .values()
            .map(|p| inner.members.get(&p.owner).map(|m| m.role))
            .collect();
        inner
            .publications
            .iter_mut()
            .zip(roles)
            .filter_map(|((media, p), role)| {
                let highest = highest_layer(role?, floor);
                if p.layer_cap == Some(highest) {
                    return None;
                }
                let tracks: Vec<_> = p
                    .tracks
                    .iter()
                    .filter(|t| t.kind == Kind::Video && t.simulcast)
                    .map(|t| (t.peer, t.track_id.clone()))
                    .collect();
                if tracks.is_empty() {
                    return None;
                }
                p.layer_cap = Some(highest);
                Some((*media, tracks, highest))
            })
            .collect()
    };
    for (id, tracks, highest) in changed {
        for (peer, track_id) in tracks {
            tracing::debug!(conn = %peer, ?highest, "a classroom camera's highest layer");
            if let Err(e) = media.ctx.driver.try_cap_layers(peer, track_id, highest) {
                // Told again at the next turn.
                tracing::debug!(conn = %peer, "layer cap not sent: {e}");
                if let Some(p) = lock(&media.inner).publications.get_mut(&id) {
                    p.layer_cap = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::ClassroomId;

    #[test]
    fn classrooms_are_small_except_the_one_holding_the_floor() {
        let (a, b) = (ClassroomId(1), ClassroomId(2));
        assert_eq!(highest_layer(Role::Classroom(a), None), Some(0));
        assert_eq!(highest_layer(Role::Classroom(a), Some(b)), Some(0));
        assert_eq!(highest_layer(Role::Classroom(a), Some(a)), None);
        assert_eq!(highest_layer(Role::Teacher, Some(a)), None);
    }
}
