//! A camera that fills any bitrate: Chromium's fake capture device reads frames from a Y4M file
//! (`--use-file-for-fake-video-capture`), and frames of random noise can not be compressed, so the
//! encoder sends all it is allowed to (the teacher's 1 Mbit/s cap). The default fake device draws a
//! simple moving pattern that VP8 codes in about 600 kbit/s, which is no test of a link smaller than
//! the teacher's stream.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Small, so encoding noise costs the machine little; noise is incompressible at any size, so
/// the encoder still spends its whole cap.
const WIDTH: usize = 320;
const HEIGHT: usize = 240;
/// One second at 30 frames a second; Chromium loops the file.
const FRAMES: usize = 30;

/// Writes the noise video into `dir` and returns its path.
pub fn write_noise_y4m(dir: &Path) -> PathBuf {
    let path = dir.join("noise.y4m");
    let file = std::fs::File::create(&path).expect("create the Y4M file");
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "YUV4MPEG2 W{WIDTH} H{HEIGHT} F30:1 Ip A1:1 C420jpeg").expect("write");
    let frame_bytes = WIDTH * HEIGHT * 3 / 2;
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut frame = vec![0u8; frame_bytes];
    for _ in 0..FRAMES {
        for chunk in frame.chunks_mut(8) {
            // xorshift64*
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let bytes = state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        out.write_all(b"FRAME\n").expect("write");
        out.write_all(&frame).expect("write");
    }
    out.flush().expect("flush the Y4M file");
    path
}
