//! FLV audio and video tag bodies, as carried in RTMP audio (8) and video (9) messages: the legacy
//! AVC/AAC headers (FLV spec v10.1, E.4.2/E.4.3) and Enhanced RTMP's extended video header (FourCC
//! `avc1`, `hvc1`, `av01`). Each body becomes a codec configuration, a frame, or nothing (end of
//! sequence, metadata, codecs we do not carry). Malformed bodies are errors, never panics.

use crate::codec;
use crate::frame::{AudioConfig, Frame, Track, VideoConfig};
use bytes::Bytes;

/// A malformed or unsupported tag body.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FlvError {
    /// The body ended early.
    #[error("{0} tag body is truncated")]
    Truncated(&'static str),
    /// A codec configuration that could not be parsed.
    #[error("bad {0} configuration")]
    BadConfig(&'static str),
}

/// What one tag body holds.
#[derive(Clone, Debug, PartialEq)]
pub enum Parsed {
    /// A video sequence header.
    VideoConfig(VideoConfig),
    /// An audio sequence header.
    AudioConfig(AudioConfig),
    /// A coded frame.
    Frame(Frame),
    /// Nothing to carry (end of sequence, video info, codecs other than H.264/HEVC/AV1 and AAC).
    Ignored,
}

const AVC: u8 = 7;
const AAC: u8 = 10;

/// Parses a video tag body received with RTMP timestamp `ts` (ms).
pub fn parse_video(ts: i64, body: Bytes) -> Result<Parsed, FlvError> {
    let first = *body.first().ok_or(FlvError::Truncated("video"))?;
    if first & 0x80 != 0 {
        return parse_enhanced_video(ts, first, body);
    }
    let frame_type = first >> 4;
    if first & 0x0f != AVC || frame_type == 5 {
        return Ok(Parsed::Ignored);
    }
    if body.len() < 5 {
        return Err(FlvError::Truncated("video"));
    }
    let cts = si24(&body[2..5]);
    match body[1] {
        0 => codec::avc_config(body.slice(5..)).map(Parsed::VideoConfig),
        1 => Ok(video_frame(ts, cts, frame_type == 1, body.slice(5..))),
        _ => Ok(Parsed::Ignored),
    }
}

/// Enhanced RTMP (v1/v2): `[IsExHeader:1][FrameType:3][PacketType:4][FourCC:4]…`.
fn parse_enhanced_video(ts: i64, first: u8, body: Bytes) -> Result<Parsed, FlvError> {
    if body.len() < 5 {
        return Err(FlvError::Truncated("video"));
    }
    let frame_type = (first >> 4) & 0x07;
    let packet_type = first & 0x0f;
    let fourcc = [body[1], body[2], body[3], body[4]];
    if frame_type == 5 || !matches!(&fourcc, b"avc1" | b"hvc1" | b"av01") {
        return Ok(Parsed::Ignored);
    }
    let keyframe = frame_type == 1;
    match packet_type {
        // SequenceStart
        0 => codec::video_config_for(&fourcc, body.slice(5..)).map(Parsed::VideoConfig),
        // CodedFrames: AVC and HEVC carry a composition time offset first; AV1 does not.
        1 if &fourcc != b"av01" => {
            if body.len() < 8 {
                return Err(FlvError::Truncated("video"));
            }
            Ok(video_frame(ts, si24(&body[5..8]), keyframe, body.slice(8..)))
        }
        // CodedFramesX (no composition time), or AV1's CodedFrames.
        1 | 3 => Ok(video_frame(ts, 0, keyframe, body.slice(5..))),
        _ => Ok(Parsed::Ignored),
    }
}

fn video_frame(ts: i64, cts: i32, keyframe: bool, data: Bytes) -> Parsed {
    if data.is_empty() {
        return Parsed::Ignored;
    }
    Parsed::Frame(Frame {
        track: Track::Video,
        pts: ts.saturating_add(i64::from(cts)),
        dts: ts,
        keyframe,
        data,
    })
}

/// Parses an audio tag body received with RTMP timestamp `ts` (ms).
pub fn parse_audio(ts: i64, body: Bytes) -> Result<Parsed, FlvError> {
    let first = *body.first().ok_or(FlvError::Truncated("audio"))?;
    if first >> 4 != AAC {
        return Ok(Parsed::Ignored);
    }
    if body.len() < 2 {
        return Err(FlvError::Truncated("audio"));
    }
    match body[1] {
        0 => codec::aac_config(body.slice(2..)).map(Parsed::AudioConfig),
        1 if body.len() > 2 => {
            let data = body.slice(2..);
            Ok(Parsed::Frame(Frame { track: Track::Audio, pts: ts, dts: ts, keyframe: true, data }))
        }
        _ => Ok(Parsed::Ignored),
    }
}

/// A signed 24-bit big-endian integer (the composition time offset).
fn si24(b: &[u8]) -> i32 {
    let v = (i32::from(b[0]) << 16) | (i32::from(b[1]) << 8) | i32::from(b[2]);
    (v << 8) >> 8
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// ffmpeg's (libx264, 640x360, High, level 3.0) AVC sequence header tag body.
    pub(crate) const AVC_SEQ: &[u8] = &[
        0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1e, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x1e,
        0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00,
        0x3c, 0x0f, 0x16, 0x2d, 0x96, 0x01, 0x00, 0x04, 0x68, 0xef, 0x8f, 0xcb, 0xfd, 0xf8, 0xf8, 0x00,
    ];

    #[test]
    fn avc_sequence_header() {
        let Parsed::VideoConfig(c) = parse_video(0, Bytes::from_static(AVC_SEQ)).unwrap() else {
            panic!("not a config")
        };
        assert_eq!(c.codec, "avc1.64001E");
        assert_eq!(c.profile, "High");
        assert_eq!(c.level, "3.0");
        assert_eq!((c.width, c.height), (640, 360));
    }

    #[test]
    fn avc_frames_and_composition_time() {
        let body = Bytes::from_static(&[0x27, 0x01, 0x00, 0x00, 0x50, 0, 0, 0, 1, 0x41]);
        let Parsed::Frame(f) = parse_video(1000, body).unwrap() else { panic!("not a frame") };
        assert_eq!((f.dts, f.pts, f.keyframe, f.track), (1000, 1080, false, Track::Video));
        let neg = Bytes::from_static(&[0x17, 0x01, 0xff, 0xff, 0xd8, 0, 0, 0, 1, 0x65]);
        let Parsed::Frame(f) = parse_video(1000, neg).unwrap() else { panic!("not a frame") };
        assert_eq!((f.pts, f.keyframe), (960, true));
    }

    #[test]
    fn aac_header_and_frame() {
        let Parsed::AudioConfig(c) =
            parse_audio(0, Bytes::from_static(&[0xaf, 0x00, 0x11, 0x88, 0x56, 0xe5, 0x00])).unwrap()
        else {
            panic!("not a config")
        };
        assert_eq!((c.codec.as_str(), c.sample_rate, c.channels), ("mp4a.40.2", 48000, 1));
        let Parsed::Frame(f) = parse_audio(21, Bytes::from_static(&[0xaf, 0x01, 0x21, 0x10])).unwrap() else {
            panic!("not a frame")
        };
        assert_eq!((f.dts, f.track, f.data.len()), (21, Track::Audio, 2));
    }

    #[test]
    fn enhanced_rtmp_hevc_frame() {
        // IsExHeader | FrameType 1 (key) | PacketType 1 (CodedFrames), FourCC hvc1, cts 0x000021.
        let body = Bytes::from_static(&[0x91, b'h', b'v', b'c', b'1', 0, 0, 0x21, 0, 0, 0, 1, 0x26]);
        let Parsed::Frame(f) = parse_video(40, body).unwrap() else { panic!("not a frame") };
        assert_eq!((f.dts, f.pts, f.keyframe), (40, 73, true));
        let x = Bytes::from_static(&[0xa3, b'a', b'v', b'0', b'1', 0x12, 0x00]);
        let Parsed::Frame(f) = parse_video(40, x).unwrap() else { panic!("not a frame") };
        assert_eq!((f.pts, f.keyframe), (40, false));
    }

    #[test]
    fn other_codecs_and_truncation() {
        assert_eq!(parse_video(0, Bytes::from_static(&[0x12, 0x00])), Ok(Parsed::Ignored));
        assert_eq!(parse_audio(0, Bytes::from_static(&[0x2f, 0x00])), Ok(Parsed::Ignored));
        assert_eq!(parse_video(0, Bytes::new()), Err(FlvError::Truncated("video")));
        assert_eq!(parse_video(0, Bytes::from_static(&[0x17, 0x01])), Err(FlvError::Truncated("video")));
        assert_eq!(parse_audio(0, Bytes::from_static(&[0xaf])), Err(FlvError::Truncated("audio")));
        assert!(parse_video(0, Bytes::from_static(&[0x17, 0x00, 0, 0, 0, 1, 2])).is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_video_bodies_never_panic(ts: i64, body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_video(ts, Bytes::from(body));
        }

        #[test]
        fn arbitrary_avc_configs_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut body = AVC_SEQ[..5].to_vec();
            body.extend(tail);
            let _ = parse_video(0, Bytes::from(body));
        }

        #[test]
        fn mutated_avc_configs_never_panic(i in 5usize..AVC_SEQ.len(), b: u8) {
            let mut body = AVC_SEQ.to_vec();
            body[i] = b;
            let _ = parse_video(0, Bytes::from(body));
        }

        #[test]
        fn arbitrary_audio_bodies_never_panic(ts: i64, body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse_audio(ts, Bytes::from(body));
        }
    }
}
