//! An emulated link of the test's own: the relay side stays in this (the test's) namespace on
//! one end of a veth pair; router namespace `<tag>-rt-<pid>-<k>` runs the `link-emulator` binary
//! between it and classroom namespace `<tag>-cls-<pid>-<k>`. Addresses are a /29 of 10.232.0.0/16
//! picked from the pid: relay .1 <-> router .2, router .5 <-> classroom .6. If the emulator dies,
//! blackhole rules drop the traffic instead of letting it bypass the emulation. Everything is
//! removed (and the emulator killed) on drop, also when a test panics.

use super::control::{self, Direction};
use super::pipeline::Settings;
use super::profiles::Profile;
use crate::netns::ip_cmd;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Links made by this process so far (each gets its own names and subnet).
static MADE: AtomicU32 = AtomicU32::new(0);

pub struct EmulatedLink {
    /// The relay side's address, in this namespace.
    pub relay_ip: String,
    /// The classroom's address, inside [`EmulatedLink::classroom_ns`].
    pub classroom_ip: String,
    pub router_ns: String,
    pub classroom_ns: String,
    relay_if: String,
    emulator: Option<Child>,
    /// The emulator's stdin and stdout; behind a lock so a [`Player`] can change settings while
    /// the test measures.
    control: Mutex<Option<(ChildStdin, BufReader<ChildStdout>)>>,
}

/// The `link-emulator` binary cargo built next to the test (target/<profile>/link-emulator).
fn emulator_path() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let mut dir = exe.parent().expect("the test's folder").to_path_buf();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join(format!("link-emulator{}", std::env::consts::EXE_SUFFIX))
}

impl EmulatedLink {
    /// Builds the three sides and starts the emulator with a clean link both ways. Panics with
    /// the reason if it can not (needs root).
    pub fn create(tag: &str) -> EmulatedLink {
        let pid = std::process::id();
        let k = MADE.fetch_add(1, Ordering::Relaxed);
        let n = (pid
            .wrapping_mul(31)
            .wrapping_add(tag.bytes().map(u32::from).sum::<u32>())
            .wrapping_add(k.wrapping_mul(131)))
            % 8_192;
        let base = format!("10.232.{}", n / 32);
        let b = (n % 32) * 8;
        let mut link = EmulatedLink {
            relay_ip: format!("{base}.{}", b + 1),
            classroom_ip: format!("{base}.{}", b + 6),
            router_ns: format!("{tag}-rt-{pid}-{k}"),
            classroom_ns: format!("{tag}-cls-{pid}-{k}"),
            relay_if: format!("le{pid:x}x{k}"),
            emulator: None,
            control: Mutex::new(None),
        };
        if let Err(e) = link.build(&base, b) {
            panic!("could not build the emulated link: {e}");
        }
        link
    }

    fn build(&mut self, base: &str, b: u32) -> Result<(), String> {
        let (rt, cls, rif) = (
            self.router_ns.clone(),
            self.classroom_ns.clone(),
            self.relay_if.clone(),
        );
        let router_a = format!("{base}.{}/30", b + 2);
        let router_c = format!("{base}.{}/30", b + 5);
        let router_c_ip = format!("{base}.{}", b + 5);
        let router_a_ip = format!("{base}.{}", b + 2);
        let classroom_net = format!("{base}.{}/30", b + 4);
        let relay_addr = format!("{}/30", self.relay_ip);
        let classroom_addr = format!("{}/30", self.classroom_ip);
        ip_cmd(&["netns", "add", &rt])?;
        ip_cmd(&["netns", "add", &cls])?;
        for key in [
            "net.ipv4.ip_forward=1",
            "net.ipv4.conf.all.rp_filter=0",
            "net.ipv4.conf.default.rp_filter=0",
            "net.ipv6.conf.all.disable_ipv6=1",
            "net.ipv6.conf.default.disable_ipv6=1",
        ] {
            ip_cmd(&["netns", "exec", &rt, "sysctl", "-qw", key])?;
        }
        let steps: [&[&str]; 16] = [
            &[
                "link", "add", &rif, "type", "veth", "peer", "name", "rtR", "netns", &rt,
            ],
            &[
                "-n", &rt, "link", "add", "rtC", "type", "veth", "peer", "name", "cls0", "netns",
                &cls,
            ],
            &["addr", "add", &relay_addr, "dev", &rif],
            &["link", "set", &rif, "up"],
            &["-n", &rt, "addr", "add", &router_a, "dev", "rtR"],
            &["-n", &rt, "addr", "add", &router_c, "dev", "rtC"],
            &["-n", &rt, "link", "set", "lo", "up"],
            &["-n", &rt, "link", "set", "rtR", "up"],
            &["-n", &rt, "link", "set", "rtC", "up"],
            &["-n", &cls, "addr", "add", &classroom_addr, "dev", "cls0"],
            &["-n", &cls, "link", "set", "lo", "up"],
            &["-n", &cls, "link", "set", "cls0", "up"],
            &["-n", &cls, "route", "add", "default", "via", &router_c_ip],
            &["route", "add", &classroom_net, "via", &router_a_ip],
            // Fail closed: without the emulator's devices, traffic stops instead of bypassing.
            &[
                "-n",
                &rt,
                "rule",
                "add",
                "iif",
                "rtR",
                "blackhole",
                "pref",
                "1001",
            ],
            &[
                "-n",
                &rt,
                "rule",
                "add",
                "iif",
                "rtC",
                "blackhole",
                "pref",
                "1002",
            ],
        ];
        for step in steps {
            ip_cmd(step)?;
        }

        // At a higher priority than the browsers and the relay under test: on two cores, two
        // Chromiums encoding and decoding video can starve it for seconds, and a link that stalls
        // because its emulator was not scheduled is no rural link.
        let mut child = Command::new("ip")
            .args(["netns", "exec", &rt, "nice", "-n", "-10"])
            .arg(emulator_path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("start link-emulator: {e}"))?;
        let stdin = child.stdin.take().ok_or("no emulator stdin")?;
        let stdout = child.stdout.take().ok_or("no emulator stdout")?;
        self.emulator = Some(child);
        let mut control = self.control.lock().unwrap_or_else(|e| e.into_inner());
        *control = Some((stdin, BufReader::new(stdout)));
        let ready = match control.as_mut() {
            Some((_, out)) => read_line(out)?,
            None => return Err("no emulator".into()),
        };
        drop(control);
        if ready != "ready" {
            return Err(format!("link-emulator said {ready:?}, not ready"));
        }
        let after: [&[&str]; 6] = [
            &["-n", &rt, "link", "set", "tunD", "up"],
            &["-n", &rt, "link", "set", "tunU", "up"],
            &[
                "-n", &rt, "route", "add", "default", "dev", "tunD", "table", "100",
            ],
            &[
                "-n", &rt, "route", "add", "default", "dev", "tunU", "table", "101",
            ],
            &[
                "-n", &rt, "rule", "add", "iif", "rtR", "lookup", "100", "pref", "101",
            ],
            &[
                "-n", &rt, "rule", "add", "iif", "rtC", "lookup", "101", "pref", "102",
            ],
        ];
        for step in after {
            ip_cmd(step)?;
        }
        Ok(())
    }

    /// The emulator process's id while it runs.
    pub fn emulator_pid(&self) -> Option<u32> {
        self.emulator.as_ref().map(Child::id)
    }

    /// Sends one control line and returns the emulator's answer.
    pub fn send(&self, line: &str) -> Result<String, String> {
        let mut control = self.control.lock().unwrap_or_else(|e| e.into_inner());
        let (input, out) = control.as_mut().ok_or("no emulator")?;
        writeln!(input, "{line}")
            .and_then(|_| input.flush())
            .map_err(|e| format!("write to link-emulator: {e}"))?;
        read_line(out)
    }

    /// Sets one direction; panics if the emulator refuses.
    pub fn set(&self, direction: Direction, settings: &Settings) {
        let answer = self.send(&control::line(direction, settings));
        assert_eq!(answer, Ok("ok".to_string()), "setting {direction:?}");
    }

    /// Applies `profile` as it is `t` after its start (see [`Profile::at`]).
    pub fn apply(&self, profile: &Profile, t: std::time::Duration) {
        let (down, up) = profile.at(t);
        self.set(Direction::Down, &down);
        self.set(Direction::Up, &up);
    }

    /// The emulator's counters and traffic (see `control`): `{"down": {...}, "up": {...}}`.
    pub fn stats(&self) -> serde_json::Value {
        let line = self.send("stats").expect("link-emulator stats");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("stats {line:?}: {e}"))
    }

    /// Runs `f` on a thread that has joined the classroom's namespace: sockets it creates stay in
    /// that namespace (usable from any thread afterwards); the thread ends with `f`, so this
    /// process's other threads never change namespace.
    pub fn in_classroom<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let path = format!("/run/netns/{}", self.classroom_ns);
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let ns =
                        std::fs::File::open(&path).unwrap_or_else(|e| panic!("open {path}: {e}"));
                    use std::os::fd::AsRawFd;
                    // SAFETY: a valid namespace fd; this thread alone changes namespace.
                    let r = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
                    assert_eq!(r, 0, "setns {path}: {}", std::io::Error::last_os_error());
                    f()
                })
                .join()
                .expect("the classroom thread")
        })
    }

    /// `program` run inside the classroom's namespace.
    pub fn classroom_command(&self, program: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new("ip");
        cmd.args(["netns", "exec", &self.classroom_ns, program]);
        cmd
    }
}

fn read_line(out: &mut BufReader<ChildStdout>) -> Result<String, String> {
    let mut line = String::new();
    match out.read_line(&mut line) {
        Ok(0) => Err("link-emulator exited".into()),
        Ok(_) => Ok(line.trim().to_string()),
        Err(e) => Err(format!("read from link-emulator: {e}")),
    }
}

/// Plays a profile's changes over time on a link (P4's outage, P6's slowdown) from a thread;
/// stops when dropped.
pub struct Player {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Player {
    /// Applies `profile` as of `started` on `link` now and at each of its changes, with the
    /// profile's times multiplied by `scale` (e.g. 0.1 plays P4's outage at 3 s for 1.5 s).
    pub fn start(
        link: Arc<EmulatedLink>,
        profile: Profile,
        started: Instant,
        scale: f64,
    ) -> Player {
        let (stop, stopped) = mpsc::channel::<()>();
        let scaled = move |t: Duration| t.mul_f64(scale);
        link.apply(&profile, Duration::ZERO);
        let thread = std::thread::spawn(move || {
            for change in profile.changes() {
                let at = started + scaled(change);
                let wait = at.saturating_duration_since(Instant::now());
                // A message or a closed channel: stop.
                if stopped.recv_timeout(wait) != Err(mpsc::RecvTimeoutError::Timeout) {
                    return;
                }
                link.apply(&profile, change);
            }
        });
        Player {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for EmulatedLink {
    fn drop(&mut self) {
        *self.control.lock().unwrap_or_else(|e| e.into_inner()) = None;
        if let Some(mut child) = self.emulator.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = ip_cmd(&["link", "del", &self.relay_if]);
        let _ = ip_cmd(&["netns", "del", &self.router_ns]);
        let _ = ip_cmd(&["netns", "del", &self.classroom_ns]);
    }
}
