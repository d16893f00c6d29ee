//! STUN/TURN on the wire: what an input is, and the messages the server writes (rtc-stun's
//! encoders; MESSAGE-INTEGRITY and FINGERPRINT are computed by rtc-stun).

use rtc::crypto::RTCCrypto;
use rtc::stun::attributes::*;
use rtc::stun::error_code::{ErrorCode, ErrorCodeAttribute};
use rtc::stun::fingerprint::FINGERPRINT;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::*;
use rtc::stun::textattrs::TextAttribute;
use rtc::turn::proto::chandata::ChannelData;
use rtc::turn::proto::data::Data;
use rtc::turn::proto::peeraddr::PeerAddress;
use std::net::SocketAddr;

/// The most XOR-PEER-ADDRESS attributes one CreatePermission may carry.
pub const MAX_PEERS_PER_REQUEST: usize = 8;

/// What one datagram (or stream frame) from a client is.
pub enum Inbound {
    /// A STUN message, decoded, with `raw` cut to its own length.
    Stun(Message),
    /// A ChannelData message (RFC 8656 §12.4).
    ChannelData {
        /// The channel number (0x4000..=0x4FFF not yet checked).
        number: u16,
        /// The application data.
        data: Vec<u8>,
    },
}

/// Classifies and decodes `bytes`; `None` for anything that is neither (it is dropped).
pub fn classify(bytes: &[u8]) -> Option<Inbound> {
    let first = *bytes.first()?;
    if first & 0xC0 == 0 {
        if !is_stun_message(bytes) {
            return None;
        }
        let mut m = Message::new();
        m.raw = bytes.to_vec();
        m.decode().ok()?;
        // A datagram may carry bytes after the message; the FINGERPRINT check reads raw's end.
        m.raw.truncate(MESSAGE_HEADER_SIZE + m.length as usize);
        if m.contains(ATTR_FINGERPRINT) && !fingerprint_is_last_and_valid(&m) {
            return None;
        }
        Some(Inbound::Stun(m))
    } else if (0x40..=0x7F).contains(&first) {
        let mut cd = ChannelData {
            raw: bytes.to_vec(),
            ..Default::default()
        };
        cd.decode().ok()?;
        Some(Inbound::ChannelData {
            number: cd.number.0,
            data: cd.data,
        })
    } else {
        None
    }
}

fn fingerprint_is_last_and_valid(m: &Message) -> bool {
    m.attributes
        .0
        .last()
        .is_some_and(|a| a.typ == ATTR_FINGERPRINT)
        && m.attributes
            .0
            .iter()
            .filter(|a| a.typ == ATTR_FINGERPRINT)
            .count()
            == 1
        && FINGERPRINT.check(m).is_ok()
}

/// Checks `m`'s MESSAGE-INTEGRITY (HMAC-SHA1) with `key`. False if absent or malformed.
pub fn integrity_ok(m: &mut Message, key: &[u8], crypto: &dyn RTCCrypto) -> bool {
    let count = m
        .attributes
        .0
        .iter()
        .filter(|a| a.typ == ATTR_MESSAGE_INTEGRITY)
        .count();
    // Only FINGERPRINT may follow MESSAGE-INTEGRITY (RFC 8489 §14.5).
    let after = m
        .attributes
        .0
        .iter()
        .skip_while(|a| a.typ != ATTR_MESSAGE_INTEGRITY)
        .skip(1)
        .all(|a| a.typ == ATTR_FINGERPRINT);
    let sized = m.get(ATTR_MESSAGE_INTEGRITY).is_ok_and(|v| v.len() == 20);
    count == 1 && after && sized && MessageIntegrity::check(m, key, crypto).is_ok()
}

/// A text attribute (USERNAME, REALM, NONCE) if present and UTF-8.
pub fn text(m: &Message, attr: AttrType) -> Option<String> {
    TextAttribute::get_from_as(m, attr).ok().map(|t| t.text)
}

/// Every XOR-PEER-ADDRESS in `m`, or `None` if any is malformed or there are too many.
pub fn peer_addresses(m: &Message) -> Option<Vec<SocketAddr>> {
    let raw: Vec<_> = m
        .attributes
        .0
        .iter()
        .filter(|a| a.typ == ATTR_XOR_PEER_ADDRESS)
        .collect();
    if raw.len() > MAX_PEERS_PER_REQUEST {
        return None;
    }
    raw.into_iter()
        .map(|a| {
            // rtc-turn's getter reads the first attribute of a message: give it one at a time.
            let mut one = Message::new();
            one.transaction_id = m.transaction_id;
            one.add(ATTR_XOR_PEER_ADDRESS, &a.value);
            let mut p = PeerAddress::default();
            rtc::stun::message::Getter::get_from(&mut p, &one).ok()?;
            // rtc-stun accepts a short address (zero-filled); we want exactly 4 or 16 bytes.
            let exact = if p.ip.is_ipv4() { 8 } else { 20 };
            (a.value.len() == exact).then(|| SocketAddr::new(p.ip, p.port))
        })
        .collect()
}

/// The first comprehension-required attribute types (< 0x8000) the server does not know.
pub fn unknown_required(m: &Message) -> Vec<AttrType> {
    const KNOWN: [AttrType; 14] = [
        ATTR_USERNAME,
        ATTR_MESSAGE_INTEGRITY,
        // Not checked: browsers authenticate with MESSAGE-INTEGRITY (SHA-1), which is required.
        ATTR_MESSAGE_INTEGRITY_SHA256,
        ATTR_REALM,
        ATTR_NONCE,
        ATTR_LIFETIME,
        ATTR_XOR_PEER_ADDRESS,
        ATTR_DATA,
        ATTR_REQUESTED_TRANSPORT,
        ATTR_DONT_FRAGMENT,
        ATTR_CHANNEL_NUMBER,
        ATTR_REQUESTED_ADDRESS_FAMILY,
        ATTR_EVEN_PORT,
        ATTR_RESERVATION_TOKEN,
    ];
    m.attributes
        .0
        .iter()
        .map(|a| a.typ)
        .filter(|t| t.0 < 0x8000 && !KNOWN.contains(t))
        .take(8)
        .collect()
}

/// How a response is protected.
pub enum Seal<'a> {
    /// FINGERPRINT only (unauthenticated answers: 401, 438, 400 before authentication, Binding).
    Plain,
    /// MESSAGE-INTEGRITY with this long-term key, then FINGERPRINT.
    Integrity(&'a [u8], &'a dyn RTCCrypto),
}

/// Encodes a response to `req` of `class` with `attrs`, sealed. `None` only if rtc-stun refuses
/// an attribute (e.g. a text over its length limit), which the server's own values never are.
pub fn response(
    req: &Message,
    class: MessageClass,
    attrs: Vec<Box<dyn Setter + '_>>,
    seal: Seal<'_>,
) -> Option<Vec<u8>> {
    let mut setters: Vec<Box<dyn Setter + '_>> = Vec::with_capacity(attrs.len() + 4);
    setters.push(Box::new(req.transaction_id));
    setters.push(Box::new(MessageType::new(req.typ.method, class)));
    setters.extend(attrs);
    if let Seal::Integrity(key, crypto) = seal {
        setters.push(Box::new(MessageIntegrity::new_raw_integrity_with_provider(
            key.to_vec(),
            crypto,
        )));
    }
    setters.push(Box::new(FINGERPRINT));
    let mut m = Message::new();
    m.build(&setters).ok()?;
    Some(m.raw)
}

/// An ERROR-CODE attribute with our own reason phrase.
pub fn error_code(code: u16, reason: &str) -> Box<dyn Setter> {
    Box::new(ErrorCodeAttribute {
        code: ErrorCode(code),
        reason: reason.as_bytes().to_vec(),
    })
}

/// A text attribute (REALM, NONCE).
pub fn text_attr(attr: AttrType, value: &str) -> Box<dyn Setter> {
    Box::new(TextAttribute::new(attr, value.to_owned()))
}

/// A Data indication carrying `data` from `peer` (RFC 8656 §11.4).
pub fn data_indication(peer: SocketAddr, data: &[u8]) -> Option<Vec<u8>> {
    let mut m = Message::new();
    m.build(&[
        Box::new(TransactionId::new()),
        Box::new(MessageType::new(METHOD_DATA, CLASS_INDICATION)),
        Box::new(PeerAddress {
            ip: peer.ip(),
            port: peer.port(),
        }),
        Box::new(Data(data.to_vec())),
    ])
    .ok()?;
    Some(m.raw)
}

/// A ChannelData message, padded to 4 bytes (needed over TCP/TLS, harmless over UDP).
pub fn channel_data(number: u16, data: &[u8]) -> Vec<u8> {
    let mut cd = ChannelData {
        data: data.to_vec(),
        number: rtc::turn::proto::channum::ChannelNumber(number),
        raw: Vec::with_capacity(data.len() + 8),
    };
    cd.encode();
    cd.raw
}
