//! The embedded TURN server's sockets, and its link to the media driver: the IO around
//! [`TurnServer`].
//!
//! For a classroom whose firewall lets neither UDP nor TCP reach the media port, but does let it
//! reach the TURN port (`--turn-port`, UDP and TCP, or `--turn-tls-port`, TLS over TCP, e.g.
//! 443 where only HTTPS gets out): its browser allocates a relayed address
//! here with credentials the relay minted for its page ([`Turn::ice_servers`]) and sends its
//! media through it. Relayed addresses are virtual ([`RELAY_IP`]): what a client sends towards
//! the relay's media address is handed to the media driver as if it had arrived from the
//! relayed address ([`MediaDriverHandle::try_inject`]), and what the driver sends to a relayed
//! address comes back here ([`crate::media::driver::Divert`]) instead of going to the network.
//! The server relays to nothing but the relay's own media address.
//!
//! One task owns the [`TurnServer`], the UDP socket and the stream table; each TCP or TLS
//! stream has a task that (for TLS, after the handshake) cuts it into messages
//! ([`turn::framing::frame_len`]) and writes what is queued for it. Both listeners share the one
//! server, so one set of credentials works on either. Bounded: streams, TCP and TLS together
//! ([`MAX_STREAMS`]), each stream's write queue, the queue of messages from all streams, a
//! message's size, the time a TLS handshake may take ([`turn_tls::HANDSHAKE`]) and the time a
//! stream may take to send its first message.

use crate::media::driver::MediaDriverHandle;
use crate::media::turn::credentials::Minter;
use crate::media::turn::{self, FiveTuple, Output, Transport, TurnConfig, TurnLimits, TurnServer};
use crate::media::turn_tls;
use bytes::BytesMut;
use shared::protocol::IceServer;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;

/// The IP of every relayed address: in 198.18.0.0/15 (RFC 2544, benchmarking), which no
/// school's network uses, so the driver can tell relayed addresses from real ones by the IP.
pub const RELAY_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1));
/// The virtual ports of relayed addresses.
pub const RELAY_PORTS: RangeInclusive<u16> = 40_000..=59_999;
/// TCP and TLS streams at once (those still in their handshake too); more are closed at once.
pub const MAX_STREAMS: usize = 512;
/// Messages queued for one stream; more are dropped.
const STREAM_QUEUE: usize = 256;
/// Messages from all streams waiting for the task.
const INBOUND_QUEUE: usize = 1_024;
/// The datagrams the driver hands back for relayed addresses, waiting for the task.
pub const DIVERT_QUEUE: usize = 4_096;
/// A stream that sends no whole message within this long is closed.
const FIRST_MESSAGE: Duration = Duration::from_secs(10);
/// A stream that sends nothing for this long is closed (a client refreshes its allocation
/// every few minutes at most).
const IDLE_STREAM: Duration = Duration::from_secs(3600);
/// The largest message read (a media packet in a Send indication or ChannelData fits).
const MAX_MESSAGE: usize = 4_096;
/// How long credentials handed to a page stay valid: a school day, so an allocation made for
/// a lesson is never refused a refresh during it.
const CREDENTIALS_FOR: Duration = Duration::from_secs(12 * 3600);

#[derive(Debug, Error)]
pub enum TurnIoError {
    #[error("TURN port: {0}")]
    Io(#[from] std::io::Error),
    #[error("TURN TLS port {at}: {source}")]
    TlsPort {
        at: SocketAddr,
        source: std::io::Error,
    },
    #[error("TURN: {0}")]
    Config(String),
}

/// Where the TURN server listens and what pages are told. At least one of `plain` and `tls`.
#[derive(Clone, Debug)]
pub struct TurnSettings {
    /// UDP and TCP (`turn:`) on this address.
    pub plain: Option<SocketAddr>,
    /// TLS over TCP (`turns:`).
    pub tls: Option<TlsSettings>,
    /// The IP in the pages' URLs (the announced media IP behind 1:1 NAT).
    pub public_ip: IpAddr,
}

/// The TLS listener of [`TurnSettings`].
#[derive(Clone, Debug)]
pub struct TlsSettings {
    pub bind: SocketAddr,
    /// The host in the pages' `turns:` URLs; `None`: [`TurnSettings::public_ip`].
    pub name: Option<String>,
    pub server: Arc<rustls::ServerConfig>,
}

/// The running TURN server, as the lessons see it: credentials for the pages.
pub struct Turn {
    minter: Minter,
    /// The URLs every page gets, `turn:` then `turns:`.
    urls: Vec<String>,
}

impl Turn {
    /// The TURN servers for one page (`id`: no ':'), with credentials valid for a school day:
    /// one entry with every URL (UDP, TCP, TLS), since all share the credentials.
    pub fn ice_servers(&self, id: &str, now_unix: u64) -> Vec<IceServer> {
        let expires = now_unix + CREDENTIALS_FOR.as_secs();
        match self.minter.mint(expires, id) {
            Ok(creds) => vec![IceServer {
                urls: self.urls.clone(),
                username: creds.username,
                credential: creds.password,
            }],
            Err(e) => {
                tracing::warn!("TURN credentials not minted: {e}");
                Vec::new()
            }
        }
    }
}

/// The URL host of an IP: IPv6 in brackets.
fn host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// Binds UDP and TCP at `settings.plain` and TLS at `settings.tls` (each if set) and starts the
/// task. `media`: the relay's media address as the pages see it (the only peer); `diverted`:
/// the driver's datagrams for relayed addresses.
pub fn start(
    settings: &TurnSettings,
    media: SocketAddr,
    driver: MediaDriverHandle,
    diverted: mpsc::Receiver<(SocketAddr, BytesMut)>,
) -> Result<Turn, TurnIoError> {
    let mut urls = Vec::new();
    let mut plain = None;
    if let Some(bind) = settings.plain {
        let udp = std::net::UdpSocket::bind(bind)?;
        udp.set_nonblocking(true)?;
        let local = udp.local_addr()?;
        let listener = std::net::TcpListener::bind(local)?;
        listener.set_nonblocking(true)?;
        let public = SocketAddr::new(settings.public_ip, local.port());
        urls.push(format!("turn:{public}?transport=udp"));
        urls.push(format!("turn:{public}?transport=tcp"));
        tracing::info!(%local, "TURN server: listening (UDP and TCP)");
        plain = Some((
            UdpSocket::from_std(udp)?,
            TcpListener::from_std(listener)?,
            local,
        ));
    }
    let mut tls = None;
    if let Some(settings_tls) = &settings.tls {
        let at = settings_tls.bind;
        let listener = std::net::TcpListener::bind(at)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|source| TurnIoError::TlsPort { at, source })?;
        let local = listener.local_addr()?;
        let name = match &settings_tls.name {
            Some(name) => name.clone(),
            None => host(settings.public_ip),
        };
        urls.push(format!("turns:{name}:{}?transport=tcp", local.port()));
        tracing::info!(%local, "TURN server: listening (TLS)");
        let acceptor = TlsAcceptor::from(Arc::clone(&settings_tls.server));
        tls = Some((TcpListener::from_std(listener)?, acceptor, local));
    }
    let secret: [u8; 32] = rand::random();
    let config = TurnConfig {
        realm: "tongpin".into(),
        secret: secret.to_vec(),
        allowed_peers: vec![media],
        relay_ip: RELAY_IP,
        relay_ports: RELAY_PORTS,
        limits: TurnLimits::default(),
    };
    let unix_now = crate::auth::now_secs();
    let server = TurnServer::new(config, Instant::now(), unix_now)
        .map_err(|e| TurnIoError::Config(e.to_string()))?;
    let minter = Minter::new(secret.to_vec()).map_err(|e| TurnIoError::Config(e.to_string()))?;
    let (udp, listener, local) = match plain {
        Some((udp, listener, local)) => (Some(udp), Some(listener), Some(local)),
        None => (None, None, None),
    };
    let (tls_listener, acceptor, tls_local) = match tls {
        Some((listener, acceptor, local)) => (Some(listener), Some(acceptor), Some(local)),
        None => (None, None, None),
    };
    // An unused transport's address never appears in a tuple; the other one stands in.
    let (local, tls_local) = match (local, tls_local) {
        (Some(a), Some(b)) => (a, b),
        (Some(a), None) => (a, a),
        (None, Some(b)) => (b, b),
        (None, None) => {
            return Err(TurnIoError::Config(
                "neither a TURN port nor a TURN TLS port".into(),
            ))
        }
    };
    let task = Task {
        server,
        udp,
        local,
        tls_local,
        acceptor,
        media,
        driver,
        streams: HashMap::new(),
    };
    tokio::spawn(task.run(listener, tls_listener, diverted));
    Ok(Turn { minter, urls })
}

/// What a stream's task tells the TURN task. A stream is known by its transport (TCP or TLS)
/// and its client's address.
enum FromStream {
    Message { stream: StreamKey, bytes: Vec<u8> },
    Closed { stream: StreamKey },
}

type StreamKey = (Transport, SocketAddr);

struct Task {
    server: TurnServer,
    udp: Option<UdpSocket>,
    /// The UDP and TCP address.
    local: SocketAddr,
    /// The TLS address.
    tls_local: SocketAddr,
    acceptor: Option<TlsAcceptor>,
    /// The relay's media address as the pages see it: the one peer.
    media: SocketAddr,
    driver: MediaDriverHandle,
    /// Each TCP or TLS client's write queue.
    streams: HashMap<StreamKey, mpsc::Sender<Vec<u8>>>,
}

/// A datagram on the UDP socket, if there is one (else never).
async fn receive(udp: &Option<UdpSocket>, buf: &mut [u8]) -> std::io::Result<(usize, SocketAddr)> {
    match udp {
        Some(udp) => udp.recv_from(buf).await,
        None => std::future::pending().await,
    }
}

/// A stream on the listener, if there is one (else never).
async fn accept(listener: &Option<TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

impl Task {
    async fn run(
        mut self,
        listener: Option<TcpListener>,
        tls_listener: Option<TcpListener>,
        mut diverted: mpsc::Receiver<(SocketAddr, BytesMut)>,
    ) {
        let (from_streams, mut inbound) = mpsc::channel::<FromStream>(INBOUND_QUEUE);
        let mut buf = vec![0u8; MAX_MESSAGE];
        loop {
            let deadline = self.server.poll_timeout();
            let sleep = async move {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending::<()>().await,
                }
            };
            let outputs = tokio::select! {
                received = receive(&self.udp, &mut buf) => match received {
                    Ok((n, client)) => {
                        let tuple = self.tuple(Transport::Udp, client);
                        self.server.handle(Instant::now(), tuple, &buf[..n])
                    }
                    Err(e) => {
                        tracing::debug!("TURN server: receive: {e}");
                        Vec::new()
                    }
                },
                accepted = accept(&listener) => {
                    match accepted {
                        Ok((stream, client)) => {
                            self.accept(Transport::Tcp, stream, client, from_streams.clone())
                        }
                        Err(e) => tracing::debug!("TURN server: accept: {e}"),
                    }
                    Vec::new()
                }
                accepted = accept(&tls_listener) => {
                    match accepted {
                        Ok((stream, client)) => {
                            self.accept(Transport::Tls, stream, client, from_streams.clone())
                        }
                        Err(e) => tracing::debug!("TURN server: accept (TLS): {e}"),
                    }
                    Vec::new()
                }
                Some(message) = inbound.recv() => match message {
                    FromStream::Message { stream: (transport, client), bytes } => {
                        let tuple = self.tuple(transport, client);
                        self.server.handle(Instant::now(), tuple, &bytes)
                    }
                    FromStream::Closed { stream } => {
                        self.streams.remove(&stream);
                        let tuple = self.tuple(stream.0, stream.1);
                        self.server.close(tuple);
                        Vec::new()
                    }
                },
                back = diverted.recv() => match back {
                    Some((relayed, bytes)) => {
                        self.server.handle_peer(Instant::now(), relayed, self.media, &bytes)
                    }
                    // The driver stopped: so does the relay's media plane.
                    None => return,
                },
                () = sleep => {
                    self.server.handle_timeout(Instant::now());
                    Vec::new()
                }
            };
            for output in outputs {
                self.output(output);
            }
        }
    }

    fn tuple(&self, transport: Transport, client: SocketAddr) -> FiveTuple {
        let server = match transport {
            Transport::Tls => self.tls_local,
            Transport::Udp | Transport::Tcp => self.local,
        };
        FiveTuple {
            transport,
            client,
            server,
        }
    }

    /// Starts a stream's task (for TLS, the handshake first), within [`MAX_STREAMS`].
    fn accept(
        &mut self,
        transport: Transport,
        stream: TcpStream,
        client: SocketAddr,
        to_task: mpsc::Sender<FromStream>,
    ) {
        if self.streams.len() >= MAX_STREAMS {
            tracing::debug!(%client, "TURN server: too many streams, closing one");
            return;
        }
        let key = (transport, client);
        let (writer, queue) = mpsc::channel(STREAM_QUEUE);
        match (transport, &self.acceptor) {
            (Transport::Tls, Some(acceptor)) => {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(turn_tls::HANDSHAKE, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => serve_stream(tls, key, to_task, queue).await,
                        failed => {
                            if let Ok(Err(e)) = failed {
                                tracing::debug!(%client, "TURN server: TLS handshake: {e}");
                            }
                            let _ = to_task.send(FromStream::Closed { stream: key }).await;
                        }
                    }
                });
            }
            (Transport::Tls, None) => return,
            _ => {
                tokio::spawn(serve_stream(stream, key, to_task, queue));
            }
        }
        self.streams.insert(key, writer);
    }

    fn output(&mut self, output: Output) {
        match output {
            Output::ToClient { to, bytes } => match to.transport {
                Transport::Udp => {
                    let sent = self
                        .udp
                        .as_ref()
                        .map(|udp| udp.try_send_to(&bytes, to.client));
                    if let Some(Err(e)) = sent {
                        tracing::debug!(client = %to.client, "TURN server: send: {e}");
                    }
                }
                Transport::Tcp | Transport::Tls => {
                    if let Some(writer) = self.streams.get(&(to.transport, to.client)) {
                        // A full queue drops the message: the stream is not keeping up.
                        let _ = writer.try_send(bytes);
                    }
                }
            },
            Output::ToPeer {
                relayed,
                bytes,
                client_transport,
                ..
            } => {
                // The only peer is the relay's own media port: straight into the driver.
                let over_stream = client_transport != Transport::Udp;
                let datagram = BytesMut::from(&bytes[..]);
                if let Err(e) = self.driver.try_inject(relayed, datagram, over_stream) {
                    tracing::debug!("TURN server: to the media driver: {e}");
                }
            }
        }
    }
}

/// Reads a stream's messages (TCP, or TLS after its handshake) and writes what is queued for
/// it, until either side ends.
async fn serve_stream<S: AsyncRead + AsyncWrite>(
    stream: S,
    key: StreamKey,
    to_task: mpsc::Sender<FromStream>,
    mut queue: mpsc::Receiver<Vec<u8>>,
) {
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut buf = BytesMut::with_capacity(MAX_MESSAGE * 2);
    let mut first = true;
    loop {
        // Until its first whole message a stream gets FIRST_MESSAGE; then the allocation's
        // lifetime (the server's) decides.
        let limit = if first { FIRST_MESSAGE } else { IDLE_STREAM };
        tokio::select! {
            read = tokio::time::timeout(limit, reader.read_buf(&mut buf)) => {
                match read {
                    Ok(Ok(n)) if n > 0 => {}
                    _ => break,
                }
                loop {
                    match turn::framing::frame_len(&buf) {
                        Ok(Some(len)) if len <= MAX_MESSAGE && len <= buf.len() => {
                            let bytes = buf.split_to(len).to_vec();
                            first = false;
                            let message = FromStream::Message { stream: key, bytes };
                            if to_task.send(message).await.is_err() {
                                return;
                            }
                        }
                        Ok(Some(len)) if len <= MAX_MESSAGE => break,
                        Ok(None) if buf.len() < MAX_MESSAGE => break,
                        // Not TURN, or a message larger than any media packet: close.
                        _ => {
                            let _ = to_task.send(FromStream::Closed { stream: key }).await;
                            return;
                        }
                    }
                }
            }
            queued = queue.recv() => match queued {
                Some(bytes) => {
                    // TLS holds written bytes in its records until flushed.
                    if writer.write_all(&bytes).await.is_err() || writer.flush().await.is_err() {
                        break;
                    }
                }
                None => return,
            },
        }
    }
    let _ = to_task.send(FromStream::Closed { stream: key }).await;
}
