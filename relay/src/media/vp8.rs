//! The VP8 RTP payload descriptor (RFC 7741, section 4.2), as far as a forwarder needs it (no
//! IO): whether a packet starts a key frame, and its picture ID and TL0PICIDX, which a
//! Subscriber's stream must see continue when the relay switches it from one simulcast layer
//! to another ([`rewrite`]).
//!
//! ```text
//!  X|R|N|S|R| PID     the first byte
//!  I|L|T|K| RSV       if X
//!  M| PictureID       if I: 7 bits, or 15 if M (a second byte)
//!  TL0PICIDX          if L
//!  TID|Y| KEYIDX      if T or K
//! ```
//!
//! The VP8 payload header follows; in a packet that starts a frame (S set, partition 0) the
//! lowest bit of its first byte is 0 for a key frame.

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum Vp8Error {
    #[error("VP8 payload of {0} bytes ends inside its payload descriptor")]
    Truncated(usize),
}

/// A picture ID as the packet carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PictureId {
    /// 7 bits (M unset).
    Short(u8),
    /// 15 bits (M set).
    Long(u16),
}

impl PictureId {
    /// Its value as a number.
    pub fn value(self) -> u16 {
        match self {
            PictureId::Short(v) => u16::from(v),
            PictureId::Long(v) => v,
        }
    }

    /// How many values it can take (128 or 32,768).
    pub fn modulus(self) -> u16 {
        match self {
            PictureId::Short(_) => 1 << 7,
            PictureId::Long(_) => 1 << 15,
        }
    }
}

/// What the descriptor says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vp8Packet {
    /// The packet starts a frame (S set, partition index 0).
    pub starts_frame: bool,
    /// It starts a key frame.
    pub keyframe: bool,
    pub picture_id: Option<PictureId>,
    pub tl0picidx: Option<u8>,
    /// The temporal layer (TID), if given.
    pub temporal: Option<u8>,
    /// Where the picture ID starts in the payload (for [`rewrite`]).
    picture_id_at: usize,
    /// Where TL0PICIDX is.
    tl0_at: usize,
}

const X: u8 = 0x80;
const S: u8 = 0x10;
const PID: u8 = 0x07;
const I: u8 = 0x80;
const L: u8 = 0x40;
const T: u8 = 0x20;
const K: u8 = 0x10;
const M: u8 = 0x80;

/// Reads a VP8 RTP payload's descriptor.
pub fn parse(payload: &[u8]) -> Result<Vp8Packet, Vp8Error> {
    let truncated = || Vp8Error::Truncated(payload.len());
    let first = *payload.first().ok_or_else(truncated)?;
    let mut at = 1;
    let mut packet = Vp8Packet {
        starts_frame: first & S != 0 && first & PID == 0,
        keyframe: false,
        picture_id: None,
        tl0picidx: None,
        temporal: None,
        picture_id_at: 0,
        tl0_at: 0,
    };
    if first & X != 0 {
        let ext = *payload.get(at).ok_or_else(truncated)?;
        at += 1;
        if ext & I != 0 {
            packet.picture_id_at = at;
            let b = *payload.get(at).ok_or_else(truncated)?;
            if b & M != 0 {
                let low = *payload.get(at + 1).ok_or_else(truncated)?;
                packet.picture_id =
                    Some(PictureId::Long(u16::from(b & 0x7F) << 8 | u16::from(low)));
                at += 2;
            } else {
                packet.picture_id = Some(PictureId::Short(b & 0x7F));
                at += 1;
            }
        }
        if ext & L != 0 {
            packet.tl0_at = at;
            packet.tl0picidx = Some(*payload.get(at).ok_or_else(truncated)?);
            at += 1;
        }
        if ext & (T | K) != 0 {
            let b = *payload.get(at).ok_or_else(truncated)?;
            if ext & T != 0 {
                packet.temporal = Some(b >> 6);
            }
            at += 1;
        }
    }
    if packet.starts_frame {
        // The VP8 payload header's first byte: P (inverse key frame flag) is its lowest bit.
        let header = *payload.get(at).ok_or_else(truncated)?;
        packet.keyframe = header & 0x01 == 0;
    }
    Ok(packet)
}

/// Writes `picture_id` (reduced to the packet's width) and `tl0picidx` into `payload` where
/// `packet` (its [`parse`]) found them; a field the packet does not carry is left out.
pub fn rewrite(payload: &mut [u8], packet: &Vp8Packet, picture_id: u16, tl0picidx: u8) {
    match packet.picture_id {
        Some(PictureId::Long(_)) => {
            if let Some(bytes) = payload.get_mut(packet.picture_id_at..packet.picture_id_at + 2) {
                let v = picture_id & 0x7FFF;
                bytes[0] = M | (v >> 8) as u8;
                bytes[1] = (v & 0xFF) as u8;
            }
        }
        Some(PictureId::Short(_)) => {
            if let Some(b) = payload.get_mut(packet.picture_id_at) {
                *b = (picture_id & 0x7F) as u8;
            }
        }
        None => {}
    }
    if packet.tl0picidx.is_some() {
        if let Some(b) = payload.get_mut(packet.tl0_at) {
            *b = tl0picidx;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What Chromium sends: X, S, I with a 15-bit picture ID, L, T; then the payload header.
    fn chromium(picture_id: u16, tl0: u8, keyframe: bool, start: bool) -> Vec<u8> {
        let first = X | if start { S } else { 0 };
        let header = if keyframe { 0x10 } else { 0x11 };
        vec![
            first,
            I | L | T,
            M | (picture_id >> 8) as u8,
            (picture_id & 0xFF) as u8,
            tl0,
            0x40, // TID 1
            header,
            0xAA,
        ]
    }

    #[test]
    fn a_key_frame_s_first_packet_and_its_fields_are_read() {
        let p = parse(&chromium(0x1234, 7, true, true)).unwrap();
        assert!(p.starts_frame && p.keyframe);
        assert_eq!(p.picture_id, Some(PictureId::Long(0x1234)));
        assert_eq!(p.tl0picidx, Some(7));
        assert_eq!(p.temporal, Some(1));
        let later = parse(&chromium(0x1234, 7, true, false)).unwrap();
        assert!(!later.starts_frame && !later.keyframe, "{later:?}");
        let delta = parse(&chromium(0x1235, 7, false, true)).unwrap();
        assert!(delta.starts_frame && !delta.keyframe);
    }

    #[test]
    fn the_smallest_descriptors_are_read() {
        // No extension: one byte, then a key frame's header.
        let p = parse(&[S, 0x10, 0]).unwrap();
        assert!(p.keyframe && p.picture_id.is_none() && p.tl0picidx.is_none());
        // A 7-bit picture ID.
        let p = parse(&[X | S, I, 0x55, 0x11]).unwrap();
        assert_eq!(p.picture_id, Some(PictureId::Short(0x55)));
        assert!(p.starts_frame && !p.keyframe);
        // A partition other than the first is not a frame's start.
        assert!(!parse(&[S | 1, 0x10]).unwrap().starts_frame);
    }

    #[test]
    fn truncated_descriptors_are_errors() {
        let full = chromium(0x1234, 7, true, true);
        for len in 0..7 {
            assert_eq!(
                parse(&full[..len]),
                Err(Vp8Error::Truncated(len)),
                "{len} bytes"
            );
        }
        // Not a frame's start: the payload header is not needed.
        assert!(parse(&chromium(1, 1, false, false)[..6]).is_ok());
    }

    #[test]
    fn rewriting_keeps_the_width_and_everything_else() {
        let mut long = chromium(0x1234, 7, true, true);
        let p = parse(&long).unwrap();
        rewrite(&mut long, &p, 0x8001, 200);
        let q = parse(&long).unwrap();
        assert_eq!(q.picture_id, Some(PictureId::Long(0x0001)));
        assert_eq!(q.tl0picidx, Some(200));
        assert!(q.keyframe && q.temporal == Some(1));
        assert_eq!(long[6..], chromium(0x1234, 7, true, true)[6..]);

        let mut short = vec![X | S, I, 0x55, 0x11];
        let p = parse(&short).unwrap();
        rewrite(&mut short, &p, 300, 9);
        assert_eq!(short, vec![X | S, I, (300 & 0x7F) as u8, 0x11]);
    }

    proptest! {
        /// Any bytes: an error or a reading, never a panic; rewriting what was read stays in
        /// bounds and reads back.
        #[test]
        fn any_payload_is_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..12), pid in any::<u16>(), tl0 in any::<u8>()) {
            if let Ok(p) = parse(&bytes) {
                let mut copy = bytes.clone();
                rewrite(&mut copy, &p, pid, tl0);
                let q = parse(&copy).expect("still readable");
                if let Some(id) = q.picture_id {
                    prop_assert_eq!(id.value(), pid % id.modulus());
                }
                if p.tl0picidx.is_some() {
                    prop_assert_eq!(q.tl0picidx, Some(tl0));
                }
                prop_assert_eq!(q.keyframe, p.keyframe);
            }
        }
    }
}
