//! The cost of simulcast layer selection in the relay's worker: `driver::layers::Layers` deciding,
//! for every packet of a three-layer Track and every Subscriber sink, whether and how to forward
//! it (choice every 0.5 s, the forwarder, the VP8 descriptor read and rewritten on a copy).
//! No network: the decisions alone, as the worker makes them before writing a copy.
//!
//! Run: `cargo bench -p tests --bench layer_selection` (prints one table row per N).

use bytes::Bytes;
use relay::media::driver::demux::PeerId;
use relay::media::driver::layers::{Layers, SinkLink};
use relay::media::driver::routes::Sink;
use relay::media::probe::LinkProbe;
use rtc::rtp;
use std::time::{Duration, Instant};

/// A VP8 packet as Chromium sends it (15-bit picture ID, TL0PICIDX), of `size` bytes.
fn packet(ssrc: u32, seq: u16, key: bool, size: usize) -> rtp::Packet {
    let mut payload = vec![
        0x90,
        0xC0,
        0x80 | (seq >> 8) as u8 & 0x7F,
        seq as u8,
        1,
        if key { 0x10 } else { 0x11 },
    ];
    payload.resize(size, 0);
    rtp::Packet {
        header: rtp::header::Header {
            version: 2,
            payload_type: 96,
            sequence_number: seq,
            timestamp: u32::from(seq) * 3000,
            ssrc,
            ..Default::default()
        },
        payload: Bytes::from(payload),
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("layer_selection: run with `cargo bench -p tests --bench layer_selection`");
        return;
    }
    println!(
        "| N sinks | packets in | decisions | copies sent | ns per decision | ns per copy sent |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    for n in [10u32, 50, 200] {
        let t0 = Instant::now();
        let source = PeerId(1);
        let mut layers = Layers::default();
        // Links that cannot be probed: the choice as it was before probes.
        let unprobed = LinkProbe::default();
        let mut asks = Vec::new();
        // Estimates spread from 300 kbit/s to 3 Mbit/s: every layer has Subscribers.
        let sinks: Vec<(Sink, f64)> = (0..n)
            .map(|i| {
                (
                    Sink {
                        conn: PeerId(100 + i),
                        track: 0,
                    },
                    300_000.0 + 2_700_000.0 * f64::from(i) / f64::from(n.max(2) - 1),
                )
            })
            .collect();
        // 10 s of a 30 fps three-layer Track: per frame 1, 2 and 5 packets; a key frame every 2 s.
        let (mut seqs, mut decisions, mut copies) = ([0u16; 3], 0u64, 0u64);
        let mut busy = Duration::ZERO;
        let mut packets_in = 0u64;
        for frame in 0..300u32 {
            let at = t0 + Duration::from_millis(u64::from(frame) * 33);
            let key = frame % 60 == 0;
            for (layer, (count, size)) in [(1usize, 400usize), (2, 1000), (5, 1200)]
                .into_iter()
                .enumerate()
            {
                for _ in 0..count {
                    seqs[layer] = seqs[layer].wrapping_add(1);
                    let p = packet(100 + layer as u32, seqs[layer], key, size);
                    packets_in += 1;
                    let start = Instant::now();
                    layers.received(at, source, "cam", layer, &p);
                    for (sink, estimate) in &sinks {
                        decisions += 1;
                        let link = SinkLink {
                            estimate_bps: Some(*estimate),
                            probe: &unprobed,
                            rtt: None,
                            loss_permille: 0,
                        };
                        if layers
                            .for_sink(at, source, "cam", *sink, &link, layer, &p, &mut asks)
                            .is_some()
                        {
                            copies += 1;
                        }
                    }
                    busy += start.elapsed();
                }
            }
        }
        let ns = busy.as_nanos() as f64;
        println!(
            "| {n} | {packets_in} | {decisions} | {copies} | {:.0} | {:.0} |",
            ns / decisions as f64,
            ns / copies.max(1) as f64
        );
    }
}
