//! Which datagrams of a turn go out together: the plan of one send call, with no IO.
//!
//! A message is one datagram, or, with UDP GSO (Linux `UDP_SEGMENT`), a run of consecutive
//! datagrams to one destination that the kernel cuts back into datagrams: every segment has the
//! size of the first except the last, which may be shorter. A connection's datagrams of a turn
//! are consecutive (it is drained all at once), and the RTP packets of one video frame often
//! have one size, so a Subscriber's share of a frame becomes one message.

use std::net::SocketAddr;

/// Segments in one GSO message at most (the kernel's `UDP_MAX_SEGMENTS` is 64 or more).
pub const MAX_SEGMENTS: usize = 64;

/// Payload bytes of one GSO message at most (an IP packet's 65,535 less headers, with room).
pub const MAX_GSO_BYTES: usize = 65_000;

/// Largest segment sent with GSO: the kernel refuses (`EINVAL`) a segment that does not fit the
/// route's MTU with its headers, where a plain send would fragment it. 1,500 (Ethernet) less 40
/// (IPv6) and 8 (UDP); WebRTC's datagrams are about 1,200 bytes.
pub const MAX_SEGMENT_SIZE: usize = 1_452;

/// One message of a send: `len` datagrams from index `start`. `segment` is the GSO segment size
/// (the first datagram's size), set exactly when the message carries more than one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message {
    pub start: usize,
    pub len: usize,
    pub segment: Option<u16>,
}

/// Plans at most `max_messages` messages over the front of `datagrams`, in order; `key` gives a
/// datagram's destination and size. Without `gso` every message is one datagram.
pub fn plan<T>(
    datagrams: &[T],
    key: impl Fn(&T) -> (SocketAddr, usize),
    gso: bool,
    max_messages: usize,
) -> Vec<Message> {
    let mut messages = Vec::new();
    let mut start = 0;
    while start < datagrams.len() && messages.len() < max_messages {
        let (to, size) = key(&datagrams[start]);
        let segment = u16::try_from(size)
            .ok()
            .filter(|&s| gso && s > 0 && usize::from(s) <= MAX_SEGMENT_SIZE);
        let len = match segment {
            Some(_) => run(&datagrams[start..], &key, to, size),
            None => 1,
        };
        messages.push(Message {
            start,
            len,
            segment: segment.filter(|_| len > 1),
        });
        start += len;
    }
    messages
}

/// How many datagrams from the front of `datagrams` (the first one is to `to`, of `size` bytes)
/// make one GSO message.
fn run<T>(
    datagrams: &[T],
    key: &impl Fn(&T) -> (SocketAddr, usize),
    to: SocketAddr,
    size: usize,
) -> usize {
    let mut len = 1;
    let mut bytes = size;
    for datagram in &datagrams[1..] {
        let (next_to, next_size) = key(datagram);
        if len == MAX_SEGMENTS
            || next_to != to
            || next_size == 0
            || next_size > size
            || bytes + next_size > MAX_GSO_BYTES
        {
            break;
        }
        len += 1;
        bytes += next_size;
        if next_size < size {
            // Only the last segment may be shorter.
            break;
        }
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn planned(datagrams: &[(SocketAddr, usize)], gso: bool, max: usize) -> Vec<Message> {
        plan(datagrams, |&(to, size)| (to, size), gso, max)
    }

    fn message(start: usize, len: usize, segment: Option<u16>) -> Message {
        Message {
            start,
            len,
            segment,
        }
    }

    #[test]
    fn a_run_to_one_destination_becomes_one_message_ending_at_a_shorter_datagram() {
        let (a, b) = (addr(1), addr(2));
        let datagrams = [
            (a, 1200),
            (a, 1200),
            (a, 1199),
            (a, 1200),
            (b, 1200),
            (b, 900),
            (a, 100),
        ];
        assert_eq!(
            planned(&datagrams, true, 64),
            [
                message(0, 3, Some(1200)),
                message(3, 1, None),
                message(4, 2, Some(1200)),
                message(6, 1, None),
            ]
        );
    }

    #[test]
    fn a_longer_datagram_or_an_empty_one_starts_a_new_message() {
        let a = addr(1);
        let datagrams = [(a, 100), (a, 200), (a, 200), (a, 0), (a, 0), (a, 5)];
        assert_eq!(
            planned(&datagrams, true, 64),
            [
                message(0, 1, None),
                message(1, 2, Some(200)),
                message(3, 1, None),
                message(4, 1, None),
                message(5, 1, None),
            ]
        );
    }

    #[test]
    fn without_gso_or_past_the_segment_size_every_datagram_is_its_own_message() {
        let a = addr(1);
        let datagrams = [(a, 1200), (a, 1200)];
        assert_eq!(
            planned(&datagrams, false, 64),
            [message(0, 1, None), message(1, 1, None)]
        );
        let big = [(a, MAX_SEGMENT_SIZE + 1), (a, MAX_SEGMENT_SIZE + 1)];
        assert_eq!(
            planned(&big, true, 64),
            [message(0, 1, None), message(1, 1, None)]
        );
    }

    #[test]
    fn a_long_run_is_cut_at_the_segment_and_byte_limits_and_the_plan_at_max_messages() {
        let a = addr(1);
        let datagrams = vec![(a, 1000); 200];
        let plan = planned(&datagrams, true, 64);
        assert_eq!(plan[0], message(0, MAX_SEGMENTS, Some(1000)));
        let small = vec![(a, 10); 200];
        assert_eq!(
            planned(&small, true, 2),
            [message(0, 64, Some(10)), message(64, 64, Some(10))]
        );
        let heavy = vec![(a, MAX_SEGMENT_SIZE); 100];
        let plan = planned(&heavy, true, 64);
        assert_eq!(plan[0].len, MAX_GSO_BYTES / MAX_SEGMENT_SIZE);
    }

    /// Datagrams to a few destinations with sizes that often repeat, as in a fan-out turn.
    fn datagrams() -> impl Strategy<Value = Vec<(SocketAddr, usize)>> {
        let size = prop_oneof![
            Just(0usize),
            Just(1200usize),
            Just(1199usize),
            1usize..1500,
            Just(MAX_SEGMENT_SIZE),
            Just(MAX_SEGMENT_SIZE + 1),
        ];
        let run = (1u16..4, size, 1usize..80)
            .prop_map(|(port, size, count)| vec![(addr(port), size); count]);
        proptest::collection::vec(run, 0..12).prop_map(|runs| runs.concat())
    }

    proptest! {
        #[test]
        fn plans_cover_every_datagram_once_in_order_and_keep_the_gso_rule(
            datagrams in datagrams(),
            gso in proptest::bool::ANY,
            max in 1usize..80,
        ) {
            let plan = planned(&datagrams, gso, max);
            prop_assert!(plan.len() <= datagrams.len());
            prop_assert!(plan.len() <= max);
            let mut next = 0;
            for m in &plan {
                prop_assert_eq!(m.start, next, "in order, none skipped or repeated");
                prop_assert!(m.len >= 1);
                next += m.len;
                prop_assert!(next <= datagrams.len());
                let run = &datagrams[m.start..next];
                match m.segment {
                    None => prop_assert_eq!(m.len, 1),
                    Some(segment) => {
                        prop_assert!(gso);
                        prop_assert!(m.len >= 2 && m.len <= MAX_SEGMENTS);
                        let segment = usize::from(segment);
                        prop_assert!(segment > 0 && segment <= MAX_SEGMENT_SIZE);
                        prop_assert!(run.iter().all(|(to, _)| *to == run[0].0));
                        prop_assert!(run[..run.len() - 1].iter().all(|(_, s)| *s == segment));
                        let last = run[run.len() - 1].1;
                        prop_assert!(last > 0 && last <= segment);
                        prop_assert!(run.iter().map(|(_, s)| s).sum::<usize>() <= MAX_GSO_BYTES);
                    }
                }
            }
            if plan.len() < max {
                prop_assert_eq!(next, datagrams.len(), "the whole slice unless out of messages");
            }
        }
    }
}
