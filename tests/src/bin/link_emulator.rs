//! The link emulator: run inside a router network namespace (`ip netns exec <router>
//! link-emulator`), it creates two TUN devices, `tunD` and `tunU`, that policy routing sends the
//! down (relay -> classroom) and up traffic into. A packet read from `tunD` goes through the down
//! [`Pipeline`] and is written into `tunU`, where the kernel receives it and forwards it to the
//! classroom; the up direction the other way round. Control lines on stdin change the settings
//! while it runs (see `tests::link::control`); it prints `ready` once the devices exist and
//! exits when stdin closes.
//!
//! Usage: `link-emulator [seed]`.

use std::io::{self, BufRead, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tests::link::control::{self, Command, Direction};
use tests::link::pipeline::{Pipeline, Settings};

/// `struct ifreq` as TUNSETIFF reads it: a name and the flags, padded to 40 bytes.
#[repr(C)]
struct IfReq {
    name: [u8; 16],
    flags: libc::c_short,
    _pad: [u8; 22],
}

fn open_tun(name: &str) -> io::Result<OwnedFd> {
    // SAFETY: a C string literal and plain flags.
    let fd = unsafe {
        libc::open(
            c"/dev/net/tun".as_ptr(),
            libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and is owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut req = IfReq {
        name: [0; 16],
        flags: (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short,
        _pad: [0; 22],
    };
    let bytes = name.as_bytes();
    if bytes.len() >= req.name.len() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "name too long"));
    }
    req.name[..bytes.len()].copy_from_slice(bytes);
    // SAFETY: TUNSETIFF reads and writes an ifreq, which `req` is laid out as.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::TUNSETIFF, &mut req) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

/// Reads every packet waiting on `fd` into `pipe`.
fn drain(fd: RawFd, pipe: &mut Pipeline, now: Duration, buf: &mut [u8]) {
    loop {
        // SAFETY: `buf` is valid for `buf.len()` bytes.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            // EAGAIN (nothing more) or an error: either way, stop for now.
            return;
        }
        let _ = pipe.push(now, buf[..n as usize].to_vec());
    }
}

/// Writes every packet of `pipe` due by `now` into `fd` (a packet the kernel refuses is lost).
fn release(fd: RawFd, pipe: &mut Pipeline, now: Duration) {
    while let Some(packet) = pipe.pop_due(now) {
        // SAFETY: `packet` is valid for its length.
        let _ = unsafe { libc::write(fd, packet.as_ptr().cast(), packet.len()) };
    }
}

fn answer(line: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn main() {
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(1);
    let (down_fd, up_fd) = match (open_tun("tunD"), open_tun("tunU")) {
        (Ok(d), Ok(u)) => (d, u),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("link-emulator: could not create the TUN devices: {e}");
            std::process::exit(1);
        }
    };
    let (tx, commands) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                return;
            }
        }
        let _ = tx.send("quit".into());
    });
    answer("ready");

    let start = Instant::now();
    let mut down = Pipeline::new(Settings::CLEAN, seed);
    let mut up = Pipeline::new(Settings::CLEAN, seed ^ 0x5EED_0F0A);
    let mut buf = vec![0u8; 65_536];
    let (d, u) = (down_fd.as_raw_fd(), up_fd.as_raw_fd());
    loop {
        while let Ok(line) = commands.try_recv() {
            let current = |dir| match dir {
                Direction::Down => down.settings(),
                Direction::Up => up.settings(),
            };
            match control::parse(&line, current) {
                Ok(Command::Set(Direction::Down, s)) => {
                    down.set(s);
                    answer("ok");
                }
                Ok(Command::Set(Direction::Up, s)) => {
                    up.set(s);
                    answer("ok");
                }
                Ok(Command::Stats) => {
                    let now = start.elapsed();
                    answer(
                        &serde_json::json!({
                            "down": down.stats_json(now),
                            "up": up.stats_json(now),
                        })
                        .to_string(),
                    )
                }
                Ok(Command::Quit) => {
                    answer("ok");
                    return;
                }
                Err(e) => answer(&format!("error {e}")),
            }
        }
        let now = start.elapsed();
        drain(d, &mut down, now, &mut buf);
        drain(u, &mut up, now, &mut buf);
        let now = start.elapsed();
        release(u, &mut down, now);
        release(d, &mut up, now);

        // Sleep until a packet arrives or one is due; at most 5 ms so commands apply quickly.
        let mut wait = Duration::from_millis(5);
        for due in [down.next_due(), up.next_due()].into_iter().flatten() {
            wait = wait.min(due.saturating_sub(start.elapsed()));
        }
        let mut fds = [
            libc::pollfd {
                fd: d,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: u,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let timeout = libc::timespec {
            tv_sec: 0,
            tv_nsec: wait.as_nanos() as libc::c_long,
        };
        // SAFETY: `fds` and `timeout` outlive the call; no signal mask.
        unsafe { libc::ppoll(fds.as_mut_ptr(), 2, &timeout, std::ptr::null()) };
    }
}
