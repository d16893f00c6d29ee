//! The relay's pacer on a Subscriber's connection: what it sends never runs ahead of what the
//! Subscriber's link carries.
//!
//! It takes the pacer's slot ([`rtc::interceptor::Slot::Pacer`]) and paces RTP a little above
//! ([`PACING_FACTOR`]) what [`super::estimator::LinkEstimator`] estimates the link carries, with
//! `rtc-interceptor`'s leaky bucket. Unlike that crate's pacer, whose one FIFO holds up to 4,096
//! packets (many seconds on a rural link), it keeps three queues, released in this order:
//!
//! 1. audio: a lesson is followed by ear first;
//! 2. retransmissions ([`super::retransmit`]): they repair what the Subscriber is waiting for.
//!    A stream with a retransmission SSRC gets them on it (RFC 4588), so the Subscriber's
//!    browser knows them for repairs and leaves them out of its jitter estimate;
//! 3. video;
//! 4. link probes ([`super::probe`]): while the layer choice has ordered one, retransmissions
//!    of the video it sent lately, on the retransmission SSRC, at the order's extra rate.
//!
//! Each queue is bounded in time: a packet that waited longer than
//! [`PacingLimits::max_delay`] is dropped (the Subscriber's NACKs and keyframe requests repair
//! video; late audio is worthless), and all three together hold at most
//! [`PacingLimits::max_packets`]. RTCP is never held.
//!
//! A connection that negotiated no transport-wide feedback (the webrtc-rs and aiortc peers of the
//! tests, some WHEP players) gives the controller nothing to estimate from; there the pacer lets
//! everything through rather than pace at a guess forever.

use super::probe::LinkProbe;
use super::rtx;
use rtc::interceptor::{
    Attribute, AttributedPacket, Interceptor, Pacer, Packet, StreamInfo, TaggedPacket,
};
use rtc::rtp;
use rtc::sansio::Protocol;
use rtc::sdp::extmap::TRANSPORT_CC_URI;
use rtc::shared::error::Error;
use rtc::shared::marshal::MarshalSize;
use rtc::shared::TransportContext;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The latest estimate of what a Subscriber's link carries, shared with the lesson (which caps
/// the Publisher at the smallest of its Subscribers'). Written by the connection's pacer.
#[derive(Clone, Debug, Default)]
pub struct Estimate(Arc<AtomicU64>);

impl Estimate {
    /// Bits per second, once the estimator has estimated anything.
    pub fn get(&self) -> Option<u64> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            bps => Some(bps),
        }
    }

    fn set(&self, bps: f64) {
        self.0.store(bps.max(1.0) as u64, Ordering::Relaxed);
    }
}

/// The pacer's rate over the link's estimate.
pub const PACING_FACTOR: f64 = 1.5;

/// How the relay paces one Subscriber's connection.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PacingLimits {
    /// The rate before the first estimate, bits per second. Above what a lesson's Publisher sends
    /// (about 1 Mbit/s of video and audio), so a good link never loses a packet to a guess; the
    /// first feedback brings it near what is delivered, and a full link's queue below that.
    pub initial_bps: f64,
    /// The estimate never goes below this (audio and a thumbnail's worth of video).
    pub min_bps: f64,
    /// Nor above this.
    pub max_bps: f64,
    /// A packet that waited this long is dropped.
    pub max_delay: Duration,
    /// Packets held at most, all queues together.
    pub max_packets: usize,
}

impl Default for PacingLimits {
    fn default() -> Self {
        PacingLimits {
            initial_bps: 2_500_000.0,
            min_bps: 100_000.0,
            max_bps: 20_000_000.0,
            max_delay: Duration::from_millis(800),
            max_packets: 1024,
        }
    }
}

/// What the pacer did, for the tests and the relay's logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacingCounts {
    pub sent: u64,
    /// Dropped after waiting longer than `max_delay`.
    pub dropped_late: u64,
    /// Refused because `max_packets` were waiting.
    pub dropped_full: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    Audio = 0,
    Resend = 1,
    Video = 2,
    Probe = 3,
}

/// Video packets kept for probes, per connection.
const RECENT: usize = 64;
/// Probe packets waiting at most.
const PROBE_QUEUE: usize = 32;
/// How often probe packets are made while an order lasts.
const PROBE_STEP: Duration = Duration::from_millis(10);

/// What the pacer needs to send probes.
#[derive(Default)]
struct Prober {
    probe: LinkProbe,
    /// A video stream's retransmission SSRC and payload type, by its SSRC.
    rtx: HashMap<u32, (u32, u8)>,
    /// The next number of each retransmission stream.
    rtx_seq: HashMap<u32, u16>,
    /// The video sent lately on a stream with a retransmission SSRC.
    recent: VecDeque<(TransportContext, rtp::Packet)>,
    next: usize,
    owed_bits: f64,
    last: Option<Instant>,
    sent: u64,
}

/// `packet` as the next retransmission of its stream's retransmission SSRC (`rtx`), numbered
/// from `next_seq`; `None` if its stream has none.
fn rtx_copy(
    rtx: &HashMap<u32, (u32, u8)>,
    next_seq: &mut HashMap<u32, u16>,
    packet: &rtp::Packet,
) -> Option<rtp::Packet> {
    let &(ssrc, pt) = rtx.get(&packet.header.ssrc)?;
    let seq = next_seq.entry(ssrc).or_insert_with(rand::random::<u16>);
    *seq = seq.wrapping_add(1);
    Some(rtx::encapsulate(packet, ssrc, pt, *seq))
}

impl Prober {
    /// `packet` as a retransmission on its stream's retransmission SSRC, if it has one.
    fn as_rtx(&mut self, packet: &mut TaggedPacket) {
        let Packet::Rtp(rtp) = &packet.message.packet else {
            return;
        };
        if let Some(copy) = rtx_copy(&self.rtx, &mut self.rtx_seq, rtp) {
            packet.message.packet = Packet::Rtp(copy);
        }
    }

    fn remember(&mut self, packet: &TaggedPacket) {
        if let Packet::Rtp(rtp) = &packet.message.packet {
            if self.rtx.contains_key(&rtp.header.ssrc) {
                if self.recent.len() >= RECENT {
                    self.recent.pop_front();
                }
                self.recent.push_back((packet.transport, rtp.clone()));
            }
        }
    }

    /// Probe packets owed at `now` under the order in force, into `lane`.
    fn fill(&mut self, now: Instant, lane: &mut VecDeque<TaggedPacket>) {
        let Some(order) = self.probe.order_at(now) else {
            self.owed_bits = 0.0;
            self.last = None;
            return;
        };
        let elapsed = self
            .last
            .map_or(Duration::ZERO, |l| now.saturating_duration_since(l))
            .min(PROBE_STEP * 5);
        self.last = Some(now);
        self.owed_bits += order.extra_bps.max(0.0) * elapsed.as_secs_f64();
        while self.owed_bits > 0.0 && lane.len() < PROBE_QUEUE && !self.recent.is_empty() {
            self.next = (self.next + 1) % self.recent.len();
            let Some((transport, packet)) = self.recent.get(self.next) else {
                break;
            };
            let Some(copy) = rtx_copy(&self.rtx, &mut self.rtx_seq, packet) else {
                break;
            };
            self.owed_bits -= (copy.marshal_size() * 8) as f64;
            self.sent += 1;
            lane.push_back(TaggedPacket {
                now,
                transport: *transport,
                message: AttributedPacket::new(Packet::Rtp(copy)),
            });
        }
    }
}

pub struct SubscriberPacer {
    limits: PacingLimits,
    estimate: Estimate,
    bucket: Pacer,
    /// Set once a local stream carries transport-wide sequence numbers.
    estimated: bool,
    audio: HashSet<u32>,
    lanes: [VecDeque<TaggedPacket>; 4],
    prober: Prober,
    /// RTCP, and everything while `estimated` is false.
    through: VecDeque<TaggedPacket>,
    released: VecDeque<TaggedPacket>,
    read: VecDeque<TaggedPacket>,
    counts: PacingCounts,
    /// When the pacer last logged its state (at trace level, once a second).
    logged: Option<Instant>,
}

fn bits(packet: &TaggedPacket) -> f64 {
    match &packet.message.packet {
        Packet::Rtp(rtp) => (rtp.marshal_size() * 8) as f64,
        _ => 0.0,
    }
}

impl SubscriberPacer {
    pub fn new(limits: PacingLimits, estimate: Estimate) -> SubscriberPacer {
        SubscriberPacer::with_probe(limits, estimate, LinkProbe::default())
    }

    /// A pacer that sends the probes ordered on `probe`.
    pub fn with_probe(
        limits: PacingLimits,
        estimate: Estimate,
        probe: LinkProbe,
    ) -> SubscriberPacer {
        SubscriberPacer {
            prober: Prober {
                probe,
                ..Prober::default()
            },
            estimate,
            bucket: Pacer::new(limits.initial_bps),
            limits,
            estimated: false,
            audio: HashSet::new(),
            lanes: Default::default(),
            through: VecDeque::new(),
            released: VecDeque::new(),
            read: VecDeque::new(),
            counts: PacingCounts::default(),
            logged: None,
        }
    }

    pub fn counts(&self) -> PacingCounts {
        self.counts
    }

    /// Probe packets made so far.
    pub fn probes_sent(&self) -> u64 {
        self.prober.sent
    }

    pub fn target_bps(&self) -> f64 {
        self.bucket.target_bitrate()
    }

    fn queued(&self) -> usize {
        self.lanes.iter().map(VecDeque::len).sum()
    }

    fn lane(&self, msg: &TaggedPacket) -> Option<Lane> {
        let Packet::Rtp(rtp) = &msg.message.packet else {
            return None;
        };
        Some(if self.audio.contains(&rtp.header.ssrc) {
            Lane::Audio
        } else if msg.message.get(&Attribute::Retransmission).is_some() {
            Lane::Resend
        } else {
            Lane::Video
        })
    }

    /// Drops what waited too long, then releases what the budget allows, audio first.
    fn release(&mut self, now: Instant) {
        if self
            .logged
            .is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_secs(1))
        {
            self.logged = Some(now);
            tracing::trace!(
                target_bps = self.bucket.target_bitrate() as u64,
                queued = ?self.lanes.iter().map(VecDeque::len).collect::<Vec<_>>(),
                counts = ?self.counts,
                "pacer"
            );
        }
        self.bucket.refill(now);
        self.prober.fill(now, &mut self.lanes[Lane::Probe as usize]);
        let max_delay = self.limits.max_delay;
        for lane in &mut self.lanes {
            while lane
                .front()
                .is_some_and(|p| now.saturating_duration_since(p.now) > max_delay)
            {
                lane.pop_front();
                self.counts.dropped_late += 1;
            }
        }
        while let Some((index, lane)) = self
            .lanes
            .iter_mut()
            .enumerate()
            .find(|(_, l)| !l.is_empty())
        {
            let Some(head) = lane.front() else { break };
            let size = bits(head);
            if !self.bucket.can_release(size) {
                break;
            }
            let Some(mut packet) = lane.pop_front() else {
                break;
            };
            self.bucket.consume(size);
            packet.now = now;
            self.counts.sent += 1;
            if index == Lane::Video as usize {
                self.prober.remember(&packet);
            } else if index == Lane::Resend as usize {
                self.prober.as_rtx(&mut packet);
            }
            self.released.push_back(packet);
        }
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for SubscriberPacer {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        if let Some(Attribute::TargetBitrateChanged { bits_per_second }) =
            msg.message.get(&Attribute::TargetBitrateChanged {
                bits_per_second: 0.0,
            })
        {
            let target = bits_per_second.clamp(self.limits.min_bps, self.limits.max_bps);
            // Paced a little above the estimate, so a keyframe's burst is not held past
            // `max_delay`; what the Publisher sends on average is capped below it.
            self.bucket.set_target_bitrate(target * PACING_FACTOR);
            self.estimate.set(target);
            tracing::debug!(
                target_bps = target as u64,
                counts = ?self.counts,
                "a Subscriber's link estimate changed"
            );
        }
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        let lane = match self.lane(&msg) {
            Some(lane) if self.estimated => lane,
            _ => {
                self.through.push_back(msg);
                return Ok(());
            }
        };
        if self.queued() >= self.limits.max_packets {
            self.counts.dropped_full += 1;
            return Ok(());
        }
        let now = msg.now;
        self.lanes[lane as usize].push_back(msg);
        self.release(now);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.through
            .pop_front()
            .or_else(|| self.released.pop_front())
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        self.release(now);
        Ok(())
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        let release = self
            .lanes
            .iter()
            .find_map(|l| l.front())
            .and_then(|head| self.bucket.releasable_at(bits(head)));
        // While a probe is ordered, probe packets are made every step.
        let probe = self
            .prober
            .last
            .filter(|_| self.prober.probe.ordered())
            .map(|last| last + PROBE_STEP);
        match (release, probe) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl Interceptor for SubscriberPacer {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        if info.mime_type.to_ascii_lowercase().starts_with("audio/") {
            self.audio.insert(info.ssrc);
        }
        if info
            .rtp_header_extensions
            .iter()
            .any(|e| e.uri == TRANSPORT_CC_URI)
        {
            self.estimated = true;
            if let (Some(ssrc), Some(pt)) = (info.ssrc_rtx, info.payload_type_rtx) {
                self.prober.rtx.insert(info.ssrc, (ssrc, pt));
                self.prober.probe.set_able();
            }
        }
    }

    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.audio.remove(&info.ssrc);
        self.prober.rtx.remove(&info.ssrc);
        let rtx = &self.prober.rtx;
        self.prober
            .recent
            .retain(|(_, p)| rtx.contains_key(&p.header.ssrc));
    }

    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}

    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::interceptor::{AttributedPacket, RTPHeaderExtension};
    use rtc::rtp;
    use rtc::shared::TransportContext;

    const AUDIO: u32 = 1;
    const VIDEO: u32 = 2;

    fn pacer(limits: PacingLimits) -> SubscriberPacer {
        let mut p = SubscriberPacer::new(limits, Estimate::default());
        let twcc = vec![RTPHeaderExtension {
            id: 3,
            uri: TRANSPORT_CC_URI.into(),
        }];
        p.bind_local_stream(&StreamInfo {
            ssrc: AUDIO,
            mime_type: "audio/opus".into(),
            rtp_header_extensions: twcc.clone(),
            ..Default::default()
        });
        p.bind_local_stream(&StreamInfo {
            ssrc: VIDEO,
            mime_type: "video/VP8".into(),
            rtp_header_extensions: twcc,
            ..Default::default()
        });
        p
    }

    /// An RTP packet of `ssrc` with 1,000 bits on the wire (12-byte header + 113 bytes).
    fn packet(at: Instant, ssrc: u32, seq: u16) -> TaggedPacket {
        TaggedPacket {
            now: at,
            transport: TransportContext::default(),
            message: AttributedPacket::new(Packet::Rtp(rtp::Packet {
                header: rtp::header::Header {
                    version: 2,
                    ssrc,
                    sequence_number: seq,
                    ..Default::default()
                },
                payload: vec![0u8; 113].into(),
            })),
        }
    }

    fn drain(p: &mut SubscriberPacer) -> Vec<(u32, u16)> {
        let mut out = Vec::new();
        while let Some(m) = p.poll_write() {
            if let Packet::Rtp(r) = m.message.packet {
                out.push((r.header.ssrc, r.header.sequence_number));
            }
        }
        out
    }

    /// Runs the pacer's timers from `from` for `span`, returning what left.
    fn run(p: &mut SubscriberPacer, from: Instant, span: Duration) -> Vec<(u32, u16)> {
        let end = from + span;
        let mut out = drain(p);
        let mut now = from;
        while let Some(at) = p.poll_timeout() {
            if at > end {
                break;
            }
            now = at.max(now);
            p.handle_timeout(now).expect("timeout");
            out.extend(drain(p));
        }
        out
    }

    #[test]
    fn it_sends_no_faster_than_the_target() {
        let limits = PacingLimits {
            initial_bps: 100_000.0,
            max_delay: Duration::from_secs(10),
            ..Default::default()
        };
        let mut p = pacer(limits);
        let t0 = Instant::now();
        // 300 packets of 1,000 bits at once: 300 kbit at 100 kbit/s.
        for seq in 0..300 {
            p.handle_write(packet(t0, VIDEO, seq)).expect("write");
        }
        let first_second = run(&mut p, t0, Duration::from_secs(1));
        // The burst (one 1,500-byte packet: 12 of these) plus one second at the rate.
        assert!(
            (100..=113).contains(&first_second.len()),
            "{} packets in the first second",
            first_second.len()
        );
        // In order.
        assert!(first_second.windows(2).all(|w| w[0].1 < w[1].1));
    }

    #[test]
    fn audio_goes_before_video_and_resends_before_new_video() {
        let mut p = pacer(PacingLimits {
            initial_bps: 100_000.0,
            ..Default::default()
        });
        let t0 = Instant::now();
        for seq in 0..50 {
            p.handle_write(packet(t0, VIDEO, seq)).expect("write");
        }
        let mut resend = packet(t0, VIDEO, 999);
        resend.message.add(Attribute::Retransmission);
        p.handle_write(resend).expect("write");
        p.handle_write(packet(t0, AUDIO, 7)).expect("write");
        let out = run(&mut p, t0, Duration::from_secs(1));
        let audio_at = out
            .iter()
            .position(|x| *x == (AUDIO, 7))
            .expect("audio sent");
        let resend_at = out.iter().position(|x| *x == (VIDEO, 999)).expect("resent");
        let blocked = out
            .iter()
            .position(|x| *x == (VIDEO, 20))
            .expect("video sent");
        assert!(audio_at < resend_at && resend_at < blocked, "{out:?}");
    }

    #[test]
    fn a_packet_that_waited_too_long_is_dropped() {
        let mut p = pacer(PacingLimits {
            initial_bps: 100_000.0,
            max_delay: Duration::from_millis(300),
            ..Default::default()
        });
        let t0 = Instant::now();
        for seq in 0..200 {
            p.handle_write(packet(t0, VIDEO, seq)).expect("write");
        }
        let out = run(&mut p, t0, Duration::from_secs(2));
        // About 0.3 s worth plus the burst left; the rest waited too long.
        assert!((35..=45).contains(&out.len()), "{} sent", out.len());
        assert_eq!(p.counts().dropped_late as usize, 200 - out.len());
        assert_eq!(p.poll_timeout(), None, "nothing is left waiting");
    }

    #[test]
    fn the_queue_is_bounded() {
        let mut p = pacer(PacingLimits {
            initial_bps: 100_000.0,
            max_packets: 64,
            ..Default::default()
        });
        let t0 = Instant::now();
        for seq in 0..1000 {
            p.handle_write(packet(t0, VIDEO, seq)).expect("write");
        }
        assert!(p.queued() <= 64);
        assert!(p.counts().dropped_full >= 1000 - 64 - 20);
    }

    #[test]
    fn an_ordered_probe_sends_recent_video_again_on_the_retransmission_ssrc() {
        use crate::media::probe::{LinkProbe, Order};
        const RTX: u32 = 9;
        let t = Instant::now();
        let probe = LinkProbe::default();
        let mut p = SubscriberPacer::with_probe(
            PacingLimits::default(),
            Estimate::default(),
            probe.clone(),
        );
        let twcc = vec![RTPHeaderExtension {
            id: 3,
            uri: TRANSPORT_CC_URI.into(),
        }];
        // Audio has no retransmission SSRC: the pacer cannot probe yet.
        p.bind_local_stream(&StreamInfo {
            ssrc: AUDIO,
            mime_type: "audio/opus".into(),
            rtp_header_extensions: twcc.clone(),
            ..Default::default()
        });
        assert!(!probe.able());
        p.bind_local_stream(&StreamInfo {
            ssrc: VIDEO,
            ssrc_rtx: Some(RTX),
            payload_type: 96,
            payload_type_rtx: Some(97),
            mime_type: "video/VP8".into(),
            rtp_header_extensions: twcc,
            ..Default::default()
        });
        assert!(probe.able());
        for seq in 0..10 {
            p.handle_write(packet(t, VIDEO, seq)).expect("write");
        }
        assert_eq!(run(&mut p, t, Duration::from_millis(100)).len(), 10);
        // 500 kbit/s for 600 ms: 300 kbit, ~280 packets of 1,016 bits (the original number
        // added), in the order they were sent.
        probe.order(Order {
            extra_bps: 500_000.0,
            until: t + Duration::from_millis(700),
        });
        p.handle_timeout(t + Duration::from_millis(100))
            .expect("timeout");
        let mut sent = Vec::new();
        let mut now = t + Duration::from_millis(100);
        while let Some(at) = p.poll_timeout() {
            if at > t + Duration::from_secs(2) {
                break;
            }
            now = at.max(now);
            p.handle_timeout(now).expect("timeout");
            while let Some(m) = p.poll_write() {
                if let Packet::Rtp(r) = m.message.packet {
                    sent.push((now, r));
                }
            }
        }
        assert!(sent.iter().all(|(_, r)| r.header.ssrc == RTX));
        assert!(sent.iter().all(|(_, r)| r.header.payload_type == 97));
        let numbers: Vec<u16> = sent
            .iter()
            .map(|(_, r)| u16::from_be_bytes([r.payload[0], r.payload[1]]))
            .collect();
        assert_eq!(&numbers[..3], &[1, 2, 3], "recent packets, oldest first");
        assert!(
            sent.windows(2).all(|w| w[1]
                .1
                .header
                .sequence_number
                .wrapping_sub(w[0].1.header.sequence_number)
                == 1),
            "the retransmission stream is numbered without gaps"
        );
        assert!((250..=310).contains(&sent.len()), "{} sent", sent.len());
        assert!(sent
            .iter()
            .all(|(at, _)| *at <= t + Duration::from_millis(700)));
        assert_eq!(p.probes_sent(), sent.len() as u64);
        // A full link ends the next order at once.
        probe.order(Order {
            extra_bps: 500_000.0,
            until: now + Duration::from_millis(600),
        });
        probe.link_full();
        p.handle_timeout(now + Duration::from_millis(50))
            .expect("timeout");
        assert!(drain(&mut p).is_empty());
    }

    #[test]
    fn a_retransmission_goes_on_the_retransmission_ssrc_where_there_is_one() {
        const RTX: u32 = 9;
        let t = Instant::now();
        let mut p = pacer(PacingLimits::default());
        let twcc = vec![RTPHeaderExtension {
            id: 3,
            uri: TRANSPORT_CC_URI.into(),
        }];
        p.bind_local_stream(&StreamInfo {
            ssrc: 3,
            ssrc_rtx: Some(RTX),
            payload_type: 96,
            payload_type_rtx: Some(97),
            mime_type: "video/VP8".into(),
            rtp_header_extensions: twcc,
            ..Default::default()
        });
        for (ssrc, seq) in [(3, 500), (3, 501), (VIDEO, 600)] {
            let mut resend = packet(t, ssrc, seq);
            resend.message.add(Attribute::Retransmission);
            p.handle_write(resend).expect("write");
        }
        let mut out = Vec::new();
        while let Some(m) = p.poll_write() {
            if let Packet::Rtp(r) = m.message.packet {
                out.push(r);
            }
        }
        // The stream with one: RTX, numbered in order, the original number first in the
        // payload. The stream without: on its own SSRC, as it was.
        assert_eq!(out.len(), 3);
        assert_eq!((out[0].header.ssrc, out[0].header.payload_type), (RTX, 97));
        assert_eq!(&out[0].payload[..2], &500u16.to_be_bytes());
        assert_eq!(&out[1].payload[..2], &501u16.to_be_bytes());
        assert_eq!(
            out[1].header.sequence_number,
            out[0].header.sequence_number.wrapping_add(1)
        );
        assert_eq!(
            (out[2].header.ssrc, out[2].header.sequence_number),
            (VIDEO, 600)
        );
    }

    #[test]
    fn the_estimate_sets_the_rate_within_limits() {
        let estimate = Estimate::default();
        let mut p = SubscriberPacer::new(PacingLimits::default(), estimate.clone());
        assert_eq!(estimate.get(), None, "nothing estimated yet");
        let mut feedback = packet(Instant::now(), VIDEO, 0);
        feedback.message.add(Attribute::TargetBitrateChanged {
            bits_per_second: 5_000.0,
        });
        p.handle_read(feedback).expect("read");
        assert!(p.poll_read().is_some());
        assert_eq!(
            p.target_bps(),
            PacingLimits::default().min_bps * PACING_FACTOR
        );
        assert_eq!(
            estimate.get(),
            Some(100_000),
            "the lesson reads the clamped target"
        );
    }

    #[test]
    fn without_transport_feedback_nothing_is_held() {
        let mut p = SubscriberPacer::new(
            PacingLimits {
                initial_bps: 1_000.0,
                ..Default::default()
            },
            Estimate::default(),
        );
        p.bind_local_stream(&StreamInfo {
            ssrc: VIDEO,
            mime_type: "video/VP8".into(),
            ..Default::default()
        });
        let t0 = Instant::now();
        for seq in 0..100 {
            p.handle_write(packet(t0, VIDEO, seq)).expect("write");
        }
        assert_eq!(drain(&mut p).len(), 100);
        assert_eq!(p.poll_timeout(), None);
    }
}
