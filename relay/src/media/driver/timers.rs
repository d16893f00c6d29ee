//! The connections' next deadlines, earliest first (no IO).
//!
//! A binary heap of `(deadline, connection)` with lazy deletion: setting a connection's deadline
//! pushes a new entry and records it as the current one; entries that are no longer current are
//! skipped when they reach the top. The heap is rebuilt from the current deadlines when stale
//! entries outnumber them, so its size stays within a constant factor of the connection count.

use super::demux::PeerId;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

#[derive(Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, PeerId)>>,
    current: HashMap<PeerId, Instant>,
}

impl Timers {
    /// `conn`'s next deadline (`None`: it has none).
    pub fn set(&mut self, conn: PeerId, deadline: Option<Instant>) {
        match deadline {
            None => {
                self.current.remove(&conn);
            }
            Some(at) => {
                if self.current.insert(conn, at) != Some(at) {
                    self.heap.push(Reverse((at, conn)));
                }
            }
        }
        if self.heap.len() > 2 * self.current.len() + 64 {
            self.heap = self
                .current
                .iter()
                .map(|(&conn, &at)| Reverse((at, conn)))
                .collect();
        }
    }

    pub fn remove(&mut self, conn: PeerId) {
        self.set(conn, None);
    }

    fn is_current(&self, at: Instant, conn: PeerId) -> bool {
        self.current.get(&conn) == Some(&at)
    }

    /// The earliest deadline.
    pub fn next(&mut self) -> Option<Instant> {
        while let Some(&Reverse((at, conn))) = self.heap.peek() {
            if self.is_current(at, conn) {
                return Some(at);
            }
            self.heap.pop();
        }
        None
    }

    /// Takes the connections whose deadline is at or before `now` (they have none afterwards).
    pub fn pop_due(&mut self, now: Instant, due: &mut Vec<PeerId>) {
        while let Some(&Reverse((at, conn))) = self.heap.peek() {
            if at > now {
                break;
            }
            self.heap.pop();
            if self.is_current(at, conn) {
                self.current.remove(&conn);
                due.push(conn);
            }
        }
    }

    /// Heap entries, stale ones included (for tests of the bound).
    #[cfg(test)]
    pub fn heap_len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn earliest_current_deadline_first() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut timers = Timers::default();
        timers.set(PeerId(1), Some(ms(30)));
        timers.set(PeerId(2), Some(ms(10)));
        timers.set(PeerId(3), Some(ms(20)));
        // Conn 2 moves later: its old entry is stale.
        timers.set(PeerId(2), Some(ms(40)));
        timers.remove(PeerId(3));
        assert_eq!(timers.next(), Some(ms(30)));
        let mut due = Vec::new();
        timers.pop_due(ms(35), &mut due);
        assert_eq!(due, vec![PeerId(1)]);
        assert_eq!(timers.next(), Some(ms(40)));
        due.clear();
        timers.pop_due(ms(100), &mut due);
        assert_eq!(due, vec![PeerId(2)]);
        assert_eq!(timers.next(), None);
    }

    #[test]
    fn stale_entries_are_bounded() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        for i in 0..10_000u64 {
            timers.set(PeerId((i % 3) as u32), Some(t0 + Duration::from_micros(i)));
        }
        assert!(timers.heap_len() <= 2 * 3 + 64 + 1);
        let mut due = Vec::new();
        timers.pop_due(t0 + Duration::from_secs(1), &mut due);
        due.sort();
        assert_eq!(due, vec![PeerId(0), PeerId(1), PeerId(2)]);
    }
}
