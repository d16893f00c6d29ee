//! Sending a turn's datagrams with few system calls: on Linux, `sendmmsg` hands the kernel up to
//! [`BATCH`] messages, to any mix of destinations, in one call, and a run of datagrams to one
//! destination goes as one message with UDP GSO (`UDP_SEGMENT`): the kernel cuts it back into the
//! same datagrams, passing one large packet through the stack instead of each ([`plan`] decides
//! which, [`mmsg`] makes the call). Elsewhere, one `sendto` each.

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod mmsg;
#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
mod plan;

use bytes::BytesMut;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use tokio::net::UdpSocket;

/// Messages handed to the kernel in one call at most.
pub const BATCH: usize = 64;

/// What one call sent from the front of the datagrams.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Datagrams the kernel took, from the front (at least one unless there were none).
    pub datagrams: usize,
    /// Of those, messages sent with UDP GSO, and the datagrams (segments) they carried.
    pub gso_messages: usize,
    pub gso_segments: usize,
}

impl Sent {
    #[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
    fn of(messages: &[plan::Message]) -> Self {
        let gso = messages.iter().filter(|m| m.segment.is_some());
        Sent {
            datagrams: messages.iter().map(|m| m.len).sum(),
            gso_messages: gso.clone().count(),
            gso_segments: gso.map(|m| m.len).sum(),
        }
    }
}

/// Whether a socket's sends use UDP GSO: on until the kernel refuses it at first use (a device
/// without checksum offload, an old kernel), then off for good. Once GSO has worked, a refused
/// message is about its own route (a smaller MTU): it goes one datagram at a time, GSO stays on.
#[derive(Debug)]
pub struct Gso(AtomicU8);

const UNTRIED: u8 = 0;
const WORKS: u8 = 1;
const OFF: u8 = 2;

#[cfg_attr(not(all(target_os = "linux", target_env = "gnu")), allow(dead_code))]
impl Gso {
    pub const fn new() -> Self {
        Gso(AtomicU8::new(UNTRIED))
    }

    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed) != OFF
    }

    fn worked(&self) {
        let _ = self
            .0
            .compare_exchange(UNTRIED, WORKS, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// The kernel refused a GSO message whose datagrams then went one by one; true when this
    /// turned GSO off.
    fn refused(&self) -> bool {
        self.0
            .compare_exchange(UNTRIED, OFF, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }
}

impl Default for Gso {
    fn default() -> Self {
        Gso::new()
    }
}

/// The errors with which the kernel refuses a GSO message it cannot send as such.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn refuses_gso(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::EIO | libc::ENOPROTOOPT | libc::EOPNOTSUPP | libc::EMSGSIZE)
    )
}

/// Sends datagrams from the front of `datagrams` without waiting; returns how many the kernel
/// took (at least one), `WouldBlock` when its buffer is full, or the error of the first one (the
/// caller skips it: an unreachable peer must not hold up the others). A GSO message the kernel
/// refuses goes again one datagram at a time, in this call: no datagram is lost to GSO.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn send_some(
    socket: &UdpSocket,
    datagrams: &[(SocketAddr, BytesMut)],
    gso: &Gso,
) -> io::Result<Sent> {
    let key = |(to, d): &(SocketAddr, BytesMut)| (*to, d.len());
    let messages = plan::plan(datagrams, key, gso.is_on(), BATCH);
    match mmsg::send(socket, datagrams, &messages) {
        Ok(n) => {
            let sent = Sent::of(&messages[..n.min(messages.len())]);
            if sent.gso_messages > 0 {
                gso.worked();
            }
            Ok(sent)
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Err(e),
        Err(e) => match messages.first() {
            Some(first) if first.segment.is_some() => {
                let run = &datagrams[..first.len];
                let singles = plan::plan(run, key, false, BATCH);
                // An error here is the first datagram's own (an unreachable peer), not GSO's.
                let n = mmsg::send(socket, run, &singles)?;
                if refuses_gso(&e) && gso.refused() {
                    tracing::warn!(
                        "media driver: the kernel refused UDP GSO ({e}); sending without it"
                    );
                } else {
                    tracing::debug!("media driver: a GSO message refused ({e}), sent without it");
                }
                Ok(Sent {
                    datagrams: n,
                    ..Sent::default()
                })
            }
            _ => Err(e),
        },
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn send_some(
    socket: &UdpSocket,
    datagrams: &[(SocketAddr, BytesMut)],
    _gso: &Gso,
) -> io::Result<Sent> {
    match datagrams.first() {
        None => Ok(Sent::default()),
        Some((to, datagram)) => socket.try_send_to(datagram, *to).map(|_| Sent {
            datagrams: 1,
            ..Sent::default()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `send_some` once the socket is writable (tokio reports WouldBlock until it knows).
    async fn send_ready(
        socket: &UdpSocket,
        datagrams: &[(SocketAddr, BytesMut)],
        gso: &Gso,
    ) -> io::Result<Sent> {
        loop {
            match send_some(socket, datagrams, gso) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => socket.writable().await?,
                other => return other,
            }
        }
    }

    /// Sends all of `datagrams` (none may fail); returns the sums of what each call sent.
    async fn send_all(socket: &UdpSocket, datagrams: &[(SocketAddr, BytesMut)], gso: &Gso) -> Sent {
        let mut total = Sent::default();
        while total.datagrams < datagrams.len() {
            let sent = send_ready(socket, &datagrams[total.datagrams..], gso)
                .await
                .expect("sent");
            assert!(sent.datagrams > 0);
            total.datagrams += sent.datagrams;
            total.gso_messages += sent.gso_messages;
            total.gso_segments += sent.gso_segments;
        }
        total
    }

    /// Reads back every datagram of `datagrams` at its receiver (`a` or `b`), in order, whole,
    /// each on its own (a segment boundary off by a byte would show in every later datagram).
    async fn received(
        sender: &UdpSocket,
        (a, b): (&UdpSocket, &UdpSocket),
        datagrams: &[(SocketAddr, BytesMut)],
    ) {
        let to_a = a.local_addr().unwrap();
        let mut buf = vec![0u8; 65_536];
        for (i, (to, datagram)) in datagrams.iter().enumerate() {
            let socket = if *to == to_a { a } else { b };
            let (n, from) = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                socket.recv_from(&mut buf),
            )
            .await
            .unwrap_or_else(|_| panic!("datagram {i} arrived"))
            .unwrap();
            assert_eq!(from, sender.local_addr().unwrap());
            assert_eq!(&buf[..n], &datagram[..], "datagram {i}: in order, whole");
        }
    }

    async fn sockets() -> (UdpSocket, UdpSocket, UdpSocket) {
        let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        (sender, a, b)
    }

    /// A fan-out turn's datagrams: runs to `a` and `b` of one size, runs whose last datagram is
    /// shorter, sizes differing by a byte, a run longer than a message, lone datagrams; every
    /// datagram's bytes tell its index.
    fn turn(to_a: SocketAddr, to_b: SocketAddr) -> Vec<(SocketAddr, BytesMut)> {
        let runs: &[(bool, &[usize])] = &[
            (true, &[1200, 1200, 1200, 1200, 700]),
            (false, &[1200, 1200, 1200]),
            (true, &[1150, 1151, 1150, 1150]),
            (false, &[80]),
            (true, &[300; 70]),
            (false, &[1300, 1300, 1, 1500, 1500, 9_000, 20, 20]),
            (true, &[500, 500]),
            (false, &[500, 500]),
        ];
        let mut datagrams = Vec::new();
        for (to_a_side, sizes) in runs {
            for &size in *sizes {
                let i = datagrams.len() as u32;
                let mut bytes = BytesMut::new();
                bytes.extend((0..size).map(|k| (i as usize * 7 + k) as u8));
                if size >= 4 {
                    bytes[..4].copy_from_slice(&i.to_be_bytes());
                }
                datagrams.push((if *to_a_side { to_a } else { to_b }, bytes));
            }
        }
        datagrams
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[tokio::test]
    async fn runs_go_as_gso_messages_and_arrive_as_the_same_datagrams_in_order() {
        let (sender, a, b) = sockets().await;
        let datagrams = turn(a.local_addr().unwrap(), b.local_addr().unwrap());
        let gso = Gso::new();
        let sent = send_all(&sender, &datagrams, &gso).await;
        received(&sender, (&a, &b), &datagrams).await;
        // Loopback segments in software, so this kernel always takes GSO (Linux >= 4.18): 5,
        // 3, 2 (1151, 1150), 64 + 6, 3 (1300, 1300, 1), 2 (20, 20) and 2 + 2 segments.
        assert!(gso.is_on());
        assert_eq!((sent.gso_messages, sent.gso_segments), (9, 89), "{sent:?}");
    }

    #[tokio::test]
    async fn without_gso_the_same_batch_arrives_the_same() {
        let (sender, a, b) = sockets().await;
        let datagrams = turn(a.local_addr().unwrap(), b.local_addr().unwrap());
        let gso = Gso::new();
        gso.0.store(OFF, Ordering::Relaxed);
        let sent = send_all(&sender, &datagrams, &gso).await;
        received(&sender, (&a, &b), &datagrams).await;
        assert_eq!((sent.gso_messages, sent.gso_segments), (0, 0));
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    /// A socket on which the kernel refuses GSO: with `SO_NO_CHECK` (no UDP checksum) it
    /// answers EINVAL, as it does for a device that cannot segment.
    fn refusing_gso(socket: &UdpSocket) {
        use std::os::fd::AsRawFd;
        let on: libc::c_int = 1;
        // SAFETY: the fd is the open socket `socket` owns; the value points to a live c_int of
        // the length given.
        let rc = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_NO_CHECK,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0, "{}", io::Error::last_os_error());
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[tokio::test]
    async fn a_kernel_refusing_gso_at_first_use_turns_it_off_and_loses_nothing() {
        let (sender, a, b) = sockets().await;
        refusing_gso(&sender);
        let datagrams = turn(a.local_addr().unwrap(), b.local_addr().unwrap());
        let gso = Gso::new();
        let sent = send_all(&sender, &datagrams, &gso).await;
        received(&sender, (&a, &b), &datagrams).await;
        assert!(!gso.is_on(), "off for good");
        assert_eq!((sent.gso_messages, sent.gso_segments), (0, 0));
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[tokio::test]
    async fn once_gso_worked_a_refused_message_goes_one_by_one_and_gso_stays_on() {
        let (sender, a, b) = sockets().await;
        let datagrams = turn(a.local_addr().unwrap(), b.local_addr().unwrap());
        let gso = Gso::new();
        send_all(&sender, &datagrams, &gso).await;
        received(&sender, (&a, &b), &datagrams).await;
        refusing_gso(&sender);
        let sent = send_all(&sender, &datagrams, &gso).await;
        received(&sender, (&a, &b), &datagrams).await;
        assert!(gso.is_on());
        assert_eq!((sent.gso_messages, sent.gso_segments), (0, 0));
    }

    #[tokio::test]
    async fn a_batch_reaches_every_destination_in_order_and_a_bad_one_is_reported_alone() {
        let (sender, a, b) = sockets().await;
        let (to_a, to_b) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let datagrams: Vec<(SocketAddr, BytesMut)> = (0..100u8)
            .map(|i| {
                let to = if i % 3 == 0 { to_b } else { to_a };
                (to, BytesMut::from(&[i; 10][..]))
            })
            .collect();
        send_all(&sender, &datagrams, &Gso::new()).await;
        received(&sender, (&a, &b), &datagrams).await;
        // An IPv6 destination from an IPv4 socket fails on its own, in a run of its own too, and
        // before GSO ever worked.
        let gso = Gso::new();
        let bad: SocketAddr = "[::1]:9".parse().unwrap();
        for bad_ones in [1, 3] {
            let mut mixed = vec![(bad, BytesMut::from(&b"x"[..])); bad_ones];
            mixed.push((to_a, BytesMut::from(&b"y"[..])));
            for i in 0..bad_ones {
                assert!(
                    send_ready(&sender, &mixed[i..], &gso).await.is_err(),
                    "a bad one fails"
                );
            }
            let sent = send_ready(&sender, &mixed[bad_ones..], &gso).await.unwrap();
            assert_eq!(sent.datagrams, 1);
            let mut buf = [0u8; 64];
            let (n, _) = a.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"y");
        }
        assert!(gso.is_on(), "a bad address does not turn GSO off");
    }
}
