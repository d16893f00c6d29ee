//! The shared socket's kernel buffers.
//!
//! One socket carries every connection, so its receive buffer absorbs the bursts of all of them
//! (300 connections starting at once, a keyframe to every subscriber). The default (~208 KiB on
//! Linux) dropped about a fifth of the datagrams of 300 handshakes at once in a debug build. The
//! kernel caps the size at `net.core.rmem_max` / `wmem_max`.

use tokio::net::UdpSocket;

/// Asks for `bytes` of receive and send buffer; returns the receive buffer the kernel granted
/// (`None` where this is not supported).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn set_buffers(socket: &UdpSocket, bytes: usize) -> Option<usize> {
    use std::os::fd::AsRawFd;
    let fd = socket.as_raw_fd();
    let size = libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX);
    let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    for option in [libc::SO_RCVBUF, libc::SO_SNDBUF] {
        // SAFETY: `fd` is the open socket `socket` owns for this call; the option value points
        // to a live c_int of the length given.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                option,
                (&size as *const libc::c_int).cast(),
                len,
            )
        };
        if rc != 0 {
            tracing::warn!(
                "media driver: setting a socket buffer: {}",
                std::io::Error::last_os_error()
            );
        }
    }
    let mut granted: libc::c_int = 0;
    let mut granted_len = len;
    // SAFETY: as above; `granted` and `granted_len` are live and writable.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&mut granted as *mut libc::c_int).cast(),
            &mut granted_len,
        )
    };
    (rc == 0).then(|| usize::try_from(granted).unwrap_or(0))
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn set_buffers(_socket: &UdpSocket, _bytes: usize) -> Option<usize> {
    None
}
