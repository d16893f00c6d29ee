//! How many offers of one connection are set up at once, and how many may wait.

use crate::media::lesson::MAX_SUBSCRIPTIONS;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Offers of one connection being answered: at most [`OFFERS_AT_ONCE`] peer connections are set
/// up at a time (each costs a port, a certificate and candidate gathering), the rest wait in line,
/// and at most [`OFFERS_WAITING`] may wait; beyond that an offer is refused. A teacher joining a
/// lesson of 200 classrooms subscribes to all of them at once, and they all get answered.
#[derive(Clone)]
pub(super) struct Offers {
    pub(super) permits: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
}

pub(super) const OFFERS_AT_ONCE: usize = 4;
pub(super) const OFFERS_WAITING: usize = MAX_SUBSCRIPTIONS + 8;

impl Offers {
    pub(super) fn new() -> Offers {
        Offers {
            permits: Arc::new(Semaphore::new(OFFERS_AT_ONCE)),
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Takes a place in line; false when the line is full.
    pub(super) fn admit(&self) -> bool {
        if self.waiting.fetch_add(1, Ordering::Relaxed) >= OFFERS_WAITING {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Leaves the line (its turn came).
    pub(super) fn served(&self) {
        self.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_of_offers_is_bounded() {
        let offers = Offers::new();
        for _ in 0..OFFERS_WAITING {
            assert!(offers.admit());
        }
        assert!(!offers.admit(), "past the bound an offer is refused");
        offers.served();
        assert!(offers.admit(), "a place freed is taken again");
        assert!(!offers.admit());
    }
}
