//! One allocation: its relayed address, owner, lifetime, permissions and channel bindings.
//!
//! The tables here hold only peers the server allows (its own media addresses), so they are as
//! small as that list; expired entries are ignored at once and removed by [`Allocation::expire`].

use rtc::stun::message::TransactionId;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

/// The channel numbers RFC 8656 §12 lets a client bind.
pub const CHANNELS: std::ops::RangeInclusive<u16> = 0x4000..=0x4FFF;

#[derive(Debug, Clone, Copy)]
struct Channel {
    peer: SocketAddr,
    expires: Instant,
}

/// Why a ChannelBind cannot be honoured (400 Bad Request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindConflict {
    /// The channel number is bound to another peer.
    ChannelTaken,
    /// The peer is bound to another channel number.
    PeerTaken,
}

/// A relayed address held by one client 5-tuple.
#[derive(Debug)]
pub struct Allocation {
    /// The username that created it; later requests must use the same.
    pub username: String,
    /// The long-term MESSAGE-INTEGRITY key of the credentials that created it.
    pub key: Vec<u8>,
    /// The relayed transport address handed to the client.
    pub relayed: SocketAddr,
    /// When it expires unless refreshed.
    pub expires: Instant,
    /// The Allocate request's transaction, so a retransmission gets the same answer.
    pub created_by: TransactionId,
    permissions: HashMap<IpAddr, Instant>,
    channels: HashMap<u16, Channel>,
}

impl Allocation {
    /// A new allocation with no permissions or channels.
    pub fn new(
        username: String,
        key: Vec<u8>,
        relayed: SocketAddr,
        expires: Instant,
        created_by: TransactionId,
    ) -> Allocation {
        Allocation {
            username,
            key,
            relayed,
            expires,
            created_by,
            permissions: HashMap::new(),
            channels: HashMap::new(),
        }
    }

    /// Installs or refreshes a permission for `ip` until `until`.
    pub fn permit(&mut self, ip: IpAddr, until: Instant) {
        self.permissions.insert(ip, until);
    }

    /// Whether traffic with `ip` is permitted at `now`.
    pub fn permits(&self, ip: IpAddr, now: Instant) -> bool {
        self.permissions.get(&ip).is_some_and(|&t| t > now)
    }

    /// Binds (or refreshes) `number` to `peer` until `until`.
    pub fn bind(
        &mut self,
        number: u16,
        peer: SocketAddr,
        until: Instant,
        now: Instant,
    ) -> Result<(), BindConflict> {
        if let Some(c) = self.channels.get(&number) {
            if c.expires > now && c.peer != peer {
                return Err(BindConflict::ChannelTaken);
            }
        }
        if self.channel_of(peer, now).is_some_and(|n| n != number) {
            return Err(BindConflict::PeerTaken);
        }
        self.channels.insert(
            number,
            Channel {
                peer,
                expires: until,
            },
        );
        Ok(())
    }

    /// The channel bound to `peer` at `now`.
    pub fn channel_of(&self, peer: SocketAddr, now: Instant) -> Option<u16> {
        self.channels
            .iter()
            .find(|(_, c)| c.peer == peer && c.expires > now)
            .map(|(&n, _)| n)
    }

    /// The peer `number` is bound to at `now`.
    pub fn peer_of(&self, number: u16, now: Instant) -> Option<SocketAddr> {
        self.channels
            .get(&number)
            .filter(|c| c.expires > now)
            .map(|c| c.peer)
    }

    /// Drops expired permissions and channels.
    pub fn expire(&mut self, now: Instant) {
        self.permissions.retain(|_, &mut t| t > now);
        self.channels.retain(|_, c| c.expires > now);
    }

    /// The earliest instant something in this allocation expires.
    pub fn next_deadline(&self) -> Instant {
        let permissions = self.permissions.values().copied();
        let channels = self.channels.values().map(|c| c.expires);
        permissions.chain(channels).fold(self.expires, Instant::min)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn alloc(now: Instant) -> Allocation {
        Allocation::new(
            "1:a".into(),
            vec![0; 16],
            ([203, 0, 113, 1], 50000).into(),
            now + Duration::from_secs(600),
            TransactionId::default(),
        )
    }

    #[test]
    fn channels_bind_one_to_one_and_expire() {
        let now = Instant::now();
        let mut a = alloc(now);
        let p1: SocketAddr = ([10, 0, 0, 1], 1).into();
        let p2: SocketAddr = ([10, 0, 0, 1], 2).into();
        let until = now + Duration::from_secs(10);
        assert_eq!(a.bind(0x4000, p1, until, now), Ok(()));
        assert_eq!(a.bind(0x4000, p1, until, now), Ok(()));
        assert_eq!(
            a.bind(0x4000, p2, until, now),
            Err(BindConflict::ChannelTaken)
        );
        assert_eq!(a.bind(0x4001, p1, until, now), Err(BindConflict::PeerTaken));
        assert_eq!(a.peer_of(0x4000, now), Some(p1));
        assert_eq!(a.channel_of(p1, now), Some(0x4000));
        assert_eq!(a.next_deadline(), until);
        a.expire(until);
        assert_eq!(a.peer_of(0x4000, until), None);
        assert_eq!(
            a.bind(0x4000, p2, until + Duration::from_secs(1), until),
            Ok(())
        );
    }

    #[test]
    fn permissions_expire() {
        let now = Instant::now();
        let mut a = alloc(now);
        let ip: IpAddr = [10, 0, 0, 1].into();
        a.permit(ip, now + Duration::from_secs(300));
        assert!(a.permits(ip, now));
        assert!(!a.permits(ip, now + Duration::from_secs(300)));
    }
}
