//! Message boundaries in a TCP or TLS byte stream (RFC 8656 §12.5): a STUN message is its
//! 20-byte header plus its length; ChannelData is 4 bytes plus its length padded to 4.

/// How many bytes the first message in `buf` occupies, `Ok(None)` if more bytes are needed,
/// `Err(())` if `buf` starts with neither a STUN message nor ChannelData (close the stream).
#[allow(clippy::result_unit_err)]
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, ()> {
    let [first, _, hi, lo, ..] = *buf else {
        return Ok(None);
    };
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    let total = match first {
        0x00..=0x3F => 20 + len,
        0x40..=0x4F => 4 + len.div_ceil(4) * 4,
        _ => return Err(()),
    };
    Ok((buf.len() >= total).then_some(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stun_and_channel_data_frames_are_measured() {
        assert_eq!(frame_len(&[0, 1, 0]), Ok(None));
        let mut stun = vec![0x00, 0x01, 0x00, 0x04];
        stun.resize(24, 0);
        assert_eq!(frame_len(&stun[..23]), Ok(None));
        assert_eq!(frame_len(&stun), Ok(Some(24)));
        // ChannelData with 5 bytes of data is padded to 8 on a stream.
        let cd = [0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0, 9];
        assert_eq!(frame_len(&cd[..11]), Ok(None));
        assert_eq!(frame_len(&cd), Ok(Some(12)));
        assert_eq!(frame_len(&[0x80, 0, 0, 0]), Err(()));
        assert_eq!(frame_len(&[0x50, 0, 0, 0]), Err(()));
    }
}
