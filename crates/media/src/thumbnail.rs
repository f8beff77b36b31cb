//! Recording thumbnails: an H.264 keyframe decoded with OpenH264 and written as a baseline JFIF JPEG,
//! optionally scaled down to a rendition height, as Amazon IVS auto-record to S3 writes
//! `media/thumbnails/thumbN.jpg` (spec: ivs-recording-events.md §1.6, `thumbnailConfiguration`).
//!
//! Pure and synchronous: callers hand in the stream's AVCDecoderConfigurationRecord and one AVCC access
//! unit that is an IDR picture, and get JPEG bytes back. Decoding costs milliseconds, so async callers
//! should run it on a blocking thread.

use bytes::Bytes;
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use openh264::decoder::{DecodedYUV, Decoder};
use openh264::formats::YUVSource;

use crate::ts::{AvcParams, TsError};

/// JPEG quality: the common libjpeg default, and about what IVS's thumbnails weigh (§1.6).
const QUALITY: u8 = 75;

/// Why a thumbnail could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    /// The AVCDecoderConfigurationRecord is malformed, or has no SPS or PPS.
    #[error("bad AVC decoder configuration: {0}")]
    BadConfig(#[from] TsError),
    /// The frame is empty, or its NAL unit lengths do not add up to its size.
    #[error("malformed AVCC frame")]
    BadFrame,
    /// The frame holds no IDR slice, so it cannot be decoded on its own.
    #[error("frame is not a keyframe (no IDR slice)")]
    NotKeyframe,
    /// OpenH264 could not be created or rejected the bitstream.
    #[error("H.264 decoder error: {0}")]
    Decoder(String),
    /// The decoder accepted the frame but gave back no picture, or an unusable one.
    #[error("the decoder produced no picture")]
    NoPicture,
    /// The JPEG encoder failed, or the picture is too large for JPEG.
    #[error("JPEG encode error: {0}")]
    Encode(String),
}

/// Decodes H.264 keyframes into JPEG thumbnails.
///
/// Holds an OpenH264 decoder; create one per stream and feed it that stream's keyframes.
pub struct Thumbnailer {
    decoder: Decoder,
}

impl std::fmt::Debug for Thumbnailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Thumbnailer").finish_non_exhaustive()
    }
}

impl Thumbnailer {
    /// Creates a thumbnailer with a fresh OpenH264 decoder.
    pub fn new() -> Result<Self, ThumbnailError> {
        Ok(Thumbnailer { decoder: new_decoder()? })
    }

    /// Decodes `frame`, one AVCC access unit (NAL units behind the length prefix that `record` sets)
    /// that must be a keyframe, using the SPS and PPS of `record`, the stream's
    /// AVCDecoderConfigurationRecord (`VideoConfig::record`), and encodes the picture as JPEG.
    ///
    /// `max_height`: `None` keeps the source size; `Some(h)` scales down, keeping the aspect ratio with
    /// an even width, so that the height is at most `h` (never up). Returns the JPEG bytes and the
    /// `(width, height)` written.
    pub fn jpeg(
        &mut self,
        record: &Bytes,
        frame: &[u8],
        max_height: Option<u32>,
    ) -> Result<(Vec<u8>, u32, u32), ThumbnailError> {
        let params = AvcParams::parse(record)?;
        let annexb = annex_b(&params, frame)?;
        let picture = match decode(&mut self.decoder, &annexb) {
            Ok(picture) => picture,
            Err(e) => {
                // After a bitstream error OpenH264 may hold half-decoded state; a new decoder makes sure
                // the next keyframe does not inherit it. If even that fails, keep the old one.
                if let Ok(fresh) = new_decoder() {
                    self.decoder = fresh;
                }
                return Err(e);
            }
        };
        let (width, height) = (picture.width, picture.height);
        let (out_w, out_h) = target_size(width, height, max_height);
        let ycbcr = picture.to_ycbcr(out_w, out_h);
        let jpeg = encode(&ycbcr, out_w, out_h)?;
        Ok((jpeg, out_w, out_h))
    }
}

fn new_decoder() -> Result<Decoder, ThumbnailError> {
    Decoder::new().map_err(|e| ThumbnailError::Decoder(e.to_string()))
}

/// Converts an AVCC keyframe to Annex B with the record's SPS and PPS in front, because OpenH264 reads
/// only start-code delimited streams and needs the parameter sets before an IDR slice.
fn annex_b(params: &AvcParams, avcc: &[u8]) -> Result<Vec<u8>, ThumbnailError> {
    const START: [u8; 4] = [0, 0, 0, 1];
    if avcc.is_empty() {
        return Err(ThumbnailError::BadFrame);
    }
    let size = params.length_size;
    let mut nals = Vec::new();
    let mut pos = 0usize;
    while pos < avcc.len() {
        let prefix = avcc.get(pos..pos + size).ok_or(ThumbnailError::BadFrame)?;
        let len = prefix.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b));
        let end = (pos + size).checked_add(len).ok_or(ThumbnailError::BadFrame)?;
        let nal = avcc.get(pos + size..end).ok_or(ThumbnailError::BadFrame)?;
        if !nal.is_empty() {
            nals.push(nal);
        }
        pos = end;
    }
    // nal_unit_type 5 is a coded slice of an IDR picture (H.264 §7.4.1.2.3): without one the frame
    // refers to pictures this decoder never saw.
    if !nals.iter().any(|n| n[0] & 0x1f == 5) {
        return Err(ThumbnailError::NotKeyframe);
    }
    let mut out = Vec::with_capacity(avcc.len() + 128);
    for set in params.sps.iter().chain(&params.pps) {
        out.extend_from_slice(&START);
        out.extend_from_slice(set);
    }
    for nal in nals {
        out.extend_from_slice(&START);
        out.extend_from_slice(nal);
    }
    Ok(out)
}

/// A decoded picture's planes, copied out of the decoder and bounds-checked once.
struct Picture {
    width: u32,
    height: u32,
    y: Plane,
    u: Plane,
    v: Plane,
}

/// One image plane, with `height` limited to the rows its buffer really holds.
struct Plane {
    data: Vec<u8>,
    stride: usize,
    width: usize,
    height: usize,
}

impl Plane {
    fn new(data: &[u8], stride: usize, width: usize, height: usize) -> Result<Self, ThumbnailError> {
        if stride < width || stride == 0 {
            return Err(ThumbnailError::NoPicture);
        }
        // OpenH264 sizes the chroma buffers as height * stride / 2, one row short for odd heights.
        let height = height.min(data.len() / stride);
        if width == 0 || height == 0 {
            return Err(ThumbnailError::NoPicture);
        }
        Ok(Plane { data: data[..height * stride].to_vec(), stride, width, height })
    }

    /// Box-filters the plane to `dw` x `dh`: each output sample averages the source samples it covers,
    /// or takes the nearest one when scaling up (chroma is stored at half size).
    fn scaled(&self, dw: usize, dh: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(dw * dh);
        let span = |i: usize, src: usize, dst: usize| {
            let a = i * src / dst;
            let b = ((i + 1) * src / dst).max(a + 1).min(src);
            (a.min(src - 1), b)
        };
        for oy in 0..dh {
            let (y0, y1) = span(oy, self.height, dh);
            for ox in 0..dw {
                let (x0, x1) = span(ox, self.width, dw);
                let mut sum = 0u32;
                for row in self.data[y0 * self.stride..y1 * self.stride].chunks_exact(self.stride) {
                    sum += row[x0..x1].iter().map(|&s| u32::from(s)).sum::<u32>();
                }
                let count = ((y1 - y0) * (x1 - x0)) as u32;
                out.push(((sum + count / 2) / count) as u8);
            }
        }
        out
    }
}

impl Picture {
    fn from_decoded(yuv: &DecodedYUV<'_>) -> Result<Self, ThumbnailError> {
        let (w, h) = yuv.dimensions();
        let (ys, us, vs) = yuv.strides();
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let width = u32::try_from(w).map_err(|_| ThumbnailError::NoPicture)?;
        let height = u32::try_from(h).map_err(|_| ThumbnailError::NoPicture)?;
        Ok(Picture {
            width,
            height,
            y: Plane::new(yuv.y(), ys, w, h)?,
            u: Plane::new(yuv.u(), us, cw, ch)?,
            v: Plane::new(yuv.v(), vs, cw, ch)?,
        })
    }

    /// Interleaved full-range YCbCr at `dw` x `dh`, as JFIF wants.
    ///
    /// H.264 from encoders is almost always limited ("TV") range, BT.601 or BT.709, while JFIF is full
    /// range BT.601; stretching the range keeps blacks black. The matrix difference (709 vs 601) is a
    /// slight hue shift that thumbnails tolerate, and the record's VUI is not parsed for it.
    fn to_ycbcr(&self, dw: u32, dh: u32) -> Vec<u8> {
        let (dw, dh) = (dw as usize, dh as usize);
        let luma: [u8; 256] = std::array::from_fn(|i| expand(i as i32 - 16, 255, 219, 0));
        let chroma: [u8; 256] = std::array::from_fn(|i| expand(i as i32 - 128, 255, 224, 128));
        let (y, u, v) = (self.y.scaled(dw, dh), self.u.scaled(dw, dh), self.v.scaled(dw, dh));
        let mut out = Vec::with_capacity(dw * dh * 3);
        for ((y, u), v) in y.iter().zip(&u).zip(&v) {
            out.extend_from_slice(&[luma[usize::from(*y)], chroma[usize::from(*u)], chroma[usize::from(*v)]]);
        }
        out
    }
}

/// `value * num / den + offset`, rounded and clamped to a byte.
fn expand(value: i32, num: i32, den: i32, offset: i32) -> u8 {
    let scaled = (value * num * 2 + den * value.signum()) / (den * 2);
    (scaled + offset).clamp(0, 255) as u8
}

/// Feeds one Annex B keyframe to the decoder and copies the picture out.
fn decode(decoder: &mut Decoder, annexb: &[u8]) -> Result<Picture, ThumbnailError> {
    let err = |e: openh264::Error| ThumbnailError::Decoder(e.to_string());
    if let Some(yuv) = decoder.decode(annexb).map_err(err)? {
        return Picture::from_decoded(&yuv);
    }
    // A decoder that holds the picture back (reordering) releases it on flush.
    let frames = decoder.flush_remaining().map_err(err)?;
    match frames.last() {
        Some(yuv) => Picture::from_decoded(yuv),
        None => Err(ThumbnailError::NoPicture),
    }
}

/// The output size: the source, or scaled to `max_height` keeping the aspect ratio with the width
/// rounded to an even number, as IVS sizes renditions (1280x720 at 160p is 284x160).
pub fn target_size(width: u32, height: u32, max_height: Option<u32>) -> (u32, u32) {
    match max_height {
        Some(max) if max < height => {
            let out_h = max.max(1);
            let exact = u64::from(width) * u64::from(out_h);
            // Nearest even width: round(width * out_h / height / 2) * 2, at least 2.
            let half = (exact + u64::from(height)) / (2 * u64::from(height));
            let out_w = u32::try_from(half * 2).unwrap_or(width).clamp(2, width.max(2));
            (out_w, out_h)
        }
        _ => (width, height),
    }
}

fn encode(ycbcr: &[u8], width: u32, height: u32) -> Result<Vec<u8>, ThumbnailError> {
    let too_large = || ThumbnailError::Encode(format!("{width}x{height} is too large for JPEG"));
    let w = u16::try_from(width).map_err(|_| too_large())?;
    let h = u16::try_from(height).map_err(|_| too_large())?;
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, QUALITY);
    // 4:2:0 like the IVS thumbnails (and the H.264 source); the encoder writes baseline JFIF by default.
    encoder.set_sampling_factor(SamplingFactor::R_4_2_0);
    encoder.encode(ycbcr, w, h, ColorType::Ycbcr).map_err(|e| ThumbnailError::Encode(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// A temporary directory removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("openivs-thumb-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("create temp dir");
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn tool_available(name: &str) -> bool {
        Command::new(name).arg("-version").output().is_ok_and(|o| o.status.success())
    }

    /// Whether ffmpeg can run; without it the test is skipped, unless OPENIVS_REQUIRE_FFMPEG=1.
    fn have_ffmpeg(test: &str) -> bool {
        if tool_available("ffmpeg") {
            return true;
        }
        if std::env::var("OPENIVS_REQUIRE_FFMPEG").as_deref() == Ok("1") {
            panic!("{test}: ffmpeg is required (OPENIVS_REQUIRE_FFMPEG=1) but not found");
        }
        eprintln!("{test}: skipped, ffmpeg not found");
        false
    }

    /// Encodes `frames` frames of testsrc2 at 640x360 with libx264 (no B-frames) as Annex B.
    fn encode_h264(dir: &Path, frames: u32) -> Vec<u8> {
        let out = dir.join("src.h264");
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30"])
            .args(["-frames:v", &frames.to_string(), "-c:v", "libx264", "-bf", "0", "-pix_fmt", "yuv420p"])
            .args(["-f", "h264"])
            .arg(&out)
            .status()
            .expect("run ffmpeg");
        assert!(status.success(), "ffmpeg failed");
        std::fs::read(&out).expect("read h264")
    }

    /// Splits an Annex B stream at its 3- and 4-byte start codes.
    fn split_annex_b(data: &[u8]) -> Vec<&[u8]> {
        let mut starts = Vec::new();
        let mut i = 0;
        while i + 3 <= data.len() {
            if data[i..i + 3] == [0, 0, 1] {
                starts.push(i + 3);
                i += 3;
            } else {
                i += 1;
            }
        }
        let mut nals = Vec::new();
        for (k, &start) in starts.iter().enumerate() {
            let mut end = starts.get(k + 1).map_or(data.len(), |next| next - 3);
            // A 4-byte start code leaves its leading zero on the previous NAL.
            while end > start && data[end - 1] == 0 {
                end -= 1;
            }
            nals.push(&data[start..end]);
        }
        nals
    }

    /// An AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) with 4-byte lengths.
    fn avcc_record(sps: &[u8], pps: &[u8]) -> Bytes {
        let mut r = vec![1, sps[1], sps[2], sps[3], 0xff, 0xe1];
        r.extend_from_slice(&(sps.len() as u16).to_be_bytes());
        r.extend_from_slice(sps);
        r.push(1);
        r.extend_from_slice(&(pps.len() as u16).to_be_bytes());
        r.extend_from_slice(pps);
        Bytes::from(r)
    }

    fn avcc_frame(nals: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for nal in nals {
            out.extend_from_slice(&(nal.len() as u32).to_be_bytes());
            out.extend_from_slice(nal);
        }
        out
    }

    /// The test stream as (record, keyframe, the next P frame).
    struct Stream {
        record: Bytes,
        keyframe: Vec<u8>,
        pframe: Vec<u8>,
    }

    fn stream(dir: &Path) -> Stream {
        let h264 = encode_h264(dir, 2);
        let nals = split_annex_b(&h264);
        let of_type = |t: u8| nals.iter().copied().filter(move |n| n[0] & 0x1f == t);
        let sps = of_type(7).next().expect("SPS");
        let pps = of_type(8).next().expect("PPS");
        // The keyframe: its SEI and IDR slices; the P frame: the non-IDR slices after it.
        let key: Vec<&[u8]> = nals.iter().copied().filter(|n| matches!(n[0] & 0x1f, 5 | 6)).collect();
        let p: Vec<&[u8]> = of_type(1).collect();
        assert!(!p.is_empty(), "ffmpeg gave no P frame");
        Stream { record: avcc_record(sps, pps), keyframe: avcc_frame(&key), pframe: avcc_frame(&p) }
    }

    /// Walks the JPEG's marker segments up to SOS: (marker, segment body).
    fn segments(jpeg: &[u8]) -> Vec<(u8, &[u8])> {
        let mut out = Vec::new();
        let mut i = 2;
        while i + 4 <= jpeg.len() && jpeg[i] == 0xff {
            let marker = jpeg[i + 1];
            let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
            out.push((marker, &jpeg[i + 4..i + 2 + len]));
            if marker == 0xda {
                break;
            }
            i += 2 + len;
        }
        out
    }

    /// Checks SOI/EOI, the JFIF APP0, a baseline SOF0 with three 4:2:0 components; returns its size.
    fn check_jpeg(jpeg: &[u8]) -> (u32, u32) {
        assert_eq!(&jpeg[..2], &[0xff, 0xd8], "SOI");
        assert_eq!(&jpeg[jpeg.len() - 2..], &[0xff, 0xd9], "EOI");
        let segs = segments(jpeg);
        assert_eq!(segs[0].0, 0xe0, "APP0 first");
        assert_eq!(&segs[0].1[..5], b"JFIF\0");
        assert!(!segs.iter().any(|(m, _)| matches!(m, 0xc1..=0xc3 | 0xc5..=0xc7)), "baseline only");
        let sof = segs.iter().find(|(m, _)| *m == 0xc0).expect("SOF0").1;
        assert_eq!(sof[0], 8, "8-bit");
        assert_eq!(sof[5], 3, "three components");
        assert_eq!(sof[7], 0x22, "luma sampled 2x2 (4:2:0)");
        let h = u16::from_be_bytes([sof[1], sof[2]]);
        let w = u16::from_be_bytes([sof[3], sof[4]]);
        (u32::from(w), u32::from(h))
    }

    /// ffprobe's width and height of a file, when ffprobe is installed.
    fn ffprobe_size(path: &Path) -> Option<(u32, u32)> {
        if !tool_available("ffprobe") {
            eprintln!("ffprobe not found: JPEG not decoded back");
            return None;
        }
        let out = Command::new("ffprobe")
            .args(["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0"])
            .arg(path)
            .output()
            .expect("run ffprobe");
        assert!(out.status.success(), "ffprobe rejected {}", path.display());
        let text = String::from_utf8(out.stdout).expect("utf-8");
        let (w, h) = text.trim().split_once(',').expect("w,h");
        Some((w.parse().expect("width"), h.parse().expect("height")))
    }

    /// Decodes a file to raw RGB with ffmpeg.
    fn ffmpeg_rgb(path: &Path, extra: &[&str]) -> Vec<u8> {
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(path)
            .args(extra)
            .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            .output()
            .expect("run ffmpeg");
        assert!(out.status.success(), "ffmpeg could not decode {}", path.display());
        out.stdout
    }

    #[test]
    fn keyframe_becomes_source_size_jpeg_and_160p() {
        if !have_ffmpeg("keyframe_becomes_source_size_jpeg_and_160p") {
            return;
        }
        let dir = TempDir::new("full");
        let s = stream(&dir.0);
        let mut t = Thumbnailer::new().expect("thumbnailer");

        let (jpeg, w, h) = t.jpeg(&s.record, &s.keyframe, None).expect("thumbnail");
        assert_eq!((w, h), (640, 360));
        assert_eq!(check_jpeg(&jpeg), (640, 360));
        let path = dir.0.join("thumb0.jpg");
        std::fs::write(&path, &jpeg).expect("write jpeg");
        if let Some(size) = ffprobe_size(&path) {
            assert_eq!(size, (640, 360));
        }
        // The picture matches ffmpeg's own decode of the H.264: colours and range are right, not just
        // the headers (JPEG at quality 75 and 4:2:0 differ by a few levels on average).
        let ours = ffmpeg_rgb(&path, &[]);
        let theirs = ffmpeg_rgb(&dir.0.join("src.h264"), &[]);
        assert_eq!(ours.len(), theirs.len());
        let diff: u64 = ours.iter().zip(&theirs).map(|(a, b)| u64::from(a.abs_diff(*b))).sum();
        let mean = diff as f64 / ours.len() as f64;
        assert!(mean < 6.0, "mean RGB difference {mean:.2}");

        let (small, w, h) = t.jpeg(&s.record, &s.keyframe, Some(160)).expect("160p thumbnail");
        assert_eq!((w, h), (284, 160));
        assert_eq!(check_jpeg(&small), (284, 160));
        let path = dir.0.join("thumb1.jpg");
        std::fs::write(&path, &small).expect("write jpeg");
        if let Some(size) = ffprobe_size(&path) {
            assert_eq!(size, (284, 160));
        }
        let ours = ffmpeg_rgb(&path, &[]);
        let theirs = ffmpeg_rgb(&dir.0.join("src.h264"), &["-vf", "scale=284:160:flags=area"]);
        let diff: u64 = ours.iter().zip(&theirs).map(|(a, b)| u64::from(a.abs_diff(*b))).sum();
        let mean = diff as f64 / ours.len() as f64;
        assert!(mean < 10.0, "mean RGB difference at 160p {mean:.2}");

        // Never scaled up.
        let (_, w, h) = t.jpeg(&s.record, &s.keyframe, Some(1080)).expect("thumbnail");
        assert_eq!((w, h), (640, 360));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let mut t = Thumbnailer::new().expect("thumbnailer");
        let record = Bytes::from_static(&[
            1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 2, 0x68, 0xee,
        ]);
        // Empty frame, lengths that overrun, no IDR slice, a bad record.
        assert!(matches!(t.jpeg(&record, &[], None), Err(ThumbnailError::BadFrame)));
        assert!(matches!(t.jpeg(&record, &[0, 0, 0, 9, 0x65, 1], None), Err(ThumbnailError::BadFrame)));
        assert!(matches!(t.jpeg(&record, &[0, 0, 0, 2, 0x41, 0x9a], None), Err(ThumbnailError::NotKeyframe)));
        assert!(matches!(
            t.jpeg(&Bytes::from_static(&[1, 2]), &[0, 0, 0, 1, 0x65], None),
            Err(ThumbnailError::BadConfig(_))
        ));
        // Garbage behind a well-formed IDR header, with the truncated parameter sets above and with
        // pseudo-random bytes: the decoder rejects it or yields no picture.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut noise = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect()
        };
        for len in [1, 7, 64, 4096] {
            let mut nal = vec![0x65];
            nal.extend(noise(len));
            let frame = avcc_frame(&[&nal]);
            assert!(t.jpeg(&record, &frame, None).is_err(), "garbage of {len} bytes decoded");
            let mut sps = vec![0x67];
            sps.extend(noise(len.max(3)));
            let mut pps = vec![0x68];
            pps.extend(noise(8));
            assert!(
                t.jpeg(&avcc_record(&sps, &pps), &frame, None).is_err(),
                "garbage of {len} bytes decoded"
            );
        }
    }

    #[test]
    fn p_frame_is_refused_and_decoder_recovers_after_garbage() {
        if !have_ffmpeg("p_frame_is_refused_and_decoder_recovers_after_garbage") {
            return;
        }
        let dir = TempDir::new("recover");
        let s = stream(&dir.0);
        let mut t = Thumbnailer::new().expect("thumbnailer");
        assert!(matches!(t.jpeg(&s.record, &s.pframe, None), Err(ThumbnailError::NotKeyframe)));
        // A keyframe whose slice data is cut short, then the real one.
        let cut = s.keyframe.len() / 3;
        let mut broken = s.keyframe[..cut].to_vec();
        // Fix the last NAL length so the AVCC framing is valid and only the slice is damaged.
        let mut pos = 0;
        while pos + 4 <= broken.len() {
            let len =
                u32::from_be_bytes([broken[pos], broken[pos + 1], broken[pos + 2], broken[pos + 3]]) as usize;
            if pos + 4 + len > broken.len() {
                let fixed = (broken.len() - pos - 4) as u32;
                broken[pos..pos + 4].copy_from_slice(&fixed.to_be_bytes());
                break;
            }
            pos += 4 + len;
        }
        let _ = t.jpeg(&s.record, &broken, None); // concealed or refused: either way no panic
        let (jpeg, w, h) = t.jpeg(&s.record, &s.keyframe, Some(160)).expect("thumbnail after garbage");
        assert_eq!((w, h), (284, 160));
        assert_eq!(check_jpeg(&jpeg), (284, 160));
    }

    #[test]
    fn thumbnailer_moves_to_a_blocking_thread() {
        // Async recorders hand it to spawn_blocking; openh264's decoder is Send.
        fn send<T: Send>() {}
        send::<Thumbnailer>();
    }

    #[test]
    fn target_sizes_follow_ivs_renditions() {
        assert_eq!(target_size(1280, 720, Some(160)), (284, 160));
        assert_eq!(target_size(852, 480, Some(160)), (284, 160));
        assert_eq!(target_size(1920, 1080, Some(720)), (1280, 720));
        assert_eq!(target_size(1920, 1080, Some(480)), (854, 480));
        assert_eq!(target_size(640, 360, Some(720)), (640, 360));
        assert_eq!(target_size(640, 360, None), (640, 360));
        assert_eq!(target_size(3, 1000, Some(1)), (2, 1));
        assert_eq!(target_size(640, 360, Some(0)), (2, 1));
    }

    #[test]
    fn scaling_averages_and_range_expands() {
        let plane = Plane::new(&[0, 100, 200, 255, 9, 9, 10, 20, 30, 40, 9, 9], 6, 4, 2).expect("plane");
        assert_eq!(plane.scaled(2, 1), vec![33, 131]);
        assert_eq!(plane.scaled(4, 2), vec![0, 100, 200, 255, 10, 20, 30, 40]);
        assert_eq!(expand(0, 255, 219, 0), 0);
        assert_eq!(expand(219, 255, 219, 0), 255);
        assert_eq!(expand(-16, 255, 219, 0), 0);
        assert_eq!(expand(0, 255, 224, 128), 128);
        assert_eq!(expand(112, 255, 224, 128), 255);
        assert_eq!(expand(-112, 255, 224, 128), 0);
    }
}
