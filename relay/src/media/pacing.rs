//! The relay's pacer on a Subscriber's connection: what it sends never runs ahead of what the
//! Subscriber's link carries.
//!
//! It takes the pacer's slot ([`rtc::interceptor::Slot::Pacer`]) and paces RTP a little above
//! ([`PACING_FACTOR`]) what [`super::estimator::LinkEstimator`] estimates the link carries, with
//! `rtc-interceptor`'s leaky bucket. Unlike that crate's pacer, whose one FIFO holds up to 4,096
//! packets (many seconds on a rural link), it keeps three queues, released in this order:
//!
//! 1. audio: a lesson is followed by ear first;
//! 2. retransmissions ([`super::retransmit`]): they repair what the Subscriber is waiting for;
//! 3. video.
//!
//! Each queue is bounded in time: a packet that waited longer than
//! [`PacingLimits::max_delay`] is dropped (the Subscriber's NACKs and keyframe requests repair
//! video; late audio is worthless), and all three together hold at most
//! [`PacingLimits::max_packets`]. RTCP is never held.
//!
//! A connection that negotiated no transport-wide feedback (the webrtc-rs and aiortc peers of the
//! tests, some WHEP players) gives the controller nothing to estimate from; there the pacer lets
//! everything through rather than pace at a guess forever.

use rtc::interceptor::{Attribute, Interceptor, Pacer, Packet, StreamInfo, TaggedPacket};
use rtc::sansio::Protocol;
use rtc::sdp::extmap::TRANSPORT_CC_URI;
use rtc::shared::error::Error;
use rtc::shared::marshal::MarshalSize;
use std::collections::{HashSet, VecDeque};
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
}

pub struct SubscriberPacer {
    limits: PacingLimits,
    estimate: Estimate,
    bucket: Pacer,
    /// Set once a local stream carries transport-wide sequence numbers.
    estimated: bool,
    audio: HashSet<u32>,
    lanes: [VecDeque<TaggedPacket>; 3],
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
        SubscriberPacer {
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
        while let Some(lane) = self.lanes.iter_mut().find(|l| !l.is_empty()) {
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
        let head = self.lanes.iter().find_map(|l| l.front())?;
        self.bucket.releasable_at(bits(head))
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
        }
    }

    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.audio.remove(&info.ssrc);
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
