//! RFC 4571 framing of datagrams on a TCP stream (no IO): each datagram is preceded by its
//! length as 2 bytes, big-endian ([RFC 4571 §2]), as ICE-TCP ([RFC 6544]) carries STUN, DTLS and
//! SRTP.
//!
//! [`FrameDecoder`] takes the stream's bytes in whatever chunks they arrive and hands out whole
//! frames. It keeps at most one partial frame (its length is capped by the decoder's limit), so
//! its buffer never exceeds `2 + max_frame` bytes whatever the input; a length over the limit is
//! an error and the decoder refuses everything after it (the stream is to be closed).
//!
//! [RFC 4571 §2]: https://www.rfc-editor.org/rfc/rfc4571#section-2
//! [RFC 6544]: https://www.rfc-editor.org/rfc/rfc6544

use thiserror::Error;

/// Bytes of the length prefix.
pub const HEADER_LEN: usize = 2;
/// The longest frame the prefix can express.
pub const MAX_FRAME: usize = u16::MAX as usize;

#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum FramingError {
    #[error("a frame of {len} bytes is over the limit of {max}")]
    Oversized { len: usize, max: usize },
}

/// Appends `datagram` framed (length prefix, then the bytes) to `out`. A datagram over
/// [`MAX_FRAME`] bytes cannot be framed.
pub fn frame_into(datagram: &[u8], out: &mut Vec<u8>) -> Result<(), FramingError> {
    let len = u16::try_from(datagram.len()).map_err(|_| FramingError::Oversized {
        len: datagram.len(),
        max: MAX_FRAME,
    })?;
    out.reserve(HEADER_LEN + datagram.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(datagram);
    Ok(())
}

/// Splits a TCP byte stream into frames; see the module docs.
#[derive(Debug)]
pub struct FrameDecoder {
    max_frame: usize,
    /// The bytes of an incomplete frame, its prefix included (or of an incomplete prefix).
    partial: Vec<u8>,
    failed: Option<FramingError>,
}

impl FrameDecoder {
    /// A decoder that refuses frames longer than `max_frame` bytes (capped at [`MAX_FRAME`]).
    pub fn new(max_frame: usize) -> FrameDecoder {
        FrameDecoder {
            max_frame: max_frame.min(MAX_FRAME),
            partial: Vec::new(),
            failed: None,
        }
    }

    /// Bytes held for an incomplete frame: at most `2 + max_frame`.
    pub fn buffered(&self) -> usize {
        self.partial.len()
    }

    /// Decodes `chunk`, the next bytes of the stream, calling `on_frame` with each frame it
    /// completes, in order. Returns how many frames it completed. After an oversized length the
    /// decoder fails with that error on this and every later call (frames completed before the
    /// bad prefix in the same chunk are still handed out).
    pub fn decode(
        &mut self,
        mut chunk: &[u8],
        mut on_frame: impl FnMut(&[u8]),
    ) -> Result<usize, FramingError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let mut frames = 0;
        // First finish the frame left over from the previous chunk.
        if !self.partial.is_empty() {
            if self.partial.len() < HEADER_LEN {
                let take = (HEADER_LEN - self.partial.len()).min(chunk.len());
                self.partial.extend_from_slice(&chunk[..take]);
                chunk = &chunk[take..];
                if self.partial.len() < HEADER_LEN {
                    return Ok(0);
                }
                self.check(frame_len(&self.partial))?;
            }
            let want = HEADER_LEN + frame_len(&self.partial) - self.partial.len();
            let take = want.min(chunk.len());
            self.partial.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if take < want {
                return Ok(0);
            }
            on_frame(&self.partial[HEADER_LEN..]);
            frames += 1;
            self.partial.clear();
        }
        // Then whole frames straight from the chunk, without copying.
        while chunk.len() >= HEADER_LEN {
            let len = frame_len(chunk);
            self.check(len)?;
            let Some(frame) = chunk.get(HEADER_LEN..HEADER_LEN + len) else {
                break;
            };
            on_frame(frame);
            frames += 1;
            chunk = &chunk[HEADER_LEN + len..];
        }
        // Keep the rest: less than one frame, whose length (if complete) was checked above.
        self.partial.extend_from_slice(chunk);
        Ok(frames)
    }

    fn check(&mut self, len: usize) -> Result<(), FramingError> {
        if len > self.max_frame {
            let e = FramingError::Oversized {
                len,
                max: self.max_frame,
            };
            self.failed = Some(e);
            self.partial = Vec::new();
            return Err(e);
        }
        Ok(())
    }
}

/// The length in a prefix; `bytes` has at least [`HEADER_LEN`] bytes.
fn frame_len(bytes: &[u8]) -> usize {
    usize::from(u16::from_be_bytes([bytes[0], bytes[1]]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn framed(datagrams: &[Vec<u8>]) -> Vec<u8> {
        let mut out = Vec::new();
        for d in datagrams {
            frame_into(d, &mut out).unwrap();
        }
        out
    }

    fn decode_all(
        decoder: &mut FrameDecoder,
        chunks: &[&[u8]],
    ) -> (Vec<Vec<u8>>, Result<(), FramingError>) {
        let mut frames = Vec::new();
        for chunk in chunks {
            if let Err(e) = decoder.decode(chunk, |f| frames.push(f.to_vec())) {
                return (frames, Err(e));
            }
        }
        (frames, Ok(()))
    }

    #[test]
    fn frames_have_a_big_endian_length_prefix() {
        let mut out = Vec::new();
        frame_into(b"abc", &mut out).unwrap();
        frame_into(b"", &mut out).unwrap();
        assert_eq!(out, [0, 3, b'a', b'b', b'c', 0, 0]);
        let big = vec![7u8; 0x0102];
        out.clear();
        frame_into(&big, &mut out).unwrap();
        assert_eq!(&out[..2], &[1, 2]);
        assert_eq!(out.len(), 2 + 0x0102);
    }

    #[test]
    fn a_datagram_over_65535_bytes_cannot_be_framed() {
        let mut out = Vec::new();
        frame_into(&vec![0; MAX_FRAME], &mut out).unwrap();
        assert_eq!(
            frame_into(&vec![0; MAX_FRAME + 1], &mut out),
            Err(FramingError::Oversized {
                len: MAX_FRAME + 1,
                max: MAX_FRAME
            })
        );
        assert_eq!(out.len(), 2 + MAX_FRAME, "nothing appended");
    }

    #[test]
    fn frames_split_anywhere_come_out_whole() {
        let data = framed(&[b"one".to_vec(), vec![], b"three".to_vec()]);
        for cut in 0..=data.len() {
            for cut2 in cut..=data.len() {
                let mut d = FrameDecoder::new(100);
                let (frames, r) =
                    decode_all(&mut d, &[&data[..cut], &data[cut..cut2], &data[cut2..]]);
                assert_eq!(r, Ok(()));
                assert_eq!(frames, [b"one".to_vec(), vec![], b"three".to_vec()]);
                assert_eq!(d.buffered(), 0);
            }
        }
    }

    #[test]
    fn one_byte_at_a_time() {
        let data = framed(&[vec![1; 300], vec![2; 5]]);
        let mut d = FrameDecoder::new(300);
        let chunks: Vec<&[u8]> = data.chunks(1).collect();
        let (frames, r) = decode_all(&mut d, &chunks);
        assert_eq!(r, Ok(()));
        assert_eq!(frames, [vec![1; 300], vec![2; 5]]);
    }

    #[test]
    fn an_oversized_length_fails_the_decoder_for_good() {
        let mut d = FrameDecoder::new(10);
        let mut data = framed(&[b"ok".to_vec()]);
        data.extend_from_slice(&[0, 11]);
        data.extend_from_slice(&[0; 11]);
        let (frames, r) = decode_all(&mut d, &[&data]);
        assert_eq!(
            frames,
            [b"ok".to_vec()],
            "frames before the bad one still count"
        );
        assert_eq!(r, Err(FramingError::Oversized { len: 11, max: 10 }));
        assert_eq!(d.buffered(), 0);
        assert!(d.decode(&framed(&[b"x".to_vec()]), |_| {}).is_err());
    }

    #[test]
    fn an_oversized_length_split_across_chunks_is_caught_at_the_prefix() {
        let mut d = FrameDecoder::new(1_000);
        assert_eq!(d.decode(&[0xFF], |_| {}), Ok(0));
        assert_eq!(
            d.decode(&[0xFF], |_| {}),
            Err(FramingError::Oversized {
                len: 0xFFFF,
                max: 1_000
            })
        );
        // A lone prefix at the end of a chunk is checked too, before its body arrives.
        let mut d = FrameDecoder::new(1_000);
        assert!(d.decode(&[0, 1, 9, 0xFF, 0xFF], |_| {}).is_err());
    }

    #[test]
    fn the_limit_is_at_most_65535() {
        let mut d = FrameDecoder::new(usize::MAX);
        let data = framed(&[vec![3; MAX_FRAME]]);
        let (frames, r) = decode_all(&mut d, &[&data[..40_000], &data[40_000..]]);
        assert_eq!(r, Ok(()));
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].len(), MAX_FRAME);
    }

    proptest! {
        #[test]
        fn any_datagrams_in_any_chunks_round_trip(
            datagrams in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 0..12),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
        ) {
            let data = framed(&datagrams);
            let mut points: Vec<usize> = cuts.iter().map(|i| i.index(data.len() + 1)).collect();
            points.sort_unstable();
            let mut chunks = Vec::new();
            let mut last = 0;
            for p in points.into_iter().chain([data.len()]) {
                chunks.push(&data[last..p]);
                last = p;
            }
            let mut d = FrameDecoder::new(600);
            let (frames, r) = decode_all(&mut d, &chunks);
            prop_assert_eq!(r, Ok(()));
            prop_assert_eq!(frames, datagrams);
            prop_assert_eq!(d.buffered(), 0);
        }

        #[test]
        fn any_bytes_never_panic_and_stay_bounded(
            chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..20),
            max in 0usize..400,
        ) {
            let mut d = FrameDecoder::new(max);
            for chunk in &chunks {
                let result = d.decode(chunk, |f| assert!(f.len() <= max));
                assert!(d.buffered() <= HEADER_LEN + max);
                if result.is_err() {
                    break;
                }
            }
        }
    }
}
