//! ICE over TCP ([RFC 6544]) on the driver's port: a listener at the same IP and port number as
//! the UDP socket, for peers whose network passes no UDP.
//!
//! Every connection offers a passive TCP host candidate at that address; the remote (active)
//! side opens a TCP stream to it and sends [RFC 4571] framed datagrams ([`super::framing`]).
//!
//! - The accept task takes at most [`TcpConfig::max_streams`] streams at a time (more are closed
//!   at once and counted) and gives each its own task.
//! - A stream's task reads frames and hands them to the driver's task over one bounded queue
//!   (backpressure: a stream whose frames do not fit waits, and so does its sender), and writes
//!   the datagrams the driver queued for it (at most [`TcpConfig::write_queue`]; more are dropped
//!   and counted). It ends on EOF, a read or write error, a frame over [`MAX_FRAME`], no binding
//!   within [`TcpConfig::bind_timeout`], or when the driver lets go of it.
//! - The driver's task ([`TcpRoutes`]) owns the routing: a stream's first frame must be a STUN
//!   binding request whose ufrag names a connection (routed by [`Demux`], as on UDP; anything
//!   else closes the stream); its later frames go to that connection, which checks them. Once the
//!   connection writes to the stream's address (it answered the request, or sent its own check
//!   first because the request nominated at once: either way the request passed its integrity
//!   check), the stream belongs to that connection, and what the connection writes with
//!   transport TCP to the stream's remote address goes down the stream. The connection's state
//!   machine stays with the driver's task.
//!
//! [RFC 6544]: https://www.rfc-editor.org/rfc/rfc6544
//! [RFC 4571]: https://www.rfc-editor.org/rfc/rfc4571

use super::demux::{classify, Class, Demux, PeerId, Route};
use super::framing::{frame_into, FrameDecoder};
use bytes::BytesMut;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};

/// The longest frame a stream may carry: media and DTLS records stay under the path MTU (the
/// UDP side reads at most 2 KiB), so anything much longer is not ours and closes the stream.
pub const MAX_FRAME: usize = 4_096;
/// Bytes read from a stream at a time.
const READ_CHUNK: usize = 8_192;
/// Frames from every stream waiting for the driver's task.
const INBOUND_CAPACITY: usize = 1_024;
/// Datagrams framed into one write.
const WRITE_BATCH: usize = 32;
/// A stream whose remote does not take a write within this long is closed.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// The TCP side's limits.
#[derive(Clone, Debug)]
pub struct TcpConfig {
    /// Streams open at once; 0 turns ICE-TCP off (no listener, no TCP candidate).
    pub max_streams: usize,
    /// Datagrams queued for one stream; more are dropped.
    pub write_queue: usize,
    /// A stream that no connection has accepted a binding request on by then is closed.
    pub bind_timeout: Duration,
}

impl Default for TcpConfig {
    fn default() -> TcpConfig {
        TcpConfig {
            max_streams: 512,
            write_queue: 256,
            bind_timeout: Duration::from_secs(10),
        }
    }
}

/// Counters of the TCP side since the driver started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpStats {
    /// Streams open now, and of those bound to a connection.
    pub open: usize,
    pub bound: usize,
    pub accepted: u64,
    /// Closed at once: [`TcpConfig::max_streams`] were open.
    pub refused: u64,
    pub frames_in: u64,
    pub frames_out: u64,
    /// Datagrams dropped because their stream's write queue was full.
    pub write_drops: u64,
    /// Datagrams a connection wrote over TCP to an address with no stream for it.
    pub unroutable: u64,
    /// Frames on a bound stream outside every RFC 7983 range.
    pub garbage: u64,
    /// Streams closed because their first frame was not a binding request for a connection.
    pub closed_not_stun: u64,
    /// ... because a frame was longer than 4 KiB.
    pub closed_oversized: u64,
    /// ... because no binding was accepted within [`TcpConfig::bind_timeout`].
    pub closed_unbound: u64,
    /// ... by the remote: EOF, a read or write error, or a write stuck for 10 s.
    pub closed_remote: u64,
}

/// What a stream's task hands the driver's task.
pub(super) enum TcpInput {
    Opened {
        stream: StreamId,
        remote: SocketAddr,
        writer: mpsc::Sender<ToStream>,
    },
    Frame {
        stream: StreamId,
        datagram: BytesMut,
    },
    Closed {
        stream: StreamId,
        why: StreamEnd,
    },
}

/// What the driver's task tells a stream's task.
pub(super) enum ToStream {
    /// A connection took the stream: the bind deadline no longer applies.
    Bound,
    Datagram(BytesMut),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct StreamId(u64);

/// Why a stream's task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StreamEnd {
    Remote,
    Oversized,
    Unbound,
    /// The driver let go of it (it closed it, or is gone).
    Driver,
}

/// The driver's end of the TCP inputs; never yields if ICE-TCP is off.
pub(super) struct Inbound(Option<mpsc::Receiver<TcpInput>>);

impl Inbound {
    pub async fn recv(&mut self) -> TcpInput {
        if let Some(rx) = &mut self.0 {
            if let Some(input) = rx.recv().await {
                return input;
            }
        }
        std::future::pending().await
    }

    pub fn try_recv(&mut self) -> Option<TcpInput> {
        self.0.as_mut()?.try_recv().ok()
    }
}

/// Spawns the accept task on `listener` (none: ICE-TCP is off). Returns the driver's end of the
/// inputs and its routing table.
pub(super) fn listen(listener: Option<TcpListener>, config: TcpConfig) -> (Inbound, TcpRoutes) {
    let refused = Arc::new(AtomicU64::new(0));
    let Some(listener) = listener else {
        return (Inbound(None), TcpRoutes::new(false, refused));
    };
    let (inputs, rx) = mpsc::channel(INBOUND_CAPACITY);
    tokio::spawn(accept_loop(listener, config, inputs, Arc::clone(&refused)));
    (Inbound(Some(rx)), TcpRoutes::new(true, refused))
}

async fn accept_loop(
    listener: TcpListener,
    config: TcpConfig,
    inputs: mpsc::Sender<TcpInput>,
    refused: Arc<AtomicU64>,
) {
    let permits = Arc::new(Semaphore::new(config.max_streams));
    let mut next = 0u64;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = inputs.closed() => break,
        };
        let (stream, remote) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of file descriptors, most likely: wait instead of spinning.
                tracing::debug!("media driver: TCP accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            refused.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("media driver: TCP_NODELAY for {remote}: {e}");
        }
        next += 1;
        let id = StreamId(next);
        let (writer, queue) = mpsc::channel(config.write_queue.max(1));
        let opened = TcpInput::Opened {
            stream: id,
            remote,
            writer,
        };
        if inputs.send(opened).await.is_err() {
            break;
        }
        let inputs = inputs.clone();
        let bind_timeout = config.bind_timeout;
        tokio::spawn(async move {
            let why = serve(id, stream, queue, &inputs, bind_timeout).await;
            let _ = inputs.send(TcpInput::Closed { stream: id, why }).await;
            drop(permit);
        });
    }
}

/// One stream: frames in to the driver, queued datagrams out, until it ends.
async fn serve(
    id: StreamId,
    mut stream: TcpStream,
    mut queue: mpsc::Receiver<ToStream>,
    inputs: &mpsc::Sender<TcpInput>,
    bind_timeout: Duration,
) -> StreamEnd {
    let (mut reader, mut writer) = stream.split();
    let mut decoder = FrameDecoder::new(MAX_FRAME);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut frames = Vec::new();
    let mut out = Vec::new();
    let mut bound = false;
    let deadline = tokio::time::sleep(bind_timeout);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            read = reader.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => return StreamEnd::Remote,
                    Ok(n) => n,
                };
                let decoded = decoder.decode(&buf[..n], |f| frames.push(BytesMut::from(f)));
                for datagram in frames.drain(..) {
                    let frame = TcpInput::Frame { stream: id, datagram };
                    if inputs.send(frame).await.is_err() {
                        return StreamEnd::Driver;
                    }
                }
                if decoded.is_err() {
                    return StreamEnd::Oversized;
                }
            }
            message = queue.recv() => {
                let Some(message) = message else {
                    return StreamEnd::Driver;
                };
                out.clear();
                let mut next = Some(message);
                let mut taken = 0;
                while let Some(message) = next.take() {
                    match message {
                        ToStream::Bound => bound = true,
                        // A connection's datagrams fit in a frame (they are sized for UDP).
                        ToStream::Datagram(d) => {
                            if frame_into(&d, &mut out).is_err() {
                                tracing::debug!("media driver: unframeable datagram dropped");
                            }
                        }
                    }
                    taken += 1;
                    if taken < WRITE_BATCH {
                        next = queue.try_recv().ok();
                    }
                }
                if !out.is_empty() {
                    match tokio::time::timeout(WRITE_TIMEOUT, writer.write_all(&out)).await {
                        Ok(Ok(())) => {}
                        _ => return StreamEnd::Remote,
                    }
                }
            }
            () = &mut deadline, if !bound => return StreamEnd::Unbound,
        }
    }
}

/// A datagram from a stream for a connection to read.
pub(super) struct Feed {
    pub conn: PeerId,
    pub from: SocketAddr,
    pub datagram: BytesMut,
}

struct Stream {
    remote: SocketAddr,
    writer: mpsc::Sender<ToStream>,
    state: State,
}

enum State {
    /// Not yet accepted by a connection; its first binding request went to this one (none
    /// yet: the stream has sent nothing).
    Unbound(Option<PeerId>),
    Bound(PeerId),
}

/// The driver task's view of the TCP streams: which connection each belongs to.
pub(super) struct TcpRoutes {
    enabled: bool,
    streams: HashMap<StreamId, Stream>,
    by_remote: HashMap<SocketAddr, StreamId>,
    refused: Arc<AtomicU64>,
    stats: TcpStats,
}

impl TcpRoutes {
    pub fn new(enabled: bool, refused: Arc<AtomicU64>) -> TcpRoutes {
        TcpRoutes {
            enabled,
            streams: HashMap::new(),
            by_remote: HashMap::new(),
            refused,
            stats: TcpStats::default(),
        }
    }

    /// Whether connections get a TCP candidate.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Handles one input from the streams; returns the datagram a connection is to read, if any.
    pub fn input(&mut self, input: TcpInput, demux: &mut Demux) -> Option<Feed> {
        match input {
            TcpInput::Opened {
                stream,
                remote,
                writer,
            } => {
                self.stats.accepted += 1;
                if let Some(old) = self.by_remote.insert(remote, stream) {
                    self.streams.remove(&old);
                }
                self.streams.insert(
                    stream,
                    Stream {
                        remote,
                        writer,
                        state: State::Unbound(None),
                    },
                );
                None
            }
            TcpInput::Frame { stream, datagram } => {
                self.stats.frames_in += 1;
                let s = self.streams.get_mut(&stream)?;
                let from = s.remote;
                match s.state {
                    // After its first binding request the stream speaks only to that connection,
                    // which checks every STUN message's integrity itself; the responses to the
                    // connection's own checks arrive this way too.
                    State::Bound(conn) | State::Unbound(Some(conn)) => {
                        if classify(&datagram) == Class::Garbage {
                            self.stats.garbage += 1;
                            return None;
                        }
                        Some(Feed {
                            conn,
                            from,
                            datagram,
                        })
                    }
                    // Routed by ufrag only: the UDP side's learned addresses mean nothing here.
                    State::Unbound(None) => match demux.route(from, &datagram) {
                        Route::Conn {
                            conn,
                            binding_request: Some(_),
                        } => {
                            s.state = State::Unbound(Some(conn));
                            Some(Feed {
                                conn,
                                from,
                                datagram,
                            })
                        }
                        _ => {
                            self.stats.closed_not_stun += 1;
                            self.remove(stream);
                            None
                        }
                    },
                }
            }
            TcpInput::Closed { stream, why } => {
                if self.remove(stream) {
                    match why {
                        StreamEnd::Remote => self.stats.closed_remote += 1,
                        StreamEnd::Oversized => self.stats.closed_oversized += 1,
                        StreamEnd::Unbound => self.stats.closed_unbound += 1,
                        StreamEnd::Driver => {}
                    }
                }
                None
            }
        }
    }

    /// Queues `datagram`, which `conn` wrote with transport TCP to `to`, on the stream from `to`
    /// if that stream belongs to `conn`, or binds the stream to `conn` if its first binding
    /// request went to `conn`: the connection writes to the stream's address only once that
    /// request passed its integrity check (it answers it, or, when the request nominates at once
    /// as Chromium's over TCP does, sends its own check first).
    pub fn send(&mut self, conn: PeerId, to: SocketAddr, datagram: BytesMut) {
        let Some(&id) = self.by_remote.get(&to) else {
            self.stats.unroutable += 1;
            return;
        };
        let Some(s) = self.streams.get_mut(&id) else {
            self.stats.unroutable += 1;
            return;
        };
        match s.state {
            State::Bound(c) if c == conn => {}
            State::Unbound(Some(c)) if c == conn => {
                s.state = State::Bound(conn);
                // The queue is empty: nothing is sent to a stream before it is bound.
                let _ = s.writer.try_send(ToStream::Bound);
            }
            _ => {
                self.stats.unroutable += 1;
                return;
            }
        }
        match s.writer.try_send(ToStream::Datagram(datagram)) {
            Ok(()) => self.stats.frames_out += 1,
            Err(mpsc::error::TrySendError::Full(_)) => self.stats.write_drops += 1,
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.remove(id);
            }
        }
    }

    /// Closes the streams of `conn`, which is gone.
    pub fn forget(&mut self, conn: PeerId) {
        let gone: Vec<StreamId> = self
            .streams
            .iter()
            .filter(|(_, s)| match s.state {
                State::Bound(c) | State::Unbound(Some(c)) => c == conn,
                State::Unbound(None) => false,
            })
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.remove(id);
        }
    }

    pub fn stats(&self) -> TcpStats {
        let mut stats = self.stats.clone();
        stats.open = self.streams.len();
        stats.bound = self
            .streams
            .values()
            .filter(|s| matches!(s.state, State::Bound(_)))
            .count();
        stats.refused = self.refused.load(Ordering::Relaxed);
        stats
    }

    /// Drops a stream (its task ends when it sees its queue closed). Whether it was there.
    fn remove(&mut self, id: StreamId) -> bool {
        let Some(s) = self.streams.remove(&id) else {
            return false;
        };
        if self.by_remote.get(&s.remote) == Some(&id) {
            self.by_remote.remove(&s.remote);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::driver::demux::tests::{binding_request, stun};
    use crate::media::driver::demux::TransactionId;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn routes() -> (TcpRoutes, Demux) {
        let mut demux = Demux::new(4, 64);
        demux.register(PeerId(1), "ufragA").unwrap();
        demux.register(PeerId(2), "ufragB").unwrap();
        (TcpRoutes::new(true, Arc::default()), demux)
    }

    fn open(
        routes: &mut TcpRoutes,
        demux: &mut Demux,
        n: u64,
        capacity: usize,
    ) -> mpsc::Receiver<ToStream> {
        let (writer, rx) = mpsc::channel(capacity);
        assert!(routes
            .input(
                TcpInput::Opened {
                    stream: StreamId(n),
                    remote: addr(n as u16),
                    writer,
                },
                demux,
            )
            .is_none());
        rx
    }

    fn frame(routes: &mut TcpRoutes, demux: &mut Demux, n: u64, bytes: &[u8]) -> Option<Feed> {
        routes.input(
            TcpInput::Frame {
                stream: StreamId(n),
                datagram: BytesMut::from(bytes),
            },
            demux,
        )
    }

    fn success(txid: TransactionId) -> BytesMut {
        BytesMut::from(&stun(0x0101, txid, &[])[..])
    }

    #[test]
    fn a_stream_is_bound_once_its_connection_writes_to_it() {
        let (mut routes, mut demux) = routes();
        let mut rx = open(&mut routes, &mut demux, 1, 8);
        let feed = frame(
            &mut routes,
            &mut demux,
            1,
            &binding_request("ufragB:x", [3; 12]),
        )
        .expect("routed by ufrag");
        assert_eq!((feed.conn, feed.from), (PeerId(2), addr(1)));
        // Another connection's writes never go down the stream.
        routes.send(PeerId(1), addr(1), success([3; 12]));
        routes.send(PeerId(1), addr(1), BytesMut::from(&[0x80u8, 0][..]));
        assert!(rx.try_recv().is_err());
        assert_eq!(routes.stats().unroutable, 2);
        assert_eq!(routes.stats().bound, 0);
        // Until bound, what the stream sends next goes to the connection its request went to
        // (the response to the connection's own check, say); the connection checks it.
        let response = frame(&mut routes, &mut demux, 1, &success([9; 12])).expect("fed");
        assert_eq!(response.conn, PeerId(2));
        // The connection writes to the stream (its own check, as rtc does when the request
        // nominated at once): the request passed its integrity check, so the stream is bound.
        routes.send(
            PeerId(2),
            addr(1),
            BytesMut::from(&binding_request("x:ufragB", [4; 12])[..]),
        );
        assert!(matches!(rx.try_recv(), Ok(ToStream::Bound)));
        assert!(matches!(rx.try_recv(), Ok(ToStream::Datagram(_))));
        assert_eq!(routes.stats().bound, 1);
        // Bound: every frame goes to the connection, DTLS included; another connection's
        // writes to the same address do not go down it.
        let dtls = [22u8, 254, 253, 0];
        assert_eq!(
            frame(&mut routes, &mut demux, 1, &dtls).unwrap().conn,
            PeerId(2)
        );
        assert!(frame(&mut routes, &mut demux, 1, &[0x40, 0]).is_none());
        assert_eq!(routes.stats().garbage, 1);
        routes.send(PeerId(1), addr(1), BytesMut::from(&dtls[..]));
        assert!(rx.try_recv().is_err());
    }

    #[test]
    fn a_first_frame_that_is_not_a_binding_request_for_a_connection_closes_the_stream() {
        let (mut routes, mut demux) = routes();
        for (n, bytes) in [
            (1, vec![0x40, 1, 2]),
            (2, vec![22, 254, 253, 0]),
            (3, binding_request("nobody:x", [1; 12])),
            (4, stun(0x0101, [1; 12], &[])),
        ] {
            let mut rx = open(&mut routes, &mut demux, n, 8);
            assert!(frame(&mut routes, &mut demux, n, &bytes).is_none());
            assert!(
                matches!(rx.try_recv(), Err(mpsc::error::TryRecvError::Disconnected)),
                "stream {n} let go"
            );
        }
        let stats = routes.stats();
        assert_eq!((stats.open, stats.closed_not_stun), (0, 4));
    }

    #[test]
    fn a_full_write_queue_drops_and_counts() {
        let (mut routes, mut demux) = routes();
        let mut rx = open(&mut routes, &mut demux, 1, 2);
        frame(
            &mut routes,
            &mut demux,
            1,
            &binding_request("ufragA:x", [3; 12]),
        )
        .unwrap();
        routes.send(PeerId(1), addr(1), success([3; 12]));
        for _ in 0..5 {
            routes.send(PeerId(1), addr(1), BytesMut::from(&[0x80u8, 0][..]));
        }
        let stats = routes.stats();
        assert_eq!((stats.frames_out, stats.write_drops), (1, 5));
        assert!(matches!(rx.try_recv(), Ok(ToStream::Bound)));
    }

    #[test]
    fn a_closed_connection_lets_go_of_its_streams() {
        let (mut routes, mut demux) = routes();
        let mut rx1 = open(&mut routes, &mut demux, 1, 8);
        let mut rx2 = open(&mut routes, &mut demux, 2, 8);
        frame(
            &mut routes,
            &mut demux,
            1,
            &binding_request("ufragA:x", [3; 12]),
        )
        .unwrap();
        routes.send(PeerId(1), addr(1), success([3; 12]));
        frame(
            &mut routes,
            &mut demux,
            2,
            &binding_request("ufragB:x", [4; 12]),
        )
        .unwrap();
        routes.forget(PeerId(1));
        while rx1.try_recv().is_ok() {}
        assert!(matches!(
            rx1.try_recv(),
            Err(mpsc::error::TryRecvError::Disconnected)
        ));
        assert!(matches!(
            rx2.try_recv(),
            Err(mpsc::error::TryRecvError::Empty)
        ));
        routes.input(
            TcpInput::Closed {
                stream: StreamId(2),
                why: StreamEnd::Unbound,
            },
            &mut demux,
        );
        let stats = routes.stats();
        assert_eq!((stats.open, stats.closed_unbound), (0, 1));
    }
}
