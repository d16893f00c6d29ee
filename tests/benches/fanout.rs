//! The relay fanning board ops out to 200 classroom WebSocket clients.
//!
//! Run: `cargo bench -p tests --bench fanout` (the relay is the release-built relay binary, started as
//! a child process on 127.0.0.1; the 200 classrooms and the teacher run in this process, on the
//! same two cores). Latency is from the teacher's send to a classroom's decode of the op.

use futures_util::{SinkExt, StreamExt};
use shared::board::{Style, Tool};
use shared::codec::{decode_server, encode_client};
use shared::ids::{PageId, Role};
use shared::points::{Deltas, Point};
use shared::protocol::{ClientMsg, ClientOp, ServerMsg, PROTOCOL_VERSION};
use std::time::{Duration, Instant};
use tests::relay::{extra_classroom, TestRelay, LESSON};
use tokio_tungstenite::tungstenite::Message;

const CLASSROOMS: u32 = 200;

async fn hello(
    url: &str,
    token: String,
    page: u64,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let msg = ClientMsg::Hello {
        version: PROTOCOL_VERSION,
        token,
        page: PageId(page),
        resume: None,
    };
    ws.send(Message::Binary(encode_client(&msg).into()))
        .await
        .expect("hello");
    ws
}

/// Runs one round: `ops` ops at `rate` ops/s. Returns (latencies in µs, elapsed until the last
/// classroom had the last op).
async fn round(
    relay: &TestRelay,
    first_seq: u64,
    ops: u64,
    rate: f64,
    page: u64,
) -> (Vec<u64>, Duration) {
    let url = relay.ws_url(LESSON);
    let last = first_seq + ops - 1;
    let mut readers = Vec::new();
    for k in 0..CLASSROOMS {
        let mut ws = hello(
            &url,
            relay.token(Role::Classroom(extra_classroom(k))),
            10_000 + page * 1000 + u64::from(k),
        )
        .await;
        readers.push(tokio::spawn(async move {
            let mut arrivals = Vec::with_capacity(ops as usize);
            let mut next = 0u64;
            let deadline = Instant::now() + Duration::from_secs(120);
            while let Ok(Some(Ok(frame))) =
                tokio::time::timeout_at(deadline.into(), ws.next()).await
            {
                if let Message::Binary(bytes) = frame {
                    // Track the board's seq as a page does: ops arrive as `Ops` or compact `Ink`.
                    let now = Instant::now();
                    match decode_server(&bytes) {
                        Ok(ServerMsg::Snapshot(board)) => next = board.seq + 1,
                        Ok(ServerMsg::Ops { first, ops }) => {
                            arrivals.extend((0..ops.len() as u64).map(|i| (first + i, now)));
                            next = first + ops.len() as u64;
                        }
                        Ok(ServerMsg::Ink { .. }) => {
                            arrivals.push((next, now));
                            next += 1;
                        }
                        _ => {}
                    }
                    if next > last {
                        break;
                    }
                }
            }
            arrivals
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let teacher = hello(&url, relay.token(Role::Teacher), page).await;
    // Drain the teacher's own echo and acks so its queue never fills.
    let (mut tx, mut rx) = teacher.split();
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = rx.next().await {} });
    let style = Style {
        tool: Tool::Pen,
        color: 0x1f2937,
        width: 6,
    };
    let gap = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now();
    let mut sent = Vec::with_capacity(ops as usize);
    let mut at = Point::new(1000, 900);
    for i in 0..ops {
        let op = if i == 0 {
            ClientOp::Begin {
                page: 0,
                style,
                start: at,
                deltas: Deltas::default(),
            }
        } else {
            let next = Point::new(1000 + (i % 200) as u16, 900 + ((i / 200) % 200) as u16);
            let d = Deltas::walk(at, &[next, Point::new(next.x, next.y + 1)]);
            at = Point::new(next.x, next.y + 1);
            ClientOp::Extend { deltas: d }
        };
        let target = start + gap * i as u32;
        tokio::time::sleep_until(target.into()).await;
        sent.push(Instant::now());
        tx.send(Message::Binary(
            encode_client(&ClientMsg::Op {
                cseq: i as u32 + 1,
                op,
            })
            .into(),
        ))
        .await
        .expect("send");
    }
    let mut latencies = Vec::new();
    for r in readers {
        for (seq, arrived) in r.await.expect("reader") {
            if seq >= first_seq && seq <= last {
                latencies.push(
                    arrived
                        .duration_since(sent[(seq - first_seq) as usize])
                        .as_micros() as u64,
                );
            }
        }
    }
    let elapsed = start.elapsed();
    let _ = tx.send(Message::Close(None)).await;
    drain.abort();
    (latencies, elapsed)
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let relay = TestRelay::start_with(CLASSROOMS).await;
    println!("| offered ops/s | ops | deliveries | delivered ops/s (all classrooms) | p50 ms | p99 ms | max ms |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let mut first = 1;
    for (i, (ops, rate)) in [(500u64, 25.0), (2000, 250.0)].into_iter().enumerate() {
        let (mut lat, elapsed) = round(&relay, first, ops, rate, i as u64 + 1).await;
        first += ops;
        lat.sort_unstable();
        let expected = ops * u64::from(CLASSROOMS);
        println!(
            "| {rate} | {ops} | {}/{expected} | {:.0} | {:.2} | {:.2} | {:.2} |",
            lat.len(),
            lat.len() as f64 / elapsed.as_secs_f64(),
            pct(&lat, 0.5),
            pct(&lat, 0.99),
            pct(&lat, 1.0)
        );
    }
}
