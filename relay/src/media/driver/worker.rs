//! A worker: one task owning its share of the connections, with their deadlines and routes.
//!
//! Each turn waits for whichever comes first: a datagram the receive task handed over (then up
//! to [`RECV_BATCH`] more that are already queued are taken without waiting), a command
//! (likewise batched), or the earliest connection deadline. Every input is fed to its
//! connection with the current time and that connection is drained at once: datagrams to send
//! (collected and sent on the shared socket at the end of the turn), events, received media, and
//! its next deadline, which goes into the timer heap. Received packets of a routed track are
//! then written to each of its sinks, and each sink drained in turn (see [`super::routes`]).

use super::batch;
use super::conn::{rtc_error, Conn, Ice, SsrcLayer};
use super::demux::{binding_success_txid, classify, Class, PeerId, TransactionId};
use super::layers::{Layers, SinkLink};
use super::port::Port;
use super::receive::{Batch, Received};
use super::routes::Routes;
use super::timers::Timers;
use super::{Command, DriverConfig, DriverError, DriverEvent, DriverStats, Opened};
use crate::media::red;
use bytes::BytesMut;
use rand::distributions::{Alphanumeric, DistString};
use rtc::peer_connection::event::{RTCPeerConnectionEvent, RTCTrackEvent};
use rtc::peer_connection::message::{RTCMessage, TaggedRTCMessage};
use rtc::peer_connection::state::RTCPeerConnectionState;
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};
use rtc::{rtcp, rtp};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Received datagrams taken in one turn (one batch awaited, more batches while under this).
const RECV_BATCH: usize = super::receive::RECV_BATCH;
/// Commands taken in one turn at most.
const COMMAND_BATCH: usize = 64;
/// A deadline already past is handled again no sooner than this, so a connection whose timer
/// does not advance cannot spin the loop.
const MIN_TIMER_STEP: Duration = Duration::from_millis(1);
/// How often the counters are logged (at debug level).
const COUNTERS_EVERY: Duration = Duration::from_secs(10);
/// Lifecycle events kept while the application's queue is full.
const BACKLOG_PER_CONN: usize = 8;

/// Datagrams and events produced in one turn.
struct Outbox {
    datagrams: Vec<(SocketAddr, BytesMut)>,
    events: mpsc::Sender<DriverEvent>,
    /// Lifecycle events waiting for room in `events`, oldest first.
    backlog: VecDeque<DriverEvent>,
    backlog_cap: usize,
    stats: DriverStats,
    /// The TURN server's relayed addresses, whose datagrams do not go to the socket.
    divert: Option<super::Divert>,
}

impl Outbox {
    /// Queues a datagram for the socket, or hands it to the TURN server when it is for one of
    /// its relayed addresses.
    fn datagram(&mut self, to: SocketAddr, datagram: BytesMut) {
        match &self.divert {
            Some(divert) if divert.ip == to.ip() => {
                if divert.to.try_send((to, datagram)).is_err() {
                    self.stats.send_errors += 1;
                }
            }
            _ => self.datagrams.push((to, datagram)),
        }
    }

    fn emit(&mut self, event: DriverEvent) {
        let media = matches!(event, DriverEvent::Rtp { .. } | DriverEvent::Rtcp { .. });
        if !self.backlog.is_empty() {
            // Behind already: media is dropped, lifecycle queues up in order.
            if media || self.backlog.len() >= self.backlog_cap {
                self.stats.events_dropped += 1;
            } else {
                self.backlog.push_back(event);
            }
            return;
        }
        match self.events.try_send(event) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(event)) if !media => {
                self.backlog.push_back(event);
            }
            Err(_) => self.stats.events_dropped += 1,
        }
    }

    fn flush_backlog(&mut self) {
        while let Some(event) = self.backlog.pop_front() {
            match self.events.try_send(event) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(event)) => {
                    self.backlog.push_front(event);
                    return;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    self.stats.events_dropped += 1 + self.backlog.len() as u64;
                    self.backlog.clear();
                    return;
                }
            }
        }
    }
}

struct Driver {
    /// This worker's index: every connection it opens carries it ([`PeerId::worker`]).
    index: usize,
    local_addr: SocketAddr,
    config: DriverConfig,
    /// The shared port's tables (the demux and the TCP streams).
    port: Arc<Port>,
    /// Whether the shared socket takes UDP GSO (on until the kernel refuses it at first use).
    gso: Arc<batch::Gso>,
    timers: Timers,
    conns: HashMap<PeerId, Conn>,
    next_id: u32,
    out: Outbox,
    due: Vec<PeerId>,
    routes: Routes,
    /// Packets received on routed tracks this turn, to be written to their sinks.
    forward: Vec<(PeerId, String, rtp::Packet, SsrcLayer)>,
    /// Simulcast Tracks and each sink's layer of one.
    layers: Layers,
    /// When the counters were last logged, and their values then.
    logged: (Instant, DriverStats),
}

/// What a worker is given: its index, the shared socket and port tables, its queues.
pub(super) struct WorkerIo {
    pub index: usize,
    pub socket: Arc<UdpSocket>,
    pub local_addr: SocketAddr,
    pub port: Arc<Port>,
    pub gso: Arc<batch::Gso>,
    pub commands: mpsc::Receiver<Command>,
    pub received: mpsc::Receiver<Batch>,
    pub events: mpsc::Sender<DriverEvent>,
}

/// Runs until every handle is gone (`commands` closed).
pub(super) async fn run(io: WorkerIo, config: DriverConfig) {
    let WorkerIo {
        index,
        socket,
        local_addr,
        port,
        gso,
        mut commands,
        mut received,
        events,
    } = io;
    let mut driver = Driver {
        index,
        local_addr,
        port,
        gso,
        timers: Timers::default(),
        conns: HashMap::new(),
        next_id: 1,
        out: Outbox {
            datagrams: Vec::new(),
            events,
            backlog: VecDeque::new(),
            backlog_cap: config
                .max_connections
                .saturating_mul(BACKLOG_PER_CONN)
                .max(64),
            stats: DriverStats::default(),
            divert: config.divert.clone(),
        },
        due: Vec::new(),
        routes: Routes::default(),
        forward: Vec::new(),
        layers: Layers::default(),
        logged: (Instant::now(), DriverStats::default()),
        config,
    };
    tracing::debug!(%local_addr, worker = index, "media driver: worker started");
    loop {
        driver.out.flush_backlog();
        let deadline = driver.timers.next();
        let sleep = async move {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            command = commands.recv() => {
                let Some(command) = command else { break };
                driver.command(command);
                for _ in 1..COMMAND_BATCH {
                    match commands.try_recv() {
                        Ok(command) => driver.command(command),
                        Err(_) => break,
                    }
                }
            }
            batch = received.recv() => {
                // The receive task stops only after every handle, so commands end first.
                let Some(batch) = batch else { break };
                let mut taken = batch.len();
                for datagram in batch {
                    driver.received(datagram, Instant::now());
                }
                while taken < RECV_BATCH {
                    match received.try_recv() {
                        Ok(batch) => {
                            taken += batch.len();
                            for datagram in batch {
                                driver.received(datagram, Instant::now());
                            }
                        }
                        Err(_) => break,
                    }
                }
            }
            () = sleep => {}
        }
        driver.handle_due(Instant::now());
        driver.forward(Instant::now());
        driver.send(&socket).await;
        driver.log_counters(Instant::now());
    }
    let ids: Vec<PeerId> = driver.conns.keys().copied().collect();
    for id in ids {
        driver.close(id, Instant::now());
    }
    driver.send(&socket).await;
    tracing::debug!(%local_addr, worker = index, "media driver: worker stopped");
}

impl Driver {
    fn command(&mut self, command: Command) {
        let now = Instant::now();
        match command {
            Command::Open { offer, send, reply } => {
                let result = self.open(now, offer, &send);
                let _ = reply.send(result);
            }
            Command::WriteRtp {
                conn,
                track,
                packet,
            } => {
                let result = match self.conns.get_mut(&conn) {
                    Some(c) => c.write_rtp(now, track, packet),
                    None => Err(DriverError::UnknownConn(conn)),
                };
                match result {
                    Ok(()) => self.drain_writes(conn, now),
                    Err(e) => {
                        self.out.stats.write_errors += 1;
                        tracing::debug!("media driver: write RTP: {e}");
                    }
                }
            }
            Command::WriteRtcp {
                conn,
                track_id,
                packets,
            } => {
                let packets = self.for_layers(conn, &track_id, packets);
                let result = match self.conns.get_mut(&conn) {
                    Some(c) => c.write_rtcp(now, &track_id, packets),
                    None => Err(DriverError::UnknownConn(conn)),
                };
                match result {
                    Ok(()) => self.drain(conn, now, None),
                    Err(e) => {
                        self.out.stats.write_errors += 1;
                        tracing::debug!("media driver: write RTCP: {e}");
                    }
                }
            }
            Command::LayerCap {
                source,
                track_id,
                highest,
            } => {
                if self.conns.contains_key(&source) {
                    self.layers.cap(source, &track_id, highest);
                }
            }
            Command::Route {
                source,
                track_id,
                sink,
            } => {
                // Both ends must still be open: a closed one's routes were forgotten already.
                if self.conns.contains_key(&source) && self.conns.contains_key(&sink.conn) {
                    self.routes.add(source, &track_id, sink);
                }
            }
            Command::Close { conn } => self.close(conn, now),
            Command::Stats { reply } => {
                let mut stats = self.out.stats.clone();
                stats.connections = self.conns.len();
                let _ = reply.send(stats);
            }
        }
    }

    fn open(
        &mut self,
        now: Instant,
        offer: String,
        send: &[super::SendTrack],
    ) -> Result<Opened, DriverError> {
        let id = self.fresh_id();
        // 16 alphanumeric characters: ~95 bits, so a guess or a clash is out of reach.
        let ufrag = Alphanumeric.sample_string(&mut rand::thread_rng(), 16);
        let pwd = Alphanumeric.sample_string(&mut rand::thread_rng(), 32);
        let tcp = {
            // The limit is the port's, over every worker.
            let mut tables = self.port.lock();
            let open = tables.demux.conn_count();
            if open >= self.config.max_connections {
                return Err(DriverError::TooManyConnections(open));
            }
            tables.demux.register(id, &ufrag)?;
            tables.tcp.enabled()
        };
        let limits = self.config.chain;
        let ice = Ice {
            local: self.local_addr,
            ufrag: &ufrag,
            pwd: &pwd,
            tcp,
        };
        match Conn::answer(id, now, ice, offer, send, &limits) {
            Ok((conn, answer)) => {
                let estimate = conn.estimate.clone();
                let meter = conn.meter.clone();
                let worst_loss = conn.worst_loss.clone();
                self.conns.insert(id, conn);
                self.drain(id, now, None);
                Ok(Opened {
                    conn: id,
                    answer,
                    estimate,
                    meter,
                    worst_loss,
                })
            }
            Err(e) => {
                self.port.lock().demux.forget(id);
                Err(e)
            }
        }
    }

    fn fresh_id(&mut self) -> PeerId {
        loop {
            let id = PeerId::new(self.index, self.next_id);
            self.next_id = PeerId::new(0, self.next_id.wrapping_add(1)).seq().max(1);
            if !self.conns.contains_key(&id) {
                return id;
            }
        }
    }

    /// A datagram the receive task found to be for one of this worker's connections.
    fn received(&mut self, received: Received, now: Instant) {
        let Received {
            conn,
            from,
            protocol,
            over_stream,
            datagram,
            at,
            binding,
        } = received;
        if self.read(conn, from, protocol, over_stream, datagram, at) {
            self.drain(conn, now, binding.map(|txid| (from, txid)));
        }
    }

    /// Feeds `message` from `from`, read from the socket at `at`, to connection `conn`; false if
    /// there is no such connection. A message the connection refuses is counted.
    fn read(
        &mut self,
        conn: PeerId,
        from: SocketAddr,
        protocol: TransportProtocol,
        over_stream: bool,
        message: BytesMut,
        at: Instant,
    ) -> bool {
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        // Its estimator reads a stream's queue otherwise (`media::estimator`).
        c.meter.set_over_tcp(over_stream);
        let read = c.pc.handle_read(TaggedBytesMut {
            now: at,
            transport: TransportContext {
                local_addr: self.local_addr,
                peer_addr: from,
                transport_protocol: protocol,
                ecn: None,
            },
            message,
        });
        if let Err(e) = read {
            self.out.stats.read_errors += 1;
            tracing::debug!("media driver: {conn} refused a {protocol:?} message from {from}: {e}");
        }
        true
    }

    fn handle_due(&mut self, now: Instant) {
        let mut due = std::mem::take(&mut self.due);
        self.timers.pop_due(now, &mut due);
        for id in due.drain(..) {
            let Some(c) = self.conns.get_mut(&id) else {
                continue;
            };
            self.out.stats.timeouts += 1;
            if !c.connected && now >= c.opened + self.config.connect_timeout {
                tracing::debug!("media driver: {id} did not connect in time");
                self.out.stats.connect_timeouts += 1;
                self.out.emit(DriverEvent::Failed(id));
                self.close(id, now);
                continue;
            }
            match c.pc.handle_timeout(now) {
                Ok(()) => self.drain(id, now, None),
                // Fatal, as in webrtc-rs's own driver: a handler that failed (a DTLS handshake
                // out of retransmissions) stops the handlers after it from running, and the
                // connection would never reach Failed by itself.
                Err(e) => {
                    tracing::info!("media driver: {id} failed: {e}");
                    self.out.stats.timeout_failures += 1;
                    self.drain(id, now, None);
                    self.out.emit(DriverEvent::Failed(id));
                    self.close(id, now);
                }
            }
        }
        self.due = due;
    }

    /// Takes everything `id`'s state machine produced. `binding`: a binding request just fed to
    /// it, whose source is learned if the connection answered it with success.
    fn drain(&mut self, id: PeerId, now: Instant, binding: Option<(SocketAddr, TransactionId)>) {
        self.drain_some(id, now, binding, true);
    }

    /// Takes what writing RTP on `id` produced: its datagrams and its next deadline. Writing
    /// raises no events and reads nothing (those come from reads and deadlines, each followed by
    /// a full [`Self::drain`]), and each of rtc's polls walks every handler of the connection,
    /// so the copies a worker forwards skip the two polls that would find nothing.
    fn drain_writes(&mut self, id: PeerId, now: Instant) {
        self.drain_some(id, now, None, false);
    }

    fn drain_some(
        &mut self,
        id: PeerId,
        now: Instant,
        binding: Option<(SocketAddr, TransactionId)>,
        events_and_reads: bool,
    ) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let mut accepted = false;
        while let Some(w) = conn.pc.poll_write() {
            if w.transport.transport_protocol == TransportProtocol::TCP {
                self.port
                    .lock()
                    .tcp
                    .send(id, w.transport.peer_addr, w.message);
                continue;
            }
            // Only STUN matters to the demux (media, the bulk, never takes the lock).
            if classify(&w.message) == Class::Stun {
                if let Some((from, txid)) = binding {
                    if w.transport.peer_addr == from
                        && binding_success_txid(&w.message) == Some(txid)
                    {
                        accepted = true;
                    }
                }
                self.port
                    .lock()
                    .demux
                    .sent(id, w.transport.peer_addr, &w.message);
            }
            self.out.datagram(w.transport.peer_addr, w.message);
        }
        let mut gone = false;
        while let Some(event) = events_and_reads.then(|| conn.pc.poll_event()).flatten() {
            match event {
                RTCPeerConnectionEvent::OnConnectionStateChangeEvent(state) => match state {
                    RTCPeerConnectionState::Connected => {
                        conn.connected = true;
                        self.out.emit(DriverEvent::Connected(id));
                    }
                    RTCPeerConnectionState::Disconnected => {
                        self.out.emit(DriverEvent::Disconnected(id));
                    }
                    RTCPeerConnectionState::Failed => {
                        self.out.emit(DriverEvent::Failed(id));
                        gone = true;
                    }
                    RTCPeerConnectionState::Closed => {
                        self.out.emit(DriverEvent::Closed(id));
                        gone = true;
                    }
                    _ => {}
                },
                RTCPeerConnectionEvent::OnTrack(RTCTrackEvent::OnOpen(init)) => {
                    let opened = conn.pc.rtp_receiver(init.receiver_id).map(|r| {
                        let track = r.track();
                        let simulcast = track
                            .codings()
                            .iter()
                            .any(|c| !c.rtp_coding_parameters.rid.is_empty());
                        (track.kind(), track.codec(init.ssrc).cloned(), simulcast)
                    });
                    // A simulcast Track opens once per layer: the lesson hears of it once.
                    let again = conn.remote_tracks.contains_key(&init.track_id);
                    if let (Some((kind, codec, simulcast)), false) = (opened, again) {
                        conn.remote_tracks
                            .insert(init.track_id.clone(), init.receiver_id);
                        if kind == RtpCodecKind::Audio {
                            conn.audio_opened(&init.track_id, init.receiver_id);
                        }
                        self.out.emit(DriverEvent::TrackOpened {
                            conn: id,
                            track_id: init.track_id,
                            kind,
                            ssrc: init.ssrc,
                            codec,
                            simulcast,
                        });
                    }
                }
                _ => {}
            }
        }
        while let Some(TaggedRTCMessage { message, .. }) =
            events_and_reads.then(|| conn.pc.poll_read()).flatten()
        {
            match message {
                RTCMessage::RtpPacket(track_id, mut packet) => {
                    // Audio as the relay carries it: Opus, or RED of Opus (`media::red`).
                    if let Some(red_pt) = conn.remote_audio.get(&track_id) {
                        if let Err(e) = red::inbound(&mut packet, *red_pt) {
                            self.out.stats.read_errors += 1;
                            tracing::debug!("media driver: {id} sent bad audio: {e}");
                            continue;
                        }
                        tracing::trace!(conn = %id, red = packet.header.payload_type == red::RED_PT, "audio in");
                    }
                    if self.config.rtp_events {
                        self.out.emit(DriverEvent::Rtp {
                            conn: id,
                            track_id: track_id.clone(),
                            packet: packet.clone(),
                        });
                    }
                    if !self.routes.sinks(id, &track_id).is_empty() {
                        let layer = conn.layer_of(&track_id, packet.header.ssrc);
                        self.forward.push((id, track_id, packet, layer));
                    }
                }
                RTCMessage::RtcpPacket(track_id, packets) => {
                    self.out.emit(DriverEvent::Rtcp {
                        conn: id,
                        local_track: conn.local_tracks.get(&track_id).copied(),
                        track_id,
                        packets,
                    });
                }
                _ => {}
            }
        }
        let mut next = conn.pc.poll_timeout();
        if !conn.connected {
            let give_up = conn.opened + self.config.connect_timeout;
            next = Some(next.map_or(give_up, |at| at.min(give_up)));
        }
        let next = next.map(|at| at.max(now + MIN_TIMER_STEP));
        self.timers.set(id, next);
        if let (true, Some((from, _))) = (accepted, binding) {
            self.port.lock().demux.learn(id, from);
        }
        if gone {
            self.close(id, now);
        }
    }

    /// Closes `id` (sending what its close produces) and forgets it.
    fn close(&mut self, id: PeerId, _now: Instant) {
        let Some(mut conn) = self.conns.remove(&id) else {
            return;
        };
        if let Err(e) = conn.pc.close().map_err(rtc_error) {
            tracing::debug!("media driver: closing {id}: {e}");
        }
        let mut tables = self.port.lock();
        while let Some(w) = conn.pc.poll_write() {
            if w.transport.transport_protocol == TransportProtocol::TCP {
                tables.tcp.send(id, w.transport.peer_addr, w.message);
                continue;
            }
            self.out.datagram(w.transport.peer_addr, w.message);
        }
        tables.demux.forget(id);
        tables.tcp.forget(id);
        drop(tables);
        self.timers.remove(id);
        self.routes.forget(id);
        self.layers.forget(id);
    }

    /// Every [`COUNTERS_EVERY`], at debug level: what the driver did per second since the last
    /// time (for an operator sizing a relay, and to see a connection that wakes the loop too
    /// often).
    fn log_counters(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.logged.0);
        if elapsed < COUNTERS_EVERY || !tracing::enabled!(tracing::Level::DEBUG) {
            return;
        }
        let (then, was) = (elapsed.as_secs_f64(), &self.logged.1);
        let s = &self.out.stats;
        let rate = |now: u64, before: u64| (now.saturating_sub(before) as f64 / then).round();
        tracing::debug!(
            worker = self.index,
            connections = self.conns.len(),
            routes = self.routes.len(),
            datagrams_out_per_s = rate(s.datagrams_out, was.datagrams_out),
            forwarded_per_s = rate(s.forwarded, was.forwarded),
            timeouts_per_s = rate(s.timeouts, was.timeouts),
            write_errors_per_s = rate(s.write_errors, was.write_errors),
            "media driver: counters"
        );
        self.logged = (now, s.clone());
    }

    /// RTCP the lesson writes about a Publisher's Track, made right for a simulcast Track: a key
    /// frame request goes to every layer (the lesson does not know which layer the Subscriber
    /// that asked receives), and a bit rate cap (REMB) is dropped, since each Subscriber gets the
    /// layer its link carries and a cap at the slowest link would take the high layer from all.
    fn for_layers(
        &self,
        conn: PeerId,
        track_id: &str,
        packets: Vec<Box<dyn rtcp::Packet>>,
    ) -> Vec<Box<dyn rtcp::Packet>> {
        let ssrcs = self.layers.ssrcs(conn, track_id);
        if ssrcs.is_empty() {
            return packets;
        }
        let mut out: Vec<Box<dyn rtcp::Packet>> = Vec::new();
        for p in packets {
            let any = p.as_any();
            if any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>() {
                for ssrc in &ssrcs {
                    out.push(Box::new(PictureLossIndication {
                        sender_ssrc: 0,
                        media_ssrc: *ssrc,
                    }));
                }
            } else if !any.is::<ReceiverEstimatedMaximumBitrate>() {
                out.push(p);
            }
        }
        out
    }

    /// Writes the packets received on routed tracks to their sinks. A sink's connection may
    /// refuse a copy (not connected yet, its pacer full): that sink loses it, no one else.
    fn forward(&mut self, now: Instant) {
        let mut forward = std::mem::take(&mut self.forward);
        let mut touched: Vec<PeerId> = Vec::new();
        let mut asks = Vec::new();
        for (source, track_id, packet, layer) in forward.drain(..) {
            let packet = crate::media::fanout::for_subscribers(packet);
            let layer = match layer {
                SsrcLayer::Single => None,
                SsrcLayer::Layer(n) => {
                    self.layers.received(now, source, &track_id, n, &packet);
                    Some(n)
                }
                SsrcLayer::Unknown => continue,
            };
            for sink in self.routes.sinks(source, &track_id) {
                let Some(c) = self.conns.get_mut(&sink.conn) else {
                    continue;
                };
                let copy = match layer {
                    None => packet.clone(),
                    Some(n) => {
                        let reading = c.meter.read();
                        let link = SinkLink {
                            estimate_bps: c.estimate.get().map(|bps| bps as f64),
                            probe: &c.probe,
                            rtt: reading
                                .as_ref()
                                .map(|r| Duration::from_millis(u64::from(r.rtt_ms))),
                            loss_permille: reading.map_or(0, |r| r.loss_permille),
                        };
                        let copy = self
                            .layers
                            .for_sink(now, source, &track_id, *sink, &link, n, &packet, &mut asks);
                        if let Some(picture) = self.layers.picture(source, &track_id, *sink) {
                            c.meter.set_picture(picture);
                        }
                        match copy {
                            Some(copy) => copy,
                            None => continue,
                        }
                    }
                };
                match c.write_rtp(now, sink.track, copy) {
                    Ok(()) => {
                        self.out.stats.forwarded += 1;
                        touched.push(sink.conn);
                    }
                    Err(e) => {
                        self.out.stats.write_errors += 1;
                        tracing::trace!("media driver: forward to {}: {e}", sink.conn);
                    }
                }
            }
        }
        self.forward = forward;
        touched.sort_unstable();
        touched.dedup();
        for conn in touched {
            self.drain_writes(conn, now);
        }
        for ask in asks {
            let pli: Box<dyn rtcp::Packet> = Box::new(PictureLossIndication {
                sender_ssrc: 0,
                media_ssrc: ask.ssrc,
            });
            if let Some(c) = self.conns.get_mut(&ask.source) {
                match c.write_rtcp(now, &ask.track_id, vec![pli]) {
                    Ok(()) => self.drain(ask.source, now, None),
                    Err(e) => tracing::debug!("media driver: key frame request: {e}"),
                }
            }
        }
    }

    /// Sends the turn's datagrams in batches ([`batch`]; a run to one destination with UDP GSO),
    /// waiting while the kernel's buffer is full; a datagram the kernel refuses (an unreachable
    /// peer) is counted and skipped.
    async fn send(&mut self, socket: &UdpSocket) {
        let datagrams = std::mem::take(&mut self.out.datagrams);
        let mut next = 0;
        while next < datagrams.len() {
            match batch::send_some(socket, &datagrams[next..], &self.gso) {
                Ok(sent) if sent.datagrams == 0 => break,
                Ok(sent) => {
                    next += sent.datagrams;
                    self.out.stats.datagrams_out += sent.datagrams as u64;
                    self.out.stats.gso_messages += sent.gso_messages as u64;
                    self.out.stats.gso_segments += sent.gso_segments as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if let Err(e) = socket.writable().await {
                        tracing::debug!("media driver: socket: {e}");
                        break;
                    }
                }
                Err(e) => {
                    self.out.stats.send_errors += 1;
                    tracing::debug!("media driver: send to {}: {e}", datagrams[next].0);
                    next += 1;
                }
            }
        }
        self.out.datagrams = datagrams;
        self.out.datagrams.clear();
    }
}
