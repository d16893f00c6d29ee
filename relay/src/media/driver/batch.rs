//! Sending a turn's datagrams with few system calls: on Linux, `sendmmsg` hands the kernel up to
//! [`BATCH`] datagrams, to any mix of destinations, in one call. Elsewhere, one `sendto` each.

use bytes::BytesMut;
use std::io;
use std::net::SocketAddr;
use tokio::net::UdpSocket;

/// Datagrams handed to the kernel in one call at most.
pub const BATCH: usize = 64;

/// Sends datagrams from the front of `datagrams` without waiting; returns how many the kernel
/// took (at least one), `WouldBlock` when its buffer is full, or the error of the first one (the
/// caller skips it: an unreachable peer must not hold up the others).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn send_some(socket: &UdpSocket, datagrams: &[(SocketAddr, BytesMut)]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    let batch = &datagrams[..datagrams.len().min(BATCH)];
    if batch.is_empty() {
        return Ok(0);
    }
    let addrs: Vec<socket2::SockAddr> = batch
        .iter()
        .map(|(to, _)| socket2::SockAddr::from(*to))
        .collect();
    let mut iovs: Vec<libc::iovec> = batch
        .iter()
        .map(|(_, d)| libc::iovec {
            iov_base: d.as_ptr() as *mut libc::c_void,
            iov_len: d.len(),
        })
        .collect();
    let iov_base = iovs.as_mut_ptr();
    let mut messages: Vec<libc::mmsghdr> = addrs
        .iter()
        .enumerate()
        .map(|(i, addr)| {
            // SAFETY: msghdr is a plain C struct for which all-zero is a valid (empty) value.
            let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
            header.msg_name = addr.as_ptr() as *mut libc::c_void;
            header.msg_namelen = addr.len();
            // SAFETY: `i` < `iovs.len()`, and `iovs` is neither moved nor resized below.
            header.msg_iov = unsafe { iov_base.add(i) };
            header.msg_iovlen = 1;
            libc::mmsghdr {
                msg_hdr: header,
                msg_len: 0,
            }
        })
        .collect();
    let fd = socket.as_raw_fd();
    let count = messages.len() as libc::c_uint;
    socket.try_io(tokio::io::Interest::WRITABLE, || {
        // SAFETY: every header points to an address and one iovec that live until this call
        // returns (`addrs`, `iovs`, the datagrams borrowed from `batch`); the kernel only reads
        // them and writes `msg_len`.
        let sent = unsafe { libc::sendmmsg(fd, messages.as_mut_ptr(), count, 0) };
        if sent < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(sent as usize)
        }
    })
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn send_some(socket: &UdpSocket, datagrams: &[(SocketAddr, BytesMut)]) -> io::Result<usize> {
    match datagrams.first() {
        None => Ok(0),
        Some((to, datagram)) => socket.try_send_to(datagram, *to).map(|_| 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `send_some` once the socket is writable (tokio reports WouldBlock until it knows).
    async fn send_ready(
        socket: &UdpSocket,
        datagrams: &[(SocketAddr, BytesMut)],
    ) -> io::Result<usize> {
        loop {
            match send_some(socket, datagrams) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => socket.writable().await?,
                other => return other,
            }
        }
    }

    #[tokio::test]
    async fn a_batch_reaches_every_destination_in_order_and_a_bad_one_is_reported_alone() {
        let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let (to_a, to_b) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let datagrams: Vec<(SocketAddr, BytesMut)> = (0..100u8)
            .map(|i| {
                let to = if i % 3 == 0 { to_b } else { to_a };
                (to, BytesMut::from(&[i; 10][..]))
            })
            .collect();
        let mut sent = 0;
        while sent < datagrams.len() {
            sent += send_ready(&sender, &datagrams[sent..]).await.expect("sent");
        }
        let mut buf = [0u8; 64];
        for (to, datagram) in &datagrams {
            let socket = if *to == to_a { &a } else { &b };
            let (n, from) = socket.recv_from(&mut buf).await.unwrap();
            assert_eq!(from, sender.local_addr().unwrap());
            assert_eq!(&buf[..n], &datagram[..], "in order, whole");
        }
        // An IPv6 destination from an IPv4 socket fails on its own.
        let bad: SocketAddr = "[::1]:9".parse().unwrap();
        let mixed = vec![
            (bad, BytesMut::from(&b"x"[..])),
            (to_a, BytesMut::from(&b"y"[..])),
        ];
        assert!(
            send_ready(&sender, &mixed).await.is_err(),
            "the first one fails"
        );
        assert_eq!(send_ready(&sender, &mixed[1..]).await.unwrap(), 1);
        let (n, _) = a.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"y");
    }
}
