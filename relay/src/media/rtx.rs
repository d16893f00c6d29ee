//! Retransmissions on their own SSRC (RFC 4588), as the relay's pacer sends its link probes
//! (no IO).
//!
//! - [`encapsulate`] makes a packet's RTX form: the retransmission SSRC and payload type, the
//!   next number of the retransmission stream, and the original sequence number before the
//!   original payload.
//! - [`WithRtx`] wraps an interceptor that follows only the streams it was bound to (webrtc-rs's
//!   transport-wide numbering and its send history bind the media SSRC alone), so it follows
//!   each stream's retransmission SSRC as well: a probe packet must carry a transport-wide number
//!   and be in the history, or the Subscriber's feedback on it says nothing.

use bytes::{BufMut, BytesMut};
use rtc::interceptor::{Interceptor, StreamInfo, TaggedPacket};
use rtc::rtp;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use std::time::Instant;

/// `packet` as retransmission number `seq` on SSRC `ssrc` with payload type `pt`.
pub fn encapsulate(packet: &rtp::Packet, ssrc: u32, pt: u8, seq: u16) -> rtp::Packet {
    let mut payload = BytesMut::with_capacity(packet.payload.len() + 2);
    payload.put_u16(packet.header.sequence_number);
    payload.put_slice(&packet.payload);
    let mut header = packet.header.clone();
    header.ssrc = ssrc;
    header.payload_type = pt;
    header.sequence_number = seq;
    // Padding is not carried over: the payload is whole.
    header.padding = false;
    rtp::Packet {
        header,
        payload: payload.freeze(),
    }
}

/// The stream a retransmission SSRC stands for, as the inner interceptor should see it.
fn rtx_stream(info: &StreamInfo) -> Option<StreamInfo> {
    let ssrc = info.ssrc_rtx?;
    let mut rtx = info.clone();
    rtx.ssrc = ssrc;
    rtx.ssrc_rtx = None;
    if let Some(pt) = info.payload_type_rtx {
        rtx.payload_type = pt;
    }
    Some(rtx)
}

/// `inner`, bound to each local stream's retransmission SSRC as well as to the stream.
pub struct WithRtx<I> {
    inner: I,
}

impl<I> WithRtx<I> {
    pub fn new(inner: I) -> WithRtx<I> {
        WithRtx { inner }
    }
}

impl<I: Interceptor> Protocol<TaggedPacket, TaggedPacket, ()> for WithRtx<I> {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        self.inner.handle_read(msg)
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.inner.poll_read()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        self.inner.handle_write(msg)
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.inner.poll_write()
    }

    fn handle_event(&mut self, evt: ()) -> Result<(), Error> {
        self.inner.handle_event(evt)
    }

    fn poll_event(&mut self) -> Option<()> {
        self.inner.poll_event()
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        self.inner.handle_timeout(now)
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        self.inner.poll_timeout()
    }

    fn close(&mut self) -> Result<(), Error> {
        self.inner.close()
    }
}

impl<I: Interceptor> Interceptor for WithRtx<I> {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        self.inner.bind_local_stream(info);
        if let Some(rtx) = rtx_stream(info) {
            self.inner.bind_local_stream(&rtx);
        }
    }

    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.inner.unbind_local_stream(info);
        if let Some(rtx) = rtx_stream(info) {
            self.inner.unbind_local_stream(&rtx);
        }
    }

    fn bind_remote_stream(&mut self, info: &StreamInfo) {
        self.inner.bind_remote_stream(info)
    }

    fn unbind_remote_stream(&mut self, info: &StreamInfo) {
        self.inner.unbind_remote_stream(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use rtc::interceptor::{AttributedPacket, Packet, RTPHeaderExtension, TwccSenderBuilder};
    use rtc::sdp::extmap::TRANSPORT_CC_URI;
    use rtc::shared::TransportContext;

    #[test]
    fn a_retransmission_carries_the_original_number_before_the_payload() {
        let original = rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                payload_type: 96,
                sequence_number: 0xABCD,
                timestamp: 1234,
                ssrc: 5,
                marker: true,
                padding: true,
                ..Default::default()
            },
            payload: Bytes::from_static(&[1, 2, 3]),
        };
        let rtx = encapsulate(&original, 6, 97, 7);
        assert_eq!(rtx.header.ssrc, 6);
        assert_eq!(rtx.header.payload_type, 97);
        assert_eq!(rtx.header.sequence_number, 7);
        assert_eq!(rtx.header.timestamp, 1234);
        assert!(rtx.header.marker);
        assert!(!rtx.header.padding);
        assert_eq!(&rtx.payload[..], &[0xAB, 0xCD, 1, 2, 3]);
    }

    /// A packet of `ssrc` through the wrapped transport-wide numbering: whether it got a number.
    fn numbered(chain: &mut WithRtx<impl Interceptor>, ssrc: u32) -> bool {
        let packet = rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                ssrc,
                ..Default::default()
            },
            payload: Bytes::from_static(&[0; 10]),
        };
        chain
            .handle_write(TaggedPacket {
                now: Instant::now(),
                transport: TransportContext::default(),
                message: AttributedPacket::new(Packet::Rtp(packet)),
            })
            .expect("written");
        let out = chain.poll_write().expect("passed through");
        match out.message.packet {
            Packet::Rtp(p) => p.header.extension,
            _ => false,
        }
    }

    #[test]
    fn the_retransmission_ssrc_is_followed_like_its_stream() {
        let mut chain = WithRtx::new(TwccSenderBuilder::new().build());
        let info = StreamInfo {
            ssrc: 5,
            ssrc_rtx: Some(6),
            payload_type: 96,
            payload_type_rtx: Some(97),
            mime_type: "video/VP8".into(),
            rtp_header_extensions: vec![RTPHeaderExtension {
                id: 3,
                uri: TRANSPORT_CC_URI.into(),
            }],
            ..Default::default()
        };
        chain.bind_local_stream(&info);
        assert!(numbered(&mut chain, 5));
        assert!(numbered(&mut chain, 6));
        assert!(!numbered(&mut chain, 8), "an unbound SSRC gets no number");
        chain.unbind_local_stream(&info);
        assert!(!numbered(&mut chain, 6));
    }
}
