//! The TURN server driven as a browser would drive it, with hand-built rtc-stun messages.

use super::credentials::{self, RestCredentials};
use super::*;
use proptest::prelude::*;
use rtc::crypto::providers::RingProvider;
use rtc::crypto::RTCCryptoProvider;
use rtc::stun::attributes::*;
use rtc::stun::error_code::ErrorCodeAttribute;
use rtc::stun::fingerprint::FINGERPRINT;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::*;
use rtc::stun::textattrs::TextAttribute;
use rtc::stun::xoraddr::XorMappedAddress;
use rtc::turn::proto::channum::ChannelNumber;
use rtc::turn::proto::data::Data;
use rtc::turn::proto::lifetime::Lifetime;
use rtc::turn::proto::peeraddr::PeerAddress;
use rtc::turn::proto::relayaddr::RelayedAddress;
use rtc::turn::proto::reqtrans::RequestedTransport;
use rtc::turn::proto::{PROTO_TCP, PROTO_UDP};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const REALM: &str = "relay.test";
const SECRET: &[u8] = b"s3cret";
const UNIX0: u64 = 1_700_000_000;

fn media() -> SocketAddr {
    ([198, 51, 100, 10], 50_000).into()
}

fn stranger() -> SocketAddr {
    ([192, 168, 1, 1], 22).into()
}

fn config() -> TurnConfig {
    TurnConfig {
        realm: REALM.into(),
        secret: SECRET.to_vec(),
        allowed_peers: vec![media()],
        relay_ip: [198, 51, 100, 10].into(),
        relay_ports: 60_000..=60_009,
        limits: TurnLimits::default(),
    }
}

fn tuple(port: u16) -> FiveTuple {
    FiveTuple {
        transport: Transport::Tls,
        client: ([203, 0, 113, 7], port).into(),
        server: ([198, 51, 100, 11], 443).into(),
    }
}

fn mint(id: &str, expires: u64) -> RestCredentials {
    credentials::mint(RingProvider::new().crypto(), SECRET, expires, id).unwrap()
}

/// A browser's side of one 5-tuple.
struct Client {
    tuple: FiveTuple,
    creds: RestCredentials,
    nonce: Option<String>,
}

impl Client {
    fn new(port: u16, creds: RestCredentials) -> Client {
        Client {
            tuple: tuple(port),
            creds,
            nonce: None,
        }
    }

    fn key(&self) -> Vec<u8> {
        MessageIntegrity::long_term_integrity_key(
            self.creds.username.clone(),
            REALM.into(),
            self.creds.password.clone(),
            RingProvider::new().crypto(),
        )
        .unwrap()
    }

    /// A request with the given transaction id, authenticated if a nonce is known.
    fn request_with(
        &self,
        id: TransactionId,
        method: Method,
        attrs: Vec<Box<dyn Setter>>,
    ) -> Vec<u8> {
        let provider = RingProvider::new();
        let mut setters: Vec<Box<dyn Setter + '_>> = vec![
            Box::new(id),
            Box::new(MessageType::new(method, CLASS_REQUEST)),
        ];
        setters.extend(attrs);
        if let Some(nonce) = &self.nonce {
            setters.push(Box::new(TextAttribute::new(
                ATTR_USERNAME,
                self.creds.username.clone(),
            )));
            setters.push(Box::new(TextAttribute::new(ATTR_REALM, REALM.into())));
            setters.push(Box::new(TextAttribute::new(ATTR_NONCE, nonce.clone())));
            setters.push(Box::new(
                MessageIntegrity::new_long_term_integrity_with_provider(
                    self.creds.username.clone(),
                    REALM.into(),
                    self.creds.password.clone(),
                    provider.crypto(),
                )
                .unwrap(),
            ));
        }
        setters.push(Box::new(FINGERPRINT));
        let mut m = Message::new();
        m.build(&setters).unwrap();
        m.raw
    }

    fn request(&self, method: Method, attrs: Vec<Box<dyn Setter>>) -> Vec<u8> {
        self.request_with(TransactionId::new(), method, attrs)
    }

    /// Sends and returns the one answer, learning the nonce from a 401/438.
    fn call(&mut self, s: &mut TurnServer, now: Instant, bytes: &[u8]) -> Message {
        let m = reply_to(self.tuple, s.handle(now, self.tuple, bytes));
        if let Ok(n) = TextAttribute::get_from_as(&m, ATTR_NONCE) {
            self.nonce = Some(n.text);
        }
        m
    }

    /// Allocates (401 challenge first) and returns the relayed address.
    fn allocate(&mut self, s: &mut TurnServer, now: Instant) -> SocketAddr {
        let first = self.call(s, now, &self.request(METHOD_ALLOCATE, udp()));
        assert_eq!(code(&first), Some(401));
        let ok = self.call(s, now, &self.request(METHOD_ALLOCATE, udp()));
        assert_eq!(ok.typ.class, CLASS_SUCCESS_RESPONSE, "{:?}", code(&ok));
        let mut relayed = RelayedAddress::default();
        Getter::get_from(&mut relayed, &ok).unwrap();
        SocketAddr::new(relayed.ip, relayed.port)
    }

    fn permit(&mut self, s: &mut TurnServer, now: Instant, peer: SocketAddr) -> Message {
        self.call(
            s,
            now,
            &self.request(METHOD_CREATE_PERMISSION, peer_attr(peer)),
        )
    }

    fn bind(&mut self, s: &mut TurnServer, now: Instant, n: u16, peer: SocketAddr) -> Message {
        let mut attrs = peer_attr(peer);
        attrs.push(Box::new(ChannelNumber(n)));
        self.call(s, now, &self.request(METHOD_CHANNEL_BIND, attrs))
    }
}

fn udp() -> Vec<Box<dyn Setter>> {
    vec![Box::new(RequestedTransport {
        protocol: PROTO_UDP,
    })]
}

fn peer_attr(peer: SocketAddr) -> Vec<Box<dyn Setter>> {
    vec![Box::new(PeerAddress {
        ip: peer.ip(),
        port: peer.port(),
    })]
}

fn send_indication(peer: SocketAddr, data: &[u8]) -> Vec<u8> {
    let mut m = Message::new();
    m.build(&[
        Box::new(TransactionId::new()),
        Box::new(MessageType::new(METHOD_SEND, CLASS_INDICATION)),
        Box::new(PeerAddress {
            ip: peer.ip(),
            port: peer.port(),
        }),
        Box::new(Data(data.to_vec())),
    ])
    .unwrap();
    m.raw
}

fn channel_data(n: u16, data: &[u8]) -> Vec<u8> {
    let mut out = n.to_be_bytes().to_vec();
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
    out
}

fn reply_to(tuple: FiveTuple, outputs: Vec<Output>) -> Message {
    match &outputs[..] {
        [Output::ToClient { to, bytes }] => {
            assert_eq!(*to, tuple);
            let mut m = Message::new();
            m.unmarshal_binary(bytes).unwrap();
            if m.typ.class != CLASS_INDICATION {
                FINGERPRINT.check(&m).unwrap();
            }
            m
        }
        other => panic!("expected one answer, got {other:?}"),
    }
}

fn code(m: &Message) -> Option<u16> {
    let mut e = ErrorCodeAttribute::default();
    Getter::get_from(&mut e, m).ok().map(|_| e.code.0)
}

fn server(now: Instant) -> TurnServer {
    TurnServer::new(config(), now, UNIX0).unwrap()
}

fn valid_creds() -> RestCredentials {
    mint("join-subject", UNIX0 + 3600)
}

#[test]
fn allocate_is_challenged_then_granted_with_integrity() {
    let now = Instant::now();
    let mut s = server(now);
    let mut c = Client::new(1000, valid_creds());
    let first = c.call(&mut s, now, &c.request(METHOD_ALLOCATE, udp()));
    assert_eq!(code(&first), Some(401));
    assert_eq!(
        TextAttribute::get_from_as(&first, ATTR_REALM).unwrap().text,
        REALM
    );
    assert!(!first.contains(ATTR_MESSAGE_INTEGRITY));

    let mut ok = c.call(&mut s, now, &c.request(METHOD_ALLOCATE, udp()));
    assert_eq!(
        ok.typ,
        MessageType::new(METHOD_ALLOCATE, CLASS_SUCCESS_RESPONSE)
    );
    MessageIntegrity::check(&mut ok, &c.key(), RingProvider::new().crypto()).unwrap();
    let mut relayed = RelayedAddress::default();
    Getter::get_from(&mut relayed, &ok).unwrap();
    assert_eq!(relayed.ip, config().relay_ip);
    assert!((60_000..=60_009).contains(&relayed.port));
    let mut lifetime = Lifetime::default();
    Getter::get_from(&mut lifetime, &ok).unwrap();
    assert_eq!(lifetime.0, Duration::from_secs(600));
    let mut mapped = XorMappedAddress::default();
    Getter::get_from(&mut mapped, &ok).unwrap();
    assert_eq!(SocketAddr::new(mapped.ip, mapped.port), c.tuple.client);
    assert_eq!(s.allocation_count(), 1);
    assert!(s.is_relayed(SocketAddr::new(relayed.ip, relayed.port)));
}

#[test]
fn send_indications_and_channel_data_reach_the_media_address_and_back() {
    let now = Instant::now();
    let mut s = server(now);
    let mut c = Client::new(1000, valid_creds());
    let relayed = c.allocate(&mut s, now);
    assert_eq!(
        c.permit(&mut s, now, media()).typ.class,
        CLASS_SUCCESS_RESPONSE
    );

    let to_peer = s.handle(now, c.tuple, &send_indication(media(), b"stun check"));
    assert_eq!(
        to_peer,
        vec![Output::ToPeer {
            relayed,
            to: media(),
            bytes: b"stun check".to_vec(),
            client_transport: c.tuple.transport,
        }]
    );

    // Without a channel, the peer's answer comes back as a Data indication.
    let back = reply_to(c.tuple, s.handle_peer(now, relayed, media(), b"answer"));
    assert_eq!(back.typ, MessageType::new(METHOD_DATA, CLASS_INDICATION));
    let (mut from, mut data) = (PeerAddress::default(), Data::default());
    Getter::get_from(&mut from, &back).unwrap();
    Getter::get_from(&mut data, &back).unwrap();
    assert_eq!(SocketAddr::new(from.ip, from.port), media());
    assert_eq!(data.0, b"answer");

    assert_eq!(
        c.bind(&mut s, now, 0x4000, media()).typ.class,
        CLASS_SUCCESS_RESPONSE
    );
    let to_peer = s.handle(now, c.tuple, &channel_data(0x4000, b"rtp"));
    assert_eq!(
        to_peer,
        vec![Output::ToPeer {
            relayed,
            to: media(),
            bytes: b"rtp".to_vec(),
            client_transport: c.tuple.transport,
        }]
    );
    // With a channel, the peer's packets come back as ChannelData, padded to 4 bytes.
    let back = s.handle_peer(now, relayed, media(), b"rtcp!");
    assert_eq!(
        back,
        vec![Output::ToClient {
            to: c.tuple,
            bytes: vec![0x40, 0x00, 0, 5, b'r', b't', b'c', b'p', b'!', 0, 0, 0]
        }]
    );
    // An unbound channel number carries nothing.
    assert!(s
        .handle(now, c.tuple, &channel_data(0x4001, b"x"))
        .is_empty());
}

#[test]
fn peers_other_than_the_media_address_are_forbidden() {
    let now = Instant::now();
    let mut s = server(now);
    let mut c = Client::new(1000, valid_creds());
    let relayed = c.allocate(&mut s, now);
    assert_eq!(code(&c.permit(&mut s, now, stranger())), Some(403));
    // The media IP on another port is another peer: refused too.
    let other_port: SocketAddr = ([198, 51, 100, 10], 22).into();
    assert_eq!(code(&c.permit(&mut s, now, other_port)), Some(403));
    assert_eq!(code(&c.bind(&mut s, now, 0x4000, stranger())), Some(403));
    // Several peers with one forbidden: nothing installed.
    let mut both = peer_attr(media());
    both.extend(peer_attr(stranger()));
    let m = c.call(&mut s, now, &c.request(METHOD_CREATE_PERMISSION, both));
    assert_eq!(code(&m), Some(403));
    assert!(s
        .handle(now, c.tuple, &send_indication(media(), b"x"))
        .is_empty());
    assert!(s
        .handle(now, c.tuple, &send_indication(stranger(), b"x"))
        .is_empty());
    assert!(s.handle_peer(now, relayed, media(), b"x").is_empty());
    c.permit(&mut s, now, media());
    assert!(s.handle_peer(now, relayed, stranger(), b"x").is_empty());
    assert_eq!(s.handle_peer(now, relayed, media(), b"x").len(), 1);
}

#[test]
fn stale_nonces_wrong_passwords_and_expired_credentials_are_refused() {
    let t0 = Instant::now();
    let mut cfg = config();
    cfg.limits.nonce_lifetime = Duration::from_secs(120);
    let mut s = TurnServer::new(cfg, t0, UNIX0).unwrap();
    let mut c = Client::new(1000, valid_creds());
    c.allocate(&mut s, t0);

    // The nonce outlives its 120 s: 438 with a fresh nonce, which then works.
    let later = t0 + Duration::from_secs(121);
    let stale = c.call(&mut s, later, &c.request(METHOD_REFRESH, vec![]));
    assert_eq!(code(&stale), Some(438));
    let ok = c.call(&mut s, later, &c.request(METHOD_REFRESH, vec![]));
    assert_eq!(ok.typ.class, CLASS_SUCCESS_RESPONSE, "{:?}", code(&ok));

    // A nonce issued to another 5-tuple is stale here.
    let mut other = Client::new(1001, valid_creds());
    other.nonce = c.nonce.clone();
    assert_eq!(
        code(&other.call(&mut s, later, &other.request(METHOD_ALLOCATE, udp()))),
        Some(438)
    );

    let mut wrong = Client::new(
        1002,
        RestCredentials {
            password: "not-it".into(),
            ..valid_creds()
        },
    );
    wrong.call(&mut s, t0, &wrong.request(METHOD_ALLOCATE, udp()));
    assert_eq!(
        code(&wrong.call(&mut s, t0, &wrong.request(METHOD_ALLOCATE, udp()))),
        Some(401)
    );

    let mut expired = Client::new(1003, mint("gone", UNIX0 + 10));
    let t11 = t0 + Duration::from_secs(11);
    expired.call(&mut s, t11, &expired.request(METHOD_ALLOCATE, udp()));
    assert_eq!(
        code(&expired.call(&mut s, t11, &expired.request(METHOD_ALLOCATE, udp()))),
        Some(401)
    );
    // Another realm's secret: 401 as well.
    let foreign = credentials::mint(RingProvider::new().crypto(), b"x", UNIX0 + 99, "a").unwrap();
    let mut foreigner = Client::new(1004, foreign);
    foreigner.call(&mut s, t0, &foreigner.request(METHOD_ALLOCATE, udp()));
    let m = foreigner.call(&mut s, t0, &foreigner.request(METHOD_ALLOCATE, udp()));
    assert_eq!(code(&m), Some(401));
    assert_eq!(s.allocation_count(), 1);
}

#[test]
fn a_second_allocation_on_a_tuple_is_a_mismatch_but_a_retransmission_is_answered() {
    let now = Instant::now();
    let mut s = server(now);
    let mut c = Client::new(1000, valid_creds());
    c.call(&mut s, now, &c.request(METHOD_ALLOCATE, udp()));
    let id = TransactionId::new();
    let first = c.call(&mut s, now, &c.request_with(id, METHOD_ALLOCATE, udp()));
    let again = c.call(&mut s, now, &c.request_with(id, METHOD_ALLOCATE, udp()));
    assert_eq!(again.typ.class, CLASS_SUCCESS_RESPONSE);
    let (mut a, mut b) = (RelayedAddress::default(), RelayedAddress::default());
    Getter::get_from(&mut a, &first).unwrap();
    Getter::get_from(&mut b, &again).unwrap();
    assert_eq!(a, b);
    let other = c.call(&mut s, now, &c.request(METHOD_ALLOCATE, udp()));
    assert_eq!(code(&other), Some(437));

    // Refresh, CreatePermission and ChannelBind need an allocation on the 5-tuple.
    let mut none = Client::new(2000, valid_creds());
    none.call(&mut s, now, &none.request(METHOD_REFRESH, vec![]));
    assert_eq!(
        code(&none.call(&mut s, now, &none.request(METHOD_REFRESH, vec![]))),
        Some(437)
    );
    assert_eq!(code(&none.permit(&mut s, now, media())), Some(437));
    assert_eq!(code(&none.bind(&mut s, now, 0x4000, media())), Some(437));
}

#[test]
fn quotas_per_username_and_in_total_are_enforced() {
    let now = Instant::now();
    let mut cfg = config();
    cfg.limits.max_allocations_per_username = 1;
    cfg.limits.max_allocations = 2;
    let mut s = TurnServer::new(cfg, now, UNIX0).unwrap();
    let mut a = Client::new(1000, valid_creds());
    a.allocate(&mut s, now);
    let mut b = Client::new(1001, valid_creds());
    b.call(&mut s, now, &b.request(METHOD_ALLOCATE, udp()));
    assert_eq!(
        code(&b.call(&mut s, now, &b.request(METHOD_ALLOCATE, udp()))),
        Some(486)
    );
    let mut c = Client::new(1002, mint("other", UNIX0 + 3600));
    c.allocate(&mut s, now);
    let mut d = Client::new(1003, mint("third", UNIX0 + 3600));
    d.call(&mut s, now, &d.request(METHOD_ALLOCATE, udp()));
    assert_eq!(
        code(&d.call(&mut s, now, &d.request(METHOD_ALLOCATE, udp()))),
        Some(508)
    );

    // Deleting one (Refresh with LIFETIME 0) frees its quota and its relayed port.
    let zero: Vec<Box<dyn Setter>> = vec![Box::new(Lifetime(Duration::ZERO))];
    let gone = a.call(&mut s, now, &a.request(METHOD_REFRESH, zero));
    assert_eq!(gone.typ.class, CLASS_SUCCESS_RESPONSE);
    assert_eq!(s.allocation_count(), 1);
    b.allocate_again(&mut s, now);
}

#[test]
fn by_default_a_teachers_page_of_forty_classrooms_gets_a_relayed_address_on_every_connection() {
    // Its own camera's connection and one per classroom camera in its grid, each allocating as
    // Chromium does with every `turn:` URL reachable; all under the page's one username.
    let now = Instant::now();
    let mut cfg = config();
    cfg.relay_ports = crate::media::turn_io::RELAY_PORTS;
    let mut s = TurnServer::new(cfg, now, UNIX0).unwrap();
    let allocations = 41 * config::ALLOCATIONS_PER_CONNECTION;
    for n in 0..allocations {
        let port = 2000 + u16::try_from(n).unwrap();
        Client::new(port, valid_creds()).allocate(&mut s, now);
    }
    assert_eq!(s.allocation_count(), allocations);
    // Another page of the same lesson is not held up by it.
    Client::new(1000, mint("classroom", UNIX0 + 3600)).allocate(&mut s, now);
}

impl Client {
    fn allocate_again(&mut self, s: &mut TurnServer, now: Instant) {
        let ok = self.call(s, now, &self.request(METHOD_ALLOCATE, udp()));
        assert_eq!(ok.typ.class, CLASS_SUCCESS_RESPONSE, "{:?}", code(&ok));
    }
}

#[test]
fn relayed_ports_run_out_with_508() {
    let now = Instant::now();
    let mut cfg = config();
    cfg.relay_ports = 60_000..=60_001;
    let mut s = TurnServer::new(cfg, now, UNIX0).unwrap();
    for port in 0..2 {
        Client::new(port, mint(&format!("u{port}"), UNIX0 + 60)).allocate(&mut s, now);
    }
    let mut c = Client::new(9, mint("late", UNIX0 + 60));
    c.call(&mut s, now, &c.request(METHOD_ALLOCATE, udp()));
    assert_eq!(
        code(&c.call(&mut s, now, &c.request(METHOD_ALLOCATE, udp()))),
        Some(508)
    );
}

#[test]
fn allocations_permissions_and_channels_expire() {
    let t0 = Instant::now();
    let mut s = server(t0);
    let mut c = Client::new(1000, valid_creds());
    let relayed = c.allocate(&mut s, t0);
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(600)));
    c.permit(&mut s, t0, media());
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(300)));

    let t300 = t0 + Duration::from_secs(300);
    s.handle_timeout(t300);
    assert!(s
        .handle(t300, c.tuple, &send_indication(media(), b"x"))
        .is_empty());
    assert!(s.handle_peer(t300, relayed, media(), b"x").is_empty());
    assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(600)));

    // A channel binding installs a permission too; both lapse.
    let t400 = t0 + Duration::from_secs(400);
    assert_eq!(
        c.bind(&mut s, t400, 0x4ABC, media()).typ.class,
        CLASS_SUCCESS_RESPONSE
    );
    assert_eq!(
        s.handle(t400, c.tuple, &channel_data(0x4ABC, b"x")).len(),
        1
    );

    let t600 = t0 + Duration::from_secs(600);
    s.handle_timeout(t600);
    assert_eq!(s.allocation_count(), 0);
    assert!(!s.is_relayed(relayed));
    assert_eq!(s.poll_timeout(), None);
    assert!(s
        .handle(t600, c.tuple, &channel_data(0x4ABC, b"x"))
        .is_empty());
}

#[test]
fn lifetimes_are_clamped_between_default_and_maximum() {
    let now = Instant::now();
    let mut s = server(now);
    let mut c = Client::new(1000, valid_creds());
    c.allocate(&mut s, now);
    for (asked, granted) in [(30, 600), (1800, 1800), (86_400, 3600)] {
        let attrs: Vec<Box<dyn Setter>> = vec![Box::new(Lifetime(Duration::from_secs(asked)))];
        let m = c.call(&mut s, now, &c.request(METHOD_REFRESH, attrs));
        let mut l = Lifetime::default();
        Getter::get_from(&mut l, &m).unwrap();
        assert_eq!(l.0, Duration::from_secs(granted));
    }
}

#[test]
fn bad_requests_are_answered_with_their_error() {
    let now = Instant::now();
    let mut s = server(now);
    let mut c = Client::new(1000, valid_creds());
    c.call(&mut s, now, &c.request(METHOD_ALLOCATE, vec![]));
    assert_eq!(
        code(&c.call(&mut s, now, &c.request(METHOD_ALLOCATE, vec![]))),
        Some(400)
    );
    let tcp: Vec<Box<dyn Setter>> = vec![Box::new(RequestedTransport {
        protocol: PROTO_TCP,
    })];
    assert_eq!(
        code(&c.call(&mut s, now, &c.request(METHOD_ALLOCATE, tcp))),
        Some(442)
    );
    let mut unknown = udp();
    unknown.push(Box::new(RawAttribute {
        typ: AttrType(0x7001),
        length: 0,
        value: vec![],
    }));
    let m = c.call(&mut s, now, &c.request(METHOD_ALLOCATE, unknown));
    assert_eq!(code(&m), Some(420));
    assert!(m.contains(ATTR_UNKNOWN_ATTRIBUTES));
    c.allocate_again(&mut s, now);
    // Channel numbers outside 0x4000..=0x4FFF, and rebinding a bound channel, are 400.
    assert_eq!(code(&c.bind(&mut s, now, 0x5000, media())), Some(400));
    assert_eq!(code(&c.bind(&mut s, now, 0x3FFF, media())), Some(400));
    assert_eq!(
        c.bind(&mut s, now, 0x4000, media()).typ.class,
        CLASS_SUCCESS_RESPONSE
    );
    assert_eq!(code(&c.bind(&mut s, now, 0x4001, media())), Some(400));
    // A truncated XOR-PEER-ADDRESS (rtc-stun would zero-fill it) is 400.
    let short: Vec<Box<dyn Setter>> = vec![Box::new(RawAttribute {
        typ: ATTR_XOR_PEER_ADDRESS,
        length: 6,
        value: vec![0, 1, 0xE1, 0x12, 0xE7, 0x13],
    })];
    assert_eq!(
        code(&c.call(&mut s, now, &c.request(METHOD_CREATE_PERMISSION, short))),
        Some(400)
    );
    // A CreatePermission without a peer is 400.
    assert_eq!(
        code(&c.call(&mut s, now, &c.request(METHOD_CREATE_PERMISSION, vec![]))),
        Some(400)
    );
}

#[test]
fn binding_requests_are_answered_without_credentials() {
    let now = Instant::now();
    let mut s = server(now);
    let c = Client::new(1000, valid_creds());
    let m = reply_to(
        c.tuple,
        s.handle(now, c.tuple, &c.request(METHOD_BINDING, vec![])),
    );
    assert_eq!(m.typ, BINDING_SUCCESS);
    let mut mapped = XorMappedAddress::default();
    Getter::get_from(&mut mapped, &m).unwrap();
    assert_eq!(SocketAddr::new(mapped.ip, mapped.port), c.tuple.client);
}

#[test]
fn another_tuple_cannot_use_or_refresh_an_allocation() {
    let now = Instant::now();
    let mut s = server(now);
    let mut owner = Client::new(1000, valid_creds());
    owner.allocate(&mut s, now);
    owner.permit(&mut s, now, media());
    // Same credentials, another source port: no allocation there.
    let intruder = Client::new(1001, valid_creds());
    assert!(s
        .handle(now, intruder.tuple, &send_indication(media(), b"x"))
        .is_empty());
    // Another username on the owner's tuple: 441.
    let mut other_user = Client::new(1000, mint("someone-else", UNIX0 + 3600));
    other_user.call(&mut s, now, &other_user.request(METHOD_REFRESH, vec![]));
    let m = other_user.call(&mut s, now, &other_user.request(METHOD_REFRESH, vec![]));
    assert_eq!(code(&m), Some(441));
}

#[test]
fn closing_a_stream_deletes_its_allocation_and_transports_are_distinct_tuples() {
    let now = Instant::now();
    let mut s = server(now);
    let mut tls = Client::new(1000, valid_creds());
    let relayed = tls.allocate(&mut s, now);
    // The same address and port over UDP is another 5-tuple: its own allocation.
    let mut udp_client = Client::new(1000, valid_creds());
    udp_client.tuple.transport = Transport::Udp;
    let other = udp_client.allocate(&mut s, now);
    assert_ne!(relayed, other);
    s.close(tls.tuple);
    assert!(!s.is_relayed(relayed));
    assert!(s.is_relayed(other));
    assert_eq!(s.allocation_count(), 1);
}

#[test]
fn unauthenticated_answers_over_udp_are_budgeted_per_ip() {
    let now = Instant::now();
    let mut s = server(now);
    let burst = TurnLimits::default().unauthenticated.burst as usize;
    // A forged source floods unauthenticated Allocates (and Binding requests) over UDP.
    let mut victim = Client::new(1000, valid_creds());
    victim.tuple.transport = Transport::Udp;
    let allocate = victim.request(METHOD_ALLOCATE, udp());
    let answered = (0..200)
        .filter(|_| !s.handle(now, victim.tuple, &allocate).is_empty())
        .count();
    assert_eq!(answered, burst, "a burst of 401s, then silence");
    let binding = victim.request(METHOD_BINDING, vec![]);
    assert!(s.handle(now, victim.tuple, &binding).is_empty());
    assert_eq!(s.refused_answers(), 201 - burst as u64);
    // Another IP is answered as before, and so is the same IP over TLS (the handshake proved
    // its address).
    let mut other = Client::new(1000, valid_creds());
    other.tuple.transport = Transport::Udp;
    other.tuple.client = ([203, 0, 113, 8], 1000).into();
    other.allocate(&mut s, now);
    let mut tls = Client::new(1000, valid_creds());
    tls.allocate(&mut s, now);
    // A moment later the flooded IP has earned one answer again.
    let later = now + TurnLimits::default().unauthenticated_interval();
    assert!(!s.handle(later, victim.tuple, &allocate).is_empty());
    assert!(s.handle(later, victim.tuple, &allocate).is_empty());
}

#[test]
fn authenticated_answers_over_udp_are_not_budgeted() {
    let now = Instant::now();
    let mut s = server(now);
    let mut c = Client::new(1000, valid_creds());
    c.tuple.transport = Transport::Udp;
    c.allocate(&mut s, now);
    let refresh = c.request(METHOD_REFRESH, vec![]);
    for _ in 0..100 {
        let m = c.call(&mut s, now, &refresh);
        assert_eq!(code(&m), None, "every authenticated Refresh is answered");
    }
    assert_eq!(s.refused_answers(), 0);
}

#[test]
fn invalid_configs_are_refused() {
    let now = Instant::now();
    let mut cfg = config();
    cfg.allowed_peers.clear();
    assert!(matches!(
        TurnServer::new(cfg, now, UNIX0),
        Err(ConfigError::NoAllowedPeers)
    ));
    let mut cfg = config();
    cfg.limits.default_lifetime = Duration::from_secs(7200);
    assert!(matches!(
        TurnServer::new(cfg, now, UNIX0),
        Err(ConfigError::Limits(_))
    ));
    let mut cfg = config();
    cfg.secret.clear();
    assert!(matches!(
        TurnServer::new(cfg, now, UNIX0),
        Err(ConfigError::EmptySecret)
    ));
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        stunlike in any::<bool>(),
    ) {
        let now = Instant::now();
        let mut s = server(now);
        let mut c = Client::new(1000, valid_creds());
        let relayed = c.allocate(&mut s, now);
        c.permit(&mut s, now, media());
        c.bind(&mut s, now, 0x4000, media());
        let mut input = bytes.clone();
        if stunlike && input.len() >= 20 {
            // A STUN header with the magic cookie and a consistent length reaches the decoders.
            input[0] &= 0x3F;
            let len = (input.len() - 20) as u16;
            input[2..4].copy_from_slice(&len.to_be_bytes());
            input[4..8].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
        }
        let _ = s.handle(now, c.tuple, &input);
        let _ = s.handle_peer(now, relayed, media(), &input);
        s.handle_timeout(now + Duration::from_secs(1));
    }

    #[test]
    fn mutated_authenticated_requests_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        method in 0usize..4,
    ) {
        let now = Instant::now();
        let mut s = server(now);
        let mut c = Client::new(1000, valid_creds());
        c.allocate(&mut s, now);
        let methods = [METHOD_ALLOCATE, METHOD_REFRESH, METHOD_CREATE_PERMISSION, METHOD_CHANNEL_BIND];
        let mut attrs = peer_attr(media());
        attrs.push(Box::new(ChannelNumber(0x4000)));
        attrs.extend(udp());
        let mut bytes = c.request(methods[method], attrs);
        for (i, v) in flips {
            let i = i.index(bytes.len());
            bytes[i] = v;
        }
        let _ = s.handle(now, c.tuple, &bytes);
    }
}
