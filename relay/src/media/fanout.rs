//! One published Track's fan-out: the packet from the Publisher, rewritten for each Subscriber
//! (its SSRC and payload type; header extensions dropped, since their ids were negotiated on the
//! Publisher's connection), offered to that Subscriber's bounded queue without waiting. A full
//! queue drops the packet for that Subscriber only: a slow classroom never slows the others or
//! grows memory.
//!
//! In the relay the queue is the Subscriber connection's own: webrtc-rs's channel into its
//! connection driver (256 events), offered to by polling `write_rtp` once (no extra task or
//! queue per Subscriber). Tests use a plain bounded channel.

use futures_util::FutureExt;
use rtc::rtp;
use shared::ids::MediaId;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::mpsc;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;

/// A Subscriber's bounded queue.
pub trait Outlet: Send + Sync {
    /// Takes `packet` if there is room now; never waits.
    fn offer(&self, packet: rtp::Packet) -> bool;
}

impl Outlet for mpsc::Sender<rtp::Packet> {
    fn offer(&self, packet: rtp::Packet) -> bool {
        self.try_send(packet).is_ok()
    }
}

impl Outlet for TrackLocalStaticRTP {
    fn offer(&self, packet: rtp::Packet) -> bool {
        // One poll: the connection's channel has room (Ready) or not (Pending: dropped, which
        // is cancel-safe for the channel). An unbound track (not yet connected) is an error.
        matches!(self.write_rtp(packet).now_or_never(), Some(Ok(())))
    }
}

/// Where one Subscriber's copy goes.
#[derive(Clone)]
pub struct Sink {
    /// The Subscription it belongs to.
    pub media: MediaId,
    pub ssrc: u32,
    pub payload_type: u8,
    pub outlet: Arc<dyn Outlet>,
}

#[derive(Default)]
pub struct Fanout {
    /// Copy-on-write, so forwarding holds the lock only to clone an `Arc`.
    sinks: Mutex<Arc<Vec<Sink>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Fanout {
    pub fn add(&self, sink: Sink) {
        let mut sinks = lock(&self.sinks);
        let mut next = Vec::with_capacity(sinks.len() + 1);
        next.extend(sinks.iter().cloned());
        next.push(sink);
        *sinks = Arc::new(next);
    }

    /// Removes the sinks of Subscription `media`; their queues close.
    pub fn remove(&self, media: MediaId) {
        let mut sinks = lock(&self.sinks);
        let next: Vec<Sink> = sinks.iter().filter(|s| s.media != media).cloned().collect();
        *sinks = Arc::new(next);
    }

    /// Sends `packet` to every Subscriber, rewritten for each.
    pub fn forward(&self, mut packet: rtp::Packet) {
        packet.header.extension = false;
        packet.header.extension_profile = 0;
        packet.header.extensions.clear();
        // The parsed padding belongs to the extensions just dropped: left in place, the
        // transport-wide number the Subscriber's connection adds is written with the wrong
        // length and the browser can not read the packet.
        packet.header.extensions_padding = 0;
        let sinks = Arc::clone(&lock(&self.sinks));
        for sink in sinks.iter() {
            let mut copy = packet.clone();
            copy.header.ssrc = sink.ssrc;
            copy.header.payload_type = sink.payload_type;
            // A full queue drops the copy for that Subscriber only.
            let _ = sink.outlet.offer(copy);
        }
    }
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

    fn sink(
        media: MediaId,
        ssrc: u32,
        pt: u8,
        capacity: usize,
    ) -> (Sink, mpsc::Receiver<rtp::Packet>) {
        let (tx, rx) = mpsc::channel(capacity);
        (
            Sink {
                media,
                ssrc,
                payload_type: pt,
                outlet: Arc::new(tx),
            },
            rx,
        )
    }

    #[test]
    fn each_subscriber_gets_its_own_ssrc_and_payload_type_without_extensions() {
        let fanout = Fanout::default();
        let (a, mut ra) = sink(MediaId(1), 111, 100, 8);
        let (b, mut rb) = sink(MediaId(2), 222, 120, 8);
        fanout.add(a);
        fanout.add(b);
        fanout.forward(packet(7));
        let (pa, pb) = (ra.try_recv().unwrap(), rb.try_recv().unwrap());
        assert_eq!((pa.header.ssrc, pa.header.payload_type), (111, 100));
        assert_eq!((pb.header.ssrc, pb.header.payload_type), (222, 120));
        for p in [&pa, &pb] {
            assert_eq!(p.header.sequence_number, 7);
            assert!(!p.header.extension && p.header.extensions.is_empty());
            assert_eq!(p.payload, packet(7).payload);
        }
        fanout.remove(MediaId(1));
        fanout.forward(packet(8));
        assert!(
            ra.try_recv().is_err(),
            "a removed subscriber gets nothing more"
        );
        assert_eq!(rb.try_recv().unwrap().header.sequence_number, 8);
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
        let fanout = Fanout::default();
        let (a, mut ra) = sink(MediaId(1), 111, 100, 8);
        fanout.add(a);
        fanout.forward(parsed);
        let mut out = ra.try_recv().expect("forwarded");
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

    #[test]
    fn a_stuck_subscriber_loses_its_own_packets_and_holds_a_bounded_queue() {
        let fanout = Fanout::default();
        let (stuck, mut stuck_rx) = sink(MediaId(1), 1, 96, 16);
        let (fine, mut fine_rx) = sink(MediaId(2), 2, 96, 16);
        fanout.add(stuck);
        fanout.add(fine);
        let mut got = Vec::new();
        for seq in 0..10_000u16 {
            fanout.forward(packet(seq));
            while let Ok(p) = fine_rx.try_recv() {
                got.push(p.header.sequence_number);
            }
        }
        assert_eq!(
            got,
            (0..10_000).collect::<Vec<u16>>(),
            "the drained subscriber got everything, in order"
        );
        let mut queued = 0;
        while stuck_rx.try_recv().is_ok() {
            queued += 1;
        }
        assert_eq!(
            queued, 16,
            "the stuck subscriber's queue stays at its bound"
        );
    }
}
