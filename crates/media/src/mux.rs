//! Writing a partial segment's samples in the channel's container. MPEG-TS ([`crate::ts`]) with the
//! program tables at the start of every part, so each part can be decoded on its own (a player may
//! join at any independent part); fragmented MP4 ([`crate::fmp4`]) as one `moof`+`mdat` per part, with
//! an initialization section per set of codec configurations. The segmenter decides where parts and
//! segments start; this only turns a part's samples into bytes.

use crate::fmp4::{self, Run, RunSample};
use crate::frame::{AudioConfig, VideoConfig};
use crate::segmenter::{AudioTime, Container, InitSegment};
use crate::ts::{AdtsParams, AvcParams, TS_MASK, TsMuxer};
use bytes::Bytes;
use std::sync::Arc;

/// The `emsg` scheme of ID3 timed metadata in CMAF (AOM, "Carriage of ID3 Timed Metadata in CMAF").
pub(crate) const ID3_SCHEME: &str = "https://aomedia.org/emsg/ID3";

/// The `emsg` scheme the Amazon IVS Player reads ID3 timed metadata from (with `emsg` version 0).
pub(crate) const TWITCH_ID3_SCHEME: &str = "urn:twitch:id3";

/// What a sample is, with its times on the 90 kHz clock (not wrapped to 33 bits).
#[derive(Clone, Copy, Debug)]
pub(crate) enum SampleKind {
    /// An H.264 access unit.
    Video { pts: i64, dts: i64 },
    /// A raw AAC frame.
    Audio(AudioTime),
    /// An ID3 tag (timed metadata) at `pts`.
    Id3 { pts: i64 },
}

/// One frame of a pending part.
#[derive(Clone, Debug)]
pub(crate) struct Sample {
    pub kind: SampleKind,
    pub keyframe: bool,
    pub data: Bytes,
}

/// The fMP4 side: the current initialization section and the fragment counter.
#[derive(Default)]
struct Fmp4State {
    init: Option<Arc<InitSegment>>,
    configs: (Option<Arc<VideoConfig>>, Option<Arc<AudioConfig>>),
    next_init: u32,
    fragments: u32,
    events: u32,
    /// The last video sample duration written, for a part's last frame when nothing follows it.
    video_step: u32,
}

/// The writer of one stream's parts.
pub(crate) struct Muxer {
    container: Container,
    ts: TsMuxer,
    avc: Option<AvcParams>,
    adts: Option<AdtsParams>,
    fmp4: Fmp4State,
    /// The next part written is a segment's first.
    segment_start: bool,
}

impl Muxer {
    /// A writer for `container`.
    pub fn new(container: Container) -> Self {
        Muxer {
            container,
            ts: TsMuxer::new(false, false).with_id3(),
            avc: None,
            adts: None,
            fmp4: Fmp4State::default(),
            segment_start: false,
        }
    }

    /// Called when a segment starts, with the configurations its frames use; returns the
    /// initialization section the segment needs (fMP4 only).
    pub fn prepare(
        &mut self,
        video: Option<Arc<VideoConfig>>,
        audio: Option<Arc<AudioConfig>>,
        avc: Option<AvcParams>,
        adts: Option<AdtsParams>,
    ) -> Option<Arc<InitSegment>> {
        self.avc = avc;
        self.adts = adts;
        self.segment_start = true;
        match self.container {
            Container::Ts => {
                let tracks = (self.avc.is_some(), self.adts.is_some());
                if self.ts.tracks() != tracks {
                    self.ts = TsMuxer::new(tracks.0, tracks.1).with_id3();
                }
                None
            }
            Container::Fmp4 => {
                let f = &mut self.fmp4;
                let same = |a: &Option<Arc<VideoConfig>>, b: &Option<Arc<VideoConfig>>| match (a, b) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => true,
                    _ => false,
                };
                if f.init.is_none() || !same(&f.configs.0, &video) || f.configs.1 != audio {
                    let data = fmp4::init_segment(video.as_deref(), audio.as_deref());
                    f.init = Some(Arc::new(InitSegment { id: f.next_init, data }));
                    f.next_init += 1;
                    f.configs = (video, audio);
                }
                f.init.clone()
            }
        }
    }

    /// Writes a part's samples; `end` is where the part ends on the 90 kHz clock (the next part's
    /// start). Returns the bytes and how many samples could not be written.
    pub fn write_part(&mut self, samples: Vec<Sample>, end: i64) -> (Bytes, u64) {
        match self.container {
            Container::Ts => self.write_ts(samples),
            Container::Fmp4 => (self.write_fmp4(samples, end), 0),
        }
    }

    fn write_ts(&mut self, samples: Vec<Sample>) -> (Bytes, u64) {
        let size: usize = samples.iter().map(|s| s.data.len()).sum();
        let mut buf = Vec::with_capacity(size + size / 8 + 1024);
        self.ts.write_tables(&mut buf);
        if std::mem::take(&mut self.segment_start) {
            // A frameless ID3 tag at the segment's first frame, so the timed-metadata stream the PMT
            // declares has a sample in every segment (`id3::EMPTY_TAG` says why).
            let first = samples.iter().find_map(|s| match s.kind {
                SampleKind::Video { pts, .. } => Some(pts),
                SampleKind::Audio(at) => Some(at.ticks),
                SampleKind::Id3 { .. } => None,
            });
            if let Some(pts) = first {
                self.ts.write_id3(&mut buf, &crate::id3::EMPTY_TAG, pts as u64 & TS_MASK);
            }
        }
        let mut rejected = 0;
        for s in samples {
            let written = match (s.kind, &self.avc, &self.adts) {
                (SampleKind::Video { pts, dts }, Some(avc), _) => self.ts.write_video(
                    &mut buf,
                    avc,
                    &s.data,
                    pts as u64 & TS_MASK,
                    dts as u64 & TS_MASK,
                    s.keyframe,
                ),
                (SampleKind::Audio(at), _, Some(adts)) => {
                    self.ts.write_audio(&mut buf, adts, &s.data, at.ticks as u64 & TS_MASK)
                }
                (SampleKind::Id3 { pts }, _, _) => {
                    self.ts.write_id3(&mut buf, &s.data, pts as u64 & TS_MASK);
                    Ok(())
                }
                _ => Ok(()),
            };
            if written.is_err() {
                rejected += 1;
            }
        }
        (Bytes::from(buf), rejected)
    }

    fn write_fmp4(&mut self, samples: Vec<Sample>, end: i64) -> Bytes {
        let mut video = Run { track_id: fmp4::VIDEO_TRACK, base_decode_time: 0, samples: Vec::new() };
        let mut audio = Run { track_id: fmp4::AUDIO_TRACK, base_decode_time: 0, samples: Vec::new() };
        let mut video_dts = Vec::new();
        let mut tags = Vec::new();
        // The part's earliest presentation time, 90 kHz (what a version 0 `emsg` counts from).
        let mut earliest: Option<i64> = None;
        for s in samples {
            match s.kind {
                SampleKind::Id3 { pts } => tags.push((pts.max(0), s.data)),
                SampleKind::Video { pts, dts } => {
                    earliest = Some(earliest.map_or(pts, |e| e.min(pts)));
                    if video.samples.is_empty() {
                        video.base_decode_time = dts.max(0) as u64;
                    }
                    video_dts.push(dts);
                    let offset = i32::try_from(pts - dts).unwrap_or(0);
                    video.samples.push(RunSample {
                        duration: 0,
                        composition_offset: offset,
                        sync: s.keyframe,
                        data: s.data,
                    });
                }
                SampleKind::Audio(at) => {
                    earliest = Some(earliest.map_or(at.ticks, |e| e.min(at.ticks)));
                    if audio.samples.is_empty() {
                        audio.base_decode_time = at.samples.max(0) as u64;
                    }
                    audio.samples.push(RunSample {
                        duration: 1024,
                        composition_offset: 0,
                        sync: true,
                        data: s.data,
                    });
                }
            }
        }
        // A video sample lasts until the next one; the last until the part's end (the next part's
        // first frame), or as long as the one before when the end is unknown.
        let step = &mut self.fmp4.video_step;
        for (i, sample) in video.samples.iter_mut().enumerate() {
            let next = video_dts.get(i + 1).copied().unwrap_or(end);
            let d = u32::try_from(next - video_dts[i]).unwrap_or(0);
            sample.duration = if d > 0 && d < 10 * fmp4::VIDEO_TIMESCALE { d } else { (*step).max(1) };
            *step = sample.duration;
        }
        // Timed metadata, before the moof, twice: as AOM's "Carriage of ID3 Timed Metadata in CMAF"
        // (`emsg` version 1, absolute time; hls.js and other CMAF players read it), and as a version 0
        // `emsg` with the scheme Twitch's player stack uses (`urn:twitch:id3`), the only one the Amazon
        // IVS Player turns into TEXT_METADATA_CUE events. Each player ignores the other's scheme, so a
        // PutMetadata still gives one cue in each.
        let mut events = Vec::new();
        for (pts, data) in tags {
            self.fmp4.events += 1;
            let id = self.fmp4.events;
            events.extend(fmp4::emsg(ID3_SCHEME, "", fmp4::VIDEO_TIMESCALE, pts as u64, id, &data));
            let delta = u32::try_from(pts - earliest.unwrap_or(pts)).unwrap_or(0);
            events.extend(fmp4::emsg_v0(TWITCH_ID3_SCHEME, "", fmp4::VIDEO_TIMESCALE, delta, id, &data));
        }
        self.fmp4.fragments += 1;
        fmp4::fragment(self.fmp4.fragments, &[video, audio], &events)
    }
}
