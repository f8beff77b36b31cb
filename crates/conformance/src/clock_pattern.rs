//! A wall-clock test pattern, for glass-to-glass latency: every video frame shows the Unix time in
//! milliseconds at which it was painted, as a barcode of big black and white blocks that survives H.264
//! compression, and [`ClockPublisher`] pipes such frames in real time into ffmpeg, which encodes them
//! (libx264 veryfast/zerolatency, 1 s GOP, 30 fps, with an AAC tone) and publishes over RTMP(S) or SRT. A player
//! on the same machine reads the barcode of the frame it shows and subtracts it from its own clock.
//!
//! The layout (mirrored by `clients/browser/page.js`, which decodes it): a grid of [`COLS`] x [`ROWS`]
//! square blocks spanning the full width, rows starting at 2/9 of the height. Row 0 is [`MARKER`], rows
//! 1-3 the time's 48 low bits (most significant word and bit first), row 4 the check word
//! `w1 ^ w2 ^ w3 ^ CHECK_MASK`. White (235) is 1, black (16) is 0, the rest of the frame is mid-grey with
//! a bar that moves every frame (so frames differ visibly).
//!
//! Written here rather than with ffmpeg's `drawtext` of the local time: drawtext would need OCR to be
//! read back, and its time is the filter's, not when the frame entered the encoder.

use std::io::Write;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Frame width in pixels.
pub const WIDTH: usize = 640;
/// Frame height in pixels.
pub const HEIGHT: usize = 360;
/// Frames per second.
pub const FPS: u32 = 30;
/// Blocks per row.
pub const COLS: usize = 16;
/// Rows of blocks: marker, three time words, check word.
pub const ROWS: usize = 5;
/// The first row's bits, which tell a barcode from any other picture.
pub const MARKER: u16 = 0xAACC;
/// Mixed into the check word so that an all-black or all-white row set never checks out.
pub const CHECK_MASK: u16 = 0x5A5A;

const WHITE: u8 = 235;
const BLACK: u8 = 16;
const GREY: u8 = 128;

/// The five 16-bit words of a barcode for `ms`.
fn words(ms: u64) -> [u16; ROWS] {
    let (w1, w2, w3) = ((ms >> 32) as u16, (ms >> 16) as u16, ms as u16);
    [MARKER, w1, w2, w3, w1 ^ w2 ^ w3 ^ CHECK_MASK]
}

/// Block size and the top of the grid for a frame size.
fn geometry(width: usize, height: usize) -> (usize, usize) {
    (width / COLS, height * 2 / 9)
}

/// Paints a grey (`-pix_fmt gray`, one byte per pixel) frame of `width` x `height` showing `ms`
/// (its low 48 bits) and, for frame number `n`, a moving bar below the grid.
///
/// Panics if `frame` is not `width * height` bytes, or the frame is too wide for its height to hold the
/// grid (it needs at least 16:9).
pub fn paint(frame: &mut [u8], width: usize, height: usize, ms: u64, n: u64) {
    assert_eq!(frame.len(), width * height, "frame size");
    let (block, top) = geometry(width, height);
    assert!(block > 0 && top + ROWS * block <= height, "the barcode does not fit in {width}x{height}");
    frame.fill(GREY);
    for (r, word) in words(ms).iter().enumerate() {
        for c in 0..COLS {
            let v = if word >> (COLS - 1 - c) & 1 == 1 { WHITE } else { BLACK };
            for y in top + r * block..top + (r + 1) * block {
                frame[y * width + c * block..y * width + (c + 1) * block].fill(v);
            }
        }
    }
    // A bar sweeping across the bottom, one step per frame.
    let y0 = top + ROWS * block + block / 4;
    let bar = (n as usize * 8) % width.max(1);
    for y in y0..(y0 + block / 2).min(height) {
        let row = &mut frame[y * width..(y + 1) * width];
        row[bar..(bar + block / 2).min(width)].fill(WHITE);
    }
}

/// Reads the time back from a grey frame (the inverse of [`paint`], sampling the middle half of each
/// block); `None` if the marker or the check word does not match.
pub fn read(frame: &[u8], width: usize, height: usize) -> Option<u64> {
    if frame.len() != width * height {
        return None;
    }
    let (block, top) = geometry(width, height);
    if block < 2 || top + ROWS * block > height {
        return None;
    }
    let mut w = [0u16; ROWS];
    for (r, word) in w.iter_mut().enumerate() {
        for c in 0..COLS {
            let (x0, y0) = (c * block + block / 4, top + r * block + block / 4);
            let mut sum = 0u64;
            for y in y0..y0 + block / 2 {
                sum += frame[y * width + x0..y * width + x0 + block / 2]
                    .iter()
                    .map(|&p| u64::from(p))
                    .sum::<u64>();
            }
            let mean = sum / (block / 2 * (block / 2)) as u64;
            *word = *word << 1 | u16::from(mean >= 128);
        }
    }
    (w[0] == MARKER && w[1] ^ w[2] ^ w[3] ^ CHECK_MASK == w[4])
        .then(|| u64::from(w[1]) << 32 | u64::from(w[2]) << 16 | u64::from(w[3]))
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// ffmpeg publishing the clock pattern to an RTMP(S) URL in real time; stopped (and killed) on drop.
pub struct ClockPublisher {
    child: Child,
    stop: Arc<AtomicBool>,
    feeder: Option<JoinHandle<u64>>,
}

impl ClockPublisher {
    /// Starts publishing to `url` (`rtmp(s)://host:port/app/<key>` in FLV, or
    /// `srt://host:port?streamid=…` in MPEG-TS) until dropped or [`Self::stop`].
    pub fn start(url: &str) -> std::io::Result<Self> {
        let format = if url.starts_with("srt://") { "mpegts" } else { "flv" };
        let size = format!("{WIDTH}x{HEIGHT}");
        let gop = FPS.to_string();
        let mut child = Command::new("ffmpeg")
            .args(["-nostdin", "-hide_banner", "-loglevel", "error"])
            .args(["-f", "rawvideo", "-pix_fmt", "gray", "-s", &size, "-framerate", &gop, "-i", "pipe:0"])
            .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
            .args(["-map", "0:v", "-map", "1:a"])
            .args(["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p"])
            .args(["-g", &gop, "-keyint_min", &gop, "-sc_threshold", "0", "-bf", "0", "-b:v", "1500k"])
            .args(["-c:a", "aac", "-b:a", "64k", "-flush_packets", "1", "-f", format, url])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let feeder = std::thread::spawn(move || feed(stdin, &flag));
        Ok(ClockPublisher { child, stop, feeder: Some(feeder) })
    }

    /// True while ffmpeg runs.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops feeding frames, lets ffmpeg finish the stream (an unpublish) for up to 5 s, then kills it;
    /// the number of frames sent.
    pub fn stop(&mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let frames = self.feeder.take().and_then(|f| f.join().ok()).unwrap_or(0);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && self.running() {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        frames
    }
}

impl Drop for ClockPublisher {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Writes one frame per 1/FPS s of wall time, painted with the time it is written. A writer that falls
/// behind (ffmpeg slow, machine busy) writes at once until caught up, so the stream's clock keeps up with
/// the wall clock and each frame still carries its own true time. Returns the frames written.
fn feed(mut stdin: ChildStdin, stop: &AtomicBool) -> u64 {
    let mut frame = vec![0u8; WIDTH * HEIGHT];
    let start = Instant::now();
    let period = Duration::from_secs(1) / FPS;
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let due = start + period * n as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        paint(&mut frame, WIDTH, HEIGHT, now_ms(), n);
        if stdin.write_all(&frame).is_err() {
            break;
        }
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn painted_times_read_back() {
        let mut f = vec![0u8; WIDTH * HEIGHT];
        for (i, ms) in [0u64, 1, 1_795_000_000_123, (1 << 48) - 1, 0x0000_AAAA_5555].into_iter().enumerate() {
            paint(&mut f, WIDTH, HEIGHT, ms, i as u64);
            assert_eq!(read(&f, WIDTH, HEIGHT), Some(ms), "{ms}");
        }
        // Other sizes scale the grid.
        let (w, h) = (1280, 720);
        let mut big = vec![0u8; w * h];
        paint(&mut big, w, h, 1_795_000_000_999, 7);
        assert_eq!(read(&big, w, h), Some(1_795_000_000_999));
    }

    #[test]
    fn noise_and_foreign_pictures_are_not_read_as_times() {
        let mut f = vec![0u8; WIDTH * HEIGHT];
        paint(&mut f, WIDTH, HEIGHT, 1_795_000_000_123, 0);
        // Compression-like noise of +-60 keeps the value.
        let mut x = 12345u32;
        let noisy: Vec<u8> = f
            .iter()
            .map(|&p| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (i32::from(p) + (x >> 16) as i32 % 121 - 60).clamp(0, 255) as u8
            })
            .collect();
        assert_eq!(read(&noisy, WIDTH, HEIGHT), Some(1_795_000_000_123));
        // One flipped block breaks the check word.
        let (block, top) = geometry(WIDTH, HEIGHT);
        let mut flipped = f.clone();
        for y in top + 2 * block..top + 3 * block {
            for px in &mut flipped[y * WIDTH + 3 * block..y * WIDTH + 4 * block] {
                *px = 255 - *px;
            }
        }
        assert_eq!(read(&flipped, WIDTH, HEIGHT), None);
        for plain in [0u8, 128, 255] {
            assert_eq!(read(&vec![plain; WIDTH * HEIGHT], WIDTH, HEIGHT), None);
        }
        assert_eq!(read(&f[1..], WIDTH, HEIGHT), None, "a short frame");
    }

    /// Through libx264 (as published) and back: every frame's time survives the encoder.
    #[test]
    fn times_survive_h264_encoding() {
        if !crate::ffmpeg::ffmpeg_available() {
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("clock.mp4");
        let size = format!("{WIDTH}x{HEIGHT}");
        let mut enc = Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "gray", "-s", &size])
            .args(["-framerate", "30", "-i", "pipe:0", "-c:v", "libx264", "-preset", "veryfast"])
            .args(["-tune", "zerolatency", "-g", "30", "-b:v", "1500k", "-pix_fmt", "yuv420p"])
            .arg(&file)
            .stdin(Stdio::piped())
            .spawn()
            .expect("ffmpeg");
        let mut stdin = enc.stdin.take().expect("stdin");
        let mut f = vec![0u8; WIDTH * HEIGHT];
        let times: Vec<u64> = (0..60u64).map(|i| 1_795_000_000_000 + i * 33 + i * i * 7919).collect();
        for (i, &ms) in times.iter().enumerate() {
            paint(&mut f, WIDTH, HEIGHT, ms, i as u64);
            stdin.write_all(&f).expect("write frame");
        }
        drop(stdin);
        assert!(enc.wait().expect("ffmpeg").success());
        let dec = Command::new("ffmpeg")
            .args(["-nostdin", "-loglevel", "error", "-i"])
            .arg(&file)
            .args(["-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"])
            .output()
            .expect("ffmpeg");
        assert!(dec.status.success());
        let read_back: Vec<Option<u64>> =
            dec.stdout.chunks(WIDTH * HEIGHT).map(|fr| read(fr, WIDTH, HEIGHT)).collect();
        let want: Vec<Option<u64>> = times.iter().map(|&t| Some(t)).collect();
        assert_eq!(read_back, want);
    }
}
