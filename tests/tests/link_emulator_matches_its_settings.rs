//! The link emulator (`tests::link`) does what its settings say: first the pure pipeline on a
//! simulated clock, then real packets through the namespaces (needs root and the
//! `link-emulator` binary), measured against the settings within 10%.
//!
//! Random loss is a Bernoulli draw per packet, so a measured ratio over n packets has a standard
//! deviation of sqrt(p(1-p)/n): for 5% over 4,000 packets that is 0.34 points, so 10% of the
//! setting (0.5 points) is only 1.45 sigma. The real-network test therefore allows 4 sigma
//! (5% +- 1.38 points); the simulated test draws 200,000 packets, where 10% is 3.2 sigma (and the
//! seed is fixed, so it is deterministic).

use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tests::link::control::{self, Command, Direction};
use tests::link::net::{EmulatedLink, Player};
use tests::link::pipeline::{Dropped, Pipeline, Settings};
use tests::link::profiles::{self, Profile};

const MS: Duration = Duration::from_millis(1);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn within(measured: f64, want: f64, tolerance: f64) -> bool {
    (measured - want).abs() <= want * tolerance
}

/// A minimal IPv4 header with protocol `proto`, padded to `len` bytes.
fn ipv4(proto: u8, len: usize) -> Vec<u8> {
    let mut p = vec![0u8; len.max(20)];
    p[0] = 0x45;
    p[9] = proto;
    p
}

// ---- The pure pipeline, simulated clock ----

#[test]
fn the_bottleneck_sends_at_its_rate() {
    let mut pipe = Pipeline::new(
        Settings {
            rate_bps: 1_000_000,
            queue: Duration::from_secs(10),
            ..Settings::CLEAN
        },
        1,
    );
    // 100 packets of 10 kbit at once: one leaves every 10 ms.
    for _ in 0..100 {
        assert_eq!(pipe.push(Duration::ZERO, ipv4(6, 1250)), Ok(()));
    }
    let mut releases = Vec::new();
    let mut now = Duration::ZERO;
    while let Some(due) = pipe.next_due() {
        now = now.max(due);
        assert!(pipe.pop_due(now).is_some());
        releases.push(now);
    }
    assert_eq!(releases.len(), 100);
    assert_eq!(releases[0], ms(10));
    assert_eq!(releases[99], ms(1000));
}

#[test]
fn the_queue_holds_at_most_its_time_and_drops_the_tail() {
    let mut pipe = Pipeline::new(
        Settings {
            rate_bps: 1_000_000,
            queue: ms(300),
            ..Settings::CLEAN
        },
        1,
    );
    let results: Vec<_> = (0..100)
        .map(|_| pipe.push(Duration::ZERO, ipv4(17, 1250)))
        .collect();
    // Packet i would wait i * 10 ms: 0..=30 fit in 300 ms, the rest are dropped.
    assert!(results[..31].iter().all(|r| r.is_ok()));
    assert!(results[31..].iter().all(|r| *r == Err(Dropped::QueueFull)));
    assert_eq!(pipe.counters().dropped_queue, 69);
    // Once the queue has drained, packets are accepted again.
    assert_eq!(pipe.push(ms(400), ipv4(17, 1250)), Ok(()));
}

#[test]
fn packets_are_delayed_by_the_setting() {
    let mut pipe = Pipeline::new(
        Settings {
            delay: ms(40),
            ..Settings::CLEAN
        },
        1,
    );
    assert_eq!(pipe.push(ms(5), ipv4(17, 100)), Ok(()));
    assert_eq!(pipe.next_due(), Some(ms(45)));
    assert!(pipe.pop_due(ms(44)).is_none());
    assert!(pipe.pop_due(ms(45)).is_some());
}

/// Sends `count` packets every `gap` through a 40 +- 20 ms link and releases them, checking that
/// they leave in the order they came: (arrival, release) of each.
fn jittered(gap: Duration, count: u64) -> Vec<(Duration, Duration)> {
    let mut pipe = Pipeline::new(
        Settings {
            delay: ms(40),
            jitter: ms(20),
            ..Settings::CLEAN
        },
        7,
    );
    let mut times = Vec::new();
    let mut next_out = 0u64;
    let mut check = |p: Vec<u8>| {
        let seq = u64::from_be_bytes(p[28..36].try_into().expect("8 bytes"));
        assert_eq!(seq, next_out, "released out of order");
        next_out += 1;
    };
    let mut last = Duration::ZERO;
    for i in 0..count {
        let at = gap * i as u32;
        while let Some(p) = pipe.pop_due(at) {
            check(p);
        }
        let mut packet = ipv4(17, 28);
        packet.extend_from_slice(&i.to_be_bytes());
        pipe.push(at, packet).expect("no loss configured");
        let due = pipe.last_release();
        assert!(due >= last, "release times go backwards");
        last = due;
        times.push((at, due));
    }
    while let Some(due) = pipe.next_due() {
        check(pipe.pop_due(due).expect("due"));
    }
    assert_eq!(next_out, count);
    times
}

#[test]
fn jitter_varies_the_delay_without_reordering() {
    // Dense traffic (1 ms apart, closer than the jitter): never reordered.
    jittered(ms(1), 2_000);
    // Sparse traffic (50 ms apart): the delay is 40 ms on average and spreads over +- 20 ms.
    let delays: Vec<f64> = jittered(ms(50), 1_000)
        .iter()
        .map(|(at, due)| (*due - *at).as_secs_f64() * 1000.0)
        .collect();
    let mean = delays.iter().sum::<f64>() / delays.len() as f64;
    let (lo, hi) = delays
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), d| (lo.min(*d), hi.max(*d)));
    assert!(within(mean, 40.0, 0.1), "mean delay {mean} ms");
    assert!(lo >= 20.0 && hi <= 60.0, "delays from {lo} to {hi} ms");
    assert!(hi - lo > 30.0, "delays only spread from {lo} to {hi} ms");
}

#[test]
fn random_loss_matches_its_ratio() {
    let mut pipe = Pipeline::new(
        Settings {
            loss: 0.05,
            ..Settings::CLEAN
        },
        42,
    );
    let n = 200_000;
    let lost = (0..n)
        .filter(|i| pipe.push(ms(*i), ipv4(17, 28)) == Err(Dropped::Loss))
        .count();
    let ratio = lost as f64 / n as f64;
    assert!(within(ratio, 0.05, 0.1), "loss ratio {ratio}");
}

#[test]
fn burst_loss_comes_in_bursts_of_the_set_mean_length() {
    // Enter a burst 1% of packets, leave 25%: bursts of 4 packets on average, and a loss ratio of
    // 0.01 / (0.01 + 0.25) = 3.85% in the long run.
    let mut pipe = Pipeline::new(
        Settings {
            burst_enter: 0.01,
            burst_leave: 0.25,
            ..Settings::CLEAN
        },
        9,
    );
    let n = 200_000u64;
    let (mut lost, mut bursts, mut previous_lost) = (0u64, 0u64, false);
    for i in 0..n {
        let is_lost = pipe.push(ms(i), ipv4(17, 28)) == Err(Dropped::Loss);
        if is_lost {
            lost += 1;
            if !previous_lost {
                bursts += 1;
            }
        }
        previous_lost = is_lost;
    }
    let ratio = lost as f64 / n as f64;
    let mean_burst = lost as f64 / bursts as f64;
    assert!(within(ratio, 0.01 / 0.26, 0.1), "loss ratio {ratio}");
    assert!(within(mean_burst, 4.0, 0.1), "mean burst {mean_burst}");
}

#[test]
fn an_outage_drops_everything_until_cleared() {
    let mut pipe = Pipeline::new(Settings::CLEAN, 1);
    assert_eq!(pipe.push(ms(0), ipv4(6, 60)), Ok(()));
    pipe.set(Settings {
        outage: true,
        ..Settings::CLEAN
    });
    for i in 1..50 {
        assert_eq!(pipe.push(ms(i), ipv4(6, 60)), Err(Dropped::Outage));
    }
    pipe.set(Settings::CLEAN);
    assert_eq!(pipe.push(ms(50), ipv4(6, 60)), Ok(()));
    assert_eq!(pipe.counters().dropped_outage, 49);
}

#[test]
fn blocking_udp_passes_tcp() {
    let mut pipe = Pipeline::new(profiles::P5_UDP_BLOCKED.down, 1);
    assert_eq!(pipe.push(ms(0), ipv4(17, 60)), Err(Dropped::Blocked));
    assert_eq!(pipe.push(ms(0), ipv4(6, 60)), Ok(()));
}

#[test]
fn control_lines_round_trip_and_bad_ones_are_refused() {
    for profile in profiles::ALL {
        for (dir, s) in [(Direction::Down, profile.down), (Direction::Up, profile.up)] {
            let line = control::line(dir, &s);
            let parsed = control::parse(&line, |_| Settings::CLEAN);
            assert_eq!(parsed, Ok(Command::Set(dir, s)), "{line}");
        }
    }
    // Fields not named keep their values.
    let old = profiles::P2_SLOW.down;
    let parsed = control::parse("down outage=1", |_| old);
    assert_eq!(
        parsed,
        Ok(Command::Set(
            Direction::Down,
            Settings {
                outage: true,
                ..old
            }
        ))
    );
    for bad in [
        "",
        "sideways rate=1",
        "down rate",
        "down rate=-5",
        "down loss=2",
        "down colour=red",
        "down burst_leave=1.5",
        "up outage=maybe",
    ] {
        assert!(
            control::parse(bad, |_| Settings::CLEAN).is_err(),
            "{bad:?} accepted"
        );
    }
}

#[test]
fn profiles_change_over_a_lesson() {
    let s = Duration::from_secs;
    let p4: Profile = profiles::P4_OUTAGE;
    assert!(!p4.at(s(29)).0.outage);
    assert!(p4.at(s(30)).0.outage && p4.at(s(44)).1.outage);
    assert!(!p4.at(s(45)).0.outage);
    assert_eq!(p4.changes(), vec![s(30), s(45)]);
    let p6 = profiles::P6_SLOWDOWN;
    assert_eq!(p6.at(s(10)).0.rate_bps, 2_000_000);
    assert_eq!(p6.at(s(40)).0.rate_bps, 300_000);
    assert_eq!(p6.at(s(60)).0.rate_bps, 2_000_000);
    assert_eq!(profiles::P1_RURAL_DSL.up.rate_bps, 1_000_000);
    assert_eq!(profiles::P3_SLOW_LOSSY.down.delay, 300 * MS);
}

// ---- Real packets through the namespaces ----

/// The network tests run one at a time so their timings do not disturb each other.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// A UDP socket in the classroom's namespace, with a read timeout.
fn classroom_udp(link: &EmulatedLink) -> UdpSocket {
    let ip = link.classroom_ip.clone();
    let s = link.in_classroom(move || UdpSocket::bind((ip.as_str(), 0)).expect("classroom bind"));
    s.set_read_timeout(Some(ms(500))).expect("timeout");
    s
}

fn relay_udp(link: &EmulatedLink) -> UdpSocket {
    let s = UdpSocket::bind((link.relay_ip.as_str(), 0)).expect("relay bind");
    s.set_read_timeout(Some(ms(500))).expect("timeout");
    s
}

/// Median one-way delay from `from` to `to` (both in this process, so one clock), in ms.
fn one_way_ms(from: &UdpSocket, to: &UdpSocket, probes: usize) -> f64 {
    let dest = to.local_addr().expect("addr");
    let mut buf = [0u8; 64];
    let mut samples = Vec::new();
    for i in 0..probes {
        let sent = Instant::now();
        from.send_to(&(i as u64).to_be_bytes(), dest).expect("send");
        while let Ok((n, _)) = to.recv_from(&mut buf) {
            if n == 8 && buf[..8] == (i as u64).to_be_bytes() {
                samples.push(sent.elapsed().as_secs_f64() * 1000.0);
                break;
            }
        }
    }
    assert!(
        samples.len() >= probes / 2,
        "only {} probes came back",
        samples.len()
    );
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[test]
fn measured_delay_matches_the_setting() {
    let _one = serial();
    let link = EmulatedLink::create("emud");
    let (relay, room) = (relay_udp(&link), classroom_udp(&link));
    let clean = one_way_ms(&relay, &room, 10);
    for (delay, probes) in [(40, 20), (150, 8)] {
        let s = Settings {
            delay: ms(delay),
            ..profiles::P1_RURAL_DSL.down
        };
        let s = Settings { loss: 0.0, ..s };
        link.set(Direction::Down, &s);
        link.set(Direction::Up, &s);
        let down = one_way_ms(&relay, &room, probes);
        let up = one_way_ms(&room, &relay, probes);
        println!(
            "delay {delay} ms: measured down {down:.1} ms, up {up:.1} ms (clean {clean:.2} ms)"
        );
        assert!(within(down, delay as f64, 0.1), "down {down} ms");
        assert!(within(up, delay as f64, 0.1), "up {up} ms");
    }
}

/// Sends `packets` UDP datagrams of `size` bytes from `from` to `to`, paced at `bps` (IP bytes);
/// returns the rate at which they arrived in bit/s (IP bytes, first to last arrival).
fn throughput(from: &UdpSocket, to: UdpSocket, bps: u64, seconds: f64) -> f64 {
    const PAYLOAD: usize = 1200;
    const IP: usize = PAYLOAD + 28;
    let dest = to.local_addr().expect("addr");
    let receiver = std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let (mut first, mut last, mut count) = (None, None, 0u64);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            match to.recv_from(&mut buf) {
                Ok((PAYLOAD, _)) => {
                    let now = Instant::now();
                    first.get_or_insert(now);
                    last = Some(now);
                    count += 1;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        (first, last, count)
    });
    let per_packet = Duration::from_secs_f64((IP * 8) as f64 / bps as f64);
    let packets = (seconds / per_packet.as_secs_f64()) as u64;
    let start = Instant::now();
    for i in 0..packets {
        let due = start + per_packet * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let _ = from.send_to(&[0u8; PAYLOAD], dest);
    }
    let (first, last, count) = receiver.join().expect("receiver");
    let (Some(first), Some(last)) = (first, last) else {
        panic!("nothing arrived");
    };
    ((count - 1) * IP as u64 * 8) as f64 / (last - first).as_secs_f64()
}

#[test]
fn measured_rate_matches_the_setting() {
    let _one = serial();
    let link = EmulatedLink::create("emur");
    // P2's 800 kbit/s down, and 2 Mbit/s up, each offered 1.5 times its rate for 3 s.
    let down = profiles::P2_SLOW.down;
    let down = Settings {
        loss: 0.0,
        delay: ms(20),
        ..down
    };
    let up = Settings {
        rate_bps: 2_000_000,
        ..down
    };
    link.set(Direction::Down, &down);
    link.set(Direction::Up, &up);
    let (relay, room) = (relay_udp(&link), classroom_udp(&link));
    let (relay2, room2) = (relay_udp(&link), classroom_udp(&link));
    let (down_bps, up_bps) = std::thread::scope(|s| {
        let d = s.spawn(|| throughput(&relay, room, 1_200_000, 3.0));
        let u = s.spawn(|| throughput(&room2, relay2, 3_000_000, 3.0));
        (d.join().expect("down"), u.join().expect("up"))
    });
    let stats = link.stats();
    println!(
        "rate: down {:.0} bit/s (set 800000), up {:.0} bit/s (set 2000000); emulator {stats}",
        down_bps, up_bps
    );
    assert!(within(down_bps, 800_000.0, 0.1), "down {down_bps} bit/s");
    assert!(within(up_bps, 2_000_000.0, 0.1), "up {up_bps} bit/s");
    assert!(stats["down"]["dropped_queue"].as_u64().unwrap_or(0) > 0);
    // Per whole second: 3 s offered at 1.2 Mbit/s cover at least one second entirely; what left
    // stayed near the 800 kbit/s bottleneck (more only if the emulator was held up and released
    // late). None of it was RTP.
    let in_max = stats["down"]["in_max_bps_1s"].as_u64().unwrap_or(0) as f64;
    let out_max = stats["down"]["out_max_bps_1s"].as_u64().unwrap_or(u64::MAX) as f64;
    assert!(in_max >= 1_200_000.0 * 0.9, "offered {in_max} bit/s");
    assert!(within(out_max, 800_000.0, 0.1), "delivered {out_max} bit/s");
    assert_eq!(stats["down"]["rtp_packets"].as_u64(), Some(0));
}

#[test]
fn measured_loss_matches_the_setting() {
    let _one = serial();
    let link = EmulatedLink::create("emul");
    let s = Settings {
        loss: 0.05,
        ..Settings::CLEAN
    };
    link.set(Direction::Down, &s);
    let (relay, room) = (relay_udp(&link), classroom_udp(&link));
    let dest = room.local_addr().expect("addr");
    let n: u32 = 4_000;
    let receiver = std::thread::spawn(move || {
        let mut seen = vec![false; 4_000];
        let mut buf = [0u8; 64];
        while let Ok((4, _)) = room.recv_from(&mut buf) {
            let i = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
            if let Some(s) = seen.get_mut(i) {
                *s = true;
            }
        }
        seen.iter().filter(|s| **s).count()
    });
    // 4,000 packets in about a second: 40 every 10 ms.
    for i in 0..n {
        relay.send_to(&i.to_be_bytes(), dest).expect("send");
        if i % 40 == 39 {
            std::thread::sleep(ms(10));
        }
    }
    let received = receiver.join().expect("receiver");
    let ratio = 1.0 - received as f64 / n as f64;
    let sigma = (0.05f64 * 0.95 / n as f64).sqrt();
    let stats = link.stats();
    println!(
        "loss: {ratio:.4} measured over {n} packets (set 0.05, 4 sigma = {:.4}); emulator {stats}",
        4.0 * sigma
    );
    assert!((ratio - 0.05).abs() <= 4.0 * sigma, "loss {ratio}");
    assert_eq!(stats["down"]["in_packets"].as_u64(), Some(u64::from(n)));
}

#[test]
fn an_outage_mid_flow_stops_packets_until_cleared() {
    let _one = serial();
    let link = EmulatedLink::create("emuo");
    let (relay, room) = (relay_udp(&link), classroom_udp(&link));
    let dest = room.local_addr().expect("addr");
    let start = Instant::now();
    let receiver = std::thread::spawn(move || {
        let mut arrivals = Vec::new();
        let mut buf = [0u8; 64];
        // Read through the outage's silence (timeouts) until the flow has surely ended.
        while start.elapsed() < ms(2_000) {
            if room.recv_from(&mut buf).is_ok() {
                arrivals.push(start.elapsed());
            }
        }
        arrivals
    });
    // 100 packets/s for 1.5 s; the outage from 0.4 s to 1.0 s.
    let outage = Settings {
        outage: true,
        ..Settings::CLEAN
    };
    for i in 0..150u32 {
        let t = start.elapsed();
        if i == 40 {
            link.set(Direction::Down, &outage);
        }
        if i == 100 {
            link.set(Direction::Down, &Settings::CLEAN);
        }
        relay.send_to(&i.to_be_bytes(), dest).expect("send");
        let next = ms(10) * (i + 1);
        std::thread::sleep(next.saturating_sub(t).min(ms(10)));
    }
    let arrivals = receiver.join().expect("receiver");
    let stats = link.stats();
    let during = arrivals
        .iter()
        .filter(|t| **t > ms(450) && **t < ms(950))
        .count();
    let before = arrivals.iter().filter(|t| **t < ms(350)).count();
    let after = arrivals.iter().filter(|t| **t > ms(1050)).count();
    println!("outage: {before} packets before, {during} during, {after} after; emulator {stats}");
    assert_eq!(during, 0, "packets arrived during the outage");
    assert!(before >= 25 && after >= 25, "flow did not run or resume");
    assert!(stats["down"]["dropped_outage"].as_u64().unwrap_or(0) >= 50);
}

#[test]
fn p5_blocks_udp_and_passes_tcp() {
    let _one = serial();
    let link = EmulatedLink::create("emub");
    link.apply(&profiles::P5_UDP_BLOCKED, Duration::ZERO);
    let (relay, room) = (relay_udp(&link), classroom_udp(&link));
    let mut buf = [0u8; 64];
    room.send_to(b"up", relay.local_addr().expect("addr"))
        .expect("send");
    assert!(relay.recv_from(&mut buf).is_err(), "UDP came up");
    relay
        .send_to(b"down", room.local_addr().expect("addr"))
        .expect("send");
    assert!(room.recv_from(&mut buf).is_err(), "UDP came down");

    let listener = TcpListener::bind((link.relay_ip.as_str(), 0)).expect("listen");
    let addr: SocketAddr = listener.local_addr().expect("addr");
    let mut stream = link.in_classroom(move || {
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).expect("TCP connect")
    });
    let (mut accepted, _) = listener.accept().expect("accept");
    use std::io::{Read, Write};
    stream.write_all(b"hello").expect("write");
    accepted
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut got = [0u8; 5];
    accepted.read_exact(&mut got).expect("TCP data");
    assert_eq!(&got, b"hello");
    let stats = link.stats();
    println!("P5: emulator {stats}");
    assert!(stats["up"]["dropped_blocked"].as_u64().unwrap_or(0) >= 1);
}

/// A 12-byte RTP header (payload type 111) with `ssrc` and `seq`, and a little payload.
fn rtp(ssrc: u32, seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 111];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0; 4]);
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(&[0xAB; 40]);
    p
}

#[test]
fn rtp_copies_are_counted_as_the_relay_sends_them_even_in_an_outage() {
    let _one = serial();
    let link = EmulatedLink::create("emuc");
    link.set(
        Direction::Down,
        &Settings {
            outage: true,
            ..Settings::CLEAN
        },
    );
    let (relay, room) = (relay_udp(&link), classroom_udp(&link));
    let dest = room.local_addr().expect("addr");
    let mut sender_report = rtp(7, 0);
    sender_report[1] = 200;
    let stun_like = vec![0, 1, 0, 0];
    let sends = [
        rtp(7, 1),
        rtp(7, 1),
        rtp(7, 1),
        rtp(7, 1),
        rtp(7, 2),
        rtp(8, 1),
    ];
    for packet in sends.iter().chain([&sender_report, &stun_like]) {
        relay.send_to(packet, dest).expect("send");
    }
    // The emulator reads them within its 5 ms poll.
    let deadline = Instant::now() + Duration::from_secs(2);
    let mut stats = link.stats();
    while stats["down"]["in_packets"].as_u64() < Some(8) && Instant::now() < deadline {
        std::thread::sleep(ms(10));
        stats = link.stats();
    }
    println!("RTP copies: emulator {stats}");
    let down = &stats["down"];
    assert_eq!(down["in_packets"].as_u64(), Some(8));
    assert_eq!(down["dropped_outage"].as_u64(), Some(8));
    assert_eq!(down["rtp_packets"].as_u64(), Some(6));
    assert_eq!(down["rtp_distinct"].as_u64(), Some(3));
    assert_eq!(down["rtp_max_copies"].as_u64(), Some(4));
    assert_eq!(down["rtp_copies_over_3"].as_u64(), Some(1));
}

#[test]
fn a_rate_drop_mid_flow_slows_the_flow_and_it_recovers() {
    // P6 compressed: P1's 2 Mbit/s down drops to 300 kbit/s from 1.5 s to 3 s, under a flow
    // offered 3 Mbit/s throughout.
    let _one = serial();
    let link = EmulatedLink::create("emus");
    let p6 = profiles::P6_SLOWDOWN;
    let normal = Settings {
        loss: 0.0,
        ..p6.at(Duration::ZERO).0
    };
    let slow = Settings {
        loss: 0.0,
        ..p6.at(Duration::from_secs(40)).0
    };
    assert_eq!(slow.rate_bps, 300_000);
    link.set(Direction::Down, &normal);
    let (relay, room) = (relay_udp(&link), classroom_udp(&link));
    let dest = room.local_addr().expect("addr");
    const PAYLOAD: usize = 1200;
    let start = Instant::now();
    let receiver = std::thread::spawn(move || {
        let mut arrivals = Vec::new();
        let mut buf = [0u8; 2048];
        while start.elapsed() < ms(5_000) {
            if let Ok((PAYLOAD, _)) = room.recv_from(&mut buf) {
                arrivals.push(start.elapsed());
            }
        }
        arrivals
    });
    // 3 Mbit/s of 1228-byte IP packets: one every 3.27 ms, for 4.5 s.
    let per_packet = Duration::from_secs_f64(1228.0 * 8.0 / 3_000_000.0);
    let (mut slowed, mut restored) = (false, false);
    for i in 0..(4.5 / per_packet.as_secs_f64()) as u32 {
        let due = per_packet * i;
        if !slowed && due >= ms(1_500) {
            link.set(Direction::Down, &slow);
            slowed = true;
        }
        if !restored && due >= ms(3_000) {
            link.set(Direction::Down, &normal);
            restored = true;
        }
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        let _ = relay.send_to(&[0u8; PAYLOAD], dest);
    }
    let arrivals = receiver.join().expect("receiver");
    // Rate over a window, skipping the first 400 ms after each change (the queue of up to 300 ms
    // and the 40 ms delay still hold packets sent at the old rate).
    let rate = |from: u64, to: u64| {
        let n = arrivals
            .iter()
            .filter(|t| **t >= ms(from) && **t < ms(to))
            .count();
        (n as f64 * 1228.0 * 8.0) / ((to - from) as f64 / 1000.0)
    };
    let (before, during, after) = (rate(400, 1_500), rate(1_900, 3_000), rate(3_400, 4_500));
    println!("rate drop: {before:.0} -> {during:.0} -> {after:.0} bit/s (set 2000000 -> 300000 -> 2000000)");
    assert!(within(before, 2_000_000.0, 0.1), "before {before}");
    assert!(within(during, 300_000.0, 0.1), "during {during}");
    assert!(within(after, 2_000_000.0, 0.1), "after {after}");
}

#[test]
fn a_panicking_test_leaves_no_namespace_nor_emulator_behind() {
    let _one = serial();
    let seen = Mutex::new(None);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let link = EmulatedLink::create("emup");
        *seen.lock().unwrap_or_else(|e| e.into_inner()) = Some((
            link.router_ns.clone(),
            link.classroom_ns.clone(),
            link.emulator_pid(),
        ));
        panic!("a test failing while its link is up");
    }));
    assert!(result.is_err());
    let (router, classroom, pid) = seen
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .expect("the link was built");
    let namespaces = std::process::Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list");
    let namespaces = String::from_utf8_lossy(&namespaces.stdout);
    assert!(!namespaces.contains(&router), "{router} left behind");
    assert!(!namespaces.contains(&classroom), "{classroom} left behind");
    let pid = pid.expect("the emulator's pid");
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "link-emulator {pid} still runs"
    );
}

#[test]
fn a_player_plays_p4s_outage_on_time() {
    // P4 at 1/50 of its times: the outage from 0.6 s to 0.9 s, under 100 packets/s.
    let _one = serial();
    let link = Arc::new(EmulatedLink::create("emuy"));
    let (relay, room) = (relay_udp(&link), classroom_udp(&link));
    let dest = room.local_addr().expect("addr");
    let start = Instant::now();
    let player = Player::start(link.clone(), profiles::P4_OUTAGE, start, 0.02);
    let receiver = std::thread::spawn(move || {
        let mut arrivals = Vec::new();
        let mut buf = [0u8; 64];
        while start.elapsed() < ms(1_600) {
            if room.recv_from(&mut buf).is_ok() {
                arrivals.push(start.elapsed());
            }
        }
        arrivals
    });
    for i in 0..130u32 {
        if let Some(wait) = (ms(10) * i).checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        relay.send_to(&i.to_be_bytes(), dest).expect("send");
    }
    let arrivals = receiver.join().expect("receiver");
    drop(player);
    let count = |from: u64, to: u64| {
        arrivals
            .iter()
            .filter(|t| **t >= ms(from) && **t < ms(to))
            .count()
    };
    // P1's 40 ms delay: packets sent just before 0.6 s arrive until 0.64 s; after 0.9 s from 0.94 s.
    let (before, during, after) = (count(0, 600), count(660, 920), count(960, 1_600));
    println!("P4 played: {before} packets before the outage, {during} during, {after} after");
    assert_eq!(during, 0, "packets arrived during the outage");
    assert!(before >= 45 && after >= 25, "flow did not run or resume");
    let dropped = link.stats()["down"]["dropped_outage"].as_u64().unwrap_or(0);
    assert!(
        dropped >= 25,
        "only {dropped} packets dropped by the outage"
    );
}
