//! Where the media plane listens and what it tells peers: the ICE address and the one UDP port
//! of every connection, the address announced to peers when the relay sits behind NAT, and the
//! STUN/TURN servers handed to the pages (none by default, so nothing reaches out to the
//! internet unless configured).

use super::pacing::PacingLimits;
use super::publisher_rate::RateLimits;
use super::retransmit::RetransmitLimits;
use std::net::IpAddr;
use thiserror::Error;

#[derive(Clone, Debug)]
pub struct MediaConfig {
    /// The address ICE binds (one explicit address: binding 0.0.0.0 skips loopback).
    pub bind_ip: IpAddr,
    /// The address written into the relay's ICE candidates instead of `bind_ip`, for a relay
    /// behind 1:1 NAT (a public address forwarded to `bind_ip`).
    pub announced_ip: Option<IpAddr>,
    /// The one UDP port of every peer connection (0: any free port, for tests).
    pub port: u16,
    /// How many workers run the connections, each lesson on one (0: one per core).
    pub workers: usize,
    /// The embedded TURN server's port (UDP and TCP on `bind_ip`); `None`: none there.
    pub turn_port: Option<u16>,
    /// The embedded TURN server's TLS port (`turns:` on `bind_ip`), certificate and name;
    /// `None`: none. With neither this nor `turn_port`, no TURN server.
    pub turn_tls: Option<super::turn_tls::TurnTlsConfig>,
    /// STUN and TURN servers handed to the pages for their peer connections (a relay with a
    /// public address needs none itself; a classroom behind a firewall may need TURN).
    pub client_ice_servers: Vec<IceServer>,
    /// At most one keyframe request per published video track reaches the publisher this often.
    pub keyframe_gap_ms: u64,
    /// How far the relay goes answering a Subscriber's NACKs.
    pub retransmit: RetransmitLimits,
    /// How the relay paces what it sends a Subscriber.
    pub pacing: PacingLimits,
    /// What the relay asks of a Publisher's video.
    pub publisher_rate: RateLimits,
    /// WHIP/WHEP participants one lesson may have (players beyond this are told to try later).
    pub max_http_participants: usize,
}

impl Default for MediaConfig {
    fn default() -> MediaConfig {
        MediaConfig {
            bind_ip: IpAddr::from([127, 0, 0, 1]),
            announced_ip: None,
            port: 0,
            workers: 0,
            turn_port: None,
            turn_tls: None,
            client_ice_servers: Vec::new(),
            keyframe_gap_ms: 300,
            retransmit: RetransmitLimits::default(),
            pacing: PacingLimits::default(),
            publisher_rate: RateLimits::default(),
            max_http_participants: 64,
        }
    }
}

impl MediaConfig {
    /// The number of workers: as configured, or one per core the process may use.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IceServer {
    pub url: String,
    pub username: String,
    pub credential: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("an ICE server URL starts with stun:, stuns:, turn: or turns:; got {0:?}")]
    IceUrl(String),
}

/// Parses `stun:host:port` or `turn:user:password@host:port` (credentials only for TURN).
pub fn parse_ice_server(text: &str) -> Result<IceServer, ConfigError> {
    let bad = || ConfigError::IceUrl(text.to_string());
    let (scheme, rest) = text.split_once(':').ok_or_else(bad)?;
    if !matches!(scheme, "stun" | "stuns" | "turn" | "turns") || rest.is_empty() {
        return Err(bad());
    }
    let (username, credential, host) = match rest.rsplit_once('@') {
        Some((creds, host)) if scheme.starts_with("turn") => {
            let (u, p) = creds.split_once(':').ok_or_else(bad)?;
            (u.to_string(), p.to_string(), host)
        }
        Some(_) => return Err(bad()),
        None => (String::new(), String::new(), rest),
    };
    Ok(IceServer {
        url: format!("{scheme}:{host}"),
        username,
        credential,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ice_servers() {
        let s = parse_ice_server("turn:bureau:secret@turn.example.org:3478").unwrap();
        assert_eq!(s.url, "turn:turn.example.org:3478");
        assert_eq!(
            (s.username.as_str(), s.credential.as_str()),
            ("bureau", "secret")
        );
        let s = parse_ice_server("stun:stun.example.org:3478").unwrap();
        assert_eq!(s.url, "stun:stun.example.org:3478");
        assert!(s.username.is_empty());
        assert!(parse_ice_server("http://x").is_err());
        assert!(parse_ice_server("stun:a:b@host").is_err());
    }
}
