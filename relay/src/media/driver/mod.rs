//! The sans-IO media driver: every WebRTC connection of the relay on ONE UDP socket.
//!
//! Each connection is an `rtc` [`RTCPeerConnection`](rtc::peer_connection::RTCPeerConnection)
//! state machine. One task owns the socket and every connection: it feeds received datagrams to
//! the connection they belong to (see [`demux`]) with the current time, then polls that
//! connection for datagrams to send, events and its next deadline. There is no task, socket or
//! mutex per connection.
//!
//! - [`demux`]: which connection a datagram belongs to, and how remote addresses are learned.
//! - `conn`: building one connection (credentials, host candidate, codecs, interceptors) and
//!   answering an offer; writing RTP on its local tracks.
//! - `timers`: the connections' deadlines in a heap; the loop sleeps until the earliest.
//! - `droplog`: counting dropped datagrams, logging them at most once a second.
//! - `event_loop`: the task.
//! - `sockopt`: the socket's kernel buffers, sized for every connection's bursts.
//!
//! The application talks to the task through a [`MediaDriverHandle`] (commands over a bounded
//! queue) and reads [`DriverEvent`]s from a bounded queue. The task never waits on the
//! application: media events that do not fit are dropped and counted, lifecycle events wait in a
//! bounded backlog.
//!
//! What is bounded: connections ([`DriverConfig::max_connections`]), remote addresses per
//! connection ([`DriverConfig::max_addrs_per_conn`]), the command and event queues, the lifecycle
//! backlog, the timer heap (a constant factor of the connection count), and one receive buffer.
//! The `rtc` state machine bounds its own queues (SRTP replay windows, interceptor buffers).

mod conn;
pub mod demux;
mod droplog;
mod event_loop;
pub mod framing;
mod sockopt;
mod timers;

pub use demux::{DemuxError, DropReason, PeerId};

use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use rtc::{rtcp, rtp};
use std::net::SocketAddr;
use thiserror::Error;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

#[derive(Debug, Error)]
pub enum DriverError {
    #[error("media socket: {0}")]
    Io(#[from] std::io::Error),
    #[error("the media driver has stopped")]
    Stopped,
    #[error("the media port already has {0} connections")]
    TooManyConnections(usize),
    #[error("the offer is not usable: {0}")]
    Offer(String),
    #[error("WebRTC: {0}")]
    Rtc(String),
    #[error("{0} is not connected yet")]
    NotConnected(PeerId),
    #[error("{0} has no local track {1}")]
    UnknownTrack(PeerId, usize),
    #[error("no connection {0}")]
    UnknownConn(PeerId),
    #[error("the media driver's command queue is full")]
    Busy,
    #[error("{0}")]
    Demux(#[from] DemuxError),
    #[error("the media port must be bound to one address, not {0}")]
    Unspecified(SocketAddr),
}

/// How each connection answers NACKs and paces what it sends ([`crate::media::chain`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ChainLimits {
    pub retransmit: crate::media::retransmit::RetransmitLimits,
    pub pacing: crate::media::pacing::PacingLimits,
}

/// The driver's limits and its socket's address.
#[derive(Clone, Debug)]
pub struct DriverConfig {
    /// The one UDP address of every connection: an explicit IP (ICE skips loopback on a
    /// wildcard, and the host candidate must name the address the peers reach).
    pub bind: SocketAddr,
    pub max_connections: usize,
    pub max_addrs_per_conn: usize,
    pub command_capacity: usize,
    pub event_capacity: usize,
    /// Kernel receive and send buffer asked for the socket (capped by `net.core.rmem_max`).
    pub socket_buffer: usize,
    /// Retransmission and pacing limits of every connection.
    pub chain: ChainLimits,
}

impl DriverConfig {
    pub fn new(bind: SocketAddr) -> DriverConfig {
        DriverConfig {
            bind,
            max_connections: 2_000,
            max_addrs_per_conn: 4,
            command_capacity: 1_024,
            event_capacity: 4_096,
            socket_buffer: 4 << 20,
            chain: ChainLimits::default(),
        }
    }
}

/// A track the relay sends on a connection: its kind and codec (MIME type).
#[derive(Clone, Debug)]
pub struct SendTrack {
    pub kind: RtpCodecKind,
    pub mime: String,
}

impl SendTrack {
    pub fn opus() -> SendTrack {
        SendTrack {
            kind: RtpCodecKind::Audio,
            mime: rtc::peer_connection::configuration::media_engine::MIME_TYPE_OPUS.into(),
        }
    }

    pub fn vp8() -> SendTrack {
        SendTrack {
            kind: RtpCodecKind::Video,
            mime: rtc::peer_connection::configuration::media_engine::MIME_TYPE_VP8.into(),
        }
    }

    pub fn h264() -> SendTrack {
        SendTrack {
            kind: RtpCodecKind::Video,
            mime: rtc::peer_connection::configuration::media_engine::MIME_TYPE_H264.into(),
        }
    }
}

/// What the driver tells the application.
#[derive(Debug)]
pub enum DriverEvent {
    /// ICE and DTLS are up: local tracks can be written.
    Connected(PeerId),
    /// Consent was lost for a while; the connection may come back.
    Disconnected(PeerId),
    /// ICE or DTLS failed; the connection is gone.
    Failed(PeerId),
    /// The remote closed the connection; it is gone.
    Closed(PeerId),
    /// The first packet of a remote track arrived.
    TrackOpened {
        conn: PeerId,
        track_id: String,
        kind: RtpCodecKind,
        ssrc: u32,
    },
    /// RTP on a remote track.
    Rtp {
        conn: PeerId,
        track_id: String,
        packet: rtp::Packet,
    },
    /// RTCP the interceptors let through (keyframe requests), with the track it is about (a
    /// local track id for feedback on what the relay sends).
    Rtcp {
        conn: PeerId,
        track_id: String,
        /// The local track (index into the `send` of [`MediaDriverHandle::open`]) it is about.
        local_track: Option<usize>,
        packets: Vec<Box<dyn rtcp::Packet>>,
    },
}

/// An answered offer.
#[derive(Debug)]
pub struct Opened {
    pub conn: PeerId,
    pub answer: String,
    /// The remote's link as the connection estimates it (on a connection that sends), for the
    /// lesson's cap on its Publishers ([`crate::media::publisher_rate`]).
    pub estimate: crate::media::pacing::Estimate,
}

/// Counters of the driver since it started.
#[derive(Clone, Debug, Default)]
pub struct DriverStats {
    pub connections: usize,
    pub addresses: usize,
    pub datagrams_in: u64,
    /// Of `datagrams_in`, by RFC 7983 class: STUN, DTLS, RTP/RTCP.
    pub stun_in: u64,
    pub dtls_in: u64,
    pub rtp_in: u64,
    pub datagrams_out: u64,
    /// Connection deadlines handled.
    pub timeouts: u64,
    /// Connections that failed handling a deadline (a DTLS handshake out of retransmissions).
    pub timeout_failures: u64,
    pub drops: Vec<(DropReason, u64)>,
    /// Datagrams a connection refused (bad SRTP, DTLS from a known address out of place...).
    pub read_errors: u64,
    pub write_errors: u64,
    pub send_errors: u64,
    pub events_dropped: u64,
}

impl DriverStats {
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.drops
            .iter()
            .find(|(r, _)| *r == reason)
            .map_or(0, |(_, n)| *n)
    }
}

enum Command {
    Open {
        offer: String,
        send: Vec<SendTrack>,
        reply: oneshot::Sender<Result<Opened, DriverError>>,
    },
    WriteRtp {
        conn: PeerId,
        track: usize,
        packet: rtp::Packet,
    },
    Close {
        conn: PeerId,
    },
    Stats {
        reply: oneshot::Sender<DriverStats>,
    },
}

/// Talks to the driver's task; cheap to clone. The task stops when every handle is dropped.
#[derive(Clone)]
pub struct MediaDriverHandle {
    commands: mpsc::Sender<Command>,
    local_addr: SocketAddr,
}

/// Starts the driver: binds its socket and spawns its task.
pub async fn start(
    config: DriverConfig,
) -> Result<(MediaDriverHandle, mpsc::Receiver<DriverEvent>), DriverError> {
    if config.bind.ip().is_unspecified() {
        return Err(DriverError::Unspecified(config.bind));
    }
    let socket = UdpSocket::bind(config.bind).await?;
    let local_addr = socket.local_addr()?;
    let granted = sockopt::set_buffers(&socket, config.socket_buffer);
    tracing::debug!(%local_addr, ?granted, "media driver: socket receive buffer");
    let (commands, command_rx) = mpsc::channel(config.command_capacity.max(1));
    let (events, event_rx) = mpsc::channel(config.event_capacity.max(1));
    tokio::spawn(event_loop::run(
        socket, local_addr, config, command_rx, events,
    ));
    Ok((
        MediaDriverHandle {
            commands,
            local_addr,
        },
        event_rx,
    ))
}

impl MediaDriverHandle {
    /// The one UDP address of every connection.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Answers `offer` with a new connection that sends `send` (in this order: track `i` of
    /// [`Self::write_rtp`] is `send[i]`). The answer carries the driver's host candidate.
    pub async fn open(&self, offer: String, send: Vec<SendTrack>) -> Result<Opened, DriverError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Open { offer, send, reply })
            .await
            .map_err(|_| DriverError::Stopped)?;
        answer.await.map_err(|_| DriverError::Stopped)?
    }

    /// Sends `packet` on `conn`'s local track `track`, waiting for room in the command queue.
    /// Its SSRC and payload type are replaced with the ones negotiated for that track; errors
    /// (not connected yet, unknown track) are counted in [`DriverStats::write_errors`].
    pub async fn write_rtp(
        &self,
        conn: PeerId,
        track: usize,
        packet: rtp::Packet,
    ) -> Result<(), DriverError> {
        self.commands
            .send(Command::WriteRtp {
                conn,
                track,
                packet,
            })
            .await
            .map_err(|_| DriverError::Stopped)
    }

    /// Like [`Self::write_rtp`], but fails with [`DriverError::Busy`] instead of waiting.
    pub fn try_write_rtp(
        &self,
        conn: PeerId,
        track: usize,
        packet: rtp::Packet,
    ) -> Result<(), DriverError> {
        self.commands
            .try_send(Command::WriteRtp {
                conn,
                track,
                packet,
            })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => DriverError::Busy,
                mpsc::error::TrySendError::Closed(_) => DriverError::Stopped,
            })
    }

    /// Closes `conn` and forgets its ufrag and addresses.
    pub async fn close(&self, conn: PeerId) -> Result<(), DriverError> {
        self.commands
            .send(Command::Close { conn })
            .await
            .map_err(|_| DriverError::Stopped)
    }

    pub async fn stats(&self) -> Result<DriverStats, DriverError> {
        let (reply, stats) = oneshot::channel();
        self.commands
            .send(Command::Stats { reply })
            .await
            .map_err(|_| DriverError::Stopped)?;
        stats.await.map_err(|_| DriverError::Stopped)
    }
}
