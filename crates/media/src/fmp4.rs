//! A small fragmented-MP4 writer (ISO/IEC 14496-12, the ISO base media file format) for HLS
//! (RFC 8216 §3.3): the initialization section (`ftyp` + `moov` with one `trak` per track, `avcC` for
//! H.264 per ISO/IEC 14496-15, `esds` with the AudioSpecificConfig per ISO/IEC 14496-14, and `mvex`
//! with a `trex` per track) and media fragments (`moof` with `mfhd` and a `traf` of `tfhd`, `tfdt` and
//! `trun` per track, then one `mdat`), optionally preceded by `emsg` boxes (timed metadata).
//!
//! Our own rather than mp4-atom: the boxes HLS needs are a few hundred lines, every byte is under our
//! control (sample flags, base-is-moof offsets, signed composition offsets), and a fragment is written
//! in one pass into one buffer per part.

use crate::frame::{AudioConfig, VideoConfig};
use bytes::Bytes;

/// Track id of the video track.
pub const VIDEO_TRACK: u32 = 1;
/// Track id of the audio track.
pub const AUDIO_TRACK: u32 = 2;
/// Timescale of the video track: the 90 kHz clock MPEG-TS uses too.
pub const VIDEO_TIMESCALE: u32 = 90_000;

/// `sample_flags` of a sync sample (sample_depends_on = 2: depends on no other).
const SYNC: u32 = 0x0200_0000;
/// `sample_flags` of a non-sync sample (depends on others, sample_is_non_sync_sample).
const NON_SYNC: u32 = 0x0101_0000;

/// Appends a box: size, type, then what `body` writes.
fn boxed(out: &mut Vec<u8>, kind: &[u8; 4], body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(kind);
    body(out);
    let size = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
}

/// Appends a full box (version and flags first).
fn full(out: &mut Vec<u8>, kind: &[u8; 4], version: u8, flags: u32, body: impl FnOnce(&mut Vec<u8>)) {
    boxed(out, kind, |out| {
        out.extend_from_slice(&((u32::from(version) << 24) | (flags & 0xff_ffff)).to_be_bytes());
        body(out);
    });
}

fn u16b(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn u32b(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

const MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

fn matrix(out: &mut Vec<u8>) {
    for v in MATRIX {
        u32b(out, v);
    }
}

/// The initialization section for the given tracks (H.264 video: the AVCDecoderConfigurationRecord as
/// the stream sent it; AAC audio: its AudioSpecificConfig).
pub fn init_segment(video: Option<&VideoConfig>, audio: Option<&AudioConfig>) -> Bytes {
    let mut out = Vec::with_capacity(1024);
    boxed(&mut out, b"ftyp", |o| {
        o.extend_from_slice(b"iso6");
        u32b(o, 0);
        for brand in [b"iso6", b"iso5", b"mp41"] {
            o.extend_from_slice(brand);
        }
    });
    boxed(&mut out, b"moov", |o| {
        full(o, b"mvhd", 0, 0, |o| {
            u32b(o, 0); // creation
            u32b(o, 0); // modification
            u32b(o, 1000);
            u32b(o, 0); // duration: unknown (live)
            u32b(o, 0x0001_0000); // rate 1.0
            u16b(o, 0x0100); // volume 1.0
            o.extend_from_slice(&[0; 10]);
            matrix(o);
            o.extend_from_slice(&[0; 24]);
            u32b(o, AUDIO_TRACK + 1);
        });
        if let Some(v) = video {
            trak(o, VIDEO_TRACK, VIDEO_TIMESCALE, Some(v), None);
        }
        if let Some(a) = audio {
            trak(o, AUDIO_TRACK, a.sample_rate.max(1), None, Some(a));
        }
        boxed(o, b"mvex", |o| {
            for (id, present, flags) in
                [(VIDEO_TRACK, video.is_some(), NON_SYNC), (AUDIO_TRACK, audio.is_some(), SYNC)]
            {
                if present {
                    full(o, b"trex", 0, 0, |o| {
                        for v in [id, 1, 0, 0, flags] {
                            u32b(o, v);
                        }
                    });
                }
            }
        });
    });
    Bytes::from(out)
}

fn trak(
    out: &mut Vec<u8>,
    id: u32,
    timescale: u32,
    video: Option<&VideoConfig>,
    audio: Option<&AudioConfig>,
) {
    boxed(out, b"trak", |o| {
        full(o, b"tkhd", 0, 3, |o| {
            for v in [0, 0, id, 0, 0, 0, 0] {
                u32b(o, v); // times, track, reserved, duration, reserved ×2
            }
            u16b(o, 0); // layer
            u16b(o, 0); // alternate group
            u16b(o, if audio.is_some() { 0x0100 } else { 0 });
            u16b(o, 0);
            matrix(o);
            let (w, h) = video.map_or((0, 0), |v| (v.width, v.height));
            u32b(o, w << 16);
            u32b(o, h << 16);
        });
        boxed(o, b"mdia", |o| {
            full(o, b"mdhd", 0, 0, |o| {
                for v in [0, 0, timescale, 0] {
                    u32b(o, v);
                }
                u16b(o, 0x55c4); // "und"
                u16b(o, 0);
            });
            full(o, b"hdlr", 0, 0, |o| {
                u32b(o, 0);
                o.extend_from_slice(if video.is_some() { b"vide" } else { b"soun" });
                o.extend_from_slice(&[0; 12]);
                o.extend_from_slice(if video.is_some() { b"Video\0" } else { b"Audio\0" });
            });
            boxed(o, b"minf", |o| {
                if video.is_some() {
                    full(o, b"vmhd", 0, 1, |o| o.extend_from_slice(&[0; 8]));
                } else {
                    full(o, b"smhd", 0, 0, |o| o.extend_from_slice(&[0; 4]));
                }
                boxed(o, b"dinf", |o| {
                    full(o, b"dref", 0, 0, |o| {
                        u32b(o, 1);
                        full(o, b"url ", 0, 1, |_| {});
                    });
                });
                boxed(o, b"stbl", |o| {
                    full(o, b"stsd", 0, 0, |o| {
                        u32b(o, 1);
                        if let Some(v) = video {
                            avc1(o, v);
                        }
                        if let Some(a) = audio {
                            mp4a(o, a);
                        }
                    });
                    for kind in [b"stts", b"stsc", b"stco"] {
                        full(o, kind, 0, 0, |o| u32b(o, 0));
                    }
                    full(o, b"stsz", 0, 0, |o| o.extend_from_slice(&[0; 8]));
                });
            });
        });
    });
}

fn avc1(out: &mut Vec<u8>, v: &VideoConfig) {
    boxed(out, b"avc1", |o| {
        o.extend_from_slice(&[0; 6]);
        u16b(o, 1); // data reference index
        o.extend_from_slice(&[0; 16]);
        u16b(o, v.width.min(0xffff) as u16);
        u16b(o, v.height.min(0xffff) as u16);
        u32b(o, 0x0048_0000); // 72 dpi
        u32b(o, 0x0048_0000);
        u32b(o, 0);
        u16b(o, 1); // frame count
        o.extend_from_slice(&[0; 32]); // compressor name
        u16b(o, 0x0018); // depth
        u16b(o, 0xffff);
        boxed(o, b"avcC", |o| o.extend_from_slice(&v.record));
    });
}

fn mp4a(out: &mut Vec<u8>, a: &AudioConfig) {
    boxed(out, b"mp4a", |o| {
        o.extend_from_slice(&[0; 6]);
        u16b(o, 1);
        o.extend_from_slice(&[0; 8]);
        u16b(o, u16::from(a.channels.max(1)));
        u16b(o, 16);
        u32b(o, 0);
        // 16.16 fixed point; rates above 65535 Hz do not fit and say 0 (the esds has the truth).
        u32b(o, if a.sample_rate <= 0xffff { a.sample_rate << 16 } else { 0 });
        full(o, b"esds", 0, 0, |o| {
            // Descriptor sizes in the 4-byte form (0x80 0x80 0x80 n), which every reader accepts.
            let asc = &a.record[..a.record.len().min(0x7f)];
            let decoder_specific = 5 + asc.len();
            let decoder_config = 13 + decoder_specific;
            let es = 3 + 5 + decoder_config + 5 + 1;
            let descriptor = |o: &mut Vec<u8>, tag: u8, len: usize| {
                o.extend_from_slice(&[tag, 0x80, 0x80, 0x80, len as u8]);
            };
            descriptor(o, 0x03, es);
            u16b(o, u16::from(AUDIO_TRACK as u8));
            o.push(0);
            descriptor(o, 0x04, decoder_config);
            o.push(0x40); // MPEG-4 audio
            o.push(0x15); // audio stream
            o.extend_from_slice(&[0; 3]); // buffer size
            u32b(o, 0); // max bitrate
            u32b(o, 0); // average bitrate
            descriptor(o, 0x05, asc.len());
            o.extend_from_slice(asc);
            descriptor(o, 0x06, 1);
            o.push(0x02);
        });
    });
}

/// One sample of a track run.
#[derive(Clone, Debug)]
pub struct RunSample {
    /// Duration in the track's timescale.
    pub duration: u32,
    /// Presentation minus decoding time, in the track's timescale.
    pub composition_offset: i32,
    /// A sync sample (keyframe).
    pub sync: bool,
    /// The sample's bytes (length-prefixed NAL units for H.264, a raw AAC frame).
    pub data: Bytes,
}

/// The samples of one track in a fragment.
#[derive(Clone, Debug)]
pub struct Run {
    /// The track.
    pub track_id: u32,
    /// Decoding time of the first sample, in the track's timescale.
    pub base_decode_time: u64,
    /// The samples, in decoding order.
    pub samples: Vec<RunSample>,
}

/// An `emsg` box, version 1 (ISO/IEC 23009-1 §5.10.3.3): an event at an absolute presentation time.
pub fn emsg(scheme_id_uri: &str, value: &str, timescale: u32, time: u64, id: u32, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + message.len());
    full(&mut out, b"emsg", 1, 0, |o| {
        u32b(o, timescale);
        o.extend_from_slice(&time.to_be_bytes());
        u32b(o, 0xffff_ffff); // duration unknown
        u32b(o, id);
        o.extend_from_slice(scheme_id_uri.as_bytes());
        o.push(0);
        o.extend_from_slice(value.as_bytes());
        o.push(0);
        o.extend_from_slice(message);
    });
    out
}

/// A version 0 `emsg` (ISO/IEC 23009-1 §5.10.3.3): the strings first, then the event's time as a
/// delta from the earliest presentation time of the fragment that follows, on `timescale`.
pub fn emsg_v0(
    scheme_id_uri: &str,
    value: &str,
    timescale: u32,
    delta: u32,
    id: u32,
    message: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + message.len());
    full(&mut out, b"emsg", 0, 0, |o| {
        o.extend_from_slice(scheme_id_uri.as_bytes());
        o.push(0);
        o.extend_from_slice(value.as_bytes());
        o.push(0);
        u32b(o, timescale);
        u32b(o, delta);
        u32b(o, 0xffff_ffff); // duration unknown
        u32b(o, id);
        o.extend_from_slice(message);
    });
    out
}

/// A media fragment: `prefix` (e.g. `emsg` boxes), then `moof` (sequence number `seq`) and the
/// `mdat` holding every run's samples, track after track.
pub fn fragment(seq: u32, runs: &[Run], prefix: &[u8]) -> Bytes {
    let size: usize = runs.iter().flat_map(|r| &r.samples).map(|s| s.data.len()).sum();
    let mut out = Vec::with_capacity(prefix.len() + size + 256 + 16 * runs.len() * 8);
    out.extend_from_slice(prefix);
    let moof_start = out.len();
    let mut offsets = Vec::with_capacity(runs.len());
    boxed(&mut out, b"moof", |o| {
        full(o, b"mfhd", 0, 0, |o| u32b(o, seq));
        for run in runs.iter().filter(|r| !r.samples.is_empty()) {
            boxed(o, b"traf", |o| {
                full(o, b"tfhd", 0, 0x02_0000, |o| u32b(o, run.track_id)); // default-base-is-moof
                full(o, b"tfdt", 1, 0, |o| o.extend_from_slice(&run.base_decode_time.to_be_bytes()));
                let video = run.track_id == VIDEO_TRACK;
                // data offset, duration, size, and for video flags and composition offsets.
                let flags = if video { 0x0f01 } else { 0x0301 };
                full(o, b"trun", u8::from(video), flags, |o| {
                    u32b(o, run.samples.len() as u32);
                    offsets.push(o.len());
                    u32b(o, 0);
                    for s in &run.samples {
                        u32b(o, s.duration);
                        u32b(o, s.data.len() as u32);
                        if video {
                            u32b(o, if s.sync { SYNC } else { NON_SYNC });
                            o.extend_from_slice(&s.composition_offset.to_be_bytes());
                        }
                    }
                });
            });
        }
    });
    // Each run's data offset counts from the start of the moof to its first byte in the mdat.
    let mut at = out.len() - moof_start + 8;
    for (pos, run) in offsets.into_iter().zip(runs.iter().filter(|r| !r.samples.is_empty())) {
        out[pos..pos + 4].copy_from_slice(&(at as u32).to_be_bytes());
        at += run.samples.iter().map(|s| s.data.len()).sum::<usize>();
    }
    boxed(&mut out, b"mdat", |o| {
        for s in runs.iter().flat_map(|r| &r.samples) {
            o.extend_from_slice(&s.data);
        }
    });
    Bytes::from(out)
}

#[cfg(test)]
#[path = "fmp4_tests.rs"]
mod tests;
