//! The sans-IO media driver: every WebRTC connection of the relay on ONE UDP socket.
//!
//! Each connection is an `rtc` [`RTCPeerConnection`](rtc::peer_connection::RTCPeerConnection)
//! state machine, owned by one of the driver's workers. A worker feeds the datagrams of its
//! connections to them with the current time, then polls each for datagrams to send, events and
//! its next deadline. There is no task, socket or mutex per connection.
//!
//! # Workers: the lessons spread over the cores
//!
//! One receive task reads the shared socket (and the TCP streams, and what the TURN server
//! injects), finds the connection each datagram belongs to ([`demux`], in the port's shared
//! tables) and hands it to the worker that owns the connection ([`PeerId::worker`]). The
//! workers, one per core by default ([`DriverConfig::workers`]), each run their connections,
//! timers and routes in a task of their own and send on the shared socket. A connection is
//! opened on the worker its *pin* names ([`MediaDriverHandle::open`]): the lessons pin every
//! connection to their lesson, so a lesson's forwarding never leaves its worker, and one busy
//! lesson delays only the lessons on its worker, while the others run on the other cores. A
//! worker that falls behind loses datagrams at its own queue, not anyone else's.
//!
//! - [`demux`]: which connection a datagram belongs to, and how remote addresses are learned.
//! - `conn`: building one connection (credentials, host candidate, codecs, interceptors) and
//!   answering an offer; writing RTP on its local tracks and RTCP about its remote ones.
//! - [`routes`]: which connections receive a copy of each remote track (no IO). A packet of a
//!   routed track is forwarded to its sinks in the turn it arrived: no hop through the
//!   application, no copy but the one each sink's connection encrypts.
//! - `timers`: the connections' deadlines in a heap; the loop sleeps until the earliest.
//! - `droplog`: counting dropped datagrams, logging them at most once a second.
//! - `receive`: the receive task.
//! - `worker`: a worker's task.
//! - `port`: the tables the receive task and the workers share (one mutex, never held across
//!   an await; the media a worker forwards never takes it).
//! - `batch`: a turn's datagrams handed to the kernel in as few calls as possible (`sendmmsg`,
//!   and UDP GSO for a run of datagrams to one destination).
//! - `sockopt`: the socket's kernel buffers, sized for every connection's bursts.
//!
//! The application talks to the task through a [`MediaDriverHandle`] (commands over a bounded
//! queue) and reads [`DriverEvent`]s from a bounded queue. The task never waits on the
//! application: media events that do not fit are dropped and counted, lifecycle events wait in a
//! bounded backlog.
//!
//! # ICE over TCP
//!
//! For classrooms whose network passes no UDP, the driver also listens on TCP at the same IP and
//! port number, and every answer carries a second host candidate there, `tcp ... tcptype
//! passive` ([RFC 6544]); the remote's candidate is active: it connects, then sends STUN, DTLS
//! and SRTP as [RFC 4571] frames (a 2-byte length, then the datagram; [`framing`]). The TCP
//! candidate's priority is below the UDP one's (RFC 6544 local preference), so a peer that can
//! reach both nominates UDP.
//!
//! - `tcp`: the accept task and one task per stream (reading frames, writing queued
//!   datagrams), and the driver task's table of which stream belongs to which connection.
//! - A stream's first frame must be a binding request whose local ufrag names a connection
//!   (routed by [`demux`] as on UDP); the stream's later frames go to that connection too, which
//!   checks them. Once the connection writes to the stream's address (it answers the request,
//!   or sends its own check first when the request nominates at once, as Chromium's does over
//!   TCP: either way the request passed its integrity check), the stream is bound to it, and the
//!   connection's datagrams with transport TCP to that remote address go down that stream. Any other first frame closes the stream, as do a frame over
//!   4 KiB and no binding within [`TcpConfig::bind_timeout`]; a connection that closes takes its
//!   streams with it. The connections themselves stay with the one task: the streams only move
//!   bytes.
//! - Bounded: streams ([`TcpConfig::max_streams`]; more are closed at once), each stream's write
//!   queue ([`TcpConfig::write_queue`]; a full queue drops and counts), the frames waiting for the
//!   driver (one queue for all streams; a stream whose frame does not fit waits), and each
//!   stream's partial frame. Counters: [`DriverStats::tcp`].
//!
//! [RFC 6544]: https://www.rfc-editor.org/rfc/rfc6544
//! [RFC 4571]: https://www.rfc-editor.org/rfc/rfc4571
//!
//! What is bounded: connections ([`DriverConfig::max_connections`]), remote addresses per
//! connection ([`DriverConfig::max_addrs_per_conn`]), the command and event queues, the lifecycle
//! backlog, the timer heap (a constant factor of the connection count), and one receive buffer.
//! The `rtc` state machine bounds its own queues (SRTP replay windows, interceptor buffers).

mod batch;
mod conn;
pub mod demux;
mod droplog;
pub mod framing;
pub mod layers;
mod port;
mod receive;
pub mod routes;
mod sockopt;
mod tcp;
mod timers;
mod worker;

pub use demux::{DemuxError, DropReason, PeerId};
pub use tcp::{TcpConfig, TcpStats};

use rtc::rtp_transceiver::rtp_sender::{RTCRtpCodec, RtpCodecKind};
use rtc::{rtcp, rtp};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
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
    #[error("{0} has no remote track {1:?}")]
    UnknownRemoteTrack(PeerId, String),
    #[error("no connection {0}")]
    UnknownConn(PeerId),
    #[error("the media driver's command queue is full")]
    Busy,
    #[error("{0}")]
    Demux(#[from] DemuxError),
    #[error("the media port must be bound to one address, not {0}")]
    Unspecified(SocketAddr),
    #[error("redundant audio: {0}")]
    Red(#[from] crate::media::red::RedError),
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
    /// The one UDP address of every connection (and the TCP listener's): an explicit IP (ICE
    /// skips loopback on a wildcard, and the host candidate must name the address the peers
    /// reach).
    pub bind: SocketAddr,
    /// How many workers share the connections (at least 1, at most [`PeerId::MAX_WORKERS`]).
    pub workers: usize,
    /// Connections on the port, over all workers.
    pub max_connections: usize,
    pub max_addrs_per_conn: usize,
    /// Each worker's command queue.
    pub command_capacity: usize,
    /// Each worker's queue of received datagrams; a full one drops them.
    pub received_capacity: usize,
    pub event_capacity: usize,
    /// Kernel receive and send buffer asked for the socket (capped by `net.core.rmem_max`).
    pub socket_buffer: usize,
    /// Retransmission and pacing limits of every connection.
    pub chain: ChainLimits,
    /// A connection not connected this long after its answer fails (and is closed).
    pub connect_timeout: Duration,
    /// Every received RTP packet is also sent to the application as [`DriverEvent::Rtp`] (for
    /// tests; the lessons route packets in the driver instead).
    pub rtp_events: bool,
    /// ICE-TCP on the same IP and port number (see the module docs); `max_streams: 0` turns it
    /// off.
    pub tcp: TcpConfig,
    /// Datagrams to this IP go to the embedded TURN server instead of the socket (its relayed
    /// addresses are virtual: see [`crate::media::turn_io`]).
    pub divert: Option<Divert>,
}

/// Where the datagrams for the TURN server's relayed addresses go.
#[derive(Clone, Debug)]
pub struct Divert {
    /// The IP of every relayed address.
    pub ip: std::net::IpAddr,
    /// The TURN server's queue: (relayed address, datagram). A full queue drops the datagram.
    pub to: mpsc::Sender<(SocketAddr, bytes::BytesMut)>,
}

impl DriverConfig {
    pub fn new(bind: SocketAddr) -> DriverConfig {
        DriverConfig {
            bind,
            workers: 1,
            max_connections: 2_000,
            max_addrs_per_conn: 4,
            command_capacity: 1_024,
            received_capacity: 4_096,
            event_capacity: 4_096,
            socket_buffer: 4 << 20,
            chain: ChainLimits::default(),
            connect_timeout: Duration::from_secs(30),
            rtp_events: false,
            tcp: TcpConfig::default(),
            divert: None,
        }
    }
}

/// A track the relay sends on a connection: its kind and exact codec (a Publisher's, so its
/// packets are forwarded as they are). A connection with send tracks offers only their codecs.
#[derive(Clone, Debug)]
pub struct SendTrack {
    pub kind: RtpCodecKind,
    pub codec: RTCRtpCodec,
}

impl SendTrack {
    pub fn opus() -> SendTrack {
        SendTrack {
            kind: RtpCodecKind::Audio,
            codec: crate::media::codecs::opus().rtp_codec,
        }
    }

    pub fn vp8() -> SendTrack {
        SendTrack {
            kind: RtpCodecKind::Video,
            codec: crate::media::codecs::vp8().rtp_codec,
        }
    }

    pub fn h264() -> SendTrack {
        SendTrack {
            kind: RtpCodecKind::Video,
            codec: crate::media::codecs::h264_constrained_baseline().rtp_codec,
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
        /// The codec its packets carry.
        codec: Option<RTCRtpCodec>,
        /// It arrives as simulcast layers (each Subscriber gets one: no cap on the Publisher).
        simulcast: bool,
    },
    /// RTP on a remote track (only with [`DriverConfig::rtp_events`]).
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
    /// The loss, round trip and rate the connection's estimator last saw (one that sends), for
    /// the lesson's report to the teacher.
    pub meter: crate::media::link_meter::LinkMeter,
    /// On a Publisher's connection: the worst loss of its audio's Subscribers, which the lesson
    /// writes and the connection reports to the Publisher ([`crate::media::loss_report`]).
    pub worst_loss: crate::media::loss_report::WorstLoss,
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
    /// Of `datagrams_out`, messages sent with UDP GSO (`UDP_SEGMENT`: one message, several
    /// datagrams to one destination), and the datagrams (segments) they carried.
    pub gso_messages: u64,
    pub gso_segments: u64,
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
    /// Copies of received packets written to other connections (routes).
    pub forwarded: u64,
    /// Connections that did not connect within [`DriverConfig::connect_timeout`].
    pub connect_timeouts: u64,
    /// Datagrams lost because their worker's queue was full.
    pub worker_queue_drops: u64,
    /// The ICE-TCP streams.
    pub tcp: TcpStats,
}

impl DriverStats {
    /// Adds a worker's counters (its connections and what it sent) to the receive task's.
    fn add_worker(&mut self, worker: &DriverStats) {
        self.connections += worker.connections;
        self.datagrams_out += worker.datagrams_out;
        self.gso_messages += worker.gso_messages;
        self.gso_segments += worker.gso_segments;
        self.timeouts += worker.timeouts;
        self.timeout_failures += worker.timeout_failures;
        self.read_errors += worker.read_errors;
        self.write_errors += worker.write_errors;
        self.send_errors += worker.send_errors;
        self.events_dropped += worker.events_dropped;
        self.forwarded += worker.forwarded;
        self.connect_timeouts += worker.connect_timeouts;
    }

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
    WriteRtcp {
        conn: PeerId,
        track_id: String,
        packets: Vec<Box<dyn rtcp::Packet>>,
    },
    Route {
        source: PeerId,
        track_id: String,
        sink: routes::Sink,
    },
    LayerCap {
        source: PeerId,
        track_id: String,
        highest: Option<usize>,
    },
    Close {
        conn: PeerId,
    },
    Stats {
        reply: oneshot::Sender<DriverStats>,
    },
}

/// Talks to the driver's tasks; cheap to clone. The tasks stop when every handle is dropped.
#[derive(Clone)]
pub struct MediaDriverHandle {
    /// Each worker's command queue, by index.
    workers: Arc<[mpsc::Sender<Command>]>,
    /// The receive task's.
    control: mpsc::Sender<receive::Control>,
    local_addr: SocketAddr,
}

/// The connections' own ICE checks awaiting a response, per connection on average.
const PENDING_CHECKS_PER_CONN: usize = 8;

/// Starts the driver: binds its UDP socket (and, with ICE-TCP on, its TCP listener at the same
/// address) and spawns its receive task and workers (on the current tokio runtime).
pub fn start(
    config: DriverConfig,
) -> Result<(MediaDriverHandle, mpsc::Receiver<DriverEvent>), DriverError> {
    if config.bind.ip().is_unspecified() {
        return Err(DriverError::Unspecified(config.bind));
    }
    let (socket, listener) = bind(config.bind, config.tcp.max_streams > 0)?;
    let local_addr = socket.local_addr()?;
    let (tcp_inbound, tcp_routes) = tcp::listen(listener, config.tcp.clone());
    let granted = sockopt::set_buffers(&socket, config.socket_buffer);
    tracing::debug!(%local_addr, ?granted, "media driver: socket receive buffer");
    let socket = Arc::new(socket);
    let demux = demux::Demux::new(
        config.max_addrs_per_conn,
        config
            .max_connections
            .saturating_mul(PENDING_CHECKS_PER_CONN),
    );
    let port = Arc::new(port::Port::new(demux, tcp_routes));
    let gso = Arc::new(batch::Gso::new());
    let (events, event_rx) = mpsc::channel(config.event_capacity.max(1));
    let count = config.workers.clamp(1, PeerId::MAX_WORKERS);
    let mut workers = Vec::with_capacity(count);
    let mut received_by = Vec::with_capacity(count);
    for index in 0..count {
        let (commands, command_rx) = mpsc::channel(config.command_capacity.max(1));
        // Batches of up to RECV_BATCH datagrams: at most `received_capacity` datagrams queued.
        let batches = (config.received_capacity / receive::RECV_BATCH).max(1);
        let (received, received_rx) = mpsc::channel(batches);
        workers.push(commands);
        received_by.push(received);
        let io = worker::WorkerIo {
            index,
            socket: Arc::clone(&socket),
            local_addr,
            port: Arc::clone(&port),
            gso: Arc::clone(&gso),
            commands: command_rx,
            received: received_rx,
            events: events.clone(),
        };
        tokio::spawn(worker::run(io, config.clone()));
    }
    let (control, control_rx) = mpsc::channel(config.command_capacity.max(1));
    tokio::spawn(receive::run(
        socket,
        port,
        received_by,
        control_rx,
        tcp_inbound,
    ));
    tracing::info!(%local_addr, workers = count, "media driver: listening");
    Ok((
        MediaDriverHandle {
            workers: workers.into(),
            control,
            local_addr,
        },
        event_rx,
    ))
}

/// The UDP socket and, with `tcp`, a TCP listener at the same IP and port number. With port 0
/// the UDP socket picks the port; if TCP cannot have that port too, another is tried.
fn bind(
    addr: SocketAddr,
    tcp: bool,
) -> Result<(UdpSocket, Option<tokio::net::TcpListener>), DriverError> {
    let mut attempts = if addr.port() == 0 { 8 } else { 1 };
    loop {
        let socket = std::net::UdpSocket::bind(addr)?;
        socket.set_nonblocking(true)?;
        if !tcp {
            return Ok((UdpSocket::from_std(socket)?, None));
        }
        match std::net::TcpListener::bind(socket.local_addr()?) {
            Ok(listener) => {
                listener.set_nonblocking(true)?;
                return Ok((
                    UdpSocket::from_std(socket)?,
                    Some(tokio::net::TcpListener::from_std(listener)?),
                ));
            }
            Err(e) if attempts > 1 && e.kind() == std::io::ErrorKind::AddrInUse => {
                attempts -= 1;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

impl MediaDriverHandle {
    /// The one UDP address of every connection (and its TCP address, if ICE-TCP is on).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// How many workers share the connections.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// The worker that owns `conn`.
    fn worker(&self, conn: PeerId) -> Result<&mpsc::Sender<Command>, DriverError> {
        self.workers
            .get(conn.worker())
            .ok_or(DriverError::UnknownConn(conn))
    }

    /// Answers `offer` with a new connection that sends `send` (in this order: track `i` of
    /// [`Self::write_rtp`] is `send[i]`). The answer carries the driver's host candidate (and its
    /// passive TCP candidate at the same address, with ICE-TCP on).
    ///
    /// `pin` chooses the worker: connections with the same pin share one, so routes between them
    /// stay within it (a lesson passes its own id). Routes between connections of different
    /// workers are ignored.
    pub async fn open(
        &self,
        pin: u64,
        offer: String,
        send: Vec<SendTrack>,
    ) -> Result<Opened, DriverError> {
        let index = (pin % self.workers.len() as u64) as usize;
        let worker = self.workers.get(index).ok_or(DriverError::Stopped)?;
        let (reply, answer) = oneshot::channel();
        worker
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
        self.worker(conn)?
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
        Self::try_send(
            self.worker(conn)?,
            Command::WriteRtp {
                conn,
                track,
                packet,
            },
        )
    }

    /// Sends `packets` about `conn`'s remote track `track_id` (a keyframe request, a REMB)
    /// without waiting: fails with [`DriverError::Busy`] when the command queue is full.
    pub fn try_write_rtcp(
        &self,
        conn: PeerId,
        track_id: String,
        packets: Vec<Box<dyn rtcp::Packet>>,
    ) -> Result<(), DriverError> {
        Self::try_send(
            self.worker(conn)?,
            Command::WriteRtcp {
                conn,
                track_id,
                packets,
            },
        )
    }

    /// `sink`'s local track `track` receives every packet of `source`'s remote track
    /// `track_id` from now on, until either connection closes. A route between connections
    /// the driver does not have is ignored.
    pub async fn route(
        &self,
        source: PeerId,
        track_id: String,
        sink: PeerId,
        track: usize,
    ) -> Result<(), DriverError> {
        self.worker(source)?
            .send(Command::Route {
                source,
                track_id,
                sink: routes::Sink { conn: sink, track },
            })
            .await
            .map_err(|_| DriverError::Stopped)
    }

    /// Every Subscriber of `source`'s simulcast Track `track_id` gets at most layer `highest`
    /// from now on (`None`: any layer its link carries), without waiting: a classroom's camera
    /// fills a small tile in the teacher's grid, its smallest layer is enough there.
    pub fn try_cap_layers(
        &self,
        source: PeerId,
        track_id: String,
        highest: Option<usize>,
    ) -> Result<(), DriverError> {
        Self::try_send(
            self.worker(source)?,
            Command::LayerCap {
                source,
                track_id,
                highest,
            },
        )
    }

    /// Hands the driver `datagram` as if it had arrived on its socket from `from` (the TURN
    /// server relaying a client's packet from its relayed address), without waiting.
    pub fn try_inject(
        &self,
        from: SocketAddr,
        datagram: bytes::BytesMut,
        over_stream: bool,
    ) -> Result<(), DriverError> {
        Self::try_send(
            &self.control,
            receive::Control::Inject {
                from,
                datagram,
                over_stream,
            },
        )
    }

    fn try_send<T>(queue: &mpsc::Sender<T>, command: T) -> Result<(), DriverError> {
        queue.try_send(command).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => DriverError::Busy,
            mpsc::error::TrySendError::Closed(_) => DriverError::Stopped,
        })
    }

    /// Closes `conn` and forgets its ufrag and addresses.
    pub async fn close(&self, conn: PeerId) -> Result<(), DriverError> {
        self.worker(conn)?
            .send(Command::Close { conn })
            .await
            .map_err(|_| DriverError::Stopped)
    }

    /// The counters of the receive task and every worker, added up.
    pub async fn stats(&self) -> Result<DriverStats, DriverError> {
        let (reply, stats) = oneshot::channel();
        self.control
            .send(receive::Control::Stats { reply })
            .await
            .map_err(|_| DriverError::Stopped)?;
        let mut total = stats.await.map_err(|_| DriverError::Stopped)?;
        for worker in self.workers.iter() {
            let (reply, stats) = oneshot::channel();
            worker
                .send(Command::Stats { reply })
                .await
                .map_err(|_| DriverError::Stopped)?;
            total.add_worker(&stats.await.map_err(|_| DriverError::Stopped)?);
        }
        Ok(total)
    }
}
