//! The HLS segmenter (RFC 8216 §3, §6.2.2; draft-pantos-hls-rfc8216bis §4.4.4.9 for partial segments):
//! hub items in, segments out. Pure and synchronous: a segment opens at a video keyframe (at any audio
//! frame for a stream without video) and closes at the first keyframe once it holds at least the target
//! duration. With a part target (low-latency channels) each segment is also cut into partial segments
//! of at most that duration, at frame boundaries; a segment's bytes are exactly its parts' bytes in
//! order, so a player may fetch either. The last few segments stay in a bounded window as [`Bytes`],
//! which any number of viewers share without copying.

use crate::frame::{AudioConfig, MediaItem, Track, VideoConfig};
use crate::mux::{Muxer, Sample, SampleKind};
pub use crate::timing::ts90;
pub(crate) use crate::timing::{AudioClock, AudioTime, ticks90};
use crate::ts::{AdtsParams, AvcParams};
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::Arc;

/// The container segments are written in (the channel's `containerFormat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Container {
    /// MPEG-2 transport stream (`TS`, the default).
    #[default]
    Ts,
    /// Fragmented MP4 (`FRAGMENTED_MP4`): an initialization section, then one `moof`+`mdat` per part.
    Fmp4,
}

/// How segments are cut and how many are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmenterConfig {
    /// Target segment duration, ms; segments close at the first keyframe after it.
    pub target_ms: i64,
    /// Partial segments of at most this duration, ms (low-latency HLS); `None` for classic HLS.
    pub part_target_ms: Option<i64>,
    /// Segments kept for playlists (older ones are dropped).
    pub window: usize,
    /// A segment is closed at this size even without a keyframe, so a stream that never sends one
    /// cannot grow memory.
    pub max_segment_bytes: usize,
    /// Likewise, the longest a segment may last, ms.
    pub max_segment_ms: i64,
    /// The container.
    pub container: Container,
}

/// The part target of low-latency channels: 334 ms, ten frames at 30 fps (eight at 25, twenty at 60).
/// hls.js starts a low-latency stream `PART-HOLD-BACK` (three part targets, ≈ 1 s) behind the newest
/// part, and a frame waits at most one part target before its part is published, so this leaves room
/// for the encoder's own delay within the 2 s glass-to-glass goal; 0.5 s parts would already spend 2 s
/// in hold-back and part accumulation alone. Shorter parts cost more requests per viewer for no gain
/// hls.js can use (its playlist reload and part fetch round trips dominate below ~0.3 s).
pub const PART_TARGET_MS: i64 = 334;

/// How many closed segments keep their parts (the playlist lists parts for the last three target
/// durations, rfc8216bis §4.4.4.9; one more so a client a reload behind still finds what it asked for).
pub const SEGMENTS_WITH_PARTS: usize = 4;

impl SegmenterConfig {
    /// Classic HLS (a channel with `latencyMode` NORMAL): 6 s segments, a 36 s window. RFC 8216
    /// §6.2.2 needs a live playlist to last at least three target durations plus a segment (24 s);
    /// players start three segments from the end. Every segment held costs memory per stream (at
    /// 3 Mbit/s, 2.25 MB per 6 s segment), so the window stays near that minimum.
    pub const NORMAL: SegmenterConfig = SegmenterConfig {
        target_ms: 6000,
        part_target_ms: None,
        window: 6,
        max_segment_bytes: 32 << 20,
        max_segment_ms: 20_000,
        container: Container::Ts,
    };
    /// A channel with `latencyMode` LOW: 2 s segments of 334 ms parts, a 16 s window (enough for
    /// players without low-latency support, which start three segments from the end).
    pub const LOW: SegmenterConfig = SegmenterConfig {
        target_ms: 2000,
        part_target_ms: Some(PART_TARGET_MS),
        window: 8,
        max_segment_bytes: 16 << 20,
        max_segment_ms: 10_000,
        container: Container::Ts,
    };

    /// The same cutting with another container.
    pub const fn with_container(mut self, container: Container) -> Self {
        self.container = container;
        self
    }
}

/// A partial segment.
#[derive(Clone, Debug)]
pub struct Part {
    /// Its index within its segment (0 first).
    pub index: u32,
    /// Decoding time of its first frame, ms on the publisher's clock.
    pub start_ms: i64,
    /// Duration, ms.
    pub duration_ms: i64,
    /// True when it starts with a keyframe.
    pub independent: bool,
    /// Its bytes (TS packets, or one `moof`+`mdat`).
    pub data: Bytes,
}

/// An fMP4 initialization section (`EXT-X-MAP`), shared by the segments that need it.
#[derive(Debug)]
pub struct InitSegment {
    /// Its number within the stream (a new one when a codec configuration changes).
    pub id: u32,
    /// `ftyp` + `moov`.
    pub data: Bytes,
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
    /// Wall-clock time of its first frame at ingest, Unix ms (`EXT-X-PROGRAM-DATE-TIME`).
    pub program_date_ms: Option<i64>,
    /// Its initialization section (fMP4 only).
    pub init: Option<Arc<InitSegment>>,
    /// Its parts (low latency), kept for the last [`SEGMENTS_WITH_PARTS`] segments, empty before.
    pub parts: Arc<[Part]>,
    /// The segment's bytes.
    pub data: Bytes,
}

/// The segment being written, as playlists show it: its finished parts.
#[derive(Clone, Debug)]
pub struct OpenSegment {
    /// Its media sequence number.
    pub seq: u64,
    /// Wall-clock time of its first frame, Unix ms.
    pub program_date_ms: Option<i64>,
    /// Its initialization section (fMP4 only).
    pub init: Option<Arc<InitSegment>>,
    /// The parts finished so far.
    pub parts: Vec<Part>,
}

struct Open {
    start_ms: i64,
    last_ms: i64,
    video_frames: u32,
    independent: bool,
    program_date_ms: Option<i64>,
    init: Option<Arc<InitSegment>>,
    parts: Vec<Part>,
    bytes: usize,
    part: Pending,
}

/// The part being collected.
struct Pending {
    start_ms: i64,
    independent: bool,
    samples: Vec<Sample>,
    bytes: usize,
}

/// Cuts one stream into segments.
pub struct Segmenter {
    cfg: SegmenterConfig,
    video: Option<Arc<VideoConfig>>,
    audio: Option<Arc<AudioConfig>>,
    avc: Option<AvcParams>,
    adts: Option<AdtsParams>,
    muxer: Muxer,
    open: Option<Open>,
    next_seq: u64,
    window: VecDeque<Segment>,
    rejected: u64,
    audio_clock: AudioClock,
    /// (publisher ms, Unix ms) of one frame, to date the others.
    clock: Option<(i64, i64)>,
    last_video_dts: Option<i64>,
    video_step_ms: i64,
    generation: u64,
    /// Metadata that came while no segment was open, for the next one.
    waiting_metadata: Vec<Sample>,
    longest_ms: i64,
    audio_without_video: u64,
}

/// Metadata kept while no segment is open (IVS allows 5 a second; a stream without a keyframe for
/// longer than this many loses the oldest).
const MAX_WAITING_METADATA: usize = 32;

/// How long audio may run on alone in a stream with video before it is left out (a second: longer
/// than any video frame interval, far shorter than a segment).
const AUDIO_WITHOUT_VIDEO_MS: i64 = 1000;

/// A wall clock further than this from the stream's own time (a pause, a clock step) re-dates it.
const CLOCK_SLACK_MS: i64 = 1000;

impl Segmenter {
    /// A segmenter with no configuration yet.
    pub fn new(cfg: SegmenterConfig) -> Self {
        Segmenter {
            cfg,
            video: None,
            audio: None,
            avc: None,
            adts: None,
            muxer: Muxer::new(cfg.container),
            open: None,
            next_seq: 0,
            window: VecDeque::new(),
            rejected: 0,
            audio_clock: AudioClock::default(),
            clock: None,
            last_video_dts: None,
            video_step_ms: 33,
            generation: 0,
            waiting_metadata: Vec::new(),
            longest_ms: 0,
            audio_without_video: 0,
        }
    }

    /// How it cuts.
    pub fn config(&self) -> &SegmenterConfig {
        &self.cfg
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

    /// The segment being written and its finished parts, if one is open.
    pub fn open(&self) -> Option<OpenSegment> {
        self.open.as_ref().map(|o| OpenSegment {
            seq: self.next_seq,
            program_date_ms: o.program_date_ms,
            init: o.init.clone(),
            parts: o.parts.clone(),
        })
    }

    /// The longest segment so far, ms. Playlists take their target duration from it rather than from
    /// the window, because a target duration must not change (RFC 8216 §6.2.1), and it can only grow.
    pub fn longest_segment_ms(&self) -> i64 {
        self.longest_ms
    }

    /// Counts finished parts and segments: a change means playlists have something new.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Frames that could not be written (malformed, or of a codec these segments do not carry).
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// Audio frames left out because the stream's video had stopped.
    pub fn audio_without_video(&self) -> u64 {
        self.audio_without_video
    }

    /// Takes one hub item; returns the segment it finished, if any.
    pub fn push(&mut self, item: MediaItem) -> Option<Segment> {
        self.push_at(item, None)
    }

    /// Takes one hub item that arrived at `wall_ms` (Unix ms), which dates the segments.
    pub fn push_at(&mut self, item: MediaItem, wall_ms: Option<i64>) -> Option<Segment> {
        match item {
            MediaItem::VideoConfig(v) => {
                if self.video.as_deref() == Some(&*v) {
                    return None;
                }
                // Frames after a new configuration go in a new segment (and, in fMP4, a new init).
                let finished = self.close_now();
                self.avc = crate::ts::params(Some(&v), None).0;
                self.video = Some(v);
                finished
            }
            MediaItem::AudioConfig(a) => {
                if self.audio.as_deref() == Some(&*a) {
                    return None;
                }
                let finished = self.close_now();
                self.adts = AdtsParams::parse(&a.record).ok();
                self.audio = Some(a);
                self.audio_clock = AudioClock::default();
                finished
            }
            MediaItem::Metadata(m) => {
                let sample = Sample {
                    kind: SampleKind::Id3 { pts: ticks90(m.pts) },
                    keyframe: true,
                    data: crate::id3::txxx_tag("", &m.payload),
                };
                match self.open.as_mut() {
                    Some(o) => o.part.samples.push(sample),
                    None => {
                        if self.waiting_metadata.len() >= MAX_WAITING_METADATA {
                            self.waiting_metadata.remove(0);
                        }
                        self.waiting_metadata.push(sample);
                    }
                }
                None
            }
            MediaItem::Frame(f) => {
                let is_video = f.track == Track::Video;
                let params_ok = match (&self.avc, &self.adts, is_video) {
                    (Some(avc), _, true) => crate::ts::check_avcc(avc, &f.data).is_ok(),
                    (_, Some(_), false) => f.data.len() + 7 < 1 << 13,
                    _ => false,
                };
                if !params_ok {
                    self.rejected += 1;
                    return None;
                }
                // In a stream with video, audio that outlives the video by more than this is left out:
                // segments of audio alone in a video stream make the IVS Player's decoder fail, and
                // they would only pin a frozen picture on screen anyway.
                if !is_video
                    && self.avc.is_some()
                    && self.last_video_dts.is_some_and(|v| f.dts.saturating_sub(v) > AUDIO_WITHOUT_VIDEO_MS)
                {
                    self.audio_without_video += 1;
                    return None;
                }
                if let Some(wall) = wall_ms {
                    self.observe_clock(f.dts, wall);
                }
                let sync = if self.avc.is_some() { is_video && f.keyframe } else { !is_video };
                let cut_point = if self.avc.is_some() { is_video } else { !is_video };
                let mut finished = None;
                let was_open = self.open.is_some();
                if let Some(o) = &self.open {
                    let age = f.dts.saturating_sub(o.start_ms);
                    let too_big = o.bytes + o.part.bytes >= self.cfg.max_segment_bytes
                        || age >= self.cfg.max_segment_ms;
                    if (sync && age >= self.cfg.target_ms) || too_big {
                        finished = self.close(f.dts);
                    } else if cut_point && self.part_due(f.dts, is_video) {
                        self.close_part(f.dts, sync);
                    }
                }
                if self.open.is_none() {
                    // A segment closed by a limit is followed at once, keyframe or not.
                    if !sync && !was_open {
                        return finished;
                    }
                    self.start(f.dts, sync);
                }
                if is_video {
                    if let Some(last) = self.last_video_dts.filter(|l| f.dts > *l) {
                        self.video_step_ms = (f.dts - last).clamp(1, 1000);
                    }
                    self.last_video_dts = Some(f.dts);
                }
                let kind = if is_video {
                    SampleKind::Video { pts: ticks90(f.pts), dts: ticks90(f.dts) }
                } else {
                    let rate = self.audio.as_ref().map_or(48_000, |a| a.sample_rate);
                    SampleKind::Audio(self.audio_clock.at(f.pts, rate))
                };
                let Some(o) = self.open.as_mut() else { return finished };
                o.part.bytes += f.data.len();
                if is_video {
                    o.video_frames += 1;
                }
                o.last_ms = o.last_ms.max(f.dts);
                o.part.samples.push(Sample { kind, keyframe: f.keyframe, data: f.data });
                finished
            }
        }
    }

    /// Ends the stream: the open segment, if any, is finished.
    pub fn finish(&mut self) -> Option<Segment> {
        self.close_now()
    }

    /// Closes the open segment one frame's worth past its last frame.
    fn close_now(&mut self) -> Option<Segment> {
        let end = self.open.as_ref().map(|o| {
            let frames = i64::from(o.video_frames.max(1));
            let step = if frames > 1 { (o.last_ms - o.start_ms) / (frames - 1) } else { 0 };
            o.last_ms + step.clamp(0, 1000)
        })?;
        self.close(end)
    }

    fn observe_clock(&mut self, dts: i64, wall: i64) {
        let drifted = match self.clock {
            Some((d, w)) => (w + dts.saturating_sub(d) - wall).abs() > CLOCK_SLACK_MS,
            None => true,
        };
        if drifted {
            self.clock = Some((dts, wall));
        }
    }

    /// True when the frame at `dts` would take the pending part past the part target.
    fn part_due(&self, dts: i64, is_video: bool) -> bool {
        let (Some(target), Some(o)) = (self.cfg.part_target_ms, &self.open) else { return false };
        if o.part.samples.is_empty() {
            return false;
        }
        let step = if is_video {
            self.video_step_ms
        } else {
            1_024_000 / i64::from(self.audio.as_ref().map_or(48_000, |a| a.sample_rate).max(1))
        };
        dts.saturating_sub(o.part.start_ms) + step > target
    }

    fn start(&mut self, at_ms: i64, independent: bool) {
        let (has_video, has_audio) = (self.avc.is_some(), self.adts.is_some());
        let video = self.video.clone().filter(|_| has_video);
        let audio = self.audio.clone().filter(|_| has_audio);
        let init = self.muxer.prepare(video, audio, self.avc.clone(), self.adts);
        let program_date_ms = self.clock.map(|(d, w)| w + at_ms.saturating_sub(d));
        self.open = Some(Open {
            start_ms: at_ms,
            last_ms: at_ms,
            video_frames: 0,
            independent,
            program_date_ms,
            init,
            parts: Vec::new(),
            bytes: 0,
            part: Pending {
                start_ms: at_ms,
                independent,
                samples: std::mem::take(&mut self.waiting_metadata),
                bytes: 0,
            },
        });
    }

    /// Finishes the pending part at `end_ms`; the next starts there (with a keyframe if `next_sync`).
    fn close_part(&mut self, end_ms: i64, next_sync: bool) {
        let Some(o) = self.open.as_mut() else { return };
        let pending = std::mem::replace(
            &mut o.part,
            Pending { start_ms: end_ms, independent: next_sync, samples: Vec::new(), bytes: 0 },
        );
        if pending.samples.is_empty() {
            return;
        }
        let end90 = ticks90(end_ms);
        let (data, rejected) = self.muxer.write_part(pending.samples, end90);
        self.rejected += rejected;
        o.bytes += data.len();
        o.parts.push(Part {
            index: o.parts.len() as u32,
            start_ms: pending.start_ms,
            duration_ms: end_ms.saturating_sub(pending.start_ms).max(1),
            independent: pending.independent,
            data,
        });
        self.generation += 1;
    }

    fn close(&mut self, end_ms: i64) -> Option<Segment> {
        self.close_part(end_ms, false);
        let o = self.open.take()?;
        if o.parts.is_empty() {
            return None;
        }
        let data = if o.parts.len() == 1 {
            o.parts[0].data.clone()
        } else {
            let mut buf = Vec::with_capacity(o.bytes);
            for p in &o.parts {
                buf.extend_from_slice(&p.data);
            }
            Bytes::from(buf)
        };
        let keep_parts = self.cfg.part_target_ms.is_some();
        let seg = Segment {
            seq: self.next_seq,
            start_ms: o.start_ms,
            duration_ms: end_ms.saturating_sub(o.start_ms).max(1),
            video_frames: o.video_frames,
            independent: o.independent,
            program_date_ms: o.program_date_ms,
            init: o.init,
            parts: if keep_parts { o.parts.into() } else { Arc::new([]) },
            data,
        };
        self.next_seq += 1;
        self.generation += 1;
        self.longest_ms = self.longest_ms.max(seg.duration_ms);
        self.window.push_back(seg.clone());
        while self.window.len() > self.cfg.window.max(1) {
            self.window.pop_front();
        }
        // Older segments drop their parts (playlists no longer list them), bounding memory.
        let with_parts = self.window.len().saturating_sub(SEGMENTS_WITH_PARTS);
        for old in self.window.iter_mut().take(with_parts) {
            if !old.parts.is_empty() {
                old.parts = Arc::new([]);
            }
        }
        Some(seg)
    }
}

#[cfg(test)]
#[path = "segmenter_tests.rs"]
mod tests;
