//! One `sendmmsg` call over planned [`Message`]s: a message of several datagrams carries a
//! `UDP_SEGMENT` control message (its segment size) and one iovec per datagram, so nothing is
//! copied into one buffer.

use super::plan::Message;
use bytes::BytesMut;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use tokio::net::UdpSocket;

/// Room for one control message holding a u16.
// SAFETY: CMSG_SPACE is arithmetic on its argument and no pointer is involved.
const CONTROL_SPACE: usize =
    unsafe { libc::CMSG_SPACE(std::mem::size_of::<u16>() as u32) } as usize;

/// A control-message buffer, aligned as a `cmsghdr`.
#[derive(Clone, Copy)]
#[repr(C, align(8))]
struct Control([u8; 32]);

const _: () = assert!(CONTROL_SPACE <= std::mem::size_of::<Control>());
const _: () = assert!(std::mem::align_of::<Control>() >= std::mem::align_of::<libc::cmsghdr>());

/// Sends `messages` (planned over the front of `datagrams`, in order from index 0) in one call
/// without waiting; returns how many messages the kernel took (at least one), or the error of
/// the first one (`WouldBlock` when its buffer is full).
pub fn send(
    socket: &UdpSocket,
    datagrams: &[(SocketAddr, BytesMut)],
    messages: &[Message],
) -> io::Result<usize> {
    let Some(last) = messages.last() else {
        return Ok(0);
    };
    let planned = &datagrams[..last.start + last.len];
    let mut iovs: Vec<libc::iovec> = planned
        .iter()
        .map(|(_, d)| libc::iovec {
            iov_base: d.as_ptr() as *mut libc::c_void,
            iov_len: d.len(),
        })
        .collect();
    let addrs: Vec<socket2::SockAddr> = messages
        .iter()
        .map(|m| socket2::SockAddr::from(planned[m.start].0))
        .collect();
    let mut controls = vec![Control([0; 32]); messages.len()];
    let iov_base = iovs.as_mut_ptr();
    let control_base = controls.as_mut_ptr();
    let mut headers: Vec<libc::mmsghdr> = messages
        .iter()
        .zip(&addrs)
        .enumerate()
        .map(|(i, (m, addr))| {
            // SAFETY: msghdr is a plain C struct for which all-zero is a valid (empty) value.
            let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
            header.msg_name = addr.as_ptr() as *mut libc::c_void;
            header.msg_namelen = addr.len();
            // SAFETY: the plan covers `planned` in order, so `m.start + m.len` <= `iovs.len()`;
            // `iovs` is neither moved nor resized below.
            header.msg_iov = unsafe { iov_base.add(m.start) };
            header.msg_iovlen = m.len as _;
            if let Some(segment) = m.segment {
                // SAFETY: `i` < `controls.len()` (one per message), and `controls` is neither
                // moved nor resized below.
                header.msg_control = unsafe { control_base.add(i) }.cast();
                header.msg_controllen = CONTROL_SPACE as _;
                // SAFETY: the header's control buffer is live, aligned for a cmsghdr and
                // CONTROL_SPACE long, room for one header and a u16 (asserted above), so
                // CMSG_FIRSTHDR returns a pointer into it and CMSG_DATA has two bytes after it.
                unsafe {
                    let cmsg = libc::CMSG_FIRSTHDR(&header);
                    (*cmsg).cmsg_level = libc::SOL_UDP;
                    (*cmsg).cmsg_type = libc::UDP_SEGMENT;
                    (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<u16>() as u32) as _;
                    std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<u16>(), segment);
                }
            }
            libc::mmsghdr {
                msg_hdr: header,
                msg_len: 0,
            }
        })
        .collect();
    let fd = socket.as_raw_fd();
    let count = headers.len() as libc::c_uint;
    socket.try_io(tokio::io::Interest::WRITABLE, || {
        // SAFETY: every header points to an address, its iovecs and its control buffer, which
        // live until this call returns (`addrs`, `iovs`, `controls`, the datagrams borrowed from
        // `planned`); the kernel only reads them and writes `msg_len`.
        let sent = unsafe { libc::sendmmsg(fd, headers.as_mut_ptr(), count, 0) };
        if sent < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(sent as usize)
        }
    })
}
