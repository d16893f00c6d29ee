//! An interceptor wrapper that hands deadlines to the interceptor inside at most once per period
//! (no IO).
//!
//! rtc-interceptor's congestion-control interceptor prunes its send history on every deadline
//! of the connection, and the prune walks the whole history: on a Subscriber's connection, whose
//! pacer wakes it many times a second, that walk was the largest single item of the relay's CPU
//! in the fan-out bench. The history only needs pruning now and then, and that interceptor asks
//! for no deadline of its own (its estimator, [`super::estimator::LinkEstimator`], has none), so
//! its deadlines can be thinned without changing what it does.

use rtc::interceptor::{Interceptor, StreamInfo, TaggedPacket};
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use std::time::{Duration, Instant};

/// `inner`, whose `handle_timeout` runs at most once per `every`.
pub struct Throttled<I> {
    inner: I,
    every: Duration,
    last: Option<Instant>,
}

impl<I> Throttled<I> {
    pub fn new(inner: I, every: Duration) -> Throttled<I> {
        Throttled {
            inner,
            every,
            last: None,
        }
    }
}

impl<I: Interceptor> Protocol<TaggedPacket, TaggedPacket, ()> for Throttled<I> {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        self.inner.handle_read(msg)
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.inner.poll_read()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        self.inner.handle_write(msg)
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.inner.poll_write()
    }

    fn handle_event(&mut self, evt: ()) -> Result<(), Error> {
        self.inner.handle_event(evt)
    }

    fn poll_event(&mut self) -> Option<()> {
        self.inner.poll_event()
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        // A deadline the interceptor asked for itself is always kept.
        let asked = self.inner.poll_timeout().is_some_and(|at| at <= now);
        let due = self
            .last
            .is_none_or(|last| now.saturating_duration_since(last) >= self.every);
        if asked || due {
            self.last = Some(now);
            self.inner.handle_timeout(now)
        } else {
            Ok(())
        }
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.inner.poll_timeout()
    }

    fn close(&mut self) -> Result<(), Error> {
        self.inner.close()
    }
}

impl<I: Interceptor> Interceptor for Throttled<I> {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        self.inner.bind_local_stream(info)
    }

    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.inner.unbind_local_stream(info)
    }

    fn bind_remote_stream(&mut self, info: &StreamInfo) {
        self.inner.bind_remote_stream(info)
    }

    fn unbind_remote_stream(&mut self, info: &StreamInfo) {
        self.inner.unbind_remote_stream(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts the deadlines it is handed; asks for one at `wants` if set.
    #[derive(Default)]
    struct Counting {
        timeouts: Vec<Instant>,
        wants: Option<Instant>,
    }

    impl Protocol<TaggedPacket, TaggedPacket, ()> for Counting {
        type Rout = TaggedPacket;
        type Wout = TaggedPacket;
        type Eout = ();
        type Error = Error;
        type Time = Instant;
        fn handle_read(&mut self, _msg: TaggedPacket) -> Result<(), Error> {
            Ok(())
        }
        fn poll_read(&mut self) -> Option<TaggedPacket> {
            None
        }
        fn handle_write(&mut self, _msg: TaggedPacket) -> Result<(), Error> {
            Ok(())
        }
        fn poll_write(&mut self) -> Option<TaggedPacket> {
            None
        }
        fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
            self.timeouts.push(now);
            if self.wants.is_some_and(|at| at <= now) {
                self.wants = None;
            }
            Ok(())
        }
        fn poll_timeout(&mut self) -> Option<Instant> {
            self.wants
        }
    }

    impl Interceptor for Counting {
        fn bind_local_stream(&mut self, _info: &StreamInfo) {}
        fn unbind_local_stream(&mut self, _info: &StreamInfo) {}
        fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
        fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
    }

    #[test]
    fn deadlines_reach_the_inner_interceptor_at_most_once_per_period_unless_it_asked() {
        let t0 = Instant::now();
        let ms = |n: u64| t0 + Duration::from_millis(n);
        let mut t = Throttled::new(Counting::default(), Duration::from_millis(100));
        // 5 ms apart for a second: the first, then one each 100 ms.
        for n in (0..950).step_by(5) {
            t.handle_timeout(ms(n)).unwrap();
        }
        assert_eq!(t.inner.timeouts.len(), 10);
        assert_eq!(t.inner.timeouts[1], ms(100));
        assert_eq!(t.inner.timeouts[9], ms(900));
        // A deadline it asked for passes at once.
        t.inner.wants = Some(ms(960));
        t.handle_timeout(ms(955)).unwrap();
        assert_eq!(t.inner.timeouts.len(), 10, "not yet due, not asked yet");
        t.handle_timeout(ms(960)).unwrap();
        assert_eq!(t.inner.timeouts.last(), Some(&ms(960)));
        assert_eq!(t.poll_timeout(), None, "its own deadline, as it reports it");
    }
}
