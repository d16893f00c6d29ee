//! Which connections receive a copy of each remote Track's packets (no IO).
//!
//! A route goes from one remote track of a source connection (a Publisher's, named by the
//! track id its offer gave it) to one local track of a sink connection (a Subscriber's, by
//! index). The lesson decides the routes; the driver forwards every packet of a routed track to
//! its sinks in the same turn it arrived, without a hop through the application.

use super::demux::PeerId;
use std::collections::HashMap;

/// Where one copy goes: a connection and its local track.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sink {
    pub conn: PeerId,
    pub track: usize,
}

#[derive(Debug, Default)]
struct SourceTrack {
    track_id: String,
    sinks: Vec<Sink>,
}

/// Every route of the driver.
#[derive(Debug, Default)]
pub struct Routes {
    /// A source connection's tracks (a Publication has one or two).
    by_source: HashMap<PeerId, Vec<SourceTrack>>,
    /// The sources a sink receives from, to forget it at once when it closes.
    by_sink: HashMap<PeerId, Vec<PeerId>>,
}

impl Routes {
    /// `sink` receives `source`'s track `track_id`. Adding a route twice keeps one.
    pub fn add(&mut self, source: PeerId, track_id: &str, sink: Sink) {
        let tracks = self.by_source.entry(source).or_default();
        let track = match tracks.iter().position(|t| t.track_id == track_id) {
            Some(i) => &mut tracks[i],
            None => {
                tracks.push(SourceTrack {
                    track_id: track_id.to_owned(),
                    sinks: Vec::new(),
                });
                let last = tracks.len() - 1;
                &mut tracks[last]
            }
        };
        if !track.sinks.contains(&sink) {
            track.sinks.push(sink);
        }
        let sources = self.by_sink.entry(sink.conn).or_default();
        if !sources.contains(&source) {
            sources.push(source);
        }
    }

    /// The sinks of `source`'s track `track_id` (none if it is not routed).
    pub fn sinks(&self, source: PeerId, track_id: &str) -> &[Sink] {
        self.by_source
            .get(&source)
            .and_then(|tracks| tracks.iter().find(|t| t.track_id == track_id))
            .map_or(&[], |t| t.sinks.as_slice())
    }

    /// Whether any track of `source` is routed anywhere.
    pub fn is_source(&self, source: PeerId) -> bool {
        self.by_source.contains_key(&source)
    }

    /// A connection closed: every route from or to it goes.
    pub fn forget(&mut self, conn: PeerId) {
        if let Some(tracks) = self.by_source.remove(&conn) {
            for sink in tracks.iter().flat_map(|t| t.sinks.iter()) {
                if let Some(sources) = self.by_sink.get_mut(&sink.conn) {
                    sources.retain(|s| *s != conn);
                    if sources.is_empty() {
                        self.by_sink.remove(&sink.conn);
                    }
                }
            }
        }
        if let Some(sources) = self.by_sink.remove(&conn) {
            for source in sources {
                let Some(tracks) = self.by_source.get_mut(&source) else {
                    continue;
                };
                for t in tracks.iter_mut() {
                    t.sinks.retain(|s| s.conn != conn);
                }
                tracks.retain(|t| !t.sinks.is_empty());
                if tracks.is_empty() {
                    self.by_source.remove(&source);
                }
            }
        }
    }

    /// Routes in all (for the driver's counters and tests).
    pub fn len(&self) -> usize {
        self.by_source
            .values()
            .flat_map(|tracks| tracks.iter())
            .map(|t| t.sinks.len())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_source.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sink(conn: u32, track: usize) -> Sink {
        Sink {
            conn: PeerId(conn),
            track,
        }
    }

    #[test]
    fn a_track_reaches_its_sinks_and_only_them() {
        let mut routes = Routes::default();
        routes.add(PeerId(1), "cam", sink(10, 1));
        routes.add(PeerId(1), "cam", sink(11, 1));
        routes.add(PeerId(1), "mic", sink(10, 0));
        routes.add(PeerId(1), "cam", sink(10, 1));
        assert_eq!(routes.sinks(PeerId(1), "cam"), &[sink(10, 1), sink(11, 1)]);
        assert_eq!(routes.sinks(PeerId(1), "mic"), &[sink(10, 0)]);
        assert!(routes.sinks(PeerId(1), "other").is_empty());
        assert!(routes.sinks(PeerId(2), "cam").is_empty());
        assert_eq!(routes.len(), 3);
    }

    #[test]
    fn a_closed_sink_or_source_leaves_no_route() {
        let mut routes = Routes::default();
        routes.add(PeerId(1), "cam", sink(10, 0));
        routes.add(PeerId(2), "cam", sink(10, 0));
        routes.add(PeerId(2), "cam", sink(11, 0));
        routes.forget(PeerId(10));
        assert!(routes.sinks(PeerId(1), "cam").is_empty());
        assert!(!routes.is_source(PeerId(1)));
        assert_eq!(routes.sinks(PeerId(2), "cam"), &[sink(11, 0)]);
        routes.forget(PeerId(2));
        assert!(routes.is_empty());
        assert!(routes.by_sink.is_empty());
    }

    proptest! {
        /// After any sequence of adds and closes, no route names a closed connection and the
        /// two indexes agree.
        #[test]
        fn closed_connections_are_never_routed(ops in proptest::collection::vec((0u32..6, 0u32..6, any::<bool>(), any::<bool>()), 0..60)) {
            let mut routes = Routes::default();
            let mut closed = std::collections::HashSet::new();
            for (a, b, video, close) in ops {
                if close {
                    routes.forget(PeerId(a));
                    closed.insert(a);
                } else if a != b {
                    closed.remove(&a);
                    closed.remove(&b);
                    let track = if video { "v" } else { "a" };
                    routes.add(PeerId(a), track, sink(b, usize::from(video)));
                }
            }
            for (source, tracks) in &routes.by_source {
                prop_assert!(!closed.contains(&source.0));
                for t in tracks {
                    prop_assert!(!t.sinks.is_empty());
                    for s in &t.sinks {
                        prop_assert!(!closed.contains(&s.conn.0));
                        prop_assert!(routes.by_sink.get(&s.conn).is_some_and(|v| v.contains(source)));
                    }
                }
            }
            for (sink_conn, sources) in &routes.by_sink {
                for source in sources {
                    let routed = routes.by_source.get(source).is_some_and(|tracks| tracks.iter().any(|t| t.sinks.iter().any(|s| s.conn == *sink_conn)));
                    prop_assert!(routed);
                }
            }
        }
    }
}
