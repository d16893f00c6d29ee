//! Bounded retransmissions: the relay's answer to a Subscriber's NACKs.
//!
//! `rtc-interceptor`'s own NACK responder resends every packet a NACK names, every time it is
//! named. A browser on a slow, lossy link names the same packets again and again (each NACK is
//! repeated until the packet arrives or the browser gives up), so on a link smaller than the
//! stream the responder multiplied the traffic to that classroom: each video packet went out 14.6
//! times on average and the classroom's link collapsed. This responder takes its slot
//! ([`rtc::interceptor::Slot::NackResponder`]) and resends a packet only
//!
//! - if it was sent fewer than [`RetransmitLimits::max_sends`] times in all (the first send
//!   included),
//! - if its last send was at least one round trip ago (a NACK sent before the last copy could have
//!   arrived names a packet that is already on its way),
//! - and while it is younger than [`RetransmitLimits::max_age`], or three of the link's shortest
//!   round trips on a long link, at most [`RetransmitLimits::max_age_long`] (older, the browser
//!   would no longer decode it in time; on a 600 ms round trip a second repair comes 1.2 s
//!   after the send, and without it a lost copy costs a key frame).
//!
//! On a lossy stream (its receiver reports say [`RetransmitLimits::twice_from_loss`] or more of
//! its packets were lost) whose round trip is near its shortest (no queue stands, so the loss is
//! the link's own, not the relay's overshoot) each resend goes out twice: a copy lost on such a
//! link would cost a round trip more, and on a long link that is a frozen picture; the second
//! copy costs the loss rate again (5% more video at 5% loss). Neither rule uses the round trip a
//! queue adds: both would add to the traffic that made the queue.
//!
//! The round trip is measured per stream from the Subscriber's receiver reports (the time since
//! the relay sent the sender report they name, less the delay they report). Retransmissions are
//! tagged [`Attribute::Retransmission`] and go down the chain like any packet, so the pacer
//! ([`super::pacing`]) counts them against the connection's budget.

use rtc::interceptor::{
    Attribute, AttributedPacket, Interceptor, Packet, StreamInfo, TaggedPacket,
};
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::reception_report::ReceptionReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
use rtc::rtp;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use rtc::shared::TransportContext;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How far the relay goes to repair a Subscriber's losses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetransmitLimits {
    /// Sends of one packet in all, the first one included.
    pub max_sends: u8,
    /// A packet older than this is not resent...
    pub max_age: Duration,
    /// ...unless three of the link's shortest round trips are longer, up to this.
    pub max_age_long: Duration,
    /// The round trip assumed until a receiver report measures one.
    pub initial_rtt: Duration,
    /// Resends are never closer together than this, whatever the round trip.
    pub min_interval: Duration,
    /// Packets kept per stream (a power of two).
    pub history: usize,
    /// The fraction lost (of 256, as receiver reports give it) from which resends go out twice.
    pub twice_from_loss: u8,
}

impl Default for RetransmitLimits {
    fn default() -> Self {
        RetransmitLimits {
            max_sends: 3,
            max_age: Duration::from_millis(1000),
            max_age_long: Duration::from_millis(2000),
            initial_rtt: Duration::from_millis(200),
            min_interval: Duration::from_millis(20),
            history: 1024,
            // 3%.
            twice_from_loss: 8,
        }
    }
}

/// What the responder did, for the relay's logs and the tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetransmitCounts {
    /// Packets resent (a resend that went out twice counts once).
    pub resent: u64,
    /// Of those, resent twice (a lossy stream's).
    pub resent_twice: u64,
    /// Requests refused: the packet was sent `max_sends` times already.
    pub refused_sends: u64,
    /// Requests refused: the last copy was sent less than a round trip ago.
    pub refused_rtt: u64,
    /// Requests refused: the packet is too old, or no longer (or never) kept.
    pub refused_age: u64,
}

struct Sent {
    packet: rtp::Packet,
    first: Instant,
    last: Instant,
    sends: u8,
}

/// One local stream's sent packets, by sequence number.
struct History {
    slots: Vec<Option<Sent>>,
    rtt: Option<Duration>,
    /// The shortest round trip measured (the link's own, without a queue).
    min_rtt: Option<Duration>,
    /// The fraction lost (of 256) the latest receiver report gave.
    fraction_lost: u8,
}

impl History {
    fn new(size: usize) -> History {
        History {
            slots: (0..size).map(|_| None).collect(),
            rtt: None,
            min_rtt: None,
            fraction_lost: 0,
        }
    }

    fn slot(&mut self, seq: u16) -> &mut Option<Sent> {
        let i = usize::from(seq) % self.slots.len();
        &mut self.slots[i]
    }
}

/// Sender reports the relay sent, to time the receiver reports that answer them.
#[derive(Default)]
struct SentReports {
    /// (middle 32 bits of the report's NTP time, when it left), newest last.
    sent: VecDeque<(u32, Instant)>,
}

impl SentReports {
    const KEPT: usize = 32;

    fn record(&mut self, ntp: u64, now: Instant) {
        if self.sent.len() == Self::KEPT {
            self.sent.pop_front();
        }
        self.sent.push_back(((ntp >> 16) as u32, now));
    }

    /// The round trip a reception report reveals, if it names a report the relay sent.
    fn rtt(&self, report: &ReceptionReport, now: Instant) -> Option<Duration> {
        if report.last_sender_report == 0 {
            return None;
        }
        let (_, sent) = self
            .sent
            .iter()
            .find(|(middle, _)| *middle == report.last_sender_report)?;
        let held = Duration::from_secs_f64(f64::from(report.delay) / 65536.0);
        now.saturating_duration_since(*sent).checked_sub(held)
    }
}

/// The bounded NACK responder (see the module's documentation).
pub struct BoundedNackResponder {
    limits: RetransmitLimits,
    streams: HashMap<u32, History>,
    reports: SentReports,
    counts: RetransmitCounts,
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

impl BoundedNackResponder {
    pub fn new(limits: RetransmitLimits) -> BoundedNackResponder {
        let history = limits.history.clamp(1, 32768).next_power_of_two();
        BoundedNackResponder {
            limits: RetransmitLimits { history, ..limits },
            streams: HashMap::new(),
            reports: SentReports::default(),
            counts: RetransmitCounts::default(),
            read: VecDeque::new(),
            write: VecDeque::new(),
        }
    }

    pub fn counts(&self) -> RetransmitCounts {
        self.counts
    }

    /// The round trip measured on `ssrc`, if any.
    pub fn rtt(&self, ssrc: u32) -> Option<Duration> {
        self.streams.get(&ssrc).and_then(|h| h.rtt)
    }

    fn on_nack(&mut self, now: Instant, nack: &TransportLayerNack) {
        let limits = self.limits;
        let Some(history) = self.streams.get_mut(&nack.media_ssrc) else {
            return;
        };
        let rtt = history.rtt.unwrap_or(limits.initial_rtt);
        let gap = rtt.max(limits.min_interval);
        let shortest = history.min_rtt.unwrap_or(limits.initial_rtt);
        let max_age = limits.max_age.max((shortest * 3).min(limits.max_age_long));
        // No standing queue: the smoothed round trip within 100 ms or a quarter of the shortest.
        let no_queue = rtt <= shortest + (shortest / 4).max(Duration::from_millis(100));
        let copies = if no_queue && history.fraction_lost >= limits.twice_from_loss {
            2
        } else {
            1
        };
        let wanted = nack.nacks.iter().flat_map(|pair| {
            std::iter::once(pair.packet_id).chain(
                (0..16u16)
                    .filter(move |i| pair.lost_packets & (1 << i) != 0)
                    .map(move |i| pair.packet_id.wrapping_add(i + 1)),
            )
        });
        for seq in wanted {
            let slot = history.slot(seq);
            let Some(sent) = slot
                .as_mut()
                .filter(|s| s.packet.header.sequence_number == seq)
            else {
                self.counts.refused_age += 1;
                continue;
            };
            if now.saturating_duration_since(sent.first) > max_age {
                self.counts.refused_age += 1;
            } else if sent.sends >= limits.max_sends {
                self.counts.refused_sends += 1;
            } else if now.saturating_duration_since(sent.last) < gap {
                self.counts.refused_rtt += 1;
            } else {
                sent.sends += 1;
                sent.last = now;
                self.counts.resent += 1;
                if copies == 2 {
                    self.counts.resent_twice += 1;
                }
                for _ in 0..copies {
                    self.write.push_back(TaggedPacket {
                        now,
                        transport: TransportContext::default(),
                        message: AttributedPacket::new(Packet::Rtp(sent.packet.clone()))
                            .with(Attribute::Retransmission),
                    });
                }
            }
        }
        tracing::trace!(
            ssrc = nack.media_ssrc,
            rtt_ms = rtt.as_millis() as u64,
            shortest_ms = shortest.as_millis() as u64,
            fraction_lost = history.fraction_lost,
            copies,
            counts = ?self.counts,
            "NACK answered"
        );
    }

    fn on_receiver_reports(&mut self, now: Instant, reports: &[ReceptionReport]) {
        for report in reports {
            if let Some(history) = self.streams.get_mut(&report.ssrc) {
                history.fraction_lost = report.fraction_lost;
            }
            let Some(rtt) = self.reports.rtt(report, now) else {
                continue;
            };
            if let Some(history) = self.streams.get_mut(&report.ssrc) {
                // Smoothed like TCP's SRTT, so one late report does not swing it.
                history.rtt = Some(match history.rtt {
                    Some(old) => (old * 7 + rtt) / 8,
                    None => rtt,
                });
                history.min_rtt = Some(history.min_rtt.map_or(rtt, |m| m.min(rtt)));
            }
        }
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for BoundedNackResponder {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        if let Packet::Rtcp(packets) = &msg.message.packet {
            for p in packets {
                let any = p.as_any();
                if let Some(nack) = any.downcast_ref::<TransportLayerNack>() {
                    self.on_nack(msg.now, nack);
                } else if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
                    self.on_receiver_reports(msg.now, &rr.reports);
                } else if let Some(sr) = any.downcast_ref::<SenderReport>() {
                    self.on_receiver_reports(msg.now, &sr.reports);
                }
            }
        }
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        match &msg.message.packet {
            Packet::Rtp(packet) => {
                let retransmission = msg.message.get(&Attribute::Retransmission).is_some();
                if let (false, Some(history)) =
                    (retransmission, self.streams.get_mut(&packet.header.ssrc))
                {
                    *history.slot(packet.header.sequence_number) = Some(Sent {
                        packet: packet.clone(),
                        first: msg.now,
                        last: msg.now,
                        sends: 1,
                    });
                }
            }
            Packet::Rtcp(packets) => {
                for p in packets {
                    if let Some(sr) = p.as_any().downcast_ref::<SenderReport>() {
                        self.reports.record(sr.ntp_time, msg.now);
                    }
                }
            }
            _ => {}
        }
        self.write.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.write.pop_front()
    }
}

fn supports_nack(info: &StreamInfo) -> bool {
    info.rtcp_feedback
        .iter()
        .any(|fb| fb.typ == "nack" && fb.parameter.is_empty())
}

impl Interceptor for BoundedNackResponder {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        if supports_nack(info) {
            self.streams
                .insert(info.ssrc, History::new(self.limits.history));
        }
    }

    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.streams.remove(&info.ssrc);
    }

    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}

    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::interceptor::RTCPFeedback;
    use rtc::rtcp::transport_feedbacks::transport_layer_nack::NackPair;

    const SSRC: u32 = 0x1234;

    fn responder() -> BoundedNackResponder {
        let mut r = BoundedNackResponder::new(RetransmitLimits::default());
        r.bind_local_stream(&StreamInfo {
            ssrc: SSRC,
            rtcp_feedback: vec![RTCPFeedback {
                typ: "nack".into(),
                parameter: String::new(),
            }],
            ..Default::default()
        });
        r
    }

    fn tagged(now: Instant, packet: Packet) -> TaggedPacket {
        TaggedPacket {
            now,
            transport: TransportContext::default(),
            message: AttributedPacket::new(packet),
        }
    }

    fn rtp(seq: u16) -> Packet {
        Packet::Rtp(rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                ssrc: SSRC,
                sequence_number: seq,
                ..Default::default()
            },
            payload: vec![0u8; 100].into(),
        })
    }

    fn nack(seq: u16, more: u16) -> Packet {
        Packet::Rtcp(vec![Box::new(TransportLayerNack {
            sender_ssrc: 1,
            media_ssrc: SSRC,
            nacks: vec![NackPair {
                packet_id: seq,
                lost_packets: more,
            }],
        })])
    }

    /// Sends `seq` at `at`, drains what went down.
    fn send(r: &mut BoundedNackResponder, at: Instant, seq: u16) {
        r.handle_write(tagged(at, rtp(seq))).expect("write");
        while r.poll_write().is_some() {}
    }

    /// The sequence numbers resent for a NACK at `at`.
    fn ask(r: &mut BoundedNackResponder, at: Instant, seq: u16, more: u16) -> Vec<u16> {
        r.handle_read(tagged(at, nack(seq, more))).expect("read");
        assert!(
            r.poll_read().is_some(),
            "the NACK goes on to the application"
        );
        let mut resent = Vec::new();
        while let Some(p) = r.poll_write() {
            assert!(p.message.get(&Attribute::Retransmission).is_some());
            if let Packet::Rtp(p) = p.message.packet {
                resent.push(p.header.sequence_number);
            }
        }
        resent
    }

    #[test]
    fn a_packet_goes_out_at_most_three_times_and_once_per_round_trip() {
        let mut r = responder();
        let t0 = Instant::now();
        send(&mut r, t0, 7);
        let ms = |n| t0 + Duration::from_millis(n);
        // Too soon after the first send (the assumed round trip is 200 ms).
        assert!(ask(&mut r, ms(50), 7, 0).is_empty());
        assert_eq!(ask(&mut r, ms(210), 7, 0), vec![7]);
        // The browser repeats its NACK before the copy could arrive: nothing more.
        assert!(ask(&mut r, ms(260), 7, 0).is_empty());
        assert!(ask(&mut r, ms(300), 7, 0).is_empty());
        assert_eq!(ask(&mut r, ms(420), 7, 0), vec![7]);
        // Three sends in all: never a fourth.
        assert!(ask(&mut r, ms(700), 7, 0).is_empty());
        assert!(ask(&mut r, ms(900), 7, 0).is_empty());
        let c = r.counts();
        assert_eq!(c.resent, 2);
        assert_eq!(c.refused_sends, 2);
        assert_eq!(c.refused_rtt, 3);
    }

    #[test]
    fn an_old_packet_is_not_resent() {
        let mut r = responder();
        let t0 = Instant::now();
        send(&mut r, t0, 1);
        assert!(ask(&mut r, t0 + Duration::from_millis(1500), 1, 0).is_empty());
        assert_eq!(r.counts().refused_age, 1);
    }

    #[test]
    fn the_bitmap_names_more_packets_and_unknown_ones_are_skipped() {
        let mut r = responder();
        let t0 = Instant::now();
        for seq in 100..110 {
            send(&mut r, t0, seq);
        }
        // 100, and 101 and 103 from the bitmap; 120 was never sent.
        let later = t0 + Duration::from_millis(300);
        assert_eq!(ask(&mut r, later, 100, 0b101), vec![100, 101, 103]);
        assert!(ask(&mut r, later, 120, 0).is_empty());
    }

    #[test]
    fn a_wrapped_slot_holds_the_newer_packet_only() {
        let mut r = responder();
        let t0 = Instant::now();
        send(&mut r, t0, 5);
        send(&mut r, t0, 5 + 1024);
        let later = t0 + Duration::from_millis(300);
        assert!(ask(&mut r, later, 5, 0).is_empty());
        assert_eq!(ask(&mut r, later, 5 + 1024, 0), vec![5 + 1024]);
    }

    #[test]
    fn a_stream_without_nack_and_retransmissions_are_not_kept() {
        let mut r = responder();
        let t0 = Instant::now();
        let mut resend = tagged(t0, rtp(9));
        resend.message.add(Attribute::Retransmission);
        r.handle_write(resend).expect("write");
        while r.poll_write().is_some() {}
        assert!(ask(&mut r, t0 + Duration::from_millis(300), 9, 0).is_empty());
        let mut other = tagged(t0, rtp(1));
        if let Packet::Rtp(p) = &mut other.message.packet {
            p.header.ssrc = 99;
        }
        r.handle_write(other).expect("write");
        assert!(r.poll_write().is_some());
        assert!(!r.streams.contains_key(&99));
    }

    /// Has `r` measure a round trip of `rtt` on [`SSRC`] and a fraction lost of `lost` (of 256),
    /// from a receiver report arriving at `at`.
    fn report(r: &mut BoundedNackResponder, at: Instant, rtt: Duration, lost: u8) {
        report_held(r, at, rtt, Duration::ZERO, lost);
    }

    /// [`report`] from a Subscriber that held the sender report `held` before answering it.
    fn report_held(
        r: &mut BoundedNackResponder,
        at: Instant,
        rtt: Duration,
        held: Duration,
        lost: u8,
    ) {
        // Each sender report its own time, as a real one has.
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ntp: u64 = 0x0001_0000_0000_0000 + (n << 16);
        let sr = Packet::Rtcp(vec![Box::new(SenderReport {
            ssrc: SSRC,
            ntp_time: ntp,
            ..Default::default()
        })]);
        r.handle_write(tagged(at - rtt - held, sr)).expect("write");
        while r.poll_write().is_some() {}
        let rr = Packet::Rtcp(vec![Box::new(ReceiverReport {
            ssrc: 2,
            reports: vec![ReceptionReport {
                ssrc: SSRC,
                last_sender_report: (ntp >> 16) as u32,
                delay: (held.as_secs_f64() * 65536.0) as u32,
                fraction_lost: lost,
                ..Default::default()
            }],
            ..Default::default()
        })]);
        r.handle_read(tagged(at, rr)).expect("read");
        while r.poll_read().is_some() {}
    }

    #[test]
    fn on_a_long_link_a_packet_is_resent_for_three_round_trips() {
        let mut r = responder();
        let t0 = Instant::now();
        report(&mut r, t0, Duration::from_millis(600), 0);
        let ms = |n| t0 + Duration::from_millis(n);
        send(&mut r, ms(1000), 4);
        // The first NACK comes a round trip after the send, the second (its copy was lost)
        // a round trip later: past the 1 s that is enough on a short link.
        assert_eq!(ask(&mut r, ms(1000 + 620), 4, 0), vec![4]);
        assert_eq!(ask(&mut r, ms(1000 + 1240), 4, 0), vec![4]);
        // Past three round trips nothing is resent.
        send(&mut r, ms(1000), 5);
        assert!(ask(&mut r, ms(1000 + 1900), 5, 0).is_empty());
        assert_eq!(r.counts().refused_age, 1);
        // A queue that doubles the round trip does not lengthen it further: the shortest counts.
        report(&mut r, ms(3000), Duration::from_millis(1500), 0);
        send(&mut r, ms(3000), 6);
        assert!(ask(&mut r, ms(3000 + 1900), 6, 0).is_empty());
        // Nor does a link whose own round trip is very long stretch it beyond 2 s.
        let mut far = responder();
        report(&mut far, t0, Duration::from_millis(1000), 0);
        send(&mut far, ms(100), 1);
        assert!(ask(&mut far, ms(100 + 2100), 1, 0).is_empty());
    }

    #[test]
    fn on_a_lossy_stream_each_resend_goes_out_twice() {
        let mut r = responder();
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        // 2% lost: one copy.
        report(&mut r, t0, Duration::from_millis(100), 5);
        send(&mut r, ms(10), 1);
        assert_eq!(ask(&mut r, ms(200), 1, 0), vec![1]);
        // 5% lost: two copies, counted as one resend, and as one of the three sends.
        report(&mut r, ms(300), Duration::from_millis(100), 13);
        send(&mut r, ms(310), 2);
        assert_eq!(ask(&mut r, ms(500), 2, 0), vec![2, 2]);
        assert_eq!(ask(&mut r, ms(700), 2, 0), vec![2, 2]);
        assert!(ask(&mut r, ms(900), 2, 0).is_empty());
        let c = r.counts();
        assert_eq!((c.resent, c.resent_twice, c.refused_sends), (3, 2, 1));
        // 5% lost while a queue stands (the round trip 400 ms over its shortest): the loss is
        // the overshoot's, and a second copy would add to it.
        for k in 0..20 {
            report(&mut r, ms(1000 + k * 10), Duration::from_millis(500), 13);
        }
        send(&mut r, ms(1300), 3);
        assert_eq!(ask(&mut r, ms(1900), 3, 0), vec![3]);
    }

    #[test]
    fn receiver_reports_set_the_round_trip() {
        let mut r = responder();
        let t0 = Instant::now();
        // Sent at t0, answered 400 ms later after holding it 100 ms: 300 ms round trip.
        let ms = Duration::from_millis;
        report_held(&mut r, t0 + ms(400), ms(300), ms(100), 0);
        let rtt = r.rtt(SSRC).expect("measured");
        assert!(
            rtt >= Duration::from_millis(299) && rtt <= Duration::from_millis(301),
            "{rtt:?}"
        );
        // With a 300 ms round trip, a NACK 250 ms after the send is too soon.
        send(&mut r, t0, 3);
        assert!(ask(&mut r, t0 + Duration::from_millis(250), 3, 0).is_empty());
        assert_eq!(ask(&mut r, t0 + Duration::from_millis(310), 3, 0), vec![3]);
    }
}
