//! Recording a live stream the way Amazon IVS auto-record to S3 does (ivs-recording-events.md §1.4,
//! §1.5, §6): hub items in, MPEG-TS files `N.ts` of about [`SEGMENT_TARGET_MS`] out, each cut into
//! one-GOP byte ranges that begin with PAT, PMT and an ID3 tag, with the PID layout of a real IVS
//! recording ([`crate::ts::Layout::IVS_RECORDING`]); and the playlists IVS writes next to them
//! ([`playlist`]). Pure and synchronous: the caller uploads what comes out.

pub mod playlist;
mod writer;

pub use writer::RecordingWriter;

use bytes::Bytes;

/// Target length of a recorded segment: IVS cuts at the first keyframe at or after 10 s.
pub const SEGMENT_TARGET_MS: i64 = 10_000;

/// A segment is closed at this size even without a keyframe, so a stream that never sends one cannot
/// grow memory (a 10 s segment at IVS's highest ingest bitrate, 8.5 Mbit/s, is about 11 MB).
pub const MAX_SEGMENT_BYTES: usize = 32 << 20;

/// Likewise, the longest a segment may last, ms.
pub const MAX_SEGMENT_MS: i64 = 2 * SEGMENT_TARGET_MS;

/// Byte ranges of an audio-only recording are cut at the first audio frame at or after this (IVS's
/// ranges are one GOP, about a second).
pub const AUDIO_RANGE_MS: i64 = 1000;

/// One rendition as the master playlist and the recording JSON describe it.
#[derive(Clone, Debug, PartialEq)]
pub struct Rendition {
    /// IVS folder name: `<height>p<fps>` (`720p30`; frame rate rounded, 30 when unknown; the height
    /// of the current video configuration, 0 when its SPS did not say), or `audio_only`.
    pub name: String,
    /// Width in pixels; `None` for audio only.
    pub width: Option<u32>,
    /// Height in pixels; `None` for audio only.
    pub height: Option<u32>,
    /// RFC 6381 codecs as IVS writes them, e.g. `avc1.4D401F,mp4a.40.2` (hex in capitals).
    pub codecs: String,
    /// Peak bits per second over the recorded segments (0 before the first).
    pub bandwidth: u64,
}

/// A finished recorded segment `N.ts`.
#[derive(Clone, Debug)]
pub struct RecordedSegment {
    /// N in `N.ts`: from 0, continuing across discontinuities.
    pub index: u64,
    /// The whole TS file.
    pub data: Bytes,
    /// Duration from the media timestamps, ms.
    pub duration_ms: i64,
    /// Wall clock (Unix ms) of its first frame.
    pub pdt_ms: i64,
    /// The first segment after [`RecordingWriter::discontinuity`].
    pub discontinuity: bool,
    /// Its byte ranges (one GOP each), in order, covering `data` exactly.
    pub ranges: Vec<SubRange>,
}

/// A byte range of a segment, as the byte-range playlist lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubRange {
    /// Offset in the segment's file.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// Duration, ms.
    pub duration_ms: i64,
    /// Wall clock (Unix ms) of its first frame.
    pub pdt_ms: i64,
}

#[cfg(test)]
mod tests;
