//! Whether the lesson's connection is alive: when to ping, and when to give up on a socket that
//! never opened or went silent. A rural school's link can die without a word (the socket still
//! says open, TCP retries for minutes), so the page finds out by itself: it pings every
//! [`PING_EVERY_MS`] and drops a connection it has not heard from for [`SILENCE_LIMIT_MS`], and a
//! socket that has not opened within [`OPEN_LIMIT_MS`] is abandoned for a fresh one. Both end
//! with [`Due::Drop`], after which the next attempt comes soon ([`crate::net::backoff::Backoff::soon`]):
//! a dead link costs the relay nothing, and each new attempt sends a fresh TCP SYN instead of
//! waiting out the kernel's growing SYN retransmission gaps, so the board is back within about
//! two seconds of the link's return (at most 2 s without a SYN on the way).
//!
//! One exception: from the socket's opening until the board has arrived the page may be
//! receiving one long frame (a full board's snapshot is a single frame of up to a megabyte or
//! more, tens of seconds on a slow link), and a browser reports a frame only once it is
//! complete. In that phase the limit is [`CATCH_UP_LIMIT_MS`].
//!
//! Pure: the caller passes the time (milliseconds) and what happened; unit-tested natively.

/// How often a greeted connection pings the relay (which answers with a Pong).
pub const PING_EVERY_MS: f64 = 2_000.0;
/// A live connection silent this long (three Pongs missed) is dropped.
pub const SILENCE_LIMIT_MS: f64 = 6_500.0;
/// A socket not open this long after it was created is abandoned (a TCP and WebSocket handshake
/// takes two round trips; this leaves room for a lost SYN on a 300 ms link). Just over 3 s: the
/// kernel sends the SYN again 1 s and 3 s after the first, then waits 4 s more; the next attempt's
/// SYN comes sooner than that.
pub const OPEN_LIMIT_MS: f64 = 3_500.0;
/// The silence allowed while the board is still on its way (see the module's text).
pub const CATCH_UP_LIMIT_MS: f64 = 45_000.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The socket is not open yet.
    Opening,
    /// Open; the relay's Welcome has not arrived.
    Greeting,
    /// The Welcome arrived; the board (a Snapshot or Ops) may be arriving after it.
    Welcomed,
    /// Something after the Welcome arrived: the board is in, frames are small from now on.
    Live,
}

/// What the connection should do now ([`Liveness::check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    Nothing,
    /// Send a Ping.
    Ping,
    /// Give the socket up.
    Drop(Dropped),
}

/// Why a socket was given up: in both cases the link (not the relay) is the likely cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// It never opened within [`OPEN_LIMIT_MS`].
    NeverOpened,
    /// Nothing arrived for the phase's limit.
    Silent,
}

/// One socket's liveness, from its creation to its end.
#[derive(Clone, Debug)]
pub struct Liveness {
    phase: Phase,
    created: f64,
    heard: f64,
    pinged: f64,
    greeted: bool,
}

impl Liveness {
    /// A socket created at `now`.
    pub fn new(now: f64) -> Liveness {
        Liveness {
            phase: Phase::Opening,
            created: now,
            heard: now,
            pinged: now,
            greeted: false,
        }
    }

    /// The socket opened.
    pub fn opened(&mut self, now: f64) {
        self.heard = now;
        if self.phase == Phase::Opening {
            self.phase = Phase::Greeting;
        }
    }

    /// The page sent its Hello: pings may start (the relay answers them only after a Hello).
    pub fn greeted(&mut self, now: f64) {
        if !self.greeted {
            self.greeted = true;
            self.pinged = now;
        }
    }

    /// A frame arrived; `welcome` if it was the relay's Welcome.
    pub fn heard(&mut self, now: f64, welcome: bool) {
        self.heard = now;
        self.phase = match (self.phase, welcome) {
            (_, true) => Phase::Welcomed,
            (Phase::Welcomed | Phase::Live, false) => Phase::Live,
            (phase, false) => phase,
        };
    }

    /// What to do at `now`. A [`Due::Ping`] counts as sent.
    pub fn check(&mut self, now: f64) -> Due {
        let silent = now - self.heard;
        match self.phase {
            Phase::Opening if now - self.created > OPEN_LIMIT_MS => {
                return Due::Drop(Dropped::NeverOpened)
            }
            Phase::Opening => return Due::Nothing,
            Phase::Greeting | Phase::Welcomed if silent > CATCH_UP_LIMIT_MS => {
                return Due::Drop(Dropped::Silent)
            }
            Phase::Live if silent > SILENCE_LIMIT_MS => return Due::Drop(Dropped::Silent),
            _ => {}
        }
        if self.greeted && now - self.pinged >= PING_EVERY_MS {
            self.pinged = now;
            return Due::Ping;
        }
        Due::Nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection opened, greeted and caught up at t = 0.
    fn live() -> Liveness {
        let mut l = Liveness::new(0.0);
        l.opened(0.0);
        l.greeted(0.0);
        l.heard(0.0, true);
        l.heard(0.0, false);
        l
    }

    #[test]
    fn a_socket_that_never_opens_is_abandoned_after_the_open_limit() {
        let mut l = Liveness::new(1_000.0);
        assert_eq!(l.check(1_000.0 + OPEN_LIMIT_MS), Due::Nothing);
        assert_eq!(
            l.check(1_001.0 + OPEN_LIMIT_MS),
            Due::Drop(Dropped::NeverOpened)
        );
    }

    #[test]
    fn an_open_socket_is_not_held_to_the_open_limit() {
        let mut l = Liveness::new(0.0);
        l.opened(3_000.0);
        assert_eq!(l.check(3_000.0 + OPEN_LIMIT_MS + 1.0), Due::Nothing);
    }

    #[test]
    fn pings_start_with_the_hello_and_come_every_interval() {
        let mut l = Liveness::new(0.0);
        l.opened(0.0);
        assert_eq!(l.check(PING_EVERY_MS * 3.0), Due::Nothing, "no Hello yet");
        l.greeted(10_000.0);
        l.heard(10_000.0, true);
        l.heard(10_000.0, false);
        assert_eq!(l.check(10_000.0 + PING_EVERY_MS - 1.0), Due::Nothing);
        assert_eq!(l.check(10_000.0 + PING_EVERY_MS), Due::Ping);
        assert_eq!(l.check(10_000.0 + PING_EVERY_MS + 1.0), Due::Nothing);
        l.heard(10_000.0 + PING_EVERY_MS + 50.0, false);
        assert_eq!(l.check(10_000.0 + 2.0 * PING_EVERY_MS), Due::Ping);
    }

    #[test]
    fn a_live_connection_that_hears_pongs_stays() {
        let mut l = live();
        let mut t = 0.0;
        while t < 120_000.0 {
            t += 500.0;
            if l.check(t) == Due::Ping {
                // The Pong comes back a second later (a slow, lossy link).
                l.heard(t + 1_000.0, false);
            }
            assert!(!matches!(l.check(t), Due::Drop(_)), "dropped at {t}");
        }
    }

    #[test]
    fn a_live_connection_gone_silent_is_dropped_after_the_silence_limit() {
        let mut l = live();
        l.heard(5_000.0, false);
        assert_ne!(
            l.check(5_000.0 + SILENCE_LIMIT_MS),
            Due::Drop(Dropped::Silent)
        );
        assert_eq!(
            l.check(5_001.0 + SILENCE_LIMIT_MS),
            Due::Drop(Dropped::Silent)
        );
    }

    #[test]
    fn while_the_board_arrives_the_long_limit_applies() {
        // Welcome at t = 0, then a snapshot that takes 30 s to arrive: silence meanwhile.
        let mut l = Liveness::new(0.0);
        l.opened(0.0);
        l.greeted(0.0);
        l.heard(100.0, true);
        for t in (1..=60).map(|s| f64::from(s) * 500.0) {
            assert!(!matches!(l.check(t), Due::Drop(_)), "dropped at {t}");
        }
        // Before the Welcome too (the relay may be slow to answer a Hello).
        let mut l = Liveness::new(0.0);
        l.opened(0.0);
        l.greeted(0.0);
        assert_eq!(l.check(CATCH_UP_LIMIT_MS), Due::Ping);
        assert_eq!(l.check(CATCH_UP_LIMIT_MS + 1.0), Due::Drop(Dropped::Silent));
    }

    #[test]
    fn the_first_frame_after_the_welcome_starts_the_short_limit() {
        let mut l = Liveness::new(0.0);
        l.opened(0.0);
        l.greeted(0.0);
        l.heard(0.0, true);
        l.heard(30_000.0, false); // the snapshot, 30 s later
        assert_eq!(
            l.check(30_001.0 + SILENCE_LIMIT_MS),
            Due::Drop(Dropped::Silent)
        );
    }

    #[test]
    fn a_second_welcome_restarts_the_catch_up() {
        let mut l = live();
        l.heard(1_000.0, true);
        assert!(!matches!(
            l.check(1_000.0 + SILENCE_LIMIT_MS + 1.0),
            Due::Drop(_)
        ));
    }
}
