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
    /// It came over a stream the whole way from the remote: ICE-TCP, or TURN over TCP or TLS
    /// (injected here as a datagram).
    pub over_stream: bool,
    pub datagram: BytesMut,
    /// When it was read from the socket (or the stream): its arrival time in transport-wide
    /// feedback. The worker handles it later, after the rest of its batch and whatever else it
    /// had to do, and the Publisher's browser would read that wait as a queue on its uplink.
    pub at: Instant,
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
        /// The remote reached the TURN server over TCP or TLS.
        over_stream: bool,
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
    let mut receiver = Receiver::new(port, workers);
    let mut buf = vec![0u8; RECV_BUF];
    loop {
        tokio::select! {
            command = control.recv() => match command {
                None => break,
                Some(Control::Inject {
                    from,
                    datagram,
                    over_stream,
                }) => {
                    receiver.datagram(from, &datagram, Instant::now(), over_stream);
                }
                Some(Control::Stats { reply }) => {
                    let _ = reply.send(receiver.counters());
                }
            },
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => {
                    receiver.datagram(from, &buf[..n], Instant::now(), false);
                    for _ in 1..RECV_BATCH {
                        match socket.try_recv_from(&mut buf) {
                            Ok((n, from)) => {
                                receiver.datagram(from, &buf[..n], Instant::now(), false)
                            }
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
    fn new(port: Arc<Port>, workers: Vec<mpsc::Sender<Batch>>) -> Receiver {
        Receiver {
            port,
            pending: workers.iter().map(|_| Vec::new()).collect(),
            workers,
            drops: DropLog::new(Duration::from_secs(1)),
            stats: DriverStats::default(),
            logged: (Instant::now(), DriverStats::default()),
        }
    }

    /// A UDP datagram (or one the TURN server relayed) from `from`.
    fn datagram(&mut self, from: SocketAddr, datagram: &[u8], now: Instant, over_stream: bool) {
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
                over_stream,
                datagram: BytesMut::from(datagram),
                at: now,
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
                over_stream: true,
                datagram,
                at: Instant::now(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::driver::demux::Demux;
    use crate::media::driver::tcp::TcpRoutes;
    use std::sync::atomic::AtomicU64;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    /// An RTP packet's first bytes: enough for the demux to route it by address.
    const RTP: [u8; 12] = [0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];

    /// A receiver for two workers whose queues hold `capacity` batches, with one connection on
    /// each worker, at addresses 1000 (worker 0) and 2000 (worker 1).
    fn receiver(capacity: usize) -> (Receiver, [mpsc::Receiver<Batch>; 2]) {
        let port = Arc::new(Port::new(
            Demux::new(4, 16),
            TcpRoutes::new(false, Arc::new(AtomicU64::new(0))),
        ));
        for (worker, remote) in [(0, 1000), (1, 2000)] {
            let conn = PeerId::new(worker, 1);
            let mut tables = port.lock();
            tables
                .demux
                .register(conn, &format!("ufrag{worker}"))
                .expect("a fresh ufrag");
            tables.demux.learn(conn, addr(remote));
        }
        let (to_0, from_0) = mpsc::channel(capacity);
        let (to_1, from_1) = mpsc::channel(capacity);
        (Receiver::new(port, vec![to_0, to_1]), [from_0, from_1])
    }

    #[test]
    fn a_read_turn_reaches_each_worker_as_one_batch_in_order() {
        let (mut r, [mut w0, mut w1]) = receiver(4);
        let now = Instant::now();
        for (from, seq) in [(1000, 1), (2000, 1), (1000, 2), (1000, 3)] {
            let mut packet = RTP;
            packet[3] = seq;
            r.datagram(addr(from), &packet, now, false);
        }
        r.hand_over();
        let batch = w0.try_recv().expect("worker 0's batch");
        let seqs: Vec<u8> = batch.iter().map(|d| d.datagram[3]).collect();
        assert_eq!(
            seqs,
            vec![1, 2, 3],
            "worker 0 gets its three, in order, at once"
        );
        assert!(batch.iter().all(|d| d.conn == PeerId::new(0, 1)));
        assert_eq!(w1.try_recv().expect("worker 1's batch").len(), 1);
        assert!(
            w0.try_recv().is_err() && w1.try_recv().is_err(),
            "one batch each"
        );
        // Nothing pending: the next turn hands over nothing.
        r.hand_over();
        assert!(w0.try_recv().is_err());
    }

    #[test]
    fn a_worker_that_falls_behind_loses_only_its_own_datagrams() {
        let (mut r, [mut w0, mut w1]) = receiver(1);
        let now = Instant::now();
        // Worker 0 takes nothing: its queue fills with the first turn.
        for turn in 0..5u8 {
            let mut packet = RTP;
            packet[3] = turn;
            r.datagram(addr(1000), &packet, now, false);
            r.datagram(addr(1000), &packet, now, false);
            r.datagram(addr(2000), &packet, now, false);
            r.hand_over();
            let batch = w1.try_recv().expect("worker 1 keeps receiving");
            assert_eq!(batch[0].datagram[3], turn);
        }
        assert_eq!(
            r.counters().worker_queue_drops,
            8,
            "worker 0's later four turns"
        );
        assert_eq!(w0.try_recv().expect("its first turn").len(), 2);
        assert!(w0.try_recv().is_err());
    }
}
