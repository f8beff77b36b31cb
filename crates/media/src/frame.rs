//! What flows from ingest through the hub to its readers: codec frames with timestamps, the codec
//! configurations (H.264 SPS/PPS, AAC AudioSpecificConfig) that readers need before the first frame,
//! and timed metadata.

use bytes::Bytes;
use std::sync::Arc;

/// Which elementary stream a frame belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Track {
    /// The video track (Track0's video).
    Video,
    /// The audio track (Track0's audio).
    Audio,
}

/// One coded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Its track.
    pub track: Track,
    /// Presentation time, ms on the publisher's clock.
    pub pts: i64,
    /// Decoding time, ms on the publisher's clock.
    pub dts: i64,
    /// A random-access point (IDR for H.264); audio frames are always keyframes.
    pub keyframe: bool,
    /// The payload: length-prefixed NAL units (AVCC/HVCC) for video, a raw AAC frame for audio.
    pub data: Bytes,
}

/// A video codec configuration, measured from the stream's sequence header.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoConfig {
    /// RFC 6381 codec string, e.g. `avc1.64001F`.
    pub codec: String,
    /// Profile name, e.g. `High` (H.264) or `Main` (HEVC); empty when unknown.
    pub profile: String,
    /// Level, e.g. `3.1`; empty when unknown.
    pub level: String,
    /// Width in pixels after cropping (0 when unknown).
    pub width: u32,
    /// Height in pixels after cropping (0 when unknown).
    pub height: u32,
    /// Frame rate declared in the SPS timing info, if any.
    pub frame_rate: Option<f64>,
    /// The decoder configuration record as sent (AVCDecoderConfigurationRecord, …).
    pub record: Bytes,
}

/// An audio codec configuration, measured from the stream's sequence header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioConfig {
    /// RFC 6381 codec string, e.g. `mp4a.40.2`.
    pub codec: String,
    /// Samples per second.
    pub sample_rate: u32,
    /// Channel count (0 when the configuration does not say).
    pub channels: u8,
    /// The AudioSpecificConfig as sent.
    pub record: Bytes,
}

/// An item of a channel's hub.
#[derive(Clone, Debug)]
pub enum MediaItem {
    /// A new video configuration; frames after it use it.
    VideoConfig(Arc<VideoConfig>),
    /// A new audio configuration.
    AudioConfig(Arc<AudioConfig>),
    /// A coded frame.
    Frame(Frame),
    /// Timed metadata (PutMetadata), at a time on the stream's clock.
    Metadata(TimedMetadata),
}

/// Timed metadata put into a live stream: an opaque payload (IVS: up to 1 KB of text) that viewers
/// receive as an ID3 tag at `pts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimedMetadata {
    /// When it applies, ms on the publisher's clock (the stream's latest time when it was put).
    pub pts: i64,
    /// The payload.
    pub payload: Bytes,
}

impl MediaItem {
    /// True for a video keyframe.
    pub fn is_video_keyframe(&self) -> bool {
        matches!(self, MediaItem::Frame(f) if f.track == Track::Video && f.keyframe)
    }
}
