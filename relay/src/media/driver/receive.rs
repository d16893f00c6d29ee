//! The receive task: the one reader of the shared port. It reads every datagram from the UDP
//! socket, every frame from the ICE-TCP streams and every datagram the TURN server injects,
//! finds the connection it belongs to ([`super::port`]) and hands it to the worker that owns that
//! connection, without waiting: a worker whose queue is full loses the datagram (counted in
//! [`DriverStats::worker_queue_drops`]), and every other worker keeps receiving.
//!
//! What one read turn takes from the socket (up to [`RECV_BATCH`] datagrams already queued)
//! goes to each worker as one [`Batch`], so the worker handles a video frame's packets in one
//! turn: each Subscriber's copies are drained, and sent, together (one `sendmmsg`, one GSO
//! run), as when one task did everything.

use super::demux::{classify, Class, PeerId, Route, TransactionId};
use super::droplog::DropLog;
use super::port::{Port, PortTables};
use super::tcp::{Feed, Inbound, TcpInput};
use super::DriverStats;
use bytes::BytesMut;
use rtc::shared::TransportProtocol;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

/// Datagrams (or TCP frames) read in one turn at most (one awaited, the rest already queued).
pub(super) const RECV_BATCH: usize = 64;
/// Larger datagrams are cut (and then refused by the connection): no media packet is this big.
const RECV_BUF: usize = 2_048;
/// How often the counters are logged (at debug level).
const COUNTERS_EVERY: Duration = Duration::from_secs(10);

/// A datagram for a worker's connection.
pub(super) struct Received {
    pub conn: PeerId,
    pub from: SocketAddr,
    pub protocol: TransportProtocol,
    pub datagram: BytesMut,
    /// The transaction id of a binding request over UDP: if the connection accepts it, its
    /// source address is learned.
    pub binding: Option<TransactionId>,
}

/// The datagrams of one read turn for one worker, in arrival order.
pub(super) type Batch = Vec<Received>;

/// What the handle asks of the receive task.
pub(super) enum Control {
    /// A datagram from the TURN server, as if it had arrived on the socket from `from`.
    Inject {
        from: SocketAddr,
        datagram: BytesMut,
    },
    /// The receiving side's counters.
    Stats { reply: oneshot::Sender<DriverStats> },
}

struct Receiver {
    port: Arc<Port>,
    workers: Vec<mpsc::Sender<Batch>>,
    /// This turn's datagrams, by worker.
    pending: Vec<Batch>,
    drops: DropLog,
    stats: DriverStats,
    /// When the counters were last logged, and their values then.
    logged: (Instant, DriverStats),
}

/// Runs until every handle is gone (`control` closed).
pub(super) async fn run(
    socket: Arc<UdpSocket>,
    port: Arc<Port>,
    workers: Vec<mpsc::Sender<Batch>>,
    mut control: mpsc::Receiver<Control>,
    mut tcp: Inbound,
) {
    let mut receiver = Receiver {
        port,
        pending: workers.iter().map(|_| Vec::new()).collect(),
        workers,
        drops: DropLog::new(Duration::from_secs(1)),
        stats: DriverStats::default(),
        logged: (Instant::now(), DriverStats::default()),
    };
    let mut buf = vec![0u8; RECV_BUF];
    loop {
        tokio::select! {
            command = control.recv() => match command {
                None => break,
                Some(Control::Inject { from, datagram }) => {
                    receiver.datagram(from, &datagram, Instant::now());
                }
                Some(Control::Stats { reply }) => {
                    let _ = reply.send(receiver.counters());
                }
            },
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => {
                    receiver.datagram(from, &buf[..n], Instant::now());
                    for _ in 1..RECV_BATCH {
                        match socket.try_recv_from(&mut buf) {
                            Ok((n, from)) => receiver.datagram(from, &buf[..n], Instant::now()),
                            Err(_) => break,
                        }
                    }
                }
                // ICMP errors surface here (ECONNREFUSED from a peer that went away).
                Err(e) => tracing::debug!("media driver: receive: {e}"),
            },
            input = tcp.recv() => {
                receiver.tcp(input);
                for _ in 1..RECV_BATCH {
                    match tcp.try_recv() {
                        Some(input) => receiver.tcp(input),
                        None => break,
                    }
                }
            }
        }
        receiver.hand_over();
        receiver.log_counters(Instant::now());
    }
}

impl Receiver {
    /// A UDP datagram (or one the TURN server relayed) from `from`.
    fn datagram(&mut self, from: SocketAddr, datagram: &[u8], now: Instant) {
        let stats = &mut self.stats;
        stats.datagrams_in += 1;
        match classify(datagram) {
            Class::Stun => stats.stun_in += 1,
            Class::Dtls => stats.dtls_in += 1,
            Class::RtpOrRtcp => stats.rtp_in += 1,
            Class::Garbage => {}
        }
        let route = self.port.lock().demux.route(from, datagram);
        match route {
            Route::Drop(reason) => {
                self.drops.record(reason, from, now);
            }
            Route::Conn {
                conn,
                binding_request,
            } => self.dispatch(Received {
                conn,
                from,
                protocol: TransportProtocol::UDP,
                datagram: BytesMut::from(datagram),
                binding: binding_request,
            }),
        }
    }

    /// A frame (or a stream opening or closing) from an ICE-TCP stream.
    fn tcp(&mut self, input: TcpInput) {
        let feed = {
            let mut tables = self.port.lock();
            let PortTables { demux, tcp } = &mut *tables;
            tcp.input(input, demux)
        };
        if let Some(Feed {
            conn,
            from,
            datagram,
        }) = feed
        {
            self.dispatch(Received {
                conn,
                from,
                protocol: TransportProtocol::TCP,
                datagram,
                binding: None,
            });
        }
    }

    fn dispatch(&mut self, received: Received) {
        if let Some(batch) = self.pending.get_mut(received.conn.worker()) {
            batch.push(received);
        }
    }

    /// Hands each worker this turn's datagrams for it, without waiting.
    fn hand_over(&mut self) {
        for (worker, batch) in self.workers.iter().zip(self.pending.iter_mut()) {
            if batch.is_empty() {
                continue;
            }
            let count = batch.len();
            let full = std::mem::replace(batch, Vec::with_capacity(count));
            if let Err(mpsc::error::TrySendError::Full(_)) = worker.try_send(full) {
                self.stats.worker_queue_drops += count as u64;
            }
        }
    }

    fn counters(&self) -> DriverStats {
        let mut stats = self.stats.clone();
        stats.drops = self.drops.totals();
        let tables = self.port.lock();
        stats.addresses = tables.demux.addr_count();
        stats.tcp = tables.tcp.stats();
        stats
    }

    /// Every [`COUNTERS_EVERY`], at debug level: what arrived per second since the last time.
    fn log_counters(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.logged.0);
        if elapsed < COUNTERS_EVERY || !tracing::enabled!(tracing::Level::DEBUG) {
            return;
        }
        let (then, was) = (elapsed.as_secs_f64(), &self.logged.1);
        let s = &self.stats;
        let rate = |now: u64, before: u64| (now.saturating_sub(before) as f64 / then).round();
        tracing::debug!(
            datagrams_in_per_s = rate(s.datagrams_in, was.datagrams_in),
            worker_queue_drops_per_s = rate(s.worker_queue_drops, was.worker_queue_drops),
            "media driver: receive counters"
        );
        self.logged = (now, s.clone());
    }
}
