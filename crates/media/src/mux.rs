//! Writing a partial segment's samples in the channel's container: MPEG-TS ([`crate::ts`]) with the
//! program tables at the start of every part, so each part can be decoded on its own (a player may
//! join at any independent part). The segmenter decides where parts and segments start; this only
//! turns a part's samples into bytes.

use crate::frame::{AudioConfig, VideoConfig};
use crate::segmenter::{AudioTime, Container, InitSegment};
use crate::ts::{AdtsParams, AvcParams, TS_MASK, TsMuxer};
use bytes::Bytes;
use std::sync::Arc;

/// What a sample is, with its times on the 90 kHz clock (not wrapped to 33 bits).
#[derive(Clone, Copy, Debug)]
pub(crate) enum SampleKind {
    /// An H.264 access unit.
    Video { pts: i64, dts: i64 },
    /// A raw AAC frame.
    Audio(AudioTime),
}

/// One frame of a pending part.
#[derive(Clone, Debug)]
pub(crate) struct Sample {
    pub kind: SampleKind,
    pub keyframe: bool,
    pub data: Bytes,
}

/// The writer of one stream's parts.
pub(crate) struct Muxer {
    ts: TsMuxer,
    avc: Option<AvcParams>,
    adts: Option<AdtsParams>,
}

impl Muxer {
    /// A writer for `container`.
    pub fn new(container: Container) -> Self {
        let Container::Ts = container;
        Muxer { ts: TsMuxer::new(false, false), avc: None, adts: None }
    }

    /// Called when a segment starts, with the configurations its frames use; returns the
    /// initialization section the segment needs (fMP4 only).
    pub fn prepare(
        &mut self,
        _video: Option<Arc<VideoConfig>>,
        _audio: Option<Arc<AudioConfig>>,
        avc: Option<AvcParams>,
        adts: Option<AdtsParams>,
    ) -> Option<Arc<InitSegment>> {
        let tracks = (avc.is_some(), adts.is_some());
        if self.ts.tracks() != tracks {
            self.ts = TsMuxer::new(tracks.0, tracks.1);
        }
        self.avc = avc;
        self.adts = adts;
        None
    }

    /// Writes a part's samples; `end` is where the part ends on the 90 kHz clock (the next part's
    /// start). Returns the bytes and how many samples could not be written.
    pub fn write_part(&mut self, samples: Vec<Sample>, end: i64) -> (Bytes, u64) {
        let _ = end;
        let size: usize = samples.iter().map(|s| s.data.len()).sum();
        let mut buf = Vec::with_capacity(size + size / 8 + 1024);
        self.ts.write_tables(&mut buf);
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
                _ => Ok(()),
            };
            if written.is_err() {
                rejected += 1;
            }
        }
        (Bytes::from(buf), rejected)
    }
}
