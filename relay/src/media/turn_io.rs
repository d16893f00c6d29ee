//! The embedded TURN server's sockets, and its link to the media driver: the IO around
//! [`TurnServer`].
//!
//! For a classroom whose firewall lets neither UDP nor TCP reach the media port, but does let it
//! reach the TURN port (`--turn-port`, UDP and TCP): its browser allocates a relayed address
//! here with credentials the relay minted for its page ([`Turn::ice_servers`]) and sends its
//! media through it. Relayed addresses are virtual ([`RELAY_IP`]): what a client sends towards
//! the relay's media address is handed to the media driver as if it had arrived from the
//! relayed address ([`MediaDriverHandle::try_inject`]), and what the driver sends to a relayed
//! address comes back here ([`crate::media::driver::Divert`]) instead of going to the network.
//! The server relays to nothing but the relay's own media address.
//!
//! One task owns the [`TurnServer`], the UDP socket and the stream table; each TCP stream has a
//! task that cuts it into messages ([`turn::framing::frame_len`]) and writes what is queued for
//! it. Bounded: streams ([`MAX_STREAMS`]), each stream's write queue, the queue of messages
//! from all streams, a message's size, the time a stream may take to send its first message.

use crate::media::driver::MediaDriverHandle;
use crate::media::turn::credentials::Minter;
use crate::media::turn::{self, FiveTuple, Output, Transport, TurnConfig, TurnLimits, TurnServer};
use bytes::BytesMut;
use shared::protocol::IceServer;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

/// The IP of every relayed address: in 198.18.0.0/15 (RFC 2544, benchmarking), which no
/// school's network uses, so the driver can tell relayed addresses from real ones by the IP.
pub const RELAY_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1));
/// The virtual ports of relayed addresses.
pub const RELAY_PORTS: RangeInclusive<u16> = 40_000..=59_999;
/// TCP streams at once; more are closed at once.
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
    #[error("TURN: {0}")]
    Config(String),
}

/// Where the TURN server listens and what pages are told.
#[derive(Clone, Debug)]
pub struct TurnSettings {
    /// UDP and TCP on this address.
    pub bind: SocketAddr,
    /// The address in the pages' `turn:` URLs (the announced media IP behind 1:1 NAT).
    pub public: SocketAddr,
}

/// The running TURN server, as the lessons see it: credentials for the pages.
pub struct Turn {
    minter: Minter,
    public: SocketAddr,
}

impl Turn {
    /// The TURN servers for one page (`id`: no ':'), with credentials valid for a school day.
    pub fn ice_servers(&self, id: &str, now_unix: u64) -> Vec<IceServer> {
        let expires = now_unix + CREDENTIALS_FOR.as_secs();
        match self.minter.mint(expires, id) {
            Ok(creds) => vec![IceServer {
                urls: vec![
                    format!("turn:{}?transport=udp", self.public),
                    format!("turn:{}?transport=tcp", self.public),
                ],
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

/// Binds UDP and TCP at `settings.bind` and starts the task. `media`: the relay's media address
/// as the pages see it (the only peer); `diverted`: the driver's datagrams for relayed addresses.
pub fn start(
    settings: &TurnSettings,
    media: SocketAddr,
    driver: MediaDriverHandle,
    diverted: mpsc::Receiver<(SocketAddr, BytesMut)>,
) -> Result<Turn, TurnIoError> {
    let udp = std::net::UdpSocket::bind(settings.bind)?;
    udp.set_nonblocking(true)?;
    let local = udp.local_addr()?;
    let listener = std::net::TcpListener::bind(local)?;
    listener.set_nonblocking(true)?;
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
    let task = Task {
        server,
        udp: UdpSocket::from_std(udp)?,
        local,
        media,
        driver,
        streams: HashMap::new(),
    };
    tokio::spawn(task.run(TcpListener::from_std(listener)?, diverted));
    tracing::info!(%local, "TURN server: listening (UDP and TCP)");
    let public = SocketAddr::new(settings.public.ip(), local.port());
    Ok(Turn { minter, public })
}

/// What a stream's task tells the TURN task.
enum FromStream {
    Message { client: SocketAddr, bytes: Vec<u8> },
    Closed { client: SocketAddr },
}

struct Task {
    server: TurnServer,
    udp: UdpSocket,
    local: SocketAddr,
    /// The relay's media address as the pages see it: the one peer.
    media: SocketAddr,
    driver: MediaDriverHandle,
    /// Each TCP client's write queue.
    streams: HashMap<SocketAddr, mpsc::Sender<Vec<u8>>>,
}

impl Task {
    async fn run(
        mut self,
        listener: TcpListener,
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
                received = self.udp.recv_from(&mut buf) => match received {
                    Ok((n, client)) => {
                        let tuple = self.tuple(Transport::Udp, client);
                        self.server.handle(Instant::now(), tuple, &buf[..n])
                    }
                    Err(e) => {
                        tracing::debug!("TURN server: receive: {e}");
                        Vec::new()
                    }
                },
                accepted = listener.accept() => {
                    match accepted {
                        Ok((stream, client)) => self.accept(stream, client, from_streams.clone()),
                        Err(e) => tracing::debug!("TURN server: accept: {e}"),
                    }
                    Vec::new()
                }
                Some(message) = inbound.recv() => match message {
                    FromStream::Message { client, bytes } => {
                        let tuple = self.tuple(Transport::Tcp, client);
                        self.server.handle(Instant::now(), tuple, &bytes)
                    }
                    FromStream::Closed { client } => {
                        self.streams.remove(&client);
                        let tuple = self.tuple(Transport::Tcp, client);
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
        FiveTuple {
            transport,
            client,
            server: self.local,
        }
    }

    fn accept(&mut self, stream: TcpStream, client: SocketAddr, to_task: mpsc::Sender<FromStream>) {
        if self.streams.len() >= MAX_STREAMS {
            tracing::debug!(%client, "TURN server: too many streams, closing one");
            return;
        }
        let (writer, queue) = mpsc::channel(STREAM_QUEUE);
        self.streams.insert(client, writer);
        tokio::spawn(serve_stream(stream, client, to_task, queue));
    }

    fn output(&mut self, output: Output) {
        match output {
            Output::ToClient { to, bytes } => match to.transport {
                Transport::Udp => {
                    if let Err(e) = self.udp.try_send_to(&bytes, to.client) {
                        tracing::debug!(client = %to.client, "TURN server: send: {e}");
                    }
                }
                Transport::Tcp | Transport::Tls => {
                    if let Some(writer) = self.streams.get(&to.client) {
                        // A full queue drops the message: the stream is not keeping up.
                        let _ = writer.try_send(bytes);
                    }
                }
            },
            Output::ToPeer { relayed, bytes, .. } => {
                // The only peer is the relay's own media port: straight into the driver.
                if let Err(e) = self.driver.try_inject(relayed, BytesMut::from(&bytes[..])) {
                    tracing::debug!("TURN server: to the media driver: {e}");
                }
            }
        }
    }
}

/// Reads a TCP stream's messages and writes what is queued for it, until either side ends.
async fn serve_stream(
    mut stream: TcpStream,
    client: SocketAddr,
    to_task: mpsc::Sender<FromStream>,
    mut queue: mpsc::Receiver<Vec<u8>>,
) {
    let (mut reader, mut writer) = stream.split();
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
                            if to_task.send(FromStream::Message { client, bytes }).await.is_err() {
                                return;
                            }
                        }
                        Ok(Some(len)) if len <= MAX_MESSAGE => break,
                        Ok(None) if buf.len() < MAX_MESSAGE => break,
                        // Not TURN, or a message larger than any media packet: close.
                        _ => {
                            let _ = to_task.send(FromStream::Closed { client }).await;
                            return;
                        }
                    }
                }
            }
            queued = queue.recv() => match queued {
                Some(bytes) => {
                    if writer.write_all(&bytes).await.is_err() {
                        break;
                    }
                }
                None => return,
            },
        }
    }
    let _ = to_task.send(FromStream::Closed { client }).await;
}
