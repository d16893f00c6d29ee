//! The decoders never panic, whatever the bytes: random frames, and valid frames with bytes
//! flipped, cut short or extended. Each either decodes or returns an error value.

use proptest::prelude::*;
use shared::board::{Board, Style, Tool};
use shared::codec::{decode_client, decode_server, encode_client, encode_server, encode_snapshot};
use shared::ids::PageId;
use shared::points::{Deltas, Point};
use shared::protocol::{ClientMsg, ClientOp, ServerMsg, PROTOCOL_VERSION};
use shared::testkit::{board_op, pen_path, Rng};

fn valid_client_frames() -> Vec<Vec<u8>> {
    let mut rng = Rng::new(3);
    let pts = pen_path(&mut rng, 30, 1600.0, 8.0);
    let style = Style {
        tool: Tool::Highlighter,
        color: 0xfacc15,
        width: 40,
    };
    vec![
        encode_client(&ClientMsg::Hello {
            version: PROTOCOL_VERSION,
            token: "v1.AAAA.BBBB".into(),
            page: PageId(9),
            resume: Some(77),
        }),
        encode_client(&ClientMsg::Op {
            cseq: 300,
            op: ClientOp::Begin {
                page: 2,
                style,
                start: pts[0],
                deltas: Deltas::walk(pts[0], &pts[1..]),
            },
        }),
        encode_client(&ClientMsg::Op {
            cseq: 301,
            op: ClientOp::Erase {
                page: 0,
                strokes: vec![shared::ids::StrokeId(5); 4],
            },
        }),
        encode_client(&ClientMsg::Pointer(Some(shared::protocol::Pointer {
            page: 1,
            at: Point::new(3200, 1800),
        }))),
    ]
}

fn valid_server_frame() -> Vec<u8> {
    let mut rng = Rng::new(4);
    let mut b = Board::new();
    for _ in 0..200 {
        let op = board_op(&mut rng, &b);
        let _ = b.apply(b.seq + 1, &op);
    }
    encode_snapshot(&b)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode_client(&bytes);
        let _ = decode_server(&bytes);
    }

    #[test]
    fn damaged_client_frames_never_panic(which in 0usize..4, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6), cut in any::<usize>(), extra in proptest::collection::vec(any::<u8>(), 0..8)) {
        let mut frame = valid_client_frames()[which].clone();
        for (at, byte) in flips {
            let i = at % frame.len();
            frame[i] = byte;
        }
        frame.truncate(1 + cut % frame.len());
        frame.extend(extra);
        if let Ok(msg) = decode_client(&frame) {
            // Whatever decodes re-encodes to a frame that decodes to the same message.
            prop_assert_eq!(decode_client(&encode_client(&msg)).ok(), Some(msg));
        }
    }

    #[test]
    fn damaged_snapshots_never_panic(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4), cut in any::<usize>()) {
        let mut frame = valid_server_frame();
        for (at, byte) in flips {
            let i = at % frame.len();
            frame[i] = byte;
        }
        frame.truncate(1 + cut % frame.len());
        if let Ok(ServerMsg::Snapshot(b)) = decode_server(&frame) {
            // A decoded board only ever holds points on the board.
            for p in &b.pages {
                for s in &p.strokes {
                    prop_assert!(s.points.0.iter().all(|pt| pt.on_board()));
                }
            }
            let _ = encode_server(&ServerMsg::Snapshot(b));
        }
    }
}
