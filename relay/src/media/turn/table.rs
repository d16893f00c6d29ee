//! The server's allocations, found by client 5-tuple or by relayed address, with the
//! per-username counts and the relayed port pool that go with them.

use super::allocation::Allocation;
use super::config::FiveTuple;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Instant;

/// Every allocation; the three maps always agree.
pub struct AllocationTable {
    by_tuple: HashMap<FiveTuple, Allocation>,
    by_relayed: HashMap<SocketAddr, FiveTuple>,
    per_username: HashMap<String, usize>,
    relay_ip: IpAddr,
    ports: RangeInclusive<u16>,
    next_port: u16,
}

impl AllocationTable {
    /// An empty table handing out `relay_ip` with ports from `ports`.
    pub fn new(relay_ip: IpAddr, ports: RangeInclusive<u16>) -> AllocationTable {
        AllocationTable {
            by_tuple: HashMap::new(),
            by_relayed: HashMap::new(),
            per_username: HashMap::new(),
            relay_ip,
            next_port: *ports.start(),
            ports,
        }
    }

    /// The number of allocations (some may have expired but not been swept yet).
    pub fn len(&self) -> usize {
        self.by_tuple.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.by_tuple.is_empty()
    }

    /// The 5-tuple holding `relayed`.
    pub fn tuple_of(&self, relayed: SocketAddr) -> Option<FiveTuple> {
        self.by_relayed.get(&relayed).copied()
    }

    /// How many allocations `username` holds.
    pub fn held_by(&self, username: &str) -> usize {
        self.per_username.get(username).copied().unwrap_or(0)
    }

    /// The 5-tuple's allocation if it has one that has not expired (an expired one is removed).
    pub fn live(&mut self, now: Instant, tuple: FiveTuple) -> Option<&mut Allocation> {
        if self.by_tuple.get(&tuple)?.expires <= now {
            self.remove(tuple);
            return None;
        }
        self.by_tuple.get_mut(&tuple)
    }

    /// A relayed address not in use, scanning the port range round-robin from the last one.
    pub fn free_relayed(&mut self) -> Option<SocketAddr> {
        let (first, last) = (*self.ports.start(), *self.ports.end());
        let span = u32::from(last.saturating_sub(first)) + 1;
        for _ in 0..span {
            let port = self.next_port;
            self.next_port = if port >= last { first } else { port + 1 };
            let addr = SocketAddr::new(self.relay_ip, port);
            if !self.by_relayed.contains_key(&addr) {
                return Some(addr);
            }
        }
        None
    }

    /// Adds `alloc` for `tuple` (which the caller checked has none, with a relayed address
    /// from [`Self::free_relayed`]).
    pub fn insert(&mut self, tuple: FiveTuple, alloc: Allocation) {
        self.remove(tuple);
        self.by_relayed.insert(alloc.relayed, tuple);
        *self.per_username.entry(alloc.username.clone()).or_insert(0) += 1;
        self.by_tuple.insert(tuple, alloc);
    }

    /// Deletes the 5-tuple's allocation, freeing its relayed address and quota.
    pub fn remove(&mut self, tuple: FiveTuple) {
        let Some(a) = self.by_tuple.remove(&tuple) else {
            return;
        };
        self.by_relayed.remove(&a.relayed);
        if let Some(n) = self.per_username.get_mut(&a.username) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_username.remove(&a.username);
            }
        }
    }

    /// Removes expired allocations, permissions and channels.
    pub fn expire(&mut self, now: Instant) {
        let expired: Vec<FiveTuple> = self
            .by_tuple
            .iter()
            .filter(|(_, a)| a.expires <= now)
            .map(|(t, _)| *t)
            .collect();
        for tuple in expired {
            self.remove(tuple);
        }
        for a in self.by_tuple.values_mut() {
            a.expire(now);
        }
    }

    /// The earliest instant something in the table expires.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.by_tuple.values().map(Allocation::next_deadline).min()
    }
}
