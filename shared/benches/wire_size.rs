//! Bytes on the wire per stroke point, for pen paths like handwriting.
//!
//! Run: `cargo bench -p shared --features testkit --bench wire_size`
//!
//! A stroke is sent as the browser sends it: Begin at pen-down, one Extend per 50 ms batch of
//! pointer events, End at pen-up. Pen batches travel as compact `Ink` both ways (the client's
//! cseq, the relay's seq and stroke implied), everything else as `Op` / `Ops`. Counts are payload
//! bytes; "framed" adds the WebSocket header (client frames are masked: 2 + 4 bytes; relay frames 2).

use shared::board::{Op, Style, Tool};
use shared::codec::{encode_client, encode_server};
use shared::ids::StrokeId;
use shared::points::Deltas;
use shared::protocol::{ClientMsg, ClientOp, InkCseq, ServerMsg, INK_BATCH_MS};
use shared::testkit::{pen_path, Rng};

struct Totals {
    points: u64,
    up: u64,
    up_framed: u64,
    down: u64,
    down_framed: u64,
}

fn measure(events_per_sec: u32, px_per_event: f64, strokes: usize) -> Totals {
    let mut rng = Rng::new(42);
    let per_batch = ((events_per_sec * INK_BATCH_MS) as f64 / 1000.0)
        .round()
        .max(1.0) as usize;
    let mut t = Totals {
        points: 0,
        up: 0,
        up_framed: 0,
        down: 0,
        down_framed: 0,
    };
    let mut cseq = 0u32;
    // As the client's connection and the relay send them: pen batches as compact `Ink`.
    let mut uplink = InkCseq::default();
    let mut seq = 1_000u64; // a lesson some way in: sequence numbers take 2 bytes
    let style = Style {
        tool: Tool::Pen,
        color: 0x1f2937,
        width: 6,
    };
    for _ in 0..strokes {
        let n = 20 + rng.below(100) as usize;
        let pts = pen_path(&mut rng, n, 1920.0, px_per_event);
        t.points += pts.len() as u64;
        let stroke = StrokeId(seq + 1);
        let mut msgs: Vec<(ClientOp, Op)> = vec![(
            ClientOp::Begin {
                page: 0,
                style,
                start: pts[0],
                deltas: Deltas::default(),
            },
            Op::Begin {
                page: 0,
                style,
                start: pts[0],
                deltas: Deltas::default(),
            },
        )];
        let mut last = pts[0];
        for chunk in pts[1..].chunks(per_batch) {
            let deltas = Deltas::walk(last, chunk);
            last = *chunk.last().unwrap_or(&last);
            msgs.push((
                ClientOp::Extend {
                    deltas: deltas.clone(),
                },
                Op::Extend { stroke, deltas },
            ));
        }
        msgs.push((ClientOp::End, Op::End { stroke }));
        for (client_op, op) in msgs {
            cseq += 1;
            seq += 1;
            let up = encode_client(&uplink.compact(ClientMsg::Op {
                cseq,
                op: client_op,
            }))
            .len() as u64;
            let down_msg = match op {
                Op::Extend { deltas, .. } => ServerMsg::Ink { deltas },
                op => ServerMsg::Ops {
                    first: seq,
                    ops: vec![op],
                },
            };
            let down = encode_server(&down_msg).len() as u64;
            t.up += up;
            t.up_framed += up + 6;
            t.down += down;
            t.down_framed += down + 2;
        }
    }
    t
}

fn main() {
    println!("| pointer | speed | points | teacher→relay B/pt | framed | relay→classroom B/pt | framed |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (hz, px, label) in [
        (60, 4.0, "slow writing"),
        (60, 10.0, "normal writing"),
        (60, 60.0, "fast strokes"),
        (120, 5.0, "pen at 120 Hz"),
    ] {
        let t = measure(hz, px, 2_000);
        let p = t.points as f64;
        println!(
            "| {hz} Hz | {label} ({px} px/event) | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            t.points,
            t.up as f64 / p,
            t.up_framed as f64 / p,
            t.down as f64 / p,
            t.down_framed as f64 / p
        );
    }
}
