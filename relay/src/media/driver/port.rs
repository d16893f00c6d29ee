//! The tables of the one shared port that the receive task and every worker use: which
//! connection each datagram belongs to ([`Demux`]) and which TCP stream belongs to which
//! connection ([`TcpRoutes`]).
//!
//! The receive task routes each datagram by them; a worker registers its connections' ufrags,
//! records its own ICE checks, learns the addresses its connections accepted and writes to TCP
//! streams. One mutex guards both tables, held only for a lookup or an update, never across an
//! await; a worker takes it only for STUN and TCP, never for the RTP it forwards.

use super::demux::Demux;
use super::tcp::TcpRoutes;
use std::sync::{Mutex, MutexGuard};

pub(super) struct PortTables {
    pub demux: Demux,
    pub tcp: TcpRoutes,
}

/// The shared tables.
pub(super) struct Port(Mutex<PortTables>);

impl Port {
    pub fn new(demux: Demux, tcp: TcpRoutes) -> Port {
        Port(Mutex::new(PortTables { demux, tcp }))
    }

    /// The tables. A task that panicked holding them left them consistent (every update is a
    /// single call on a table), so a poisoned lock is taken as it is.
    pub fn lock(&self) -> MutexGuard<'_, PortTables> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
