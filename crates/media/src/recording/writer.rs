//! The recording writer: hub items in, recorded segments out (ivs-recording-events.md §1.5, §6 step 2).
//! A segment opens at a video keyframe (at any audio frame for a stream without video) and closes at
//! the first keyframe at or after [`SEGMENT_TARGET_MS`]. Within it, every keyframe starts a byte range
//! (every [`AUDIO_RANGE_MS`] without video) that begins with PAT, PMT and an ID3 tag numbering the
//! range, so each range can be played alone, as IVS's byte-range playlists expect. Frames are written
//! as they arrive, into the open segment's buffer; one TS muxer spans the whole recording, so
//! continuity counters run on across ranges and segments.

use super::{
    AUDIO_RANGE_MS, MAX_SEGMENT_BYTES, MAX_SEGMENT_MS, RecordedSegment, Rendition, SEGMENT_TARGET_MS,
    SubRange, playlist::seconds_utc,
};
use crate::frame::{AudioConfig, Frame, MediaItem, Track, VideoConfig};
use crate::timing::{AudioClock, ticks90};
use crate::ts::{AdtsParams, AvcParams, Layout, TS_MASK, TsMuxer};
use bytes::Bytes;
use std::sync::Arc;

/// Metadata kept while no segment is open (IVS allows 5 a second; a stream without a keyframe for
/// longer than this many loses the oldest).
const MAX_WAITING_METADATA: usize = 32;

/// The segment being written.
struct Open {
    index: u64,
    buf: Vec<u8>,
    /// Decoding time of its first frame, ms on the publisher's clock.
    start_ms: i64,
    /// Decoding time of the last frame of the track it is cut on.
    last_ms: i64,
    /// Frames of the track it is cut on.
    frames: u32,
    pdt_ms: i64,
    discontinuity: bool,
    /// Where each range starts: (byte offset, decoding time in ms).
    ranges: Vec<(usize, i64)>,
}

/// Writes one rendition of a recording. See the module documentation.
pub struct RecordingWriter {
    video: Option<Arc<VideoConfig>>,
    audio: Option<Arc<AudioConfig>>,
    avc: Option<AvcParams>,
    adts: Option<AdtsParams>,
    ts: TsMuxer,
    audio_clock: AudioClock,
    open: Option<Open>,
    next_index: u64,
    /// The number the next range's ID3 tag carries in `TRCK`.
    next_range: u64,
    /// When the next segment starts on the wall clock: where the last one ended, or unknown at the
    /// start of a stream (then the wall clock of its first frame).
    next_pdt: Option<i64>,
    discontinuity: bool,
    /// (90 kHz time, ID3 tag) of metadata that came while no segment was open.
    waiting_metadata: Vec<(i64, Bytes)>,
    bandwidth: u64,
    rejected: u64,
}

impl Default for RecordingWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl RecordingWriter {
    /// A writer with no configuration yet.
    pub fn new() -> Self {
        RecordingWriter {
            video: None,
            audio: None,
            avc: None,
            adts: None,
            ts: TsMuxer::new(false, false).with_id3().with_layout(Layout::IVS_RECORDING),
            audio_clock: AudioClock::default(),
            open: None,
            next_index: 0,
            next_range: 0,
            next_pdt: None,
            discontinuity: false,
            waiting_metadata: Vec::new(),
            bandwidth: 0,
            rejected: 0,
        }
    }

    /// Frames that could not be written (malformed, before a configuration, or of a codec recordings
    /// do not carry such as HEVC).
    pub fn rejected(&self) -> u64 {
        self.rejected
    }

    /// The rendition, once a frame of it could be written (a configuration was seen).
    pub fn rendition(&self) -> Option<Rendition> {
        let video = self.video.as_ref().filter(|_| self.avc.is_some());
        let audio = self.audio.as_ref().filter(|_| self.adts.is_some());
        let mut codecs: Vec<String> = Vec::new();
        if let Some(v) = video {
            // IVS writes the profile/level hex in capitals (`avc1.4D401F`).
            codecs.push(match v.codec.split_once('.') {
                Some((kind, rest)) => format!("{kind}.{}", rest.to_ascii_uppercase()),
                None => v.codec.clone(),
            });
        }
        codecs.extend(audio.map(|a| a.codec.clone()));
        if codecs.is_empty() {
            return None;
        }
        let name = match video {
            Some(v) => {
                let fps = v.frame_rate.filter(|r| r.is_finite() && *r > 0.0).map_or(30, |r| r.round() as u32);
                format!("{}p{fps}", v.height)
            }
            None => "audio_only".to_owned(),
        };
        Some(Rendition {
            name,
            width: video.map(|v| v.width),
            height: video.map(|v| v.height),
            codecs: codecs.join(","),
            bandwidth: self.bandwidth,
        })
    }

    /// Feeds one hub item that arrived at `wall_ms` (Unix ms); returns the segment it closed, if any.
    pub fn push(&mut self, item: MediaItem, wall_ms: i64) -> Option<RecordedSegment> {
        match item {
            MediaItem::VideoConfig(v) => {
                if self.video.as_deref() == Some(&*v) {
                    return None;
                }
                let had_video = self.avc.is_some();
                self.avc = crate::ts::params(Some(&v), None).0;
                self.video = Some(v);
                // A segment's PMT lists its tracks once; a track that comes or goes starts a new one.
                if had_video != self.avc.is_some() { self.close_now() } else { None }
            }
            MediaItem::AudioConfig(a) => {
                if self.audio.as_deref() == Some(&*a) {
                    return None;
                }
                let had_audio = self.adts.is_some();
                self.adts = AdtsParams::parse(&a.record).ok();
                self.audio = Some(a);
                self.audio_clock = AudioClock::default();
                if had_audio != self.adts.is_some() { self.close_now() } else { None }
            }
            MediaItem::Metadata(m) => {
                let tag = crate::id3::txxx_tag("", &m.payload);
                let pts = ticks90(m.pts);
                match self.open.as_mut() {
                    Some(o) => self.ts.write_id3(&mut o.buf, &tag, pts as u64 & TS_MASK),
                    None => {
                        if self.waiting_metadata.len() >= MAX_WAITING_METADATA {
                            self.waiting_metadata.remove(0);
                        }
                        self.waiting_metadata.push((pts, tag));
                    }
                }
                None
            }
            MediaItem::Frame(f) => self.frame(f, wall_ms),
        }
    }

    /// The next stream of a merged recording (IVS's reconnect window): closes the open segment and
    /// marks the next one as a discontinuity. The new stream's timestamps may start anywhere.
    pub fn discontinuity(&mut self) -> Option<RecordedSegment> {
        let finished = self.close_now();
        if self.next_index > 0 {
            self.discontinuity = true;
        }
        // The gap between the streams is real time: the next segment is dated by the wall clock.
        self.next_pdt = None;
        self.audio_clock = AudioClock::default();
        finished
    }

    /// Ends the recording: the open segment, if it has frames.
    pub fn finish(&mut self) -> Option<RecordedSegment> {
        self.close_now()
    }

    fn frame(&mut self, f: Frame, wall_ms: i64) -> Option<RecordedSegment> {
        let is_video = f.track == Track::Video;
        let writable = match (&self.avc, &self.adts, is_video) {
            (Some(avc), _, true) => crate::ts::check_avcc(avc, &f.data).is_ok(),
            (_, Some(_), false) => f.data.len() + 7 < 1 << 13,
            _ => false,
        };
        if !writable {
            self.rejected += 1;
            return None;
        }
        let has_video = self.avc.is_some();
        let on_cut_track = is_video == has_video;
        let sync = on_cut_track && (f.keyframe || !is_video);
        let mut finished = None;
        if let Some(o) = &self.open {
            let age = f.dts.saturating_sub(o.start_ms);
            let too_big = o.buf.len() >= MAX_SEGMENT_BYTES || age >= MAX_SEGMENT_MS;
            if (sync && age >= SEGMENT_TARGET_MS) || too_big {
                finished = self.close(f.dts);
            }
        }
        if self.open.is_none() {
            // Frames before the first sync point are left out; after a segment closed by a limit,
            // the next one starts at once, sync point or not.
            if !sync && finished.is_none() {
                return finished;
            }
            self.start(f.dts, wall_ms);
        }
        let (pts, dts) = if is_video {
            (ticks90(f.pts), ticks90(f.dts))
        } else {
            let rate = self.audio.as_ref().map_or(48_000, |a| a.sample_rate);
            let at = self.audio_clock.at(f.pts, rate).ticks;
            (at, at)
        };
        let Some(o) = self.open.as_mut() else { return finished };
        let range_due = match o.ranges.last() {
            None => true,
            Some(_) if has_video => sync,
            Some((_, start)) => sync && f.dts.saturating_sub(*start) >= AUDIO_RANGE_MS,
        };
        if range_due {
            o.ranges.push((o.buf.len(), f.dts));
            self.ts.write_tables(&mut o.buf);
            let when = seconds_utc(wall_ms);
            let tag = crate::id3::text_tag(&[("TRCK", &self.next_range.to_string()), ("TDTG", &when)]);
            self.ts.write_id3(&mut o.buf, &tag, pts as u64 & TS_MASK);
            self.next_range += 1;
            for (at, tag) in self.waiting_metadata.drain(..) {
                self.ts.write_id3(&mut o.buf, &tag, at as u64 & TS_MASK);
            }
        }
        let written = match (is_video, &self.avc, &self.adts) {
            (true, Some(avc), _) => self.ts.write_video(
                &mut o.buf,
                avc,
                &f.data,
                pts as u64 & TS_MASK,
                dts as u64 & TS_MASK,
                f.keyframe,
            ),
            (false, _, Some(adts)) => self.ts.write_audio(&mut o.buf, adts, &f.data, pts as u64 & TS_MASK),
            _ => Ok(()),
        };
        if written.is_err() {
            self.rejected += 1;
        }
        if on_cut_track {
            o.frames += 1;
            o.last_ms = o.last_ms.max(f.dts);
        }
        finished
    }

    fn start(&mut self, at_ms: i64, wall_ms: i64) {
        let tracks = (self.avc.is_some(), self.adts.is_some());
        if self.ts.tracks() != tracks {
            self.ts.set_tracks(tracks.0, tracks.1);
        }
        self.open = Some(Open {
            index: self.next_index,
            buf: Vec::new(),
            start_ms: at_ms,
            last_ms: at_ms,
            frames: 0,
            pdt_ms: self.next_pdt.unwrap_or(wall_ms),
            discontinuity: std::mem::take(&mut self.discontinuity),
            ranges: Vec::new(),
        });
    }

    /// Closes the open segment one frame interval past its last frame (nothing follows to end it).
    fn close_now(&mut self) -> Option<RecordedSegment> {
        let o = self.open.as_ref()?;
        let step = if o.frames > 1 {
            o.last_ms.saturating_sub(o.start_ms) / i64::from(o.frames - 1)
        } else if self.avc.is_some() {
            33
        } else {
            1_024_000 / i64::from(self.audio.as_ref().map_or(48_000, |a| a.sample_rate).max(1))
        };
        let end = o.last_ms.saturating_add(step.clamp(0, 1000));
        self.close(end)
    }

    /// Closes the open segment; it ends at `end_ms` (where the next one starts).
    fn close(&mut self, end_ms: i64) -> Option<RecordedSegment> {
        let o = self.open.take()?;
        if o.ranges.is_empty() {
            return None;
        }
        let duration_ms = end_ms.saturating_sub(o.start_ms).max(1);
        let end_ms = o.start_ms.saturating_add(duration_ms);
        // Range times are kept in order and within the segment (timestamps from a publisher may step
        // back), so the ranges' durations add up to the segment's.
        let mut starts = Vec::with_capacity(o.ranges.len());
        let mut floor = o.start_ms;
        for (i, (_, start)) in o.ranges.iter().enumerate() {
            floor = if i == 0 { o.start_ms } else { (*start).clamp(floor, end_ms) };
            starts.push(floor);
        }
        let total = o.buf.len();
        let ranges = o
            .ranges
            .iter()
            .enumerate()
            .map(|(i, (offset, _))| {
                let next_offset = o.ranges.get(i + 1).map_or(total, |r| r.0);
                let next_start = starts.get(i + 1).copied().unwrap_or(end_ms);
                SubRange {
                    offset: *offset as u64,
                    len: (next_offset - offset) as u64,
                    duration_ms: next_start - starts[i],
                    pdt_ms: o.pdt_ms.saturating_add(starts[i] - o.start_ms),
                }
            })
            .collect();
        let bits_per_s = (total as u64).saturating_mul(8000) / duration_ms as u64;
        self.bandwidth = self.bandwidth.max(bits_per_s);
        self.next_index = o.index + 1;
        self.next_pdt = Some(o.pdt_ms.saturating_add(duration_ms));
        Some(RecordedSegment {
            index: o.index,
            data: Bytes::from(o.buf),
            duration_ms,
            pdt_ms: o.pdt_ms,
            discontinuity: o.discontinuity,
            ranges,
        })
    }
}
