//! What the relay reports to a Publisher as lost on its audio: at least what the worst of its
//! Subscribers' links loses (no IO).
//!
//! The teacher's browser adds Opus's in-band forward error correction (each packet carries a
//! coarse copy of the one before, RFC 6716 LBRR) only when its receiver reports loss. Its
//! receiver is the relay, over the school's LAN, which loses nothing; the loss is downstream, on
//! the rural classrooms' links, where the relay forwards the packets as they are. So the lesson
//! writes, each second, the worst loss among the Subscribers receiving a Publisher's audio into
//! its connection's [`WorstLoss`] ([`super::lesson`]), and [`LossReport`], on the Publisher's
//! connection, raises the fraction lost of every reception report about an audio stream to it.
//! The encoder then spends some of its rate on the copies, and a classroom's browser fills a lost
//! packet from the next one instead of concealing it.

use rtc::interceptor::{Interceptor, Packet, StreamInfo, TaggedPacket};
use rtc::rtcp::receiver_report::ReceiverReport;
use rtc::rtcp::reception_report::ReceptionReport;
use rtc::rtcp::sender_report::SenderReport;
use rtc::sansio::Protocol;
use rtc::shared::error::Error;
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Below webrtc-rs's receiver and sender reports (10,000 and 11,000), so it sees what they send.
pub const SLOT: usize = 9_500;

/// The worst loss among a Publisher's audio's Subscribers, per mille (shared by the lesson,
/// which writes it, and the Publisher's connection, which reports it).
#[derive(Clone, Debug, Default)]
pub struct WorstLoss(Arc<AtomicU32>);

impl WorstLoss {
    pub fn set(&self, permille: u16) {
        self.0
            .store(u32::from(permille.min(1000)), Ordering::Relaxed);
    }

    pub fn get(&self) -> u16 {
        self.0.load(Ordering::Relaxed).min(1000) as u16
    }

    /// As an RTCP fraction lost (in 256ths).
    fn fraction(&self) -> u8 {
        (u32::from(self.get()) * 256 / 1000).min(255) as u8
    }
}

/// Loss reported at most, per mille: beyond it the copies take more of the audio's rate than
/// they give back, and one classroom in an outage should not cost every other one its sound.
pub const MOST_REPORTED: u16 = 200;

/// What to report for Subscribers whose links lose `losses` (per mille): the worst, at most
/// [`MOST_REPORTED`]; 0 without any.
pub fn worst_of(losses: impl IntoIterator<Item = u16>) -> u16 {
    losses.into_iter().max().unwrap_or(0).min(MOST_REPORTED)
}

/// Raises the fraction lost of reception reports about the connection's incoming audio.
#[derive(Default)]
pub struct LossReport {
    worst: WorstLoss,
    audio: HashSet<u32>,
    read: VecDeque<TaggedPacket>,
    write: VecDeque<TaggedPacket>,
}

impl LossReport {
    pub fn new(worst: WorstLoss) -> LossReport {
        LossReport {
            worst,
            ..LossReport::default()
        }
    }

    fn raise(&self, reports: &mut [ReceptionReport], floor: u8) -> bool {
        let mut changed = false;
        for r in reports.iter_mut().filter(|r| self.audio.contains(&r.ssrc)) {
            if r.fraction_lost < floor {
                r.fraction_lost = floor;
                changed = true;
            }
        }
        changed
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for LossReport {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Error> {
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, mut msg: TaggedPacket) -> Result<(), Error> {
        let floor = self.worst.fraction();
        if floor > 0 && !self.audio.is_empty() {
            if let Packet::Rtcp(packets) = &mut msg.message.packet {
                for packet in packets.iter_mut() {
                    let any = packet.as_any();
                    if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
                        let mut rr = rr.clone();
                        if self.raise(&mut rr.reports, floor) {
                            *packet = Box::new(rr);
                        }
                    } else if let Some(sr) = any.downcast_ref::<SenderReport>() {
                        let mut sr = sr.clone();
                        if self.raise(&mut sr.reports, floor) {
                            *packet = Box::new(sr);
                        }
                    }
                }
            }
        }
        self.write.push_back(msg);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.write.pop_front()
    }
}

impl Interceptor for LossReport {
    fn bind_local_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_local_stream(&mut self, _info: &StreamInfo) {}

    fn bind_remote_stream(&mut self, info: &StreamInfo) {
        if info.mime_type.to_ascii_lowercase().starts_with("audio/") {
            self.audio.insert(info.ssrc);
        }
    }

    fn unbind_remote_stream(&mut self, info: &StreamInfo) {
        self.audio.remove(&info.ssrc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::interceptor::AttributedPacket;
    use rtc::shared::TransportContext;

    const AUDIO: u32 = 1;
    const VIDEO: u32 = 2;

    fn report(ssrc: u32, fraction_lost: u8) -> ReceptionReport {
        ReceptionReport {
            ssrc,
            fraction_lost,
            ..Default::default()
        }
    }

    /// What leaves for an RR about audio and video (each reporting `lost`) and an SR.
    fn through(r: &mut LossReport, lost: u8) -> (Vec<u8>, Vec<u8>) {
        let rr = ReceiverReport {
            ssrc: 9,
            reports: vec![report(AUDIO, lost), report(VIDEO, lost)],
            ..Default::default()
        };
        let sr = SenderReport {
            ssrc: 9,
            reports: vec![report(AUDIO, lost)],
            ..Default::default()
        };
        r.handle_write(TaggedPacket {
            now: Instant::now(),
            transport: TransportContext::default(),
            message: AttributedPacket::new(Packet::Rtcp(vec![Box::new(rr), Box::new(sr)])),
        })
        .expect("written");
        let out = r.poll_write().expect("passed on");
        let Packet::Rtcp(packets) = out.message.packet else {
            panic!("not RTCP");
        };
        let rr = packets[0]
            .as_any()
            .downcast_ref::<ReceiverReport>()
            .expect("an RR")
            .reports
            .iter()
            .map(|r| r.fraction_lost)
            .collect();
        let sr = packets[1]
            .as_any()
            .downcast_ref::<SenderReport>()
            .expect("an SR")
            .reports
            .iter()
            .map(|r| r.fraction_lost)
            .collect();
        (rr, sr)
    }

    #[test]
    fn the_worst_loss_is_reported_up_to_a_cap() {
        assert_eq!(worst_of([]), 0);
        assert_eq!(worst_of([10, 50, 3]), 50);
        assert_eq!(worst_of([10, 900]), MOST_REPORTED);
    }

    #[test]
    fn audio_reports_carry_at_least_the_worst_subscriber_s_loss() {
        let worst = WorstLoss::default();
        let mut r = LossReport::new(worst.clone());
        r.bind_remote_stream(&StreamInfo {
            ssrc: AUDIO,
            mime_type: "audio/opus".into(),
            ..Default::default()
        });
        r.bind_remote_stream(&StreamInfo {
            ssrc: VIDEO,
            mime_type: "video/VP8".into(),
            ..Default::default()
        });
        // Nothing lost downstream: the reports as they were.
        assert_eq!(through(&mut r, 3), (vec![3, 3], vec![3]));
        // 5% lost on a classroom's link: 12/256 for the audio only.
        worst.set(50);
        assert_eq!(through(&mut r, 3), (vec![12, 3], vec![12]));
        // More lost on the Publisher's own leg than downstream: kept.
        assert_eq!(through(&mut r, 40), (vec![40, 40], vec![40]));
        // Out of range is clamped.
        worst.set(u16::MAX);
        assert_eq!(worst.get(), 1000);
        assert_eq!(through(&mut r, 0), (vec![255, 0], vec![255]));
        // The audio stream gone: nothing raised.
        r.unbind_remote_stream(&StreamInfo {
            ssrc: AUDIO,
            mime_type: "audio/opus".into(),
            ..Default::default()
        });
        assert_eq!(through(&mut r, 0), (vec![0, 0], vec![0]));
    }
}
