//! [`TurnServer`]: RFC 8656 TURN over RFC 8489 STUN long-term credentials, as a state machine.
//!
//! Inputs: [`TurnServer::handle`] (a datagram or stream frame from a client),
//! [`TurnServer::handle_peer`] (data a peer sent to a relayed address) and
//! [`TurnServer::handle_timeout`]; each returns the [`Output`]s to send. The caller owns the
//! sockets and the clock.

use super::allocation::{Allocation, CHANNELS};
use super::auth::{Authenticated, Authenticator};
use super::budget::AnswerBudget;
use super::config::{ConfigError, FiveTuple, Transport, TurnConfig, TurnLimits};
use super::table::AllocationTable;
use super::wire::{self, Inbound, Seal};
use rtc::stun::attributes::*;
use rtc::stun::message::*;
use rtc::stun::xoraddr::XorMappedAddress;
use rtc::turn::proto::lifetime::Lifetime;
use rtc::turn::proto::relayaddr::RelayedAddress;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What the IO layer sends for the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Bytes to the client on its 5-tuple (a response, a Data indication or ChannelData).
    ToClient {
        /// The client's 5-tuple.
        to: FiveTuple,
        /// The message.
        bytes: Vec<u8>,
    },
    /// Application data to a peer, sent as if from the relayed address.
    ToPeer {
        /// The allocation's relayed address (the source the peer must see).
        relayed: SocketAddr,
        /// The peer (always one of the allowed peers).
        to: SocketAddr,
        /// The payload.
        bytes: Vec<u8>,
        /// How the client reached the server: over TCP or TLS a lost segment holds up what
        /// follows it, which the media driver's estimate must know.
        client_transport: Transport,
    },
}

/// The embedded TURN server's state: allocations keyed by 5-tuple and by relayed address.
pub struct TurnServer {
    config: TurnConfig,
    allowed: HashSet<SocketAddr>,
    auth: Authenticator,
    table: AllocationTable,
    /// Unauthenticated answers over UDP, per client IP.
    budget: AnswerBudget,
}

impl TurnServer {
    /// A server started at `now`, when the wall clock read `unix_now` seconds since the epoch
    /// (credential expiry is wall-clock time; everything else runs on `Instant`s).
    pub fn new(config: TurnConfig, now: Instant, unix_now: u64) -> Result<Self, ConfigError> {
        config.validate()?;
        let auth = Authenticator::new(
            config.realm.clone(),
            config.secret.clone(),
            config.limits.nonce_lifetime,
            now,
            unix_now,
        )?;
        Ok(TurnServer {
            budget: AnswerBudget::new(config.limits.unauthenticated, now),
            allowed: config.allowed_peers.iter().copied().collect(),
            table: AllocationTable::new(config.relay_ip, config.relay_ports.clone()),
            auth,
            config,
        })
    }

    /// Unauthenticated answers over UDP not sent because their IP was over its budget.
    pub fn refused_answers(&self) -> u64 {
        self.budget.refused()
    }

    /// The number of live allocations.
    pub fn allocation_count(&self) -> usize {
        self.table.len()
    }

    /// Whether `relayed` is a relayed address handed out now (for the IO layer's demultiplexing).
    pub fn is_relayed(&self, relayed: SocketAddr) -> bool {
        self.table.tuple_of(relayed).is_some()
    }

    /// A datagram (or one stream frame) from the client on `from`.
    pub fn handle(&mut self, now: Instant, from: FiveTuple, bytes: &[u8]) -> Vec<Output> {
        if bytes.len() > self.limits().max_message_len {
            return Vec::new();
        }
        match wire::classify(bytes) {
            Some(Inbound::Stun(m)) => self.handle_stun(now, from, m),
            Some(Inbound::ChannelData { number, data }) => {
                self.channel_data_from_client(now, from, number, data)
            }
            None => Vec::new(),
        }
    }

    /// Data that `from_peer` sent to the relayed address `relayed`: forwarded to the client as
    /// ChannelData if a channel is bound, else as a Data indication; dropped without permission.
    pub fn handle_peer(
        &mut self,
        now: Instant,
        relayed: SocketAddr,
        from_peer: SocketAddr,
        bytes: &[u8],
    ) -> Vec<Output> {
        if bytes.len() > self.limits().max_message_len || !self.allowed.contains(&from_peer) {
            return Vec::new();
        }
        let Some(tuple) = self.table.tuple_of(relayed) else {
            return Vec::new();
        };
        let Some(alloc) = self.table.live(now, tuple) else {
            return Vec::new();
        };
        if !alloc.permits(from_peer.ip(), now) {
            return Vec::new();
        }
        let bytes = match alloc.channel_of(from_peer, now) {
            Some(number) => wire::channel_data(number, bytes),
            None => match wire::data_indication(from_peer, bytes) {
                Some(b) => b,
                None => return Vec::new(),
            },
        };
        vec![Output::ToClient { to: tuple, bytes }]
    }

    /// The earliest instant [`Self::handle_timeout`] has something to expire.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.table.next_deadline()
    }

    /// Expires allocations (freeing their relayed addresses), permissions and channels.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.table.expire(now);
    }

    /// The client's TCP or TLS connection closed: its allocation goes with it (RFC 8656 §3.1).
    pub fn close(&mut self, tuple: FiveTuple) {
        self.table.remove(tuple);
    }

    fn limits(&self) -> &TurnLimits {
        &self.config.limits
    }

    fn handle_stun(&mut self, now: Instant, from: FiveTuple, mut m: Message) -> Vec<Output> {
        let (reply, authenticated) = if m.typ.class == CLASS_REQUEST {
            match m.typ.method {
                METHOD_BINDING => (self.binding(from, &m), false),
                METHOD_ALLOCATE
                | METHOD_REFRESH
                | METHOD_CREATE_PERMISSION
                | METHOD_CHANNEL_BIND => match self.auth.authenticate(now, from, &mut m) {
                    Ok(auth) => (self.authenticated_request(now, from, &m, &auth), true),
                    Err(challenge) => (challenge, false),
                },
                _ => (
                    wire::response(
                        &m,
                        CLASS_ERROR_RESPONSE,
                        vec![wire::error_code(400, "Bad Request")],
                        Seal::Plain,
                    ),
                    false,
                ),
            }
        } else if m.typ.class == CLASS_INDICATION && m.typ.method == METHOD_SEND {
            return self.send_indication(now, from, &m);
        } else {
            (None, true)
        };
        // Over UDP the source may be forged: answers nobody authenticated are budgeted per IP.
        if reply.is_some()
            && !authenticated
            && from.transport == Transport::Udp
            && !self.budget.allow(from.client.ip(), now)
        {
            return Vec::new();
        }
        reply
            .map(|bytes| Output::ToClient { to: from, bytes })
            .into_iter()
            .collect()
    }

    fn binding(&self, from: FiveTuple, m: &Message) -> Option<Vec<u8>> {
        let mapped = XorMappedAddress {
            ip: from.client.ip(),
            port: from.client.port(),
        };
        wire::response(
            m,
            CLASS_SUCCESS_RESPONSE,
            vec![Box::new(mapped)],
            Seal::Plain,
        )
    }

    /// The answer to a request `auth` authenticated.
    fn authenticated_request(
        &mut self,
        now: Instant,
        from: FiveTuple,
        m: &Message,
        auth: &Authenticated,
    ) -> Option<Vec<u8>> {
        let unknown = wire::unknown_required(m);
        let result = if !unknown.is_empty() {
            let unknown = rtc::stun::uattrs::UnknownAttributes(unknown);
            Err((420, "Unknown Attribute", Some(unknown)))
        } else {
            match m.typ.method {
                METHOD_ALLOCATE => self.allocate(now, from, m, auth),
                METHOD_REFRESH => self.refresh(now, from, m, auth),
                METHOD_CREATE_PERMISSION => self.create_permission(now, from, m, auth),
                _ => self.channel_bind(now, from, m, auth),
            }
            .map_err(|(code, reason)| (code, reason, None))
        };
        let seal = Seal::Integrity(&auth.key, self.auth.crypto());
        match result {
            Ok(attrs) => wire::response(m, CLASS_SUCCESS_RESPONSE, attrs, seal),
            Err((code, reason, unknown)) => {
                let mut attrs = vec![wire::error_code(code, reason)];
                if let Some(u) = unknown {
                    attrs.push(Box::new(u));
                }
                wire::response(m, CLASS_ERROR_RESPONSE, attrs, seal)
            }
        }
    }

    /// The lifetime RFC 8656 §7.2 grants: at least the default, at most the maximum.
    fn granted_lifetime(&self, requested: Option<Duration>) -> Duration {
        let l = self.limits();
        requested
            .unwrap_or(l.default_lifetime)
            .min(l.max_lifetime)
            .max(l.default_lifetime)
    }

    fn requested_lifetime(m: &Message) -> Result<Option<Duration>, Refusal> {
        if !m.contains(ATTR_LIFETIME) {
            return Ok(None);
        }
        let mut l = Lifetime::default();
        Getter::get_from(&mut l, m).map_err(|_| BAD_REQUEST)?;
        Ok(Some(l.0))
    }

    fn allocate(
        &mut self,
        now: Instant,
        from: FiveTuple,
        m: &Message,
        auth: &Authenticated,
    ) -> Reply {
        if let Some(existing) = self.table.live(now, from) {
            if existing.created_by != m.transaction_id || existing.username != auth.username {
                return Err((437, "Allocation Mismatch"));
            }
            // A retransmitted Allocate: the same answer again.
            let (relayed, left) = (existing.relayed, existing.expires - now);
            return Ok(allocate_success(relayed, left, from));
        }
        let transport = m.get(ATTR_REQUESTED_TRANSPORT).map_err(|_| BAD_REQUEST)?;
        if transport.len() != 4 {
            return Err(BAD_REQUEST);
        }
        if transport[0] != 17 {
            return Err((442, "Unsupported Transport Protocol"));
        }
        if m.contains(ATTR_RESERVATION_TOKEN) || m.contains(ATTR_EVEN_PORT) {
            return Err((508, "Insufficient Capacity"));
        }
        if let Ok(family) = m.get(ATTR_REQUESTED_ADDRESS_FAMILY) {
            let wanted_v6 = match family.first() {
                Some(1) => false,
                Some(2) => true,
                _ => return Err(BAD_REQUEST),
            };
            if wanted_v6 != self.config.relay_ip.is_ipv6() {
                return Err((440, "Address Family not Supported"));
            }
        }
        let lifetime = self.granted_lifetime(Self::requested_lifetime(m)?);
        if self.table.held_by(&auth.username) >= self.limits().max_allocations_per_username {
            tracing::debug!(client = %from.client, "TURN server: allocation quota reached");
            return Err((486, "Allocation Quota Reached"));
        }
        if self.table.len() >= self.limits().max_allocations {
            return Err((508, "Insufficient Capacity"));
        }
        let relayed = self
            .table
            .free_relayed()
            .ok_or((508, "Insufficient Capacity"))?;
        let alloc = Allocation::new(
            auth.username.clone(),
            auth.key.clone(),
            relayed,
            now + lifetime,
            m.transaction_id,
        );
        self.table.insert(from, alloc);
        Ok(allocate_success(relayed, lifetime, from))
    }

    /// The 5-tuple's allocation, owned by the same username (437 / 441 otherwise).
    fn owned(
        &mut self,
        now: Instant,
        from: FiveTuple,
        auth: &Authenticated,
    ) -> Result<&mut Allocation, Refusal> {
        let alloc = self
            .table
            .live(now, from)
            .ok_or((437, "Allocation Mismatch"))?;
        if alloc.username != auth.username {
            return Err((441, "Wrong Credentials"));
        }
        Ok(alloc)
    }

    fn refresh(
        &mut self,
        now: Instant,
        from: FiveTuple,
        m: &Message,
        auth: &Authenticated,
    ) -> Reply {
        let requested = Self::requested_lifetime(m)?;
        let granted = self.granted_lifetime(requested);
        if requested == Some(Duration::ZERO) {
            self.owned(now, from, auth)?;
            self.table.remove(from);
            return Ok(vec![Box::new(Lifetime(Duration::ZERO))]);
        }
        let alloc = self.owned(now, from, auth)?;
        alloc.expires = now + granted;
        Ok(vec![Box::new(Lifetime(granted))])
    }

    /// Checks a peer address: only allowed peers, in the relayed address's family.
    fn check_peer(&self, relayed: SocketAddr, peer: SocketAddr) -> Result<(), Refusal> {
        if !self.allowed.contains(&peer) {
            return Err((403, "Forbidden"));
        }
        if peer.is_ipv4() != relayed.is_ipv4() {
            return Err((443, "Peer Address Family Mismatch"));
        }
        Ok(())
    }

    fn create_permission(
        &mut self,
        now: Instant,
        from: FiveTuple,
        m: &Message,
        auth: &Authenticated,
    ) -> Reply {
        let relayed = self.owned(now, from, auth)?.relayed;
        let peers = wire::peer_addresses(m).ok_or(BAD_REQUEST)?;
        if peers.is_empty() {
            return Err(BAD_REQUEST);
        }
        for &peer in &peers {
            self.check_peer(relayed, peer)?;
        }
        let until = now + self.limits().permission_lifetime;
        let alloc = self.owned(now, from, auth)?;
        for peer in peers {
            alloc.permit(peer.ip(), until);
        }
        Ok(Vec::new())
    }

    fn channel_bind(
        &mut self,
        now: Instant,
        from: FiveTuple,
        m: &Message,
        auth: &Authenticated,
    ) -> Reply {
        let relayed = self.owned(now, from, auth)?.relayed;
        let number = m.get(ATTR_CHANNEL_NUMBER).map_err(|_| BAD_REQUEST)?;
        let number = match number[..] {
            [hi, lo, _, _] => u16::from_be_bytes([hi, lo]),
            _ => return Err(BAD_REQUEST),
        };
        if !CHANNELS.contains(&number) {
            return Err(BAD_REQUEST);
        }
        let peer = match wire::peer_addresses(m).as_deref() {
            Some([peer]) => *peer,
            _ => return Err(BAD_REQUEST),
        };
        self.check_peer(relayed, peer)?;
        let (channel_until, permission_until) = (
            now + self.limits().channel_lifetime,
            now + self.limits().permission_lifetime,
        );
        let alloc = self.owned(now, from, auth)?;
        alloc
            .bind(number, peer, channel_until, now)
            .map_err(|_conflict| BAD_REQUEST)?;
        alloc.permit(peer.ip(), permission_until);
        Ok(Vec::new())
    }

    fn send_indication(&mut self, now: Instant, from: FiveTuple, m: &Message) -> Vec<Output> {
        let Some(peer) = wire::peer_addresses(m).and_then(|p| p.first().copied()) else {
            return Vec::new();
        };
        let Ok(data) = m.get(ATTR_DATA) else {
            return Vec::new();
        };
        self.relay_to_peer(now, from, peer, data)
    }

    fn channel_data_from_client(
        &mut self,
        now: Instant,
        from: FiveTuple,
        number: u16,
        data: Vec<u8>,
    ) -> Vec<Output> {
        let Some(peer) = self
            .table
            .live(now, from)
            .and_then(|a| a.peer_of(number, now))
        else {
            return Vec::new();
        };
        self.relay_to_peer(now, from, peer, data)
    }

    fn relay_to_peer(
        &mut self,
        now: Instant,
        from: FiveTuple,
        peer: SocketAddr,
        bytes: Vec<u8>,
    ) -> Vec<Output> {
        if !self.allowed.contains(&peer) {
            return Vec::new();
        }
        let Some(alloc) = self.table.live(now, from) else {
            return Vec::new();
        };
        if !alloc.permits(peer.ip(), now) {
            return Vec::new();
        }
        vec![Output::ToPeer {
            relayed: alloc.relayed,
            to: peer,
            bytes,
            client_transport: from.transport,
        }]
    }
}

/// A refusal: the error code and reason phrase.
type Refusal = (u16, &'static str);
/// A method's success attributes or its refusal.
type Reply = Result<Vec<Box<dyn Setter>>, Refusal>;

const BAD_REQUEST: Refusal = (400, "Bad Request");

fn allocate_success(
    relayed: SocketAddr,
    lifetime: Duration,
    from: FiveTuple,
) -> Vec<Box<dyn Setter>> {
    vec![
        Box::new(RelayedAddress {
            ip: relayed.ip(),
            port: relayed.port(),
        }),
        Box::new(Lifetime(lifetime)),
        Box::new(XorMappedAddress {
            ip: from.client.ip(),
            port: from.client.port(),
        }),
    ]
}
