//! How often each RTP packet goes into one direction of the link: IP packets whose UDP payload
//! looks like RTP are keyed by (SSRC, sequence number) and their copies counted. SRTP leaves the
//! 12-byte RTP header in clear, so this works on the encrypted media a relay sends.
//!
//! Memory is bounded: a key is forgotten [`RtpCopies::MEMORY`] after it was first seen, and at
//! most [`RtpCopies::MAX_KEYS`] keys are remembered (the oldest go first). A copy of a forgotten
//! key counts as a new packet.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// (SSRC << 16) | sequence number.
type Key = u64;

/// What [`RtpCopies`] has counted since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RtpCounts {
    /// RTP datagrams seen, copies included.
    pub packets: u64,
    /// Keys seen for the first time (or again after being forgotten).
    pub distinct: u64,
    /// The most copies seen of any one (SSRC, sequence number).
    pub max_copies: u32,
    /// Keys seen more than 3 times.
    pub copies_over_3: u64,
}

/// Counts copies of RTP packets by (SSRC, sequence number).
#[derive(Debug, Default)]
pub struct RtpCopies {
    counts: RtpCounts,
    /// Copies of each remembered key.
    copies: HashMap<Key, u32>,
    /// Remembered keys in the order first seen, with when.
    first_seen: VecDeque<(Duration, Key)>,
}

impl RtpCopies {
    /// How long a key is remembered after it was first seen.
    pub const MEMORY: Duration = Duration::from_secs(10);
    /// The most keys remembered at once.
    pub const MAX_KEYS: usize = 262_144;

    pub fn new() -> RtpCopies {
        RtpCopies::default()
    }

    pub fn counts(&self) -> RtpCounts {
        self.counts
    }

    /// Keys remembered now.
    pub fn remembered(&self) -> usize {
        self.copies.len()
    }

    /// Counts `packet` (a whole IP packet) arriving at `now` if it carries RTP.
    pub fn observe(&mut self, now: Duration, packet: &[u8]) {
        if let Some(key) = rtp_key(packet) {
            self.count(now, key);
        }
    }

    fn count(&mut self, now: Duration, key: Key) {
        self.forget_before(now.saturating_sub(Self::MEMORY));
        self.counts.packets += 1;
        if let Some(n) = self.copies.get_mut(&key) {
            *n = n.saturating_add(1);
            self.counts.max_copies = self.counts.max_copies.max(*n);
            if *n == 4 {
                self.counts.copies_over_3 += 1;
            }
            return;
        }
        if self.copies.len() >= Self::MAX_KEYS {
            self.forget_oldest();
        }
        self.copies.insert(key, 1);
        self.first_seen.push_back((now, key));
        self.counts.distinct += 1;
        self.counts.max_copies = self.counts.max_copies.max(1);
    }

    fn forget_before(&mut self, cutoff: Duration) {
        while self.first_seen.front().is_some_and(|(at, _)| *at < cutoff) {
            self.forget_oldest();
        }
    }

    fn forget_oldest(&mut self) {
        if let Some((_, key)) = self.first_seen.pop_front() {
            self.copies.remove(&key);
        }
    }
}

/// The (SSRC, sequence number) key of an IPv4 or IPv6 packet carrying RTP over UDP; `None` for
/// anything else (TCP, fragments after the first, RTCP, STUN, DTLS, TURN channel data).
fn rtp_key(packet: &[u8]) -> Option<Key> {
    let payload = udp_payload(packet)?;
    let header = payload.get(..12)?;
    // Version 2; payload types 64..=95 are RTCP's 192..=223 with the marker bit set.
    if header[0] & 0xC0 != 0x80 || (64..=95).contains(&(header[1] & 0x7F)) {
        return None;
    }
    let seq = u16::from_be_bytes([header[2], header[3]]);
    let ssrc = u32::from_be_bytes([header[8], header[9], header[10], header[11]]);
    Some((u64::from(ssrc) << 16) | u64::from(seq))
}

/// The UDP payload of an IPv4 packet (not a later fragment) or an IPv6 packet without extension
/// headers.
fn udp_payload(packet: &[u8]) -> Option<&[u8]> {
    let udp = match packet.first()? >> 4 {
        4 => {
            let header_len = usize::from(packet[0] & 0x0F) * 4;
            let fragment_offset = u16::from_be_bytes([*packet.get(6)?, *packet.get(7)?]) & 0x1FFF;
            if *packet.get(9)? != 17 || header_len < 20 || fragment_offset != 0 {
                return None;
            }
            packet.get(header_len..)?
        }
        6 if *packet.get(6)? == 17 => packet.get(40..)?,
        _ => return None,
    };
    udp.get(8..)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    /// An IPv4/UDP packet carrying `payload`.
    fn udp(payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0u8; 28];
        p[0] = 0x45;
        p[9] = 17;
        p.extend_from_slice(payload);
        p
    }

    /// An RTP header (payload type 96) with `ssrc` and `seq`, and some payload.
    fn rtp(ssrc: u32, seq: u16) -> Vec<u8> {
        let mut h = vec![0x80, 96];
        h.extend_from_slice(&seq.to_be_bytes());
        h.extend_from_slice(&[0, 0, 0, 0]);
        h.extend_from_slice(&ssrc.to_be_bytes());
        h.extend_from_slice(&[0xAB; 100]);
        udp(&h)
    }

    #[test]
    fn repeated_sequence_numbers_are_counted_as_copies() {
        let mut c = RtpCopies::new();
        for _ in 0..5 {
            c.observe(Duration::ZERO, &rtp(7, 100));
        }
        c.observe(Duration::ZERO, &rtp(7, 101));
        c.observe(Duration::ZERO, &rtp(7, 101));
        // Same sequence number, other SSRC: another packet.
        c.observe(Duration::ZERO, &rtp(8, 100));
        assert_eq!(
            c.counts(),
            RtpCounts {
                packets: 8,
                distinct: 3,
                max_copies: 5,
                copies_over_3: 1,
            }
        );
    }

    #[test]
    fn rtcp_stun_dtls_and_tcp_are_not_rtp() {
        let mut c = RtpCopies::new();
        let mut sender_report = rtp(7, 1);
        sender_report[29] = 200; // 0x80, 200: RTCP SR (payload type 72 with the marker bit)
        c.observe(S, &sender_report);
        let mut stun = rtp(7, 2);
        stun[28] = 0x00;
        c.observe(S, &stun);
        let mut dtls = rtp(7, 3);
        dtls[28] = 22;
        c.observe(S, &dtls);
        let mut tcp = rtp(7, 4);
        tcp[9] = 6;
        c.observe(S, &tcp);
        let mut later_fragment = rtp(7, 5);
        later_fragment[7] = 1;
        c.observe(S, &later_fragment);
        c.observe(S, &udp(&[0x80, 96, 0, 1])); // shorter than an RTP header
        c.observe(S, &[0x45, 0, 0]); // not even an IP header
        assert_eq!(c.counts(), RtpCounts::default());
        // A payload type just outside RTCP's range is RTP.
        let mut pt_96_marked = rtp(7, 6);
        pt_96_marked[29] = 0x80 | 96;
        c.observe(S, &pt_96_marked);
        assert_eq!(c.counts().packets, 1);
    }

    #[test]
    fn ipv6_and_ip_options_are_read() {
        let mut c = RtpCopies::new();
        let v4 = rtp(9, 1);
        let mut with_options = v4[..20].to_vec();
        with_options[0] = 0x46;
        with_options.extend_from_slice(&[0; 4]);
        with_options.extend_from_slice(&v4[20..]);
        c.observe(S, &with_options);
        let mut v6 = vec![0u8; 40];
        v6[0] = 0x60;
        v6[6] = 17;
        v6.extend_from_slice(&v4[20..]);
        c.observe(S, &v6);
        assert_eq!(c.counts().distinct, 1);
        assert_eq!(c.counts().max_copies, 2);
    }

    #[test]
    fn keys_are_forgotten_after_the_memory() {
        let mut c = RtpCopies::new();
        c.observe(Duration::ZERO, &rtp(7, 1));
        c.observe(RtpCopies::MEMORY, &rtp(7, 1));
        assert_eq!(c.counts().max_copies, 2);
        c.observe(RtpCopies::MEMORY + S, &rtp(7, 2));
        assert_eq!(c.remembered(), 1);
        // Seen again after being forgotten: a new packet.
        c.observe(RtpCopies::MEMORY + S, &rtp(7, 1));
        assert_eq!(c.counts().distinct, 3);
        assert_eq!(c.counts().max_copies, 2);
    }

    #[test]
    fn memory_stays_bounded_at_max_keys() {
        let mut c = RtpCopies::new();
        let n = RtpCopies::MAX_KEYS + 1000;
        for i in 0..n {
            let i = i as u32;
            c.observe(Duration::ZERO, &rtp(i >> 16, i as u16));
        }
        assert_eq!(c.remembered(), RtpCopies::MAX_KEYS);
        assert_eq!(c.first_seen.len(), RtpCopies::MAX_KEYS);
        assert_eq!(c.counts().distinct, n as u64);
        // The oldest were forgotten, the newest are still counted.
        c.observe(Duration::ZERO, &rtp(0, 0));
        c.observe(
            Duration::ZERO,
            &rtp((n as u32 - 1) >> 16, (n as u32 - 1) as u16),
        );
        assert_eq!(c.counts().max_copies, 2);
        assert_eq!(c.counts().distinct, n as u64 + 1);
    }
}
