//! The HLS segmenter (RFC 8216 §3, §6.2.2): hub items in, MPEG-TS segments out. Pure and synchronous:
//! a segment opens at a video keyframe (at any audio frame for a stream without video) and closes at
//! the first keyframe once it holds at least the target duration. The last few segments stay in a
//! bounded window as [`Bytes`], which any number of viewers share without copying.

use crate::frame::{AudioConfig, MediaItem, Track, VideoConfig};
use crate::ts::{AdtsParams, AvcParams, TS_MASK, TsMuxer};
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::Arc;

/// How segments are cut and how many are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmenterConfig {
    /// Target segment duration, ms; segments close at the first keyframe after it.
    pub target_ms: i64,
    /// Segments kept for playlists (older ones are dropped).
    pub window: usize,
    /// A segment is closed at this size even without a keyframe, so a stream that never sends one
    /// cannot grow memory.
    pub max_segment_bytes: usize,
    /// Likewise, the longest a segment may last, ms.
    pub max_segment_ms: i64,
}

impl SegmenterConfig {
    /// Classic HLS (a channel with `latencyMode` NORMAL): 6 s segments, a 60 s window.
    pub const NORMAL: SegmenterConfig =
        SegmenterConfig { target_ms: 6000, window: 10, max_segment_bytes: 32 << 20, max_segment_ms: 20_000 };
    /// A channel with `latencyMode` LOW: 2 s segments, a 20 s window.
    pub const LOW: SegmenterConfig =
        SegmenterConfig { target_ms: 2000, window: 10, max_segment_bytes: 16 << 20, max_segment_ms: 10_000 };
}

/// One finished segment.
#[derive(Clone, Debug)]
pub struct Segment {
    /// Media sequence number (0 for the stream's first segment).
    pub seq: u64,
    /// Decoding time of its first frame, ms on the publisher's clock.
    pub start_ms: i64,
    /// Duration, ms.
    pub duration_ms: i64,
    /// Video frames it holds.
    pub video_frames: u32,
    /// True when it starts with a keyframe (false only for a segment closed by a size or time limit).
    pub independent: bool,
    /// The MPEG-TS bytes.
    pub data: Bytes,
}

struct Open {
    start_ms: i64,
    last_ms: i64,
    video_frames: u32,
    independent: bool,
    buf: Vec<u8>,
}

/// Cuts one stream into segments.
pub struct Segmenter {
    cfg: SegmenterConfig,
    video: Option<Arc<VideoConfig>>,
    audio: Option<Arc<AudioConfig>>,
    avc: Option<AvcParams>,
    adts: Option<AdtsParams>,
    muxer: TsMuxer,
    open: Option<Open>,
    next_seq: u64,
    window: VecDeque<Segment>,
    rejected: u64,
    audio_clock: AudioClock,
}

/// Audio timestamps from sample counts. RTMP carries milliseconds, so AAC frames of 21.33 ms arrive
/// 21 or 22 ms apart; written as such, decoders see frames overlap and complain of non-monotonic
/// timestamps. Worse, scuffle-rtmp 0.2.3 gives a message sent with a type-3 chunk header (which ffmpeg
/// uses when size and delta repeat, common for AAC) the previous message's time instead of adding the
/// delta, so the stream's audio times fall behind by a frame each time. The count wins while the
/// stream's time is at most [`AUDIO_AHEAD_TICKS`] ahead of it or [`AUDIO_BEHIND_TICKS`] behind; beyond
/// that (a real gap or discontinuity) it resynchronizes.
#[derive(Default)]
struct AudioClock {
    /// 90 kHz time of the last resynchronization, before the 33-bit wrap.
    base: Option<i64>,
    samples: i64,
}

/// 50 ms on the 90 kHz clock: well under what viewers notice as lip-sync error.
const AUDIO_AHEAD_TICKS: i64 = 4500;
/// 2 s on the 90 kHz clock.
const AUDIO_BEHIND_TICKS: i64 = 180_000;

impl AudioClock {
    /// The 90 kHz PTS of an AAC frame (1024 samples at `rate`) whose stream time is `pts_ms`.
    fn next(&mut self, pts_ms: i64, rate: u32) -> u64 {
        let given = pts_ms.wrapping_add(OFFSET_MS).wrapping_mul(90);
        let rate = i64::from(rate.max(1));
        let counted = self.base.map(|b| b.wrapping_add(self.samples.wrapping_mul(90_000) / rate));
        let at = match counted {
            Some(c) if (-AUDIO_BEHIND_TICKS..=AUDIO_AHEAD_TICKS).contains(&given.wrapping_sub(c)) => c,
            _ => {
                self.base = Some(given);
                self.samples = 0;
                given
            }
        };
        self.samples += 1024;
        at as u64 & TS_MASK
    }
}

/// Offset added to publisher timestamps so the first PTS/DTS and PCR are not near zero: 1.4 s, as
/// other muxers do, keeps PCR (100 ms behind DTS) and audio slightly before video from wrapping.
const OFFSET_MS: i64 = 1400;

/// A publisher timestamp in ms on the 33-bit 90 kHz clock.
pub fn ts90(ms: i64) -> u64 {
    (ms.wrapping_add(OFFSET_MS).wrapping_mul(90) as u64) & TS_MASK
}

impl Segmenter {
    /// A segmenter with no configuration yet.
    pub fn new(cfg: SegmenterConfig) -> Self {
        Segmenter {
            cfg,
            video: None,
            audio: None,
            avc: None,
            adts: None,
            muxer: TsMuxer::new(false, false),
            open: None,
            next_seq: 0,
            window: VecDeque::new(),
            rejected: 0,
            audio_clock: AudioClock::default(),
        }
    }

    /// The current video configuration (codec string, resolution, frame rate).
    pub fn video(&self) -> Option<&Arc<VideoConfig>> {
        self.video.as_ref().filter(|_| self.avc.is_some())
    }

    /// The current audio configuration.
    pub fn audio(&self) -> Option<&Arc<AudioConfig>> {
        self.audio.as_ref().filter(|_| self.adts.is_some())
    }

    /// The finished segments in the window, oldest first.
    pub fn segments(&self) -> &VecDeque<Segment> {
        &self.window
    }

    /// Frames that could not be written (malformed, or of a codec MPEG-TS segments do not carry).
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// Takes one hub item; returns the segment it finished, if any.
    pub fn push(&mut self, item: MediaItem) -> Option<Segment> {
        match item {
            MediaItem::VideoConfig(v) => {
                self.avc = crate::ts::params(Some(&v), None).0;
                self.video = Some(v);
                None
            }
            MediaItem::AudioConfig(a) => {
                self.adts = AdtsParams::parse(&a.record).ok();
                self.audio = Some(a);
                None
            }
            MediaItem::Frame(f) => {
                let is_video = f.track == Track::Video;
                if (is_video && self.avc.is_none()) || (!is_video && self.adts.is_none()) {
                    self.rejected += 1;
                    return None;
                }
                let sync = if self.avc.is_some() { is_video && f.keyframe } else { !is_video };
                let finished = match &self.open {
                    None if !sync => return None,
                    None => None,
                    Some(o) => {
                        let age = f.dts.saturating_sub(o.start_ms);
                        let too_big =
                            o.buf.len() >= self.cfg.max_segment_bytes || age >= self.cfg.max_segment_ms;
                        if (sync && age >= self.cfg.target_ms) || too_big { self.close(f.dts) } else { None }
                    }
                };
                if self.open.is_none() {
                    self.start(f.dts, sync);
                }
                let Some(o) = self.open.as_mut() else { return finished };
                let written = match (&self.avc, &self.adts, is_video) {
                    (Some(avc), _, true) => {
                        o.video_frames += 1;
                        self.muxer.write_video(&mut o.buf, avc, &f.data, ts90(f.pts), ts90(f.dts), f.keyframe)
                    }
                    (_, Some(adts), false) => {
                        let rate = self.audio.as_ref().map_or(48_000, |a| a.sample_rate);
                        let pts = self.audio_clock.next(f.pts, rate);
                        self.muxer.write_audio(&mut o.buf, adts, &f.data, pts)
                    }
                    _ => Ok(()),
                };
                if written.is_err() {
                    self.rejected += 1;
                }
                o.last_ms = o.last_ms.max(f.dts);
                finished
            }
        }
    }

    /// Ends the stream: the open segment, if any, is finished.
    pub fn finish(&mut self) -> Option<Segment> {
        let end = self.open.as_ref().map(|o| {
            let frames = i64::from(o.video_frames.max(1));
            // One more frame's worth past the last frame's start.
            let step = if frames > 1 { (o.last_ms - o.start_ms) / (frames - 1) } else { 0 };
            o.last_ms + step.clamp(0, 1000)
        })?;
        self.close(end)
    }

    fn start(&mut self, at_ms: i64, independent: bool) {
        let (has_video, has_audio) = (self.avc.is_some(), self.adts.is_some());
        if self.muxer.tracks() != (has_video, has_audio) {
            self.muxer = TsMuxer::new(has_video, has_audio);
        }
        let mut buf = Vec::with_capacity(256 * 1024);
        self.muxer.write_tables(&mut buf);
        self.open = Some(Open { start_ms: at_ms, last_ms: at_ms, video_frames: 0, independent, buf });
    }

    fn close(&mut self, end_ms: i64) -> Option<Segment> {
        let o = self.open.take()?;
        let seg = Segment {
            seq: self.next_seq,
            start_ms: o.start_ms,
            duration_ms: end_ms.saturating_sub(o.start_ms).max(1),
            video_frames: o.video_frames,
            independent: o.independent,
            data: Bytes::from(o.buf),
        };
        self.next_seq += 1;
        self.window.push_back(seg.clone());
        while self.window.len() > self.cfg.window.max(1) {
            self.window.pop_front();
        }
        Some(seg)
    }
}

#[cfg(test)]
#[path = "segmenter_tests.rs"]
mod tests;
