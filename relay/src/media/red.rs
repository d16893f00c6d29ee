//! Redundant audio (RFC 2198, `audio/red`) in the relay (no IO).
//!
//! A Publisher's browser that negotiated RED sends each Opus packet together with a copy of the
//! one before it: a RED payload is a header per redundant block (4 bytes: F bit, payload type,
//! timestamp offset, length), a last header (1 byte: payload type), then the blocks, the
//! redundant ones first and the primary (this packet's own audio) last. A classroom that loses a
//! packet on its link finds that audio again in the next one, instead of concealing it.
//!
//! The relay forwards RED as it is to a Subscriber that negotiated it, its blocks' payload type
//! written as that Subscriber's Opus; to one that did not, it forwards the primary block alone,
//! as plain Opus ([`primary`]).

use bytes::BytesMut;
use rtc::rtp;
use std::ops::Range;
use thiserror::Error;

/// Inside the relay (between a Publisher's connection and its Subscribers'), an audio packet
/// carries Opus as payload type 111, or RED of Opus as 63 with its blocks typed 111, whatever
/// its Publisher negotiated; each Subscriber's connection writes its own.
pub const OPUS_PT: u8 = 111;
pub const RED_PT: u8 = 63;

/// Blocks in one RED payload at most (Chrome sends two: one copy and the primary).
pub const MAX_BLOCKS: usize = 8;

/// Why a RED payload is refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RedError {
    #[error("empty RED payload")]
    Empty,
    #[error("RED header cut short")]
    Truncated,
    #[error("RED payload with more than {MAX_BLOCKS} blocks")]
    TooManyBlocks,
    #[error("RED blocks ({blocks} bytes) longer than the payload ({payload} bytes)")]
    BlocksTooLong { blocks: usize, payload: usize },
}

/// One block of a RED payload: its payload type and where its data is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub payload_type: u8,
    pub data: Range<usize>,
}

/// The parsed layout of a RED payload: the offsets of its headers' payload-type bytes and its
/// blocks, the primary last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Offsets of each header's payload-type byte (its low 7 bits), in block order.
    pub type_bytes: Vec<usize>,
    pub blocks: Vec<Block>,
}

impl Layout {
    /// The primary block (this packet's own audio).
    pub fn primary(&self) -> &Block {
        // `parse` never returns a layout without blocks: the last header is the primary's.
        &self.blocks[self.blocks.len() - 1]
    }
}

/// Parses a RED payload's headers and checks that its blocks fit in it.
pub fn parse(payload: &[u8]) -> Result<Layout, RedError> {
    if payload.is_empty() {
        return Err(RedError::Empty);
    }
    let mut type_bytes = Vec::new();
    let mut lengths = Vec::new();
    let mut at = 0;
    loop {
        let first = *payload.get(at).ok_or(RedError::Truncated)?;
        if type_bytes.len() == MAX_BLOCKS {
            return Err(RedError::TooManyBlocks);
        }
        type_bytes.push(at);
        if first & 0x80 == 0 {
            // The last header: the primary, whose length is what is left.
            at += 1;
            break;
        }
        let header = payload.get(at..at + 4).ok_or(RedError::Truncated)?;
        lengths.push((usize::from(header[2] & 0x03) << 8) | usize::from(header[3]));
        at += 4;
    }
    let redundant: usize = lengths.iter().sum();
    let blocks_len = payload.len() - at;
    if redundant > blocks_len {
        return Err(RedError::BlocksTooLong {
            blocks: redundant,
            payload: blocks_len,
        });
    }
    let mut blocks = Vec::with_capacity(type_bytes.len());
    let mut start = at;
    for (i, offset) in type_bytes.iter().enumerate() {
        let len = lengths.get(i).copied().unwrap_or(payload.len() - start);
        blocks.push(Block {
            payload_type: payload[*offset] & 0x7F,
            data: start..start + len,
        });
        start += len;
    }
    Ok(Layout { type_bytes, blocks })
}

/// The primary block of a RED payload: the Opus packet to forward to a Subscriber without RED.
pub fn primary(payload: &[u8]) -> Result<&[u8], RedError> {
    let layout = parse(payload)?;
    Ok(&payload[layout.primary().data.clone()])
}

/// Writes `payload_type` as every block's payload type (the Subscriber's Opus), keeping each
/// header's F bit.
pub fn set_block_types(payload: &mut [u8], layout: &Layout, payload_type: u8) {
    for offset in &layout.type_bytes {
        if let Some(b) = payload.get_mut(*offset) {
            *b = (*b & 0x80) | (payload_type & 0x7F);
        }
    }
}

/// A Publisher's audio packet as the relay carries it: RED (the Publisher's `red_pt`, when it
/// negotiated one) becomes [`RED_PT`] with [`OPUS_PT`] blocks; anything else is Opus, [`OPUS_PT`].
/// A RED payload that does not parse is refused.
pub fn inbound(packet: &mut rtp::Packet, red_pt: Option<u8>) -> Result<(), RedError> {
    if red_pt != Some(packet.header.payload_type) {
        packet.header.payload_type = OPUS_PT;
        return Ok(());
    }
    let layout = parse(&packet.payload)?;
    retype_blocks(packet, &layout, OPUS_PT);
    packet.header.payload_type = RED_PT;
    Ok(())
}

/// An audio packet the relay carries ([`inbound`]), for a Subscriber whose connection negotiated
/// Opus as `opus_pt` and RED as `red_pt` (if it did): RED as it is, or else its primary block
/// alone, as plain Opus.
pub fn outbound(packet: &mut rtp::Packet, opus_pt: u8, red_pt: Option<u8>) -> Result<(), RedError> {
    if packet.header.payload_type != RED_PT {
        packet.header.payload_type = opus_pt;
        return Ok(());
    }
    let layout = parse(&packet.payload)?;
    match red_pt {
        Some(red) => {
            retype_blocks(packet, &layout, opus_pt);
            packet.header.payload_type = red;
        }
        None => {
            packet.payload = packet.payload.slice(layout.primary().data.clone());
            packet.header.payload_type = opus_pt;
        }
    }
    Ok(())
}

/// The RED payload type to send a Subscriber that negotiated `red_pt`: none over TCP (ICE-TCP,
/// TURN over TCP or TLS), where a lost segment is sent again and no packet is lost on the way, so
/// the copy of the packet before would only add weight to what is often the slowest link; and
/// none while the link is `congested` (a queue stands on it): there the packets lost are the
/// ones the queue overflows with, and the copies, some 45 kbit/s, are part of the overflow (on
/// P6's 300 kbit/s the low layer and RED's 95 kbit/s of sound filled the link, and a third of
/// what it took was lost for seconds after the switch down). Plain Opus keeps its in-band FEC.
pub fn for_link(red_pt: Option<u8>, over_tcp: bool, congested: bool) -> Option<u8> {
    red_pt.filter(|_| !over_tcp && !congested)
}

/// Types every block of `packet`'s RED payload `payload_type` (copying the payload only if one
/// differs).
fn retype_blocks(packet: &mut rtp::Packet, layout: &Layout, payload_type: u8) {
    if layout.blocks.iter().all(|b| b.payload_type == payload_type) {
        return;
    }
    let mut payload = BytesMut::from(&packet.payload[..]);
    set_block_types(&mut payload, layout, payload_type);
    packet.payload = payload.freeze();
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A RED payload as Chrome sends it: one redundant block (the packet before, 960 samples
    /// earlier) and the primary, both Opus (111).
    fn chrome_red(redundant: &[u8], primary: &[u8]) -> Vec<u8> {
        let offset: u16 = 960;
        let len = redundant.len() as u16;
        let mut p = vec![
            0x80 | 111,
            (offset >> 6) as u8,
            (((offset & 0x3F) << 2) as u8) | ((len >> 8) as u8 & 0x03),
            (len & 0xFF) as u8,
            111,
        ];
        p.extend_from_slice(redundant);
        p.extend_from_slice(primary);
        p
    }

    #[test]
    fn the_primary_is_the_last_block() {
        let p = chrome_red(b"older audio", b"this packet's audio");
        assert_eq!(primary(&p), Ok(&b"this packet's audio"[..]));
        let layout = parse(&p).expect("parses");
        assert_eq!(layout.blocks.len(), 2);
        assert_eq!(&p[layout.blocks[0].data.clone()], b"older audio");
        assert!(layout.blocks.iter().all(|b| b.payload_type == 111));
    }

    #[test]
    fn a_payload_of_the_primary_alone_is_it() {
        // The first packet of a stream has no packet before it.
        let p = [111, 1, 2, 3];
        assert_eq!(primary(&p), Ok(&[1u8, 2, 3][..]));
        // An empty primary (DTX) is allowed.
        assert_eq!(primary(&[111]), Ok(&[][..]));
    }

    #[test]
    fn block_types_become_the_subscriber_s_opus() {
        let mut p = chrome_red(b"old", b"new");
        let layout = parse(&p).expect("parses");
        set_block_types(&mut p, &layout, 109);
        let again = parse(&p).expect("still parses");
        assert!(again.blocks.iter().all(|b| b.payload_type == 109));
        assert_eq!(p[0] & 0x80, 0x80, "the F bit is kept");
        assert_eq!(primary(&p), Ok(&b"new"[..]));
    }

    #[test]
    fn malformed_payloads_are_refused() {
        assert_eq!(parse(&[]), Err(RedError::Empty));
        // A header that says more follows, cut short.
        assert_eq!(parse(&[0x80 | 111, 0, 0]), Err(RedError::Truncated));
        assert_eq!(parse(&[0x80 | 111, 0, 0, 5]), Err(RedError::Truncated));
        // A redundant block longer than the payload.
        assert_eq!(
            parse(&[0x80 | 111, 0, 0, 200, 111, 1, 2]),
            Err(RedError::BlocksTooLong {
                blocks: 200,
                payload: 2
            })
        );
        // More headers than blocks allowed.
        let many: Vec<u8> = (0..MAX_BLOCKS)
            .flat_map(|_| [0x80 | 111, 0, 0, 0])
            .collect();
        let mut too_many = many.clone();
        too_many.push(111);
        assert_eq!(parse(&too_many), Err(RedError::TooManyBlocks));
    }

    fn audio(pt: u8, payload: Vec<u8>) -> rtp::Packet {
        rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                payload_type: pt,
                sequence_number: 7,
                ssrc: 1,
                ..Default::default()
            },
            payload: payload.into(),
        }
    }

    #[test]
    fn a_publisher_s_red_is_carried_as_red_of_opus_and_its_opus_as_opus() {
        // Firefox's numbers: Opus 109, RED 63 with 109 blocks.
        let mut red = chrome_red(b"old", b"new");
        red[0] = 0x80 | 109;
        red[4] = 109;
        let mut p = audio(63, red);
        inbound(&mut p, Some(63)).expect("RED");
        assert_eq!(p.header.payload_type, RED_PT);
        assert!(parse(&p.payload)
            .expect("parses")
            .blocks
            .iter()
            .all(|b| b.payload_type == OPUS_PT));
        let mut plain = audio(109, b"opus".to_vec());
        inbound(&mut plain, Some(63)).expect("Opus");
        assert_eq!(
            (plain.header.payload_type, &plain.payload[..]),
            (OPUS_PT, &b"opus"[..])
        );
        // Without RED negotiated, 63 is nothing special.
        let mut other = audio(63, b"x".to_vec());
        inbound(&mut other, None).expect("Opus");
        assert_eq!(other.header.payload_type, OPUS_PT);
        // A broken RED payload is refused.
        assert_eq!(
            inbound(&mut audio(63, vec![0x80 | 111, 0]), Some(63)),
            Err(RedError::Truncated)
        );
    }

    #[test]
    fn a_subscriber_gets_red_if_it_negotiated_it_and_the_primary_otherwise() {
        let carried = audio(RED_PT, chrome_red(b"old", b"new"));
        let mut with_red = carried.clone();
        outbound(&mut with_red, 109, Some(62)).expect("RED");
        assert_eq!(with_red.header.payload_type, 62);
        let layout = parse(&with_red.payload).expect("parses");
        assert!(layout.blocks.iter().all(|b| b.payload_type == 109));
        assert_eq!(&with_red.payload[layout.primary().data.clone()], b"new");
        let mut without = carried.clone();
        outbound(&mut without, 111, None).expect("Opus");
        assert_eq!(
            (without.header.payload_type, &without.payload[..]),
            (111, &b"new"[..])
        );
        let mut opus = audio(OPUS_PT, b"opus".to_vec());
        outbound(&mut opus, 109, Some(62)).expect("Opus");
        assert_eq!(
            (opus.header.payload_type, &opus.payload[..]),
            (109, &b"opus"[..])
        );
    }

    #[test]
    fn over_tcp_or_a_congested_link_a_subscriber_that_negotiated_red_gets_plain_opus() {
        let carried = audio(RED_PT, chrome_red(b"old", b"new"));
        let mut over_udp = carried.clone();
        outbound(&mut over_udp, 109, for_link(Some(62), false, false)).expect("RED");
        assert_eq!(over_udp.header.payload_type, 62);
        for (over_tcp, congested) in [(true, false), (false, true), (true, true)] {
            let mut plain = carried.clone();
            let red = for_link(Some(62), over_tcp, congested);
            outbound(&mut plain, 109, red).expect("Opus");
            assert_eq!(
                (plain.header.payload_type, &plain.payload[..]),
                (109, &b"new"[..]),
                "over TCP {over_tcp}, congested {congested}"
            );
        }
        assert_eq!(for_link(None, false, false), None);
    }

    proptest! {
        /// Any bytes: a clear answer, never a panic; a layout's blocks lie inside the payload,
        /// in order, and cover it to its end.
        #[test]
        fn any_bytes_parse_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(layout) = parse(&bytes) {
                let mut end = None;
                for b in &layout.blocks {
                    prop_assert!(b.data.start <= b.data.end && b.data.end <= bytes.len());
                    if let Some(e) = end {
                        prop_assert_eq!(b.data.start, e);
                    }
                    end = Some(b.data.end);
                }
                prop_assert_eq!(end, Some(bytes.len()));
            }
        }

        /// What Chrome sends parses back to the blocks it was made of.
        #[test]
        fn red_payloads_round_trip(
            old in proptest::collection::vec(any::<u8>(), 0..1024),
            new in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let p = chrome_red(&old, &new);
            prop_assert_eq!(primary(&p), Ok(&new[..]));
        }
    }
}
