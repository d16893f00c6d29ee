//! The wire format: one postcard-encoded message per binary WebSocket frame.
//!
//! postcard writes integers as varints (signed ones zigzag), enum variants as a varint index and
//! sequences with a varint length prefix. Decoding checks the frame size first, rejects trailing
//! bytes and never trusts a length prefix for allocation.

use crate::board::Board;
use crate::protocol::{
    ClientMsg, ServerMsg, MAX_FRAME_BYTES, MAX_SDP_BYTES, MAX_SERVER_FRAME_BYTES, MAX_TOKEN_BYTES,
    PROTOCOL_VERSION,
};
use serde::{de::DeserializeOwned, Serialize};
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CodecError {
    #[error("frame of {size} bytes exceeds the limit of {max} bytes")]
    TooBig { size: usize, max: usize },
    #[error("empty frame")]
    Empty,
    #[error("malformed frame: {0}")]
    Malformed(String),
    #[error("{0} trailing bytes after the message")]
    Trailing(usize),
    #[error("token longer than {max} bytes", max = MAX_TOKEN_BYTES)]
    TokenTooLong,
    #[error("protocol version {got} is not supported; this relay speaks version {want}")]
    Version { got: u16, want: u16 },
}

fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    // Serializing our own in-memory types into a Vec can not fail.
    postcard::to_allocvec(msg).unwrap_or_default()
}

fn decode<T: DeserializeOwned>(frame: &[u8], max: usize) -> Result<T, CodecError> {
    if frame.is_empty() {
        return Err(CodecError::Empty);
    }
    if frame.len() > max {
        return Err(CodecError::TooBig {
            size: frame.len(),
            max,
        });
    }
    let (msg, rest) =
        postcard::take_from_bytes(frame).map_err(|e| CodecError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(CodecError::Trailing(rest.len()));
    }
    Ok(msg)
}

pub fn encode_client(msg: &ClientMsg) -> Vec<u8> {
    encode(msg)
}

pub fn encode_server(msg: &ServerMsg) -> Vec<u8> {
    encode(msg)
}

/// Encodes `ServerMsg::Snapshot(board)` from a borrowed board (no clone of a large board).
pub fn encode_snapshot(board: &Board) -> Vec<u8> {
    struct SnapshotRef<'a>(&'a Board);
    impl Serialize for SnapshotRef<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            // Must match the position of `Snapshot` in `ServerMsg` (checked by a test).
            s.serialize_newtype_variant("ServerMsg", 1, "Snapshot", self.0)
        }
    }
    encode(&SnapshotRef(board))
}

/// Decodes a frame from a client, including the Hello checks (version, token size).
pub fn decode_client(frame: &[u8]) -> Result<ClientMsg, CodecError> {
    // A Hello from any version starts with variant 0 followed by the version: read that first so a
    // client of another version gets told so, not "malformed".
    if frame.first() == Some(&0) && frame.len() <= MAX_FRAME_BYTES {
        if let Ok((version, _)) = postcard::take_from_bytes::<u16>(&frame[1..]) {
            if version != PROTOCOL_VERSION {
                return Err(CodecError::Version {
                    got: version,
                    want: PROTOCOL_VERSION,
                });
            }
        }
    }
    let msg: ClientMsg = decode(frame, MAX_FRAME_BYTES)?;
    match &msg {
        ClientMsg::Hello { token, .. } if token.len() > MAX_TOKEN_BYTES => {
            return Err(CodecError::TokenTooLong)
        }
        ClientMsg::Publish { sdp, .. } | ClientMsg::Subscribe { sdp, .. }
            if sdp.len() > MAX_SDP_BYTES =>
        {
            return Err(CodecError::Malformed(format!(
                "the SDP offer is {} bytes; at most {MAX_SDP_BYTES} are read",
                sdp.len()
            )))
        }
        _ => {}
    }
    Ok(msg)
}

/// Decodes a frame from the relay (up to [`MAX_SERVER_FRAME_BYTES`]: snapshots are large).
pub fn decode_server(frame: &[u8]) -> Result<ServerMsg, CodecError> {
    let msg = decode(frame, MAX_SERVER_FRAME_BYTES)?;
    if let ServerMsg::Snapshot(board) = &msg {
        if !board.is_consistent() {
            return Err(CodecError::Malformed(
                "the snapshot's board is inconsistent".into(),
            ));
        }
    }
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::board::{Style, Tool};
    use crate::ids::PageId;
    use crate::points::{Deltas, Point};
    use crate::protocol::ClientOp;

    #[test]
    fn client_messages_roundtrip() {
        let msgs = vec![
            ClientMsg::Hello {
                version: PROTOCOL_VERSION,
                token: "t".into(),
                page: PageId(7),
                resume: Some(3),
            },
            ClientMsg::Op {
                cseq: 1,
                op: ClientOp::Begin {
                    page: 0,
                    style: Style {
                        tool: Tool::Pen,
                        color: 0x112233,
                        width: 6,
                    },
                    start: Point::new(5, 6),
                    deltas: Deltas::walk(Point::new(5, 6), &[Point::new(7, 9)]),
                },
            },
            ClientMsg::Pointer(None),
            ClientMsg::Publish {
                req: 1,
                sdp: "v=0".into(),
            },
            ClientMsg::Subscribe {
                req: 2,
                source: crate::ids::MediaId(9),
                sdp: "v=0".into(),
            },
            ClientMsg::EndMedia {
                media: crate::ids::MediaId(9),
            },
            ClientMsg::Floor(Some(crate::ids::ClassroomId(3))),
        ];
        for m in msgs {
            assert_eq!(decode_client(&encode_client(&m)).unwrap(), m);
        }
    }

    #[test]
    fn oversized_sdp_is_refused_with_a_reason() {
        let msg = ClientMsg::Publish {
            req: 1,
            sdp: "a".repeat(MAX_SDP_BYTES + 1),
        };
        let err = decode_client(&encode_client(&msg)).unwrap_err();
        assert!(err.to_string().contains("SDP offer"), "{err}");
    }

    #[test]
    fn borrowed_snapshot_encodes_like_the_owned_message() {
        let mut board = Board::new();
        board.apply(1, &crate::board::Op::AddPage).unwrap();
        let bytes = encode_snapshot(&board);
        assert_eq!(
            bytes,
            encode_server(&ServerMsg::Snapshot(Box::new(board.clone())))
        );
        assert_eq!(
            decode_server(&bytes).unwrap(),
            ServerMsg::Snapshot(Box::new(board))
        );
    }

    #[test]
    fn a_large_snapshot_decodes_on_the_client_side() {
        let mut board = Board::new();
        let style = crate::board::Style {
            tool: crate::board::Tool::Pen,
            color: 0,
            width: 3,
        };
        for i in 0..2_000u64 {
            let start = crate::points::Point::new((i % 3000) as u16, 10);
            let pts: Vec<_> = (0..20)
                .map(|k| crate::points::Point::new(start.x, 10 + k * 50))
                .collect();
            let op = crate::board::Op::Begin {
                page: 0,
                style,
                start,
                deltas: crate::points::Deltas::walk(start, &pts),
            };
            board.apply(i + 1, &op).unwrap();
        }
        let bytes = encode_snapshot(&board);
        assert!(bytes.len() > MAX_FRAME_BYTES);
        assert_eq!(
            decode_server(&bytes).unwrap(),
            ServerMsg::Snapshot(Box::new(board))
        );
    }

    #[test]
    fn an_inconsistent_snapshot_is_refused() {
        let mut board = Board::new();
        board.current = 9;
        assert!(matches!(
            decode_server(&encode_snapshot(&board)),
            Err(CodecError::Malformed(_))
        ));
        let mut board = Board::new();
        board.pages.clear();
        assert!(matches!(
            decode_server(&encode_snapshot(&board)),
            Err(CodecError::Malformed(_))
        ));
    }

    #[test]
    fn other_version_is_named_in_the_error() {
        let hello = ClientMsg::Hello {
            version: 9,
            token: "t".into(),
            page: PageId(1),
            resume: None,
        };
        assert_eq!(
            decode_client(&encode_client(&hello)),
            Err(CodecError::Version {
                got: 9,
                want: PROTOCOL_VERSION
            })
        );
    }

    #[test]
    fn garbage_and_oversize_are_errors() {
        assert!(matches!(
            decode_client(&[0xff, 0xff, 0xff]),
            Err(CodecError::Malformed(_))
        ));
        assert_eq!(decode_client(&[]), Err(CodecError::Empty));
        let size = MAX_FRAME_BYTES + 1;
        assert_eq!(
            decode_client(&vec![3u8; size]),
            Err(CodecError::TooBig {
                size,
                max: MAX_FRAME_BYTES
            })
        );
        let mut ok = encode_client(&ClientMsg::Ping { nonce: 1 });
        ok.push(0);
        assert_eq!(decode_client(&ok), Err(CodecError::Trailing(1)));
    }

    #[test]
    fn huge_announced_lengths_do_not_allocate() {
        // Op{cseq:1, Extend{deltas: len = 2^32-1}} with no data behind it.
        let frame = [1u8, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(matches!(
            decode_client(&frame),
            Err(CodecError::Malformed(_))
        ));
    }
}
