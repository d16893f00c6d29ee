//! What a Publisher's packet becomes before it is copied to its Subscribers (no IO): its header
//! extensions are dropped, since their ids were negotiated on the Publisher's connection, not the
//! Subscriber's. Each Subscriber's connection then writes its own SSRC and payload type and adds
//! its own transport-wide sequence number (`driver::routes` decides who gets a copy).

use rtc::rtp;

/// `packet` without the Publisher's header extensions.
pub fn for_subscribers(mut packet: rtp::Packet) -> rtp::Packet {
    packet.header.extension = false;
    packet.header.extension_profile = 0;
    packet.header.extensions.clear();
    // The parsed padding belongs to the extensions just dropped: left in place, the
    // transport-wide number the Subscriber's connection adds is written with the wrong
    // length and the browser can not read the packet.
    packet.header.extensions_padding = 0;
    packet
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use rtc::rtp::header::Extension;

    fn packet(seq: u16) -> rtp::Packet {
        rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                payload_type: 96,
                sequence_number: seq,
                ssrc: 0xAAAA,
                extension: true,
                extension_profile: 0xBEDE,
                extensions: vec![Extension {
                    id: 3,
                    payload: Bytes::from_static(&[1, 2]),
                }],
                ..Default::default()
            },
            payload: Bytes::from_static(&[0x10, 1, 2, 3]),
        }
    }

    #[test]
    fn extensions_go_and_the_rest_stays() {
        let p = for_subscribers(packet(7));
        assert!(!p.header.extension && p.header.extensions.is_empty());
        assert_eq!(p.header.sequence_number, 7);
        assert_eq!((p.header.ssrc, p.header.payload_type), (0xAAAA, 96));
        assert_eq!(p.payload, packet(7).payload);
    }

    #[test]
    fn an_extension_added_after_forwarding_is_written_with_the_right_length() {
        use rtc::shared::marshal::{Marshal, Unmarshal};
        // What a Publisher's browser sent: one 2-byte extension (id 5) in one 32-bit word, so
        // one byte of padding, then a 4-byte payload.
        let wire: &[u8] = &[
            0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0xAA, 0xAA, // header, X bit set
            0xBE, 0xDE, 0, 1, // one-byte extensions, one word
            0x51, 7, 8, 0, // id 5, 2 bytes, padding
            0x10, 1, 2, 3,
        ];
        let parsed = rtp::Packet::unmarshal(&mut &wire[..]).expect("parse");
        assert_ne!(parsed.header.extensions_padding, 0);
        let mut out = for_subscribers(parsed);
        // What the Subscriber's connection does: its transport-wide sequence number (2 bytes).
        out.header
            .set_extension(3, Bytes::from_static(&[0, 9]))
            .expect("set");
        let wire = out.marshal().expect("marshal");
        let back = rtp::Packet::unmarshal(&mut &wire[..]).expect("the browser can read it");
        assert_eq!(
            back.header.get_extension(3),
            Some(Bytes::from_static(&[0, 9]))
        );
        assert_eq!(back.payload, packet(1).payload);
    }
}
