//! The little the relay reads from and writes into SDP itself, as plain functions: which media
//! sections an offer has (to refuse what the lesson's rules do not allow before any WebRTC work),
//! and the announced address written into the relay's answer.

use super::forwarding::Kind;
use super::simulcast::MAX_LAYERS;
use std::net::IpAddr;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SdpError {
    #[error("the offer is not SDP (it must start with v=0)")]
    NotSdp,
    #[error("the offer has no audio or video section")]
    NoMedia,
    #[error("the offer has more than one {0} section; send one camera and one microphone")]
    Duplicate(&'static str),
    #[error("the offer's {0} section must send (sendonly or sendrecv) to publish")]
    NotSending(&'static str),
    #[error("the offer's {0} section must receive (recvonly or sendrecv) to subscribe")]
    NotReceiving(&'static str),
    #[error("the offer has {0} media sections; at most 4 are read")]
    TooManySections(usize),
    #[error("line {0} of the offer is not an SDP line (<letter>=<value>)")]
    BadLine(usize),
    #[error("the offer's m= line {0} is malformed (m=<media> <port> <proto> <formats>)")]
    BadMediaLine(usize),
    #[error("the offer's {0} section has no ICE credentials (a=ice-ufrag and a=ice-pwd)")]
    NoIce(&'static str),
    #[error("the offer's {0} section has no DTLS fingerprint (a=fingerprint:<hash> <hex>)")]
    NoFingerprint(&'static str),
    #[error("the offer's video section sends {0} simulcast layers; at most {max} (rids 0 to {top})", max = MAX_LAYERS, top = MAX_LAYERS - 1)]
    TooManyLayers(usize),
    #[error("the offer's simulcast layer {0:?} has a rid the relay does not know; name the layers 0 (the smallest) to {top}", top = MAX_LAYERS - 1)]
    UnknownRid(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Section {
    pub kind: Kind,
    pub direction: Direction,
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Audio => "audio",
        Kind::Video => "video",
    }
}

/// The audio and video sections of an offer, in order (data channels and others are skipped).
pub fn sections(sdp: &str) -> Result<Vec<Section>, SdpError> {
    if !sdp.trim_start().starts_with("v=0") {
        return Err(SdpError::NotSdp);
    }
    let mut out: Vec<Section> = Vec::new();
    let mut all = 0usize;
    let mut current: Option<Section> = None;
    for (n, line) in sdp.lines().enumerate() {
        let line = line.trim_end();
        if !line.is_empty() && !is_sdp_line(line) {
            return Err(SdpError::BadLine(n + 1));
        }
        if let Some(rest) = line.strip_prefix("m=") {
            all += 1;
            if !is_media_line(rest) {
                return Err(SdpError::BadMediaLine(n + 1));
            }
            out.extend(current.take());
            current = match rest.split(' ').next() {
                Some("audio") => Some(Section {
                    kind: Kind::Audio,
                    direction: Direction::SendRecv,
                }),
                Some("video") => Some(Section {
                    kind: Kind::Video,
                    direction: Direction::SendRecv,
                }),
                _ => None,
            };
        } else if let Some(section) = current.as_mut() {
            section.direction = match line {
                "a=sendrecv" => Direction::SendRecv,
                "a=sendonly" => Direction::SendOnly,
                "a=recvonly" => Direction::RecvOnly,
                "a=inactive" => Direction::Inactive,
                _ => section.direction,
            };
        }
    }
    out.extend(current);
    if all > 4 {
        return Err(SdpError::TooManySections(all));
    }
    if out.is_empty() {
        return Err(SdpError::NoMedia);
    }
    for kind in [Kind::Audio, Kind::Video] {
        if out.iter().filter(|s| s.kind == kind).count() > 1 {
            return Err(SdpError::Duplicate(kind_name(kind)));
        }
    }
    Ok(out)
}

/// `<letter>=<value>`, as every SDP line is.
fn is_sdp_line(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() >= 2 && b[0].is_ascii_lowercase() && b[1] == b'='
}

/// `<media> <port>[/<count>] <proto> <format>...`.
fn is_media_line(rest: &str) -> bool {
    let fields: Vec<&str> = rest.split(' ').collect();
    let port = fields.get(1).and_then(|p| p.split('/').next());
    fields.len() >= 4
        && !fields[0].is_empty()
        && port.is_some_and(|p| p.parse::<u16>().is_ok())
        && fields[3..].iter().all(|f| !f.is_empty())
}

/// Every audio and video section has ICE credentials and a DTLS fingerprint, its own or the
/// session's: webrtc-rs fails on an offer without them, and that is the sender's mistake (400),
/// not the relay's.
fn check_transport(sdp: &str) -> Result<(), SdpError> {
    #[derive(Default, Clone, Copy)]
    struct Seen {
        ufrag: bool,
        pwd: bool,
        fingerprint: bool,
    }
    let note = |seen: &mut Seen, line: &str| {
        if let Some(v) = line.strip_prefix("a=ice-ufrag:") {
            seen.ufrag = (4..=256).contains(&v.len());
        } else if let Some(v) = line.strip_prefix("a=ice-pwd:") {
            seen.pwd = (22..=256).contains(&v.len());
        } else if let Some(v) = line.strip_prefix("a=fingerprint:") {
            seen.fingerprint = is_fingerprint(v);
        }
    };
    let mut session = Seen::default();
    let mut sections: Vec<(&'static str, Seen)> = Vec::new();
    let mut in_media: Option<usize> = None;
    let mut before_media = true;
    for line in sdp.lines().map(str::trim_end) {
        if let Some(rest) = line.strip_prefix("m=") {
            before_media = false;
            in_media = match rest.split(' ').next() {
                Some("audio") => Some(("audio", Seen::default())),
                Some("video") => Some(("video", Seen::default())),
                _ => None,
            }
            .map(|s| {
                sections.push(s);
                sections.len() - 1
            });
        } else if before_media {
            note(&mut session, line);
        } else if let Some(i) = in_media {
            note(&mut sections[i].1, line);
        }
    }
    for (kind, seen) in sections {
        if !((seen.ufrag || session.ufrag) && (seen.pwd || session.pwd)) {
            return Err(SdpError::NoIce(kind));
        }
        if !(seen.fingerprint || session.fingerprint) {
            return Err(SdpError::NoFingerprint(kind));
        }
    }
    Ok(())
}

/// `<hash function> <hex bytes separated by ':'>`, e.g. `sha-256 AB:CD:...`.
fn is_fingerprint(value: &str) -> bool {
    let Some((hash, hex)) = value.trim().split_once(' ') else {
        return false;
    };
    !hash.is_empty()
        && hex.split(':').count() >= 16
        && hex
            .split(':')
            .all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// The kinds a publisher's offer sends; every audio/video section must send.
pub fn published_kinds(sdp: &str) -> Result<Vec<Kind>, SdpError> {
    let kinds = sections(sdp)?
        .into_iter()
        .map(|s| match s.direction {
            Direction::SendOnly | Direction::SendRecv => Ok(s.kind),
            _ => Err(SdpError::NotSending(kind_name(s.kind))),
        })
        .collect::<Result<Vec<Kind>, SdpError>>()?;
    check_transport(sdp)?;
    check_simulcast(sdp)?;
    Ok(kinds)
}

/// The simulcast layers a publisher's offer sends (`a=rid:<id> send`) are named "0" (the
/// smallest) to "3", at most [`MAX_LAYERS`]: the relay orders layers by their rid and would
/// otherwise forward none of an unknown one.
fn check_simulcast(sdp: &str) -> Result<(), SdpError> {
    let mut sent = 0usize;
    for rid in sdp
        .lines()
        .filter_map(|l| l.trim_end().strip_prefix("a=rid:"))
    {
        let mut fields = rid.split(' ');
        let (Some(id), Some("send")) = (fields.next(), fields.next()) else {
            continue;
        };
        sent += 1;
        if sent > MAX_LAYERS {
            return Err(SdpError::TooManyLayers(
                sdp.lines().filter(|l| l.starts_with("a=rid:")).count(),
            ));
        }
        if crate::media::driver::layers::layer_of_rid(id).is_none() {
            // Cut: the rid goes into the reply and the log.
            return Err(SdpError::UnknownRid(id.chars().take(16).collect()));
        }
    }
    Ok(())
}

/// The kinds a subscriber's offer receives; every audio/video section must receive.
pub fn received_kinds(sdp: &str) -> Result<Vec<Kind>, SdpError> {
    let kinds = sections(sdp)?
        .into_iter()
        .map(|s| match s.direction {
            Direction::RecvOnly | Direction::SendRecv => Ok(s.kind),
            _ => Err(SdpError::NotReceiving(kind_name(s.kind))),
        })
        .collect::<Result<Vec<Kind>, SdpError>>()?;
    check_transport(sdp)?;
    Ok(kinds)
}

/// Writes `announced` instead of `bound` into the answer's candidates and connection lines, for a
/// relay behind 1:1 NAT. Other lines are untouched.
pub fn announce(sdp: &str, bound: IpAddr, announced: IpAddr) -> String {
    let (from, to) = (bound.to_string(), announced.to_string());
    let family = if announced.is_ipv4() { "IP4" } else { "IP6" };
    let mut out = String::with_capacity(sdp.len() + 64);
    for line in sdp.split_inclusive('\n') {
        if line.starts_with("a=candidate:") {
            let replaced: Vec<&str> = line
                .split(' ')
                .map(|field| if field == from { to.as_str() } else { field })
                .collect();
            out.push_str(&replaced.join(" "));
        } else if line.starts_with("c=IN ") && line.trim_end().ends_with(&from) {
            let eol = &line[line.trim_end().len()..];
            out.push_str(&format!("c=IN {family} {to}{eol}"));
        } else {
            out.push_str(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        a=fingerprint:sha-256 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\r\n\
        a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=sendonly\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=sendrecv\r\n\
        m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";

    #[test]
    fn reads_the_sections_of_an_offer() {
        assert_eq!(published_kinds(OFFER), Ok(vec![Kind::Audio, Kind::Video]));
        assert_eq!(
            received_kinds(OFFER),
            Err(SdpError::NotReceiving("audio")),
            "a send-only section can not subscribe"
        );
        let recv = OFFER.replace("a=sendonly", "a=recvonly");
        assert_eq!(received_kinds(&recv), Ok(vec![Kind::Audio, Kind::Video]));
    }

    #[test]
    fn a_simulcast_offer_names_its_layers_0_to_3() {
        let with = |rids: &[&str]| {
            let lines: String = rids.iter().map(|r| format!("a=rid:{r} send\r\n")).collect();
            format!(
                "v=0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n\
                 a=fingerprint:sha-256 AB:CD\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n{lines}\
                 a=sendonly\r\n"
            )
        };
        assert_eq!(check_simulcast(&with(&["0", "1", "2"])), Ok(()));
        assert_eq!(check_simulcast(&with(&[])), Ok(()));
        // A layer the offer only receives is not the publisher's.
        assert_eq!(
            check_simulcast(&with(&["0", "1"]).replace("a=rid:1 send", "a=rid:h recv")),
            Ok(())
        );
        assert_eq!(
            check_simulcast(&with(&["h", "m", "l"])),
            Err(SdpError::UnknownRid("h".into()))
        );
        assert_eq!(
            check_simulcast(&with(&["0", "1", "2", "3", "4"])),
            Err(SdpError::TooManyLayers(5))
        );
        let long = "9".repeat(400);
        assert_eq!(
            check_simulcast(&with(&[long.as_str()])),
            Err(SdpError::UnknownRid("9".repeat(16)))
        );
        let refused = check_simulcast(&with(&["q"])).unwrap_err().to_string();
        assert!(refused.contains("0 (the smallest) to 3"), "{refused}");
    }

    #[test]
    fn refuses_what_is_not_a_lesson_offer() {
        assert_eq!(sections("hello"), Err(SdpError::NotSdp));
        assert_eq!(sections("v=0\r\ns=-\r\n"), Err(SdpError::NoMedia));
        let two_cameras = format!("{OFFER}m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");
        assert_eq!(sections(&two_cameras), Err(SdpError::Duplicate("video")));
        let many = format!("v=0\r\n{}", "m=audio 9 X 0\r\n".repeat(9));
        assert_eq!(sections(&many), Err(SdpError::TooManySections(9)));
        let inactive = OFFER.replace("a=sendonly", "a=inactive");
        assert_eq!(
            published_kinds(&inactive),
            Err(SdpError::NotSending("audio"))
        );
    }

    #[test]
    fn refuses_offers_webrtc_would_fail_on() {
        let no_ufrag = OFFER.replace("a=ice-ufrag:abcd\r\n", "");
        assert_eq!(published_kinds(&no_ufrag), Err(SdpError::NoIce("audio")));
        let short_pwd = OFFER.replace("0123456789abcdefghijkl", "x");
        assert_eq!(published_kinds(&short_pwd), Err(SdpError::NoIce("audio")));
        let no_fingerprint: String = OFFER
            .lines()
            .filter(|l| !l.starts_with("a=fingerprint"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            published_kinds(&no_fingerprint),
            Err(SdpError::NoFingerprint("audio"))
        );
        let bad_fingerprint = OFFER.replace("sha-256 AB:CD", "sha-256 XY:CD");
        assert_eq!(
            published_kinds(&bad_fingerprint),
            Err(SdpError::NoFingerprint("audio"))
        );
        // Per-section credentials are as good as session-level ones.
        let per_section = no_ufrag.replace("a=sendonly\r\n", "a=sendonly\r\na=ice-ufrag:wxyz\r\n");
        assert_eq!(published_kinds(&per_section), Err(SdpError::NoIce("video")));
        assert_eq!(
            sections("v=0\r\n\u{1}\u{2}garbage\r\nm=audio 9 X 0\r\n"),
            Err(SdpError::BadLine(2))
        );
        assert_eq!(
            sections("v=0\r\nm=audio\r\n"),
            Err(SdpError::BadMediaLine(2))
        );
        assert_eq!(
            sections("v=0\r\nm=video nine UDP/TLS/RTP/SAVPF 96\r\n"),
            Err(SdpError::BadMediaLine(2))
        );
    }

    #[test]
    fn announces_the_public_address_in_candidates() {
        let answer = "v=0\r\nc=IN IP4 10.0.0.5\r\n\
            a=candidate:1 1 udp 2130706431 10.0.0.5 40001 typ host\r\na=mid:0\r\n";
        let out = announce(
            answer,
            "10.0.0.5".parse().unwrap(),
            "203.0.113.7".parse().unwrap(),
        );
        assert_eq!(
            out,
            "v=0\r\nc=IN IP4 203.0.113.7\r\n\
            a=candidate:1 1 udp 2130706431 203.0.113.7 40001 typ host\r\na=mid:0\r\n"
        );
    }
}
