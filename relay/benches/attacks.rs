//! The relay under three resource attacks, each on a fresh release relay (a child process, demo
//! data, 127.0.0.1 only), bounded in count and time: its memory (VmRSS) and threads from
//! /proc/<pid>/status before, at the peak and after.
//!
//! 1. 24 WebSockets each sending one 16 MiB frame before any Hello.
//! 2. 40 sign-ins at once, for logins that do not exist.
//! 3. 1,000 slowloris connections: half a request's headers, then nothing; how many are still
//!    open after 12 and 20 seconds.
//!
//! Run: `cargo bench -p relay --bench attacks` (RELAY_BIN=<path> to measure another relay build,
//! e.g. an older commit's; it is started as `RELAY_BIN --listen 127.0.0.1:0 --data <tmp> demo --quiet`).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

struct Relay {
    child: Child,
    addr: String,
    pid: u32,
    _dir: tempfile::TempDir,
}

async fn start(binary: &PathBuf) -> Relay {
    let dir = tempfile::tempdir().expect("a temp folder");
    let mut child = Command::new(binary)
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .args(["demo", "--quiet"])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the relay");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(base) = line.strip_prefix("relay listening on http://") {
                return base.trim().to_string();
            }
        }
        panic!("the relay exited before listening")
    })
    .await
    .expect("the relay starts");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let pid = child.id().expect("a pid");
    // Let it settle.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Relay {
        child,
        addr,
        pid,
        _dir: dir,
    }
}

/// (VmRSS in KiB, threads) of a process.
fn status(pid: u32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("Threads:"))
}

/// Samples a process every 20 ms until stopped: the peak RSS and threads.
struct Sampler {
    stop: Arc<AtomicBool>,
    rss: Arc<AtomicU64>,
    threads: Arc<AtomicU64>,
}

impl Sampler {
    fn start(pid: u32) -> Sampler {
        let s = Sampler {
            stop: Arc::new(AtomicBool::new(false)),
            rss: Arc::new(AtomicU64::new(0)),
            threads: Arc::new(AtomicU64::new(0)),
        };
        let (stop, rss, threads) = (s.stop.clone(), s.rss.clone(), s.threads.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let (r, t) = status(pid);
                rss.fetch_max(r, Ordering::Relaxed);
                threads.fetch_max(t, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        s
    }

    fn peak(&self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        (
            self.rss.load(Ordering::Relaxed),
            self.threads.load(Ordering::Relaxed),
        )
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

async fn ws_upgraded(addr: &str) -> Option<TcpStream> {
    let mut tcp = TcpStream::connect(addr).await.ok()?;
    let request = format!(
        "GET /lessons/1/ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.ok()?;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8; 1];
        if tcp.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    head.starts_with(b"HTTP/1.1 101").then_some(tcp)
}

/// 24 sockets, each one masked 16 MiB binary frame (mask key 0) before any Hello.
async fn big_frames(relay: &Relay) -> String {
    const SOCKETS: usize = 24;
    const FRAME: u64 = 16 * 1024 * 1024;
    let started = Instant::now();
    let tasks: Vec<_> = (0..SOCKETS)
        .map(|_| {
            let addr = relay.addr.clone();
            tokio::spawn(async move {
                let Some(mut tcp) = ws_upgraded(&addr).await else {
                    return (false, None);
                };
                let mut frame = vec![0x82, 0x80 | 127];
                frame.extend_from_slice(&FRAME.to_be_bytes());
                frame.extend_from_slice(&[0, 0, 0, 0]);
                frame.resize(frame.len() + FRAME as usize, 0);
                let sent = tokio::time::timeout(Duration::from_secs(30), tcp.write_all(&frame))
                    .await
                    .is_ok_and(|r| r.is_ok());
                // Hold the socket a while (as an attacker would) and see whether it is closed.
                let mut buf = vec![0u8; 4096];
                let mut closed_after = None;
                let t = Instant::now();
                while t.elapsed() < Duration::from_secs(15) {
                    match tokio::time::timeout(Duration::from_secs(15), tcp.read(&mut buf)).await {
                        Ok(Ok(0)) | Ok(Err(_)) => {
                            closed_after = Some(t.elapsed());
                            break;
                        }
                        Ok(Ok(_)) => {}
                        Err(_) => break,
                    }
                }
                (sent, closed_after)
            })
        })
        .collect();
    let mut fully_sent = 0;
    let mut closed = 0;
    for t in tasks {
        if let Ok((sent, c)) = t.await {
            fully_sent += usize::from(sent);
            closed += usize::from(c.is_some());
        }
    }
    format!(
        "{SOCKETS} sockets: {fully_sent} sent their whole frame, {closed} closed by the relay; {:.1} s",
        started.elapsed().as_secs_f64()
    )
}

async fn http_status(addr: &str, request: &str) -> u16 {
    let Ok(mut tcp) = TcpStream::connect(addr).await else {
        return 0;
    };
    if tcp.write_all(request.as_bytes()).await.is_err() {
        return 0;
    }
    let mut text = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), tcp.read_to_end(&mut text)).await;
    String::from_utf8_lossy(&text)
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// 40 sign-ins at once for logins that do not exist.
async fn sign_ins(relay: &Relay) -> String {
    const AT_ONCE: usize = 40;
    let started = Instant::now();
    let tasks: Vec<_> = (0..AT_ONCE)
        .map(|i| {
            let addr = relay.addr.clone();
            tokio::spawn(async move {
                let body = format!(r#"{{"login":"nobody-{i}","password":"a guess at it"}}"#);
                let request = format!(
                    "POST /api/session HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                http_status(&addr, &request).await
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for t in tasks {
        *statuses.entry(t.await.unwrap_or(0)).or_insert(0) += 1;
    }
    format!(
        "{AT_ONCE} sign-ins: statuses {statuses:?}; {:.1} s",
        started.elapsed().as_secs_f64()
    )
}

/// 1,000 connections with half a request's headers; how many the relay still holds open.
async fn slowloris(relay: &Relay) -> String {
    const CONNECTIONS: usize = 1000;
    let mut open = Vec::new();
    for _ in 0..CONNECTIONS {
        if let Ok(Ok(mut tcp)) =
            tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(&relay.addr)).await
        {
            if tcp
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Slow: ")
                .await
                .is_ok()
            {
                open.push(tcp);
            }
        }
    }
    let connected = open.len();
    let started = Instant::now();
    let mut report = format!("{CONNECTIONS} slow connections: {connected} connected");
    for at in [12u64, 20] {
        tokio::time::sleep_until(tokio::time::Instant::from_std(
            started + Duration::from_secs(at),
        ))
        .await;
        let mut still = 0;
        for tcp in open.iter_mut() {
            let mut buf = [0u8; 64];
            // Open = nothing to read yet (no EOF, no reset).
            if tokio::time::timeout(Duration::from_millis(1), tcp.read(&mut buf))
                .await
                .is_err()
            {
                still += 1;
            }
        }
        report.push_str(&format!(", {still} still open after {at} s"));
    }
    report
}

#[tokio::main]
async fn main() {
    let binary = std::env::var_os("RELAY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_relay")));
    println!("relay: {}", binary.display());
    println!("| attack | before (RSS, threads) | peak | 5 s after | what happened |");
    println!("|---|---|---|---|---|");
    for attack in ["16 MiB frames", "sign-ins", "slowloris"] {
        let mut relay = start(&binary).await;
        let before = status(relay.pid);
        let sampler = Sampler::start(relay.pid);
        let what = match attack {
            "16 MiB frames" => big_frames(&relay).await,
            "sign-ins" => sign_ins(&relay).await,
            _ => slowloris(&relay).await,
        };
        let peak = sampler.peak();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let after = status(relay.pid);
        println!(
            "| {attack} | {}, {} | {}, {} | {}, {} | {what} |",
            mib(before.0),
            before.1,
            mib(peak.0),
            peak.1,
            mib(after.0),
            after.1
        );
        let _ = relay.child.kill().await;
    }
}
