//! Which connection a datagram on the shared media port belongs to (no IO).
//!
//! Every connection on the port has its own local ICE username fragment, set by the relay. A
//! datagram is first classified by its first byte ([RFC 7983]: 0-3 STUN, 20-63 DTLS, 128-191
//! RTP/RTCP, anything else garbage). Then:
//!
//! - a STUN Binding request is routed by the local ufrag in its USERNAME attribute
//!   (`"<local ufrag>:<remote ufrag>"`, [RFC 8445 §7.2.2]), wherever it comes from;
//! - a STUN response from an address not learned yet is routed to the connection whose own
//!   binding request (to that address, with that transaction id) it answers
//!   ([`Demux::sent`]; at most `max_pending` are remembered). A peer that nominates
//!   aggressively (aiortc puts USE-CANDIDATE in its first check) is answered by `rtc`'s
//!   controlled agent only once the relay's own check to it succeeded, so without this neither
//!   side would ever connect;
//! - everything else (DTLS, SRTP, SRTCP, other STUN) is routed by its source address, which must
//!   have been learned before.
//!
//! # How addresses are learned
//!
//! The demultiplexer does not check MESSAGE-INTEGRITY itself: that needs the connection's
//! password and an HMAC, which the connection's ICE agent computes anyway. Instead a binding
//! request is handed to the connection its ufrag names, and the address is learned only once that
//! connection *accepted* it, i.e. answered it with a Binding success response carrying the same
//! transaction id ([`binding_success_txid`] reads that from the connection's outgoing datagram).
//! A request with a known ufrag but a wrong password is answered with nothing (or an error), so
//! a stranger who only knows a ufrag (it is in the SDP) cannot claim an address for a
//! connection; the request only costs that connection one HMAC check.
//!
//! # Bounds
//!
//! At most [`Demux::new`]'s `max_addrs` addresses per connection: learning one more forgets that
//! connection's oldest. An address belongs to one connection at a time: the latest accepted binding
//! request moves it. [`Demux::forget`] drops a connection's ufrag and addresses.
//!
//! [RFC 7983]: https://www.rfc-editor.org/rfc/rfc7983#section-7
//! [RFC 8445 §7.2.2]: https://www.rfc-editor.org/rfc/rfc8445#section-7.2.2

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use thiserror::Error;

/// A peer connection on the shared port, as the driver numbers them (not the WebSocket
/// connection of `room::ConnId`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerId(pub u32);

impl PeerId {
    /// Bits of the number below the worker's index.
    const WORKER_SHIFT: u32 = 24;
    /// The most workers a driver can have: the worker's index fits in the number's top byte.
    pub const MAX_WORKERS: usize = 256;

    /// The connection numbered `seq` (wrapped into 24 bits) of worker `worker` (below
    /// [`Self::MAX_WORKERS`]).
    pub fn new(worker: usize, seq: u32) -> PeerId {
        let worker = (worker % Self::MAX_WORKERS) as u32;
        PeerId((worker << Self::WORKER_SHIFT) | (seq & ((1 << Self::WORKER_SHIFT) - 1)))
    }

    /// The index of the worker that owns the connection.
    pub fn worker(self) -> usize {
        (self.0 >> Self::WORKER_SHIFT) as usize
    }

    /// The connection's number within its worker.
    pub fn seq(self) -> u32 {
        self.0 & ((1 << Self::WORKER_SHIFT) - 1)
    }
}

impl std::fmt::Display for PeerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "peer#{}", self.0)
    }
}

/// What a datagram is, by its first byte (RFC 7983).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Stun,
    Dtls,
    RtpOrRtcp,
    Garbage,
}

pub fn classify(datagram: &[u8]) -> Class {
    match datagram.first() {
        Some(0..=3) => Class::Stun,
        Some(20..=63) => Class::Dtls,
        Some(128..=191) => Class::RtpOrRtcp,
        _ => Class::Garbage,
    }
}

/// Why a datagram was dropped before any connection saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// Empty, or a first byte outside every RFC 7983 range.
    Garbage,
    /// In the STUN range but not a well-formed STUN message.
    MalformedStun,
    /// A binding request without a USERNAME of the form `local:remote`.
    NoUsername,
    /// A binding request whose local ufrag is no connection's.
    UnknownUfrag,
    /// STUN other than a binding request, from an address no connection has.
    StrangerStun,
    /// DTLS from an address no connection has.
    StrangerDtls,
    /// RTP or RTCP from an address no connection has.
    StrangerRtp,
    /// Anything from the address of a connection that closed lately (its peer has not noticed
    /// yet): expected, so counted but not logged as a warning.
    AfterClose,
}

impl DropReason {
    pub const ALL: [DropReason; 8] = [
        DropReason::Garbage,
        DropReason::MalformedStun,
        DropReason::NoUsername,
        DropReason::UnknownUfrag,
        DropReason::StrangerStun,
        DropReason::StrangerDtls,
        DropReason::StrangerRtp,
        DropReason::AfterClose,
    ];

    /// Whether such drops are part of normal operation (not worth a warning).
    pub fn is_expected(self) -> bool {
        self == DropReason::AfterClose
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::Garbage => "garbage",
            DropReason::MalformedStun => "malformed STUN",
            DropReason::NoUsername => "binding request without USERNAME",
            DropReason::UnknownUfrag => "STUN with unknown ufrag",
            DropReason::StrangerStun => "STUN from a stranger",
            DropReason::StrangerDtls => "DTLS from a stranger",
            DropReason::StrangerRtp => "RTP/RTCP from a stranger",
            DropReason::AfterClose => "from a connection that closed",
        }
    }
}

/// Where a datagram goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// To this connection. `binding_request`: the transaction id of a binding request, whose
    /// source address is to be learned if the connection accepts it ([`Demux::learn`]).
    Conn {
        conn: PeerId,
        binding_request: Option<TransactionId>,
    },
    Drop(DropReason),
}

pub type TransactionId = [u8; 12];

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DemuxError {
    #[error("the ICE ufrag {0:?} is already in use on this port")]
    UfragTaken(String),
    #[error("{0} already has a ufrag")]
    ConnTaken(PeerId),
}

/// The routing tables of one shared port.
pub struct Demux {
    max_addrs: usize,
    ufrags: HashMap<String, PeerId>,
    conns: HashMap<PeerId, Entry>,
    addrs: HashMap<SocketAddr, PeerId>,
    /// Binding requests the connections sent, by transaction id: their responses come back
    /// from addresses not learned yet (a peer that nominates aggressively, like aiortc, is
    /// answered only once the relay's own check to it succeeded).
    pending: HashMap<TransactionId, (PeerId, SocketAddr)>,
    /// `pending`'s keys, oldest first; at most `max_pending`.
    pending_order: VecDeque<TransactionId>,
    max_pending: usize,
    /// The addresses of connections that closed lately, oldest first; at most
    /// [`Self::RECENTLY_CLOSED`].
    closed: VecDeque<SocketAddr>,
    closed_set: HashSet<SocketAddr>,
}

struct Entry {
    ufrag: String,
    /// Oldest first; at most `max_addrs`.
    addrs: VecDeque<SocketAddr>,
}

impl Demux {
    /// The addresses of closed connections remembered, so their peers' last packets are
    /// recognised as such.
    pub const RECENTLY_CLOSED: usize = 1_024;

    /// `max_addrs`: how many remote addresses one connection may have (at least 1);
    /// `max_pending`: how many of the connections' own binding requests await a response at
    /// most (the oldest is forgotten first).
    pub fn new(max_addrs: usize, max_pending: usize) -> Demux {
        Demux {
            max_addrs: max_addrs.max(1),
            ufrags: HashMap::new(),
            conns: HashMap::new(),
            addrs: HashMap::new(),
            pending: HashMap::new(),
            pending_order: VecDeque::new(),
            max_pending: max_pending.max(1),
            closed: VecDeque::new(),
            closed_set: HashSet::new(),
        }
    }

    /// `conn` sent `datagram` to `to`: if it is a binding request, its response (from `to`,
    /// with the same transaction id) is routed to `conn`.
    pub fn sent(&mut self, conn: PeerId, to: SocketAddr, datagram: &[u8]) {
        if classify(datagram) != Class::Stun {
            return;
        }
        let Some((BINDING_REQUEST, txid, _)) = stun_header(datagram) else {
            return;
        };
        if self.pending.insert(txid, (conn, to)).is_none() {
            self.pending_order.push_back(txid);
        }
        while self.pending_order.len() > self.max_pending {
            if let Some(oldest) = self.pending_order.pop_front() {
                self.pending.remove(&oldest);
            }
        }
    }

    /// Routes binding requests for `ufrag` to `conn` from now on.
    pub fn register(&mut self, conn: PeerId, ufrag: &str) -> Result<(), DemuxError> {
        if self.ufrags.contains_key(ufrag) {
            return Err(DemuxError::UfragTaken(ufrag.to_string()));
        }
        if self.conns.contains_key(&conn) {
            return Err(DemuxError::ConnTaken(conn));
        }
        self.ufrags.insert(ufrag.to_string(), conn);
        self.conns.insert(
            conn,
            Entry {
                ufrag: ufrag.to_string(),
                addrs: VecDeque::new(),
            },
        );
        Ok(())
    }

    /// Forgets `conn`'s ufrag and addresses.
    pub fn forget(&mut self, conn: PeerId) {
        self.pending.retain(|_, (c, _)| *c != conn);
        let pending = &self.pending;
        self.pending_order.retain(|txid| pending.contains_key(txid));
        if let Some(entry) = self.conns.remove(&conn) {
            self.ufrags.remove(&entry.ufrag);
            for addr in entry.addrs {
                if self.addrs.get(&addr) == Some(&conn) {
                    self.addrs.remove(&addr);
                    self.remember_closed(addr);
                }
            }
        }
    }

    fn remember_closed(&mut self, addr: SocketAddr) {
        if !self.closed_set.insert(addr) {
            return;
        }
        self.closed.push_back(addr);
        while self.closed.len() > Self::RECENTLY_CLOSED {
            if let Some(oldest) = self.closed.pop_front() {
                self.closed_set.remove(&oldest);
            }
        }
    }

    /// Where a datagram from `from` goes.
    pub fn route(&mut self, from: SocketAddr, datagram: &[u8]) -> Route {
        let closed = &self.closed_set;
        let by_addr = |reason| match self.addrs.get(&from) {
            Some(&conn) => Route::Conn {
                conn,
                binding_request: None,
            },
            None if closed.contains(&from) => Route::Drop(DropReason::AfterClose),
            None => Route::Drop(reason),
        };
        match classify(datagram) {
            Class::Garbage => Route::Drop(DropReason::Garbage),
            Class::Dtls => by_addr(DropReason::StrangerDtls),
            Class::RtpOrRtcp => by_addr(DropReason::StrangerRtp),
            Class::Stun => match parse_stun(datagram) {
                Err(reason) => Route::Drop(reason),
                Ok(Stun::Response { txid }) if !self.addrs.contains_key(&from) => {
                    match self.pending.get(&txid) {
                        Some(&(conn, to)) if to == from => {
                            self.pending.remove(&txid);
                            Route::Conn {
                                conn,
                                binding_request: None,
                            }
                        }
                        _ => Route::Drop(DropReason::StrangerStun),
                    }
                }
                Ok(Stun::Response { .. } | Stun::Other) => by_addr(DropReason::StrangerStun),
                Ok(Stun::BindingRequest { txid, local_ufrag }) => {
                    match self.ufrags.get(local_ufrag) {
                        Some(&conn) => Route::Conn {
                            conn,
                            binding_request: Some(txid),
                        },
                        None => Route::Drop(DropReason::UnknownUfrag),
                    }
                }
            },
        }
    }

    /// `conn` accepted a binding request from `addr`: route `addr`'s other datagrams to it. Does
    /// nothing for a connection that is not registered.
    pub fn learn(&mut self, conn: PeerId, addr: SocketAddr) {
        if !self.conns.contains_key(&conn) {
            return;
        }
        if let Some(previous) = self.addrs.insert(addr, conn) {
            if previous == conn {
                return;
            }
            if let Some(entry) = self.conns.get_mut(&previous) {
                entry.addrs.retain(|a| *a != addr);
            }
        }
        let max = self.max_addrs;
        let Some(entry) = self.conns.get_mut(&conn) else {
            return;
        };
        entry.addrs.push_back(addr);
        while entry.addrs.len() > max {
            if let Some(oldest) = entry.addrs.pop_front() {
                self.addrs.remove(&oldest);
            }
        }
    }

    /// The connection `addr` is routed to, if any.
    pub fn conn_of(&self, addr: SocketAddr) -> Option<PeerId> {
        self.addrs.get(&addr).copied()
    }

    /// How many addresses `conn` has.
    pub fn addrs_of(&self, conn: PeerId) -> usize {
        self.conns.get(&conn).map_or(0, |e| e.addrs.len())
    }

    /// How many connections are registered.
    pub fn conn_count(&self) -> usize {
        self.conns.len()
    }

    /// How many addresses are known over all connections.
    pub fn addr_count(&self) -> usize {
        self.addrs.len()
    }
}

const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];
const HEADER_LEN: usize = 20;
const BINDING_REQUEST: u16 = 0x0001;
const BINDING_SUCCESS: u16 = 0x0101;
const ATTR_USERNAME: u16 = 0x0006;
/// RFC 8489 §14.3: USERNAME is less than 513 bytes.
const MAX_USERNAME: usize = 512;

#[derive(Debug, PartialEq, Eq)]
enum Stun<'a> {
    BindingRequest {
        txid: TransactionId,
        local_ufrag: &'a str,
    },
    /// A success or error response.
    Response {
        txid: TransactionId,
    },
    Other,
}

/// The message type and transaction id of a well-formed STUN header ([RFC 8489 §5]): length a
/// multiple of 4 that matches the datagram, the magic cookie, the two top bits zero.
///
/// [RFC 8489 §5]: https://www.rfc-editor.org/rfc/rfc8489#section-5
fn stun_header(datagram: &[u8]) -> Option<(u16, TransactionId, &[u8])> {
    let header = datagram.get(..HEADER_LEN)?;
    let typ = u16::from_be_bytes([header[0], header[1]]);
    let len = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if typ & 0xC000 != 0 || len % 4 != 0 || header[4..8] != MAGIC_COOKIE {
        return None;
    }
    let body = datagram.get(HEADER_LEN..)?;
    if body.len() != len {
        return None;
    }
    let mut txid = [0u8; 12];
    txid.copy_from_slice(&header[8..20]);
    Some((typ, txid, body))
}

fn parse_stun(datagram: &[u8]) -> Result<Stun<'_>, DropReason> {
    let (typ, txid, body) = stun_header(datagram).ok_or(DropReason::MalformedStun)?;
    // RFC 8489 §5: the class is bits C1 (0x0100) and C0 (0x0010); 0b10 success, 0b11 error.
    if typ & 0x0100 != 0 {
        return Ok(Stun::Response { txid });
    }
    if typ != BINDING_REQUEST {
        return Ok(Stun::Other);
    }
    let username = attribute(body, ATTR_USERNAME)?.ok_or(DropReason::NoUsername)?;
    if username.len() > MAX_USERNAME {
        return Err(DropReason::MalformedStun);
    }
    let username = std::str::from_utf8(username).map_err(|_| DropReason::NoUsername)?;
    match username.split_once(':') {
        Some((local, _remote)) if !local.is_empty() => Ok(Stun::BindingRequest {
            txid,
            local_ufrag: local,
        }),
        _ => Err(DropReason::NoUsername),
    }
}

/// The value of the first attribute of type `wanted`, walking the TLVs (each padded to 4 bytes).
fn attribute(mut body: &[u8], wanted: u16) -> Result<Option<&[u8]>, DropReason> {
    while !body.is_empty() {
        let Some(head) = body.get(..4) else {
            return Err(DropReason::MalformedStun);
        };
        let typ = u16::from_be_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
        let value = body.get(4..4 + len).ok_or(DropReason::MalformedStun)?;
        if typ == wanted {
            return Ok(Some(value));
        }
        let padded = 4 + len.div_ceil(4) * 4;
        body = body.get(padded..).ok_or(DropReason::MalformedStun)?;
    }
    Ok(None)
}

/// The transaction id of an outgoing datagram that is a STUN Binding success response.
pub fn binding_success_txid(datagram: &[u8]) -> Option<TransactionId> {
    match stun_header(datagram)? {
        (BINDING_SUCCESS, txid, _) => Some(txid),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A STUN message: `typ`, transaction id `txid`, attributes `(type, value)`.
    pub(crate) fn stun(typ: u16, txid: TransactionId, attrs: &[(u16, &[u8])]) -> Vec<u8> {
        let mut body = Vec::new();
        for (t, v) in attrs {
            body.extend_from_slice(&t.to_be_bytes());
            body.extend_from_slice(&(v.len() as u16).to_be_bytes());
            body.extend_from_slice(v);
            while body.len() % 4 != 0 {
                body.push(0);
            }
        }
        let mut m = Vec::new();
        m.extend_from_slice(&typ.to_be_bytes());
        m.extend_from_slice(&(body.len() as u16).to_be_bytes());
        m.extend_from_slice(&MAGIC_COOKIE);
        m.extend_from_slice(&txid);
        m.extend_from_slice(&body);
        m
    }

    pub(crate) fn binding_request(username: &str, txid: TransactionId) -> Vec<u8> {
        // PRIORITY before USERNAME, as browsers send it, so the walk has to skip one.
        stun(
            BINDING_REQUEST,
            txid,
            &[
                (0x0024, &[0, 0, 0, 1]),
                (ATTR_USERNAME, username.as_bytes()),
            ],
        )
    }

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn a_peer_id_carries_its_worker() {
        let id = PeerId::new(3, 42);
        assert_eq!((id.worker(), id.seq()), (3, 42));
        // The number wraps within its 24 bits; the worker stays.
        let wrapped = PeerId::new(255, (1 << 24) + 7);
        assert_eq!((wrapped.worker(), wrapped.seq()), (255, 7));
        assert_eq!(PeerId::new(0, 9), PeerId(9));
        assert_ne!(PeerId::new(1, 9), PeerId::new(0, 9));
    }

    fn demux() -> Demux {
        let mut d = Demux::new(2, 4);
        d.register(PeerId(1), "ufragA").unwrap();
        d.register(PeerId(2), "ufragB").unwrap();
        d
    }

    #[test]
    fn classifies_by_first_byte() {
        assert_eq!(classify(&[]), Class::Garbage);
        assert_eq!(classify(&[0]), Class::Stun);
        assert_eq!(classify(&[3]), Class::Stun);
        assert_eq!(classify(&[4]), Class::Garbage);
        assert_eq!(classify(&[19]), Class::Garbage);
        assert_eq!(classify(&[20]), Class::Dtls);
        assert_eq!(classify(&[63]), Class::Dtls);
        assert_eq!(classify(&[64]), Class::Garbage);
        assert_eq!(classify(&[127]), Class::Garbage);
        assert_eq!(classify(&[128]), Class::RtpOrRtcp);
        assert_eq!(classify(&[191]), Class::RtpOrRtcp);
        assert_eq!(classify(&[192]), Class::Garbage);
        assert_eq!(classify(&[255]), Class::Garbage);
    }

    #[test]
    fn binding_requests_go_by_local_ufrag() {
        let mut d = demux();
        let txid = [7; 12];
        assert_eq!(
            d.route(addr(5000), &binding_request("ufragB:remote", txid)),
            Route::Conn {
                conn: PeerId(2),
                binding_request: Some(txid)
            }
        );
        assert_eq!(
            d.route(addr(5000), &binding_request("nobody:remote", txid)),
            Route::Drop(DropReason::UnknownUfrag)
        );
        // The remote's ufrag is not the local one.
        assert_eq!(
            d.route(addr(5000), &binding_request("remote:ufragA", txid)),
            Route::Drop(DropReason::UnknownUfrag)
        );
        assert_eq!(
            d.route(addr(5000), &binding_request("ufragA", txid)),
            Route::Drop(DropReason::NoUsername)
        );
        assert_eq!(
            d.route(
                addr(5000),
                &stun(BINDING_REQUEST, txid, &[(0x0024, &[0, 0, 0, 1])])
            ),
            Route::Drop(DropReason::NoUsername)
        );
    }

    #[test]
    fn other_datagrams_need_a_learned_address() {
        let mut d = demux();
        let dtls = [22u8, 254, 253, 0, 0];
        let rtp = [0x80u8, 96, 0, 1];
        let response = stun(BINDING_SUCCESS, [1; 12], &[]);
        assert_eq!(
            d.route(addr(5000), &dtls),
            Route::Drop(DropReason::StrangerDtls)
        );
        assert_eq!(
            d.route(addr(5000), &rtp),
            Route::Drop(DropReason::StrangerRtp)
        );
        assert_eq!(
            d.route(addr(5000), &response),
            Route::Drop(DropReason::StrangerStun)
        );
        d.learn(PeerId(1), addr(5000));
        let to_one = Route::Conn {
            conn: PeerId(1),
            binding_request: None,
        };
        assert_eq!(d.route(addr(5000), &dtls), to_one);
        assert_eq!(d.route(addr(5000), &rtp), to_one);
        assert_eq!(d.route(addr(5000), &response), to_one);
        assert_eq!(
            d.route(addr(5001), &rtp),
            Route::Drop(DropReason::StrangerRtp)
        );
        assert_eq!(
            d.route(addr(5000), &[0x40, 1, 2]),
            Route::Drop(DropReason::Garbage)
        );
    }

    #[test]
    fn malformed_stun_is_dropped() {
        let mut d = demux();
        let good = binding_request("ufragA:r", [2; 12]);
        // Truncated header, wrong cookie, length mismatch, attribute overrunning the body.
        assert_eq!(
            d.route(addr(1), &good[..10]),
            Route::Drop(DropReason::MalformedStun)
        );
        let mut bad_cookie = good.clone();
        bad_cookie[4] = 0;
        assert_eq!(
            d.route(addr(1), &bad_cookie),
            Route::Drop(DropReason::MalformedStun)
        );
        let mut long = good.clone();
        long.extend_from_slice(&[0; 4]);
        assert_eq!(
            d.route(addr(1), &long),
            Route::Drop(DropReason::MalformedStun)
        );
        let overrun = stun(BINDING_REQUEST, [2; 12], &[]);
        let mut overrun = overrun;
        overrun.extend_from_slice(&[0, 6, 0, 40]);
        overrun[3] = 4;
        assert_eq!(
            d.route(addr(1), &overrun),
            Route::Drop(DropReason::MalformedStun)
        );
        let mut not_utf8 = binding_request("ufragA:r", [2; 12]);
        let n = not_utf8.len();
        not_utf8[n - 4] = 0xFF;
        assert_ne!(
            d.route(addr(1), &not_utf8),
            Route::Conn {
                conn: PeerId(1),
                binding_request: Some([2; 12])
            }
        );
    }

    #[test]
    fn addresses_are_bounded_per_connection_and_move_between_connections() {
        let mut d = demux();
        d.learn(PeerId(1), addr(1));
        d.learn(PeerId(1), addr(2));
        d.learn(PeerId(1), addr(2));
        assert_eq!(d.addrs_of(PeerId(1)), 2);
        d.learn(PeerId(1), addr(3));
        assert_eq!(d.addrs_of(PeerId(1)), 2);
        assert_eq!(d.conn_of(addr(1)), None, "the oldest is forgotten");
        assert_eq!(d.conn_of(addr(3)), Some(PeerId(1)));
        d.learn(PeerId(2), addr(3));
        assert_eq!(d.conn_of(addr(3)), Some(PeerId(2)));
        assert_eq!(d.addrs_of(PeerId(1)), 1);
        assert_eq!(d.addr_count(), 2);
        // Unregistered connections learn nothing.
        d.learn(PeerId(9), addr(4));
        assert_eq!(d.conn_of(addr(4)), None);
    }

    #[test]
    fn forget_drops_ufrag_and_addresses() {
        let mut d = demux();
        d.learn(PeerId(1), addr(1));
        d.learn(PeerId(2), addr(2));
        d.forget(PeerId(1));
        assert_eq!(d.conn_of(addr(1)), None);
        assert_eq!(d.conn_of(addr(2)), Some(PeerId(2)));
        assert_eq!(
            d.route(addr(1), &binding_request("ufragA:r", [0; 12])),
            Route::Drop(DropReason::UnknownUfrag)
        );
        // The ufrag is free again.
        d.register(PeerId(3), "ufragA").unwrap();
        assert_eq!(
            d.register(PeerId(4), "ufragA"),
            Err(DemuxError::UfragTaken("ufragA".into()))
        );
        assert_eq!(
            d.register(PeerId(3), "other"),
            Err(DemuxError::ConnTaken(PeerId(3)))
        );
    }

    #[test]
    fn a_closed_connections_address_is_recognised_for_a_while() {
        let mut d = demux();
        d.learn(PeerId(1), addr(1));
        d.forget(PeerId(1));
        // RTP and DTLS from its peer, which has not noticed yet: expected drops.
        assert_eq!(
            d.route(addr(1), &[0x80, 0x60]),
            Route::Drop(DropReason::AfterClose)
        );
        assert_eq!(
            d.route(addr(1), &[22, 254]),
            Route::Drop(DropReason::AfterClose)
        );
        assert_eq!(
            d.route(addr(9), &[0x80, 0x60]),
            Route::Drop(DropReason::StrangerRtp)
        );
        // A new connection learning the address takes it back.
        d.learn(PeerId(2), addr(1));
        assert_eq!(
            d.route(addr(1), &[0x80, 0x60]),
            Route::Conn {
                conn: PeerId(2),
                binding_request: None
            }
        );
        // Bounded: the oldest closed addresses are forgotten first.
        d.register(PeerId(3), "ufragC").unwrap();
        for port in 100..100 + Demux::RECENTLY_CLOSED as u16 + 1 {
            d.learn(PeerId(3), addr(port));
            d.forget(PeerId(3));
            d.register(PeerId(3), "ufragC").unwrap();
        }
        assert_eq!(
            d.route(addr(100), &[0x80, 0x60]),
            Route::Drop(DropReason::StrangerRtp)
        );
        assert_eq!(
            d.route(addr(101), &[0x80, 0x60]),
            Route::Drop(DropReason::AfterClose)
        );
    }

    #[test]
    fn reads_binding_success_transaction_ids() {
        assert_eq!(
            binding_success_txid(&stun(BINDING_SUCCESS, [5; 12], &[(0x0020, &[0; 8])])),
            Some([5; 12])
        );
        assert_eq!(binding_success_txid(&binding_request("a:b", [5; 12])), None);
        assert_eq!(binding_success_txid(&[1, 1, 0]), None);
    }

    proptest::proptest! {
        #[test]
        fn any_datagram_routes_without_panicking(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
        ) {
            let mut d = demux();
            let _ = d.route(addr(1), &bytes);
            let _ = binding_success_txid(&bytes);
        }

        #[test]
        fn any_stun_body_routes_without_panicking(
            body in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
        ) {
            let mut d = demux();
            let mut m = stun(BINDING_REQUEST, [0; 12], &[]);
            m[2..4].copy_from_slice(&(body.len() as u16).to_be_bytes());
            m.extend_from_slice(&body);
            let _ = d.route(addr(1), &m);
        }
    }

    #[test]
    fn the_response_to_a_connections_own_check_reaches_it_once_and_only_from_where_it_went() {
        let mut d = demux();
        let (txid, other) = ([7; 12], [8; 12]);
        let response = stun(BINDING_SUCCESS, txid, &[]);
        assert_eq!(
            d.route(addr(6000), &response),
            Route::Drop(DropReason::StrangerStun),
            "no check of that id was sent"
        );
        d.sent(
            PeerId(2),
            addr(6000),
            &binding_request("remote:ufragB", txid),
        );
        // Not a binding request: nothing to expect.
        d.sent(PeerId(2), addr(6000), &stun(BINDING_SUCCESS, other, &[]));
        assert_eq!(
            d.route(addr(6001), &response),
            Route::Drop(DropReason::StrangerStun),
            "from another address"
        );
        assert_eq!(
            d.route(addr(6000), &stun(BINDING_SUCCESS, other, &[])),
            Route::Drop(DropReason::StrangerStun)
        );
        let to_two = Route::Conn {
            conn: PeerId(2),
            binding_request: None,
        };
        assert_eq!(d.route(addr(6000), &response), to_two);
        assert_eq!(
            d.route(addr(6000), &response),
            Route::Drop(DropReason::StrangerStun),
            "a response is routed once"
        );
        // An error response (class 0b11) is routed the same way.
        d.sent(
            PeerId(2),
            addr(6000),
            &binding_request("remote:ufragB", txid),
        );
        assert_eq!(d.route(addr(6000), &stun(0x0111, txid, &[])), to_two);
    }

    #[test]
    fn pending_checks_are_bounded_and_forgotten_with_their_connection() {
        let mut d = demux();
        for i in 0..10u8 {
            d.sent(
                PeerId(1),
                addr(7000),
                &binding_request("remote:ufragA", [i; 12]),
            );
        }
        assert_eq!(d.pending.len(), 4, "at most max_pending");
        assert_eq!(d.pending_order.len(), 4);
        assert_eq!(
            d.route(addr(7000), &stun(BINDING_SUCCESS, [0; 12], &[])),
            Route::Drop(DropReason::StrangerStun),
            "the oldest was forgotten"
        );
        d.forget(PeerId(1));
        assert!(d.pending.is_empty() && d.pending_order.is_empty());
        assert_eq!(
            d.route(addr(7000), &stun(BINDING_SUCCESS, [9; 12], &[])),
            Route::Drop(DropReason::StrangerStun)
        );
    }
}
