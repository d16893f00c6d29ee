//! The teacher's camera and microphone forwarded by the relay to N classrooms over WebRTC.
//!
//! Run: `cargo bench -p tests --bench media_fanout` (N = 10, 50, 200), or
//! `cargo bench -p tests --bench media_fanout -- 50` for one N. The relay is the release-built
//! relay binary (`target/release/relay-under-test`, built with the bench profile), started as a
//! child process on 127.0.0.1. The publisher and the N subscribers are webrtc-rs peers in this
//! process, on the same two cores: they encrypt and decrypt every packet, so they compete with the
//! relay for CPU.
//!
//! The publisher sends ~1.5 Mbit/s: VP8 at 150 packets/s of 1,200 bytes and Opus at 50 packets/s
//! of 120 bytes. Once every subscriber is connected it streams for a fixed window; measured over
//! the window:
//! - relay CPU: utime + stime of the relay process (`/proc/<pid>/stat`), per forwarded packet
//!   (packets the publisher sent in the window × N);
//! - loss: packets sent in the window that a subscriber never received (duplicates counted once),
//!   and gaps in the sequence numbers each subscriber saw in arrival order;
//! - latency: from the publisher's send stamp to the subscriber's receipt (one clock,
//!   [`tests::media::clock`]), over every packet of every subscriber. It includes the publisher's
//!   SRTP encryption and the subscriber's decryption in this process, not only the relay.
//!
//! And the set-up: the N classrooms join all at once (WebSocket, sources, offer, answer, ICE and
//! DTLS, concurrently), and for each, the time from sending its offer to its first packet of the
//! teacher's (who streams all along).

use shared::ids::{PageId, Role};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tests::client::LessonClient;
use tests::media::{clock, TestPeer};
use tests::relay::{extra_classroom, TestRelay, LESSON};
use tokio_tungstenite::tungstenite::Message;

/// The classroom counts measured when none is given on the command line.
const COUNTS: [u32; 3] = [10, 50, 200];
/// The measured streaming window.
const WINDOW: Duration = Duration::from_secs(10);
/// VP8 packets per 20 ms tick (150 packets/s) and their payload size.
const VIDEO_PER_TICK: u32 = 3;
const VIDEO_BYTES: usize = 1200;
/// One Opus packet per 20 ms tick (50 packets/s).
const AUDIO_BYTES: usize = 120;
/// A whole round (set-up, window, analysis) gives up after this.
const ROUND_LIMIT: Duration = Duration::from_secs(300);
/// How long packets still in flight after the window may take to arrive.
const TAIL: Duration = Duration::from_secs(1);

/// Sets the flag when dropped, so background tasks stop even if a round is abandoned.
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// CPU time (user + system) of a process from `/proc/<pid>/stat`, in clock ticks.
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start with field 3, the state.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second (`getconf CLK_TCK`), 100 if that cannot be run.
fn ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU time all processes of the machine spent busy (`/proc/stat`), in clock ticks.
fn machine_busy_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    // user, nice, system, (idle, iowait), irq, softirq, steal; guest time is counted in user.
    Some(
        [0, 1, 2, 5, 6, 7]
            .iter()
            .map(|&i| v.get(i).copied().unwrap_or(0))
            .sum(),
    )
}

/// The kernel's count of UDP datagrams dropped for a full receive buffer (`/proc/net/snmp`).
fn udp_rcvbuf_errors() -> Option<u64> {
    let snmp = std::fs::read_to_string("/proc/net/snmp").ok()?;
    let mut udp = snmp.lines().filter(|l| l.starts_with("Udp:"));
    let names: Vec<&str> = udp.next()?.split_whitespace().collect();
    let values: Vec<&str> = udp.next()?.split_whitespace().collect();
    let i = names.iter().position(|n| *n == "RcvbufErrors")?;
    values.get(i)?.parse().ok()
}

async fn joined(relay: &TestRelay, role: Role, page: u64) -> LessonClient {
    let mut c = LessonClient::connect(
        &relay.ws_url(LESSON),
        &relay.token(role),
        PageId(page),
        None,
    )
    .await;
    c.until("the media sources", |c| c.sources_seen > 0).await;
    c
}

/// Keeps a lesson connection alive as a browser does: reads what the relay sends and pings every
/// 10 s (the relay closes connections silent for 45 s). Returns the client once `stop` is set.
fn keep_alive(mut c: LessonClient, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<LessonClient> {
    tokio::spawn(async move {
        let deadline = Instant::now() + Duration::from_secs(900);
        let mut pinged = Instant::now();
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline && c.closed.is_none() {
            let asked = Instant::now();
            if c.recv(Duration::from_millis(500)).await.is_none()
                && asked.elapsed() < Duration::from_millis(400)
            {
                // Not a timeout: the socket ended.
                break;
            }
            if pinged.elapsed() >= Duration::from_secs(10) {
                c.send_raw(Message::Ping(Default::default())).await;
                pinged = Instant::now();
            }
        }
        c
    })
}

/// What the publisher did in the measured window, and the CPU time around it.
#[derive(Default, Debug)]
struct Window {
    /// Start and end on [`clock`], in µs: every packet sent in the window carries a stamp between.
    start_us: u64,
    end_us: u64,
    sent: u64,
    relay_ticks: u64,
    own_ticks: u64,
    /// Busy CPU time of every other process (e.g. a build running alongside): nonzero means the
    /// figures were measured on a busy machine.
    other_ticks: u64,
    udp_drops: u64,
}

/// Sends video and audio every 20 ms from the start: before `go` to get the publication listed
/// and keep it flowing while the classrooms join, then for [`WINDOW`] measured, then stops.
async fn publish(
    publisher: Arc<TestPeer>,
    relay_pid: String,
    go: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> Option<Window> {
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let began = Instant::now();
    let (mut vseq, mut aseq) = (1000u16, 5000u16);
    let mut window: Option<(Window, Instant, [u64; 3], Option<u64>)> = None;
    // Bounded: a round gives up after ROUND_LIMIT, and the window itself ends after WINDOW.
    while began.elapsed() < ROUND_LIMIT + WINDOW && !stop.load(Ordering::Relaxed) {
        tick.tick().await;
        if window.is_none() && go.load(Ordering::Relaxed) {
            let w = Window {
                start_us: clock().as_micros() as u64,
                ..Window::default()
            };
            let ticks = [
                cpu_ticks(&relay_pid)?,
                cpu_ticks("self")?,
                machine_busy_ticks()?,
            ];
            window = Some((w, Instant::now(), ticks, udp_rcvbuf_errors()));
        }
        if let Some((w, started, [relay, own, busy], udp)) = &mut window {
            if started.elapsed() >= WINDOW {
                w.end_us = clock().as_micros() as u64;
                w.relay_ticks = cpu_ticks(&relay_pid)?.saturating_sub(*relay);
                w.own_ticks = cpu_ticks("self")?.saturating_sub(*own);
                w.other_ticks = machine_busy_ticks()?
                    .saturating_sub(*busy)
                    .saturating_sub(w.relay_ticks + w.own_ticks);
                w.udp_drops = match (udp_rcvbuf_errors(), *udp) {
                    (Some(after), Some(before)) => after.saturating_sub(before),
                    _ => 0,
                };
                return window.map(|(w, ..)| w);
            }
        }
        let t = began.elapsed().as_millis() as u32;
        let mut sent = 0;
        for _ in 0..VIDEO_PER_TICK {
            sent += u64::from(publisher.send(true, vseq, t * 90, VIDEO_BYTES).await);
            vseq = vseq.wrapping_add(1);
        }
        sent += u64::from(publisher.send(false, aseq, t * 48, AUDIO_BYTES).await);
        aseq = aseq.wrapping_add(1);
        if let Some((w, ..)) = &mut window {
            w.sent += sent;
        }
    }
    None
}

/// One round's results.
struct Round {
    n: u32,
    connected: usize,
    window: Window,
    received: u64,
    gaps: u64,
    latencies_us: Vec<u64>,
    setup: Duration,
    /// Per subscriber that received anything: from its offer to its first packet, sorted (µs).
    first_packet_us: Vec<u64>,
}

async fn round(n: u32, progress: Arc<Mutex<String>>) -> Round {
    let note = |what: String| {
        eprintln!("[N={n}] {what}");
        *progress.lock().unwrap() = what;
    };
    let began = Instant::now();
    let relay = TestRelay::start_with(n).await;
    let relay_pid = relay.pid().expect("the relay runs").to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let _stop_guard = StopOnDrop(Arc::clone(&stop));
    let go = Arc::new(AtomicBool::new(false));

    let mut teacher = joined(&relay, Role::Teacher, 1).await;
    let (publisher, offer) = TestPeer::publisher().await;
    let (_, answer) = teacher.offer(None, offer).await.expect("publish accepted");
    publisher.accept(answer).await;
    assert!(
        publisher.connected(Duration::from_secs(10)).await,
        "the publisher connects"
    );
    let publisher = Arc::new(publisher);
    let mut clients = vec![keep_alive(teacher, Arc::clone(&stop))];
    let sender = tokio::spawn(publish(
        Arc::clone(&publisher),
        relay_pid,
        Arc::clone(&go),
        Arc::clone(&stop),
    ));

    // Every classroom joins at once: their sign-ins, offers and handshakes overlap.
    let relay_ref = &relay;
    let joins = (0..n).map(|k| async move {
        let mut c = joined(
            relay_ref,
            Role::Classroom(extra_classroom(k)),
            100 + u64::from(k),
        )
        .await;
        c.until("the teacher's source", |c| {
            c.sources
                .iter()
                .any(|s| s.role == Role::Teacher && s.video && s.audio)
        })
        .await;
        let source = c
            .sources
            .iter()
            .find(|s| s.role == Role::Teacher)
            .map(|s| s.id)
            .expect("the teacher's source");
        let (peer, offer) = TestPeer::subscriber().await;
        let offered = clock();
        let (_, answer) = c
            .offer(Some(source), offer)
            .await
            .expect("subscribe accepted");
        peer.accept(answer).await;
        (c, peer, offered)
    });
    let mut subscribers = Vec::new();
    let mut offered_at = Vec::new();
    for (c, peer, offered) in futures_util::future::join_all(joins).await {
        subscribers.push(peer);
        offered_at.push(offered);
        clients.push(keep_alive(c, Arc::clone(&stop)));
    }
    note(format!("{n} subscriptions answered"));
    let mut connected = 0;
    for peer in &subscribers {
        connected += usize::from(peer.connected(Duration::from_secs(30)).await);
    }
    note(format!(
        "{connected}/{n} subscribers connected after {:.1} s; streaming",
        began.elapsed().as_secs_f64()
    ));
    // Let the relay attach every subscription's sinks before the window opens.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let setup = began.elapsed();
    go.store(true, Ordering::Relaxed);
    let window = sender
        .await
        .expect("the publisher's task")
        .expect("the window was measured (the relay process is readable)");
    tokio::time::sleep(TAIL).await;
    note("analysing".into());

    let mut first_packet_us: Vec<u64> = subscribers
        .iter()
        .zip(&offered_at)
        .filter_map(|(peer, offered)| {
            let first = peer.received().iter().map(|r| r.at).min()?;
            Some(first.saturating_sub(*offered).as_micros() as u64)
        })
        .collect();
    first_packet_us.sort_unstable();
    let (mut received, mut gaps) = (0u64, 0u64);
    let mut latencies_us = Vec::new();
    for peer in &subscribers {
        let mut last: [Option<u16>; 2] = [None, None];
        // A packet the subscriber asked again for (NACK) may arrive twice: count the first.
        let mut seen = HashSet::new();
        for r in peer.received() {
            if r.sent_at_us < window.start_us || r.sent_at_us > window.end_us {
                continue;
            }
            if seen.insert((r.video, r.seq)) {
                received += 1;
                latencies_us.push((r.at.as_micros() as u64).saturating_sub(r.sent_at_us));
            }
            // Gaps as a decoder sees them, in arrival order (a repaired hole still counts).
            let last = &mut last[usize::from(r.video)];
            if let Some(prev) = *last {
                if r.seq != prev.wrapping_add(1) {
                    gaps += 1;
                }
            }
            *last = Some(r.seq);
        }
    }
    latencies_us.sort_unstable();

    stop.store(true, Ordering::Relaxed);
    for peer in &subscribers {
        let _ = tokio::time::timeout(Duration::from_secs(2), peer.close()).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), publisher.close()).await;
    for client in clients {
        if let Ok(Ok(c)) = tokio::time::timeout(Duration::from_secs(2), client).await {
            let _ = tokio::time::timeout(Duration::from_secs(2), c.close()).await;
        }
    }
    drop(relay);
    Round {
        n,
        connected,
        window,
        received,
        gaps,
        latencies_us,
        setup,
        first_packet_us,
    }
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; any number is a classroom count.
    let asked: Vec<u32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let counts = if asked.is_empty() {
        COUNTS.to_vec()
    } else {
        asked
    };
    let tick_s = ticks_per_second();
    println!(
        "| N | connected | packets sent | packets forwarded | relay CPU µs/packet | relay CPU (s) | bench process CPU (s) | other CPU (s) | received | loss % | seq gaps | kernel UDP drops | p50 ms | p99 ms | max ms | offer to first packet p50 / p99 / max s |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for n in counts {
        let progress = Arc::new(Mutex::new(String::from("starting")));
        let task = tokio::spawn(round(n, Arc::clone(&progress)));
        let abort = task.abort_handle();
        let r = match tokio::time::timeout(ROUND_LIMIT, task).await {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                println!(
                    "| {n} | failed: {e} (last step: {}) |",
                    progress.lock().unwrap()
                );
                continue;
            }
            Err(_) => {
                abort.abort();
                println!(
                    "| {n} | did not finish within {} s (last step: {}) |",
                    ROUND_LIMIT.as_secs(),
                    progress.lock().unwrap()
                );
                continue;
            }
        };
        let w = &r.window;
        let forwarded = w.sent * u64::from(r.n);
        let relay_s = w.relay_ticks as f64 / tick_s;
        let loss = 100.0 * (1.0 - r.received as f64 / forwarded.max(1) as f64);
        eprintln!(
            "[N={}] set-up {:.1} s; window {:.2} s",
            r.n,
            r.setup.as_secs_f64(),
            (w.end_us - w.start_us) as f64 / 1e6
        );
        println!(
            "| {} | {}/{} | {} | {} | {:.1} | {relay_s:.2} | {:.2} | {:.2} | {} | {:.3} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} / {:.2} / {:.2} |",
            r.n,
            r.connected,
            r.n,
            w.sent,
            forwarded,
            relay_s * 1e6 / forwarded.max(1) as f64,
            w.own_ticks as f64 / tick_s,
            w.other_ticks as f64 / tick_s,
            r.received,
            loss,
            r.gaps,
            w.udp_drops,
            pct(&r.latencies_us, 0.5),
            pct(&r.latencies_us, 0.99),
            pct(&r.latencies_us, 1.0),
            pct(&r.first_packet_us, 0.5) / 1000.0,
            pct(&r.first_packet_us, 0.99) / 1000.0,
            pct(&r.first_packet_us, 1.0) / 1000.0,
        );
        // Let the previous relay's ports and the peers' tasks wind down.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}
