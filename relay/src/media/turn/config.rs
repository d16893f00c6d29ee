//! What a [`super::TurnServer`] is built from: realm, secret, the only peers it relays to, the
//! relayed address range, and its limits.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::Duration;

/// How a client reached the TURN server. Part of the allocation's 5-tuple key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// `turn:` over UDP.
    Udp,
    /// `turn:?transport=tcp`.
    Tcp,
    /// `turns:` (TLS over TCP).
    Tls,
}

/// The client's 5-tuple: transport, the client's address and the server address it reached.
/// An allocation belongs to exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FiveTuple {
    /// UDP, TCP or TLS.
    pub transport: Transport,
    /// The client's (server-reflexive) address.
    pub client: SocketAddr,
    /// The TURN server's listening address the client reached.
    pub server: SocketAddr,
}

/// Bounds on what clients may hold. Every table in the server is bounded by these.
#[derive(Debug, Clone)]
pub struct TurnLimits {
    /// Allocations on the whole server (then 508 Insufficient Capacity).
    pub max_allocations: usize,
    /// Allocations per username (then 486 Allocation Quota Reached).
    pub max_allocations_per_username: usize,
    /// The longest allocation lifetime granted (RFC 8656: 3600 s recommended).
    pub max_lifetime: Duration,
    /// The lifetime granted when the client asks for less or nothing (RFC 8656: 600 s).
    pub default_lifetime: Duration,
    /// How long a permission lasts (RFC 8656: 300 s, not configurable by clients).
    pub permission_lifetime: Duration,
    /// How long a channel binding lasts (RFC 8656: 600 s).
    pub channel_lifetime: Duration,
    /// How long a NONCE stays fresh before 438 Stale Nonce.
    pub nonce_lifetime: Duration,
    /// Longer datagrams (or stream frames) are dropped unread.
    pub max_message_len: usize,
    /// Answers to unauthenticated requests over UDP, per client IP (see [`super::budget`]).
    pub unauthenticated: super::budget::BudgetLimits,
}

impl TurnLimits {
    /// How long an IP that used its whole budget of unauthenticated answers waits for the next.
    pub fn unauthenticated_interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.unauthenticated.per_second.max(f64::MIN_POSITIVE))
    }
}

/// Allocations a browser makes for one peer connection: one per `turn:` URL it reaches and
/// local address it gathers from. Chromium made four per connection (UDP open, the URLs over
/// UDP and TCP) in `browser_turn_fallback`; the old quota of four per page left a classroom's
/// second connection (its camera) without a relayed candidate, so it never connected.
pub const ALLOCATIONS_PER_CONNECTION: usize = 4;

/// The connections of one page the default quota covers: every page's credentials are its own
/// (one username per WebSocket connection), and a teacher's page holds its own camera's
/// connection and one per classroom camera in its grid.
pub const CONNECTIONS_PER_PAGE: usize = 64;

impl Default for TurnLimits {
    fn default() -> Self {
        TurnLimits {
            // Every page allocates on every connection, whether it needs the relay or not (the
            // browser cannot know before it tries): a county relay's lessons hold thousands.
            // An allocation is a table entry on a virtual port (no socket), so this is bounded
            // by memory (a few hundred bytes each) and by the 20,000 virtual ports.
            max_allocations: 20_000,
            max_allocations_per_username: ALLOCATIONS_PER_CONNECTION * CONNECTIONS_PER_PAGE,
            max_lifetime: Duration::from_secs(3600),
            default_lifetime: Duration::from_secs(600),
            permission_lifetime: Duration::from_secs(300),
            channel_lifetime: Duration::from_secs(600),
            nonce_lifetime: Duration::from_secs(600),
            max_message_len: 4096,
            unauthenticated: super::budget::BudgetLimits::default(),
        }
    }
}

/// Everything a [`super::TurnServer`] needs.
#[derive(Clone)]
pub struct TurnConfig {
    /// The REALM clients authenticate in (e.g. the relay's host name).
    pub realm: String,
    /// The TURN REST shared secret (see [`super::credentials`]).
    pub secret: Vec<u8>,
    /// The only peer addresses a client may relay to: the relay's own media address(es).
    pub allowed_peers: Vec<SocketAddr>,
    /// The IP of every relayed address handed out.
    pub relay_ip: IpAddr,
    /// The (virtual) ports relayed addresses are taken from.
    pub relay_ports: RangeInclusive<u16>,
    /// Bounds.
    pub limits: TurnLimits,
}

impl fmt::Debug for TurnConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TurnConfig")
            .field("realm", &self.realm)
            .field("secret", &"[REDACTED]")
            .field("allowed_peers", &self.allowed_peers)
            .field("relay_ip", &self.relay_ip)
            .field("relay_ports", &self.relay_ports)
            .field("limits", &self.limits)
            .finish()
    }
}

/// A [`TurnConfig`] the server refuses to run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Empty or longer than STUN's REALM limit.
    #[error("the TURN realm must be 1 to 127 bytes")]
    Realm,
    /// An empty secret would make every password guessable.
    #[error("the TURN secret must not be empty")]
    EmptySecret,
    /// With no allowed peer the server could relay nothing.
    #[error("the TURN server needs at least one allowed peer address")]
    NoAllowedPeers,
    /// No relayed ports to hand out.
    #[error("the TURN relayed port range is empty")]
    EmptyPortRange,
    /// A limit is zero, or the default lifetime exceeds the maximum.
    #[error("the TURN limits are inconsistent: {0}")]
    Limits(&'static str),
    /// The crypto provider (HMAC-SHA1, MD5) is unavailable.
    #[error("no crypto provider: {0}")]
    Crypto(String),
}

impl TurnConfig {
    /// Checks the config is usable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.realm.is_empty() || self.realm.len() > 127 {
            return Err(ConfigError::Realm);
        }
        if self.secret.is_empty() {
            return Err(ConfigError::EmptySecret);
        }
        if self.allowed_peers.is_empty() {
            return Err(ConfigError::NoAllowedPeers);
        }
        if self.relay_ports.is_empty() {
            return Err(ConfigError::EmptyPortRange);
        }
        let l = &self.limits;
        if l.max_allocations == 0 || l.max_allocations_per_username == 0 {
            return Err(ConfigError::Limits("allocation limits must be positive"));
        }
        if l.default_lifetime.is_zero() || l.default_lifetime > l.max_lifetime {
            return Err(ConfigError::Limits(
                "default lifetime must be positive and at most the maximum",
            ));
        }
        if l.permission_lifetime.is_zero()
            || l.channel_lifetime.is_zero()
            || l.nonce_lifetime.is_zero()
        {
            return Err(ConfigError::Limits("lifetimes must be positive"));
        }
        if l.max_message_len < 64 {
            return Err(ConfigError::Limits("max_message_len must be at least 64"));
        }
        Ok(())
    }
}
