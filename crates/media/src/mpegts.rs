//! An MPEG-2 transport stream demuxer (ISO/IEC 13818-1) for SRT ingest: TS packets in any chunking,
//! out come the hub's items, the same ones RTMP ingest makes. It reads the first program of the PAT,
//! its PMT's first H.264 (stream type 0x1B) and first ADTS AAC (0x0F) streams, and reassembles their
//! PES packets; H.264 access units go from Annex B to 4-byte length prefixes with SPS/PPS taken out
//! into an AVCDecoderConfigurationRecord, ADTS frames become raw AAC frames and an
//! AudioSpecificConfig. Other streams (HEVC, ID3, SCTE-35, …) are ignored.
//!
//! Network input is untrusted and lossy (SRT drops what it could not retransmit within its latency):
//! nothing here panics or grows without bound. A packet lost on a PID (a continuity counter that
//! skips) discards the PES it belonged to, and video then waits for the next keyframe, so readers
//! never get a frame that references one they did not get. Tables are used only when their CRC
//! checks. Times are 33-bit 90 kHz values: they are unwrapped onto a 64-bit timeline (wrap-around
//! after 26.5 hours), and a jump of more than [`MAX_JUMP_TICKS`] (an encoder restart, a flagged
//! discontinuity) continues the timeline where it was instead of jumping.

use crate::codec;
use crate::frame::{AudioConfig, Frame, MediaItem, Track, VideoConfig};
use crate::ts::{PACKET, TS_MASK, crc32};
use bytes::{BufMut, Bytes, BytesMut};
use std::sync::Arc;

/// Stream type of H.264 in a PMT.
const STREAM_H264: u8 = 0x1b;
/// Stream type of AAC with ADTS framing.
const STREAM_AAC_ADTS: u8 = 0x0f;
/// A PES packet larger than this is discarded (a 1080p keyframe at high bitrate is under 1 MiB).
pub const MAX_PES: usize = 4 << 20;
/// A PSI section is at most 1021 bytes after its 3-byte header (§2.4.4.11).
const MAX_SECTION: usize = 1024;
/// A time step larger than this (10 s) is a discontinuity, not the stream's own progress.
pub const MAX_JUMP_TICKS: i64 = 10 * 90_000;
/// Where the timeline starts: the first time seen becomes 1 s, so that audio a little ahead of video
/// stays positive.
const ORIGIN_MS: i64 = 1_000;

/// Counters of what the demuxer discarded, for logs and health.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DemuxStats {
    /// Bytes skipped to find packet sync.
    pub resync_bytes: u64,
    /// Packets lost on the media PIDs (continuity counter gaps).
    pub lost_packets: u64,
    /// PES packets discarded (incomplete, oversized, malformed).
    pub dropped_pes: u64,
    /// Video frames skipped while waiting for a keyframe.
    pub skipped_frames: u64,
    /// Tables discarded for a bad CRC or structure.
    pub bad_tables: u64,
    /// Timeline discontinuities bridged.
    pub discontinuities: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Video,
    Audio,
}

/// One elementary stream being reassembled.
struct Pes {
    pid: u16,
    /// Continuity counter of the last packet with payload.
    cc: Option<u8>,
    /// The PES packet so far; `None` while waiting for the next start.
    data: Option<BytesMut>,
    /// Its declared length (0: unbounded, ends at the next start).
    declared: usize,
    /// The size of the last PES packet: what to reserve for the next one of unbounded length (video),
    /// so that it is not grown packet by packet.
    last_len: usize,
}

impl Pes {
    fn new(pid: u16) -> Self {
        Pes { pid, cc: None, data: None, declared: 0, last_len: 0 }
    }
}

/// A PSI section being assembled (PAT or PMT).
#[derive(Default)]
struct Section {
    data: Vec<u8>,
}

/// 33-bit times onto one 64-bit millisecond timeline.
#[derive(Default)]
struct Clock {
    /// The last unwrapped 90 kHz time, and the offset that maps unwrapped times to the timeline.
    last: Option<i64>,
    offset: i64,
    /// The latest timeline time given out.
    max: i64,
}

impl Clock {
    /// The timeline time (90 kHz) of a 33-bit time.
    fn ticks(&mut self, raw: u64, stats: &mut DemuxStats) -> i64 {
        let raw = (raw & TS_MASK) as i64;
        let Some(last) = self.last else {
            self.last = Some(raw);
            self.offset = ORIGIN_MS * 90 - raw;
            self.max = ORIGIN_MS * 90;
            return self.max;
        };
        // The value of `raw` nearest to the last one (within half the 33-bit range).
        let delta = raw_delta(raw as u64, last as u64);
        let unwrapped = last + delta;
        if delta.abs() > MAX_JUMP_TICKS {
            // Continue a frame after the latest time so far, so that times keep increasing.
            stats.discontinuities += 1;
            self.offset = self.max + 3_000 - unwrapped;
        }
        self.last = Some(unwrapped);
        let at = unwrapped + self.offset;
        self.max = self.max.max(at);
        at
    }
}

/// `a - b` for 33-bit times, as the nearest signed difference.
fn raw_delta(a: u64, b: u64) -> i64 {
    let modulus = (TS_MASK + 1) as i64;
    let mut delta = ((a & TS_MASK) as i64 - (b & TS_MASK) as i64).rem_euclid(modulus);
    if delta >= modulus / 2 {
        delta -= modulus;
    }
    delta
}

/// The demuxer of one SRT connection.
pub struct Demuxer {
    /// Bytes of a TS packet split across reads.
    partial: Vec<u8>,
    pmt_pid: Option<u16>,
    pat: Section,
    pmt: Section,
    video: Option<Pes>,
    audio: Option<Pes>,
    clock: Clock,
    sps: Option<Bytes>,
    pps: Option<Bytes>,
    video_config: Option<Arc<VideoConfig>>,
    audio_config: Option<Arc<AudioConfig>>,
    /// Video frames are skipped until a keyframe (at the start and after a loss).
    need_keyframe: bool,
    /// What came before every stream of the PMT had its configuration ([`Demuxer::push`]).
    held: Vec<MediaItem>,
    /// Whether the start has been released.
    started: bool,
    stats: DemuxStats,
}

/// Items held at most while waiting for every stream's configuration: a few seconds of a stream
/// whose PMT names audio that never comes.
const MAX_HELD: usize = 400;

impl Default for Demuxer {
    fn default() -> Self {
        Self::new()
    }
}

/// Milliseconds from 90 kHz ticks (rounded down).
fn ms(ticks: i64) -> i64 {
    ticks.div_euclid(90)
}

impl Demuxer {
    /// A demuxer waiting for its first PAT.
    pub fn new() -> Self {
        Demuxer {
            partial: Vec::with_capacity(PACKET),
            pmt_pid: None,
            pat: Section::default(),
            pmt: Section::default(),
            video: None,
            audio: None,
            clock: Clock::default(),
            sps: None,
            pps: None,
            video_config: None,
            audio_config: None,
            need_keyframe: true,
            held: Vec::new(),
            started: false,
            stats: DemuxStats::default(),
        }
    }

    /// What was discarded so far.
    pub fn stats(&self) -> DemuxStats {
        self.stats
    }

    /// Demuxes `data` (any number of bytes), appending what it completes to `out`. The start of the
    /// stream is held until each stream the PMT names has its configuration, which then comes first
    /// (as RTMP encoders send their sequence headers first): readers decide their tracks from the
    /// configurations they have when the first keyframe comes, and the first audio frame follows
    /// the first video frames in a transport stream.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<MediaItem>) {
        if self.started {
            self.demux(data, out);
            return;
        }
        let mut held = std::mem::take(&mut self.held);
        self.demux(data, &mut held);
        let configured = (self.video.is_some() || self.audio.is_some())
            && (self.video.is_none() || self.video_config.is_some())
            && (self.audio.is_none() || self.audio_config.is_some());
        if configured || held.len() >= MAX_HELD {
            self.release(held, out);
        } else {
            self.held = held;
        }
    }

    /// Ends the holding: configurations first, then the rest in order.
    fn release(&mut self, held: Vec<MediaItem>, out: &mut Vec<MediaItem>) {
        self.started = true;
        let is_config = |i: &MediaItem| matches!(i, MediaItem::VideoConfig(_) | MediaItem::AudioConfig(_));
        let (configs, rest): (Vec<_>, Vec<_>) = held.into_iter().partition(is_config);
        out.extend(configs);
        out.extend(rest);
    }

    fn demux(&mut self, mut data: &[u8], out: &mut Vec<MediaItem>) {
        if !self.partial.is_empty() {
            let need = PACKET - self.partial.len();
            let take = need.min(data.len());
            self.partial.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.partial.len() < PACKET {
                return;
            }
            let packet: [u8; PACKET] = match self.partial.as_slice().try_into() {
                Ok(p) => p,
                Err(_) => return,
            };
            self.partial.clear();
            if packet[0] == 0x47 {
                self.packet(&packet, out);
            } else {
                self.stats.resync_bytes += PACKET as u64;
            }
        }
        while !data.is_empty() {
            if data[0] != 0x47 {
                let skip = data.iter().position(|&b| b == 0x47).unwrap_or(data.len());
                self.stats.resync_bytes += skip as u64;
                data = &data[skip..];
                continue;
            }
            if data.len() < PACKET {
                self.partial.extend_from_slice(data);
                return;
            }
            let (packet, rest) = data.split_at(PACKET);
            self.packet(packet, out);
            data = rest;
        }
    }

    /// The end of the stream: emits what is held and what is complete in the open PES packets.
    pub fn flush(&mut self, out: &mut Vec<MediaItem>) {
        let mut held = std::mem::take(&mut self.held);
        for kind in [Kind::Video, Kind::Audio] {
            if let Some(data) = self.stream(kind).and_then(|s| s.data.take()) {
                self.pes(kind, &data, &mut held);
            }
        }
        self.release(held, out);
    }

    fn stream(&mut self, kind: Kind) -> Option<&mut Pes> {
        match kind {
            Kind::Video => self.video.as_mut(),
            Kind::Audio => self.audio.as_mut(),
        }
    }

    fn packet(&mut self, p: &[u8], out: &mut Vec<MediaItem>) {
        let &[_, b1, b2, b3, ..] = p else { return };
        if b1 & 0x80 != 0 {
            // transport_error_indicator: the packet is known to be damaged.
            return;
        }
        let start = b1 & 0x40 != 0;
        let pid = (u16::from(b1 & 0x1f) << 8) | u16::from(b2);
        let cc = b3 & 0x0f;
        let afc = (b3 >> 4) & 0x3;
        let mut pos = 4;
        let mut discontinuity = false;
        if afc & 0x2 != 0 {
            let Some(&len) = p.get(4) else { return };
            let len = usize::from(len);
            if len > 0 {
                discontinuity = p.get(5).is_some_and(|f| f & 0x80 != 0);
            }
            pos = 5 + len;
        }
        if afc & 0x1 == 0 || pos > p.len() {
            return;
        }
        let payload = &p[pos..];
        if pid == 0 {
            if let Some(section) = Self::section(&mut self.pat, start, payload, &mut self.stats) {
                self.on_pat(&section);
            }
        } else if Some(pid) == self.pmt_pid {
            if let Some(section) = Self::section(&mut self.pmt, start, payload, &mut self.stats) {
                self.on_pmt(&section);
            }
        } else if let Some(kind) = self.kind_of(pid) {
            self.media_packet(kind, start, cc, discontinuity, payload, out);
        }
    }

    fn kind_of(&self, pid: u16) -> Option<Kind> {
        if self.video.as_ref().is_some_and(|s| s.pid == pid) {
            Some(Kind::Video)
        } else if self.audio.as_ref().is_some_and(|s| s.pid == pid) {
            Some(Kind::Audio)
        } else {
            None
        }
    }

    /// Adds a packet's payload to a section; the complete section (header to CRC, checked) when
    /// this packet finished one.
    fn section(s: &mut Section, start: bool, payload: &[u8], stats: &mut DemuxStats) -> Option<Vec<u8>> {
        if start {
            let pointer = usize::from(*payload.first()?);
            s.data.clear();
            s.data.extend_from_slice(payload.get(1 + pointer..)?);
        } else if s.data.is_empty() {
            return None;
        } else {
            s.data.extend_from_slice(payload);
        }
        if s.data.len() < 3 {
            return None;
        }
        let len = 3 + usize::from(u16::from_be_bytes([s.data[1], s.data[2]]) & 0x0fff);
        if !(3 + 5 + 4..=MAX_SECTION).contains(&len) {
            s.data.clear();
            stats.bad_tables += 1;
            return None;
        }
        if s.data.len() < len {
            return None;
        }
        let section = s.data[..len].to_vec();
        s.data.clear();
        if crc32(&section) != 0 {
            stats.bad_tables += 1;
            return None;
        }
        Some(section)
    }

    fn on_pat(&mut self, s: &[u8]) {
        if s[0] != 0x00 {
            return;
        }
        // After the 8-byte header, 4-byte entries up to the CRC; program 0 is the network PID.
        let entries = &s[8..s.len() - 4];
        let pmt = entries.chunks_exact(4).find_map(|e| {
            let program = u16::from_be_bytes([e[0], e[1]]);
            (program != 0).then(|| (u16::from(e[2] & 0x1f) << 8) | u16::from(e[3]))
        });
        if pmt.is_some() && pmt != self.pmt_pid {
            self.pmt_pid = pmt;
            self.pmt.data.clear();
        }
    }

    fn on_pmt(&mut self, s: &[u8]) {
        if s[0] != 0x02 || s.len() < 12 + 4 {
            return;
        }
        let program_info = usize::from(u16::from_be_bytes([s[10], s[11]]) & 0x0fff);
        let end = s.len() - 4;
        let mut pos = 12 + program_info;
        let (mut video, mut audio) = (None, None);
        while pos + 5 <= end {
            let kind = s[pos];
            let pid = (u16::from(s[pos + 1] & 0x1f) << 8) | u16::from(s[pos + 2]);
            let info = usize::from(u16::from_be_bytes([s[pos + 3], s[pos + 4]]) & 0x0fff);
            match kind {
                STREAM_H264 if video.is_none() => video = Some(pid),
                STREAM_AAC_ADTS if audio.is_none() => audio = Some(pid),
                _ => {}
            }
            pos += 5 + info;
        }
        // A PMT repeats every 100 ms or so; only a change of PID restarts a stream.
        if video != self.video.as_ref().map(|s| s.pid) {
            self.video = video.map(Pes::new);
            self.need_keyframe = true;
        }
        if audio != self.audio.as_ref().map(|s| s.pid) {
            self.audio = audio.map(Pes::new);
        }
    }

    fn media_packet(
        &mut self,
        kind: Kind,
        start: bool,
        cc: u8,
        discontinuity: bool,
        payload: &[u8],
        out: &mut Vec<MediaItem>,
    ) {
        let stats = &mut self.stats;
        let stream = match kind {
            Kind::Video => self.video.as_mut(),
            Kind::Audio => self.audio.as_mut(),
        };
        let Some(stream) = stream else { return };
        let expected = stream.cc.map(|c| (c + 1) & 0x0f);
        if stream.cc == Some(cc) && !start {
            // A duplicate packet (§2.4.3.3 allows one): its payload is already there.
            return;
        }
        stream.cc = Some(cc);
        let lost = expected.is_some_and(|e| e != cc) && !discontinuity;
        let mut dropped = false;
        if lost {
            stats.lost_packets += 1;
            if stream.data.take().is_some() {
                dropped = true;
            }
        }
        let mut complete = None;
        if start {
            complete = stream.data.take();
            let declared = payload.get(4..6).map_or(0, |l| usize::from(u16::from_be_bytes([l[0], l[1]])));
            stream.declared = if declared == 0 { 0 } else { declared + 6 };
            if let Some(done) = &complete {
                stream.last_len = done.len();
            }
            let expected = stream.declared.max(stream.last_len + stream.last_len / 4);
            let mut buf = BytesMut::with_capacity(payload.len().max(expected).min(MAX_PES));
            buf.put_slice(payload);
            stream.data = Some(buf);
        } else if let Some(buf) = stream.data.as_mut() {
            if buf.len() + payload.len() > MAX_PES {
                stream.data = None;
                dropped = true;
            } else {
                buf.put_slice(payload);
            }
        }
        // A PES of declared length is complete once it has that many bytes.
        if complete.is_none()
            && stream.declared > 0
            && stream.data.as_ref().is_some_and(|d| d.len() >= stream.declared)
        {
            complete = stream.data.take();
        }
        if dropped {
            self.stats.dropped_pes += 1;
            if kind == Kind::Video {
                self.need_keyframe = true;
            }
        }
        if let Some(data) = complete {
            self.pes(kind, &data, out);
        }
    }

    /// A complete PES packet.
    fn pes(&mut self, kind: Kind, data: &[u8], out: &mut Vec<MediaItem>) {
        let Some((pts, dts, payload)) = parse_pes(data) else {
            self.stats.dropped_pes += 1;
            if kind == Kind::Video {
                self.need_keyframe = true;
            }
            return;
        };
        let Some(pts) = pts else {
            // Without a time a frame cannot be placed.
            self.stats.dropped_pes += 1;
            return;
        };
        let at = self.clock.ticks(pts, &mut self.stats);
        // DTS is never after PTS; a stream that says otherwise is decoded at PTS.
        let dts = dts.map_or(at, |d| at - raw_delta(pts, d).clamp(0, MAX_JUMP_TICKS));
        let pts = at;
        match kind {
            Kind::Video => self.video_pes(pts, dts, payload, out),
            Kind::Audio => self.audio_pes(pts, payload, out),
        }
    }

    fn video_pes(&mut self, pts: i64, dts: i64, payload: &[u8], out: &mut Vec<MediaItem>) {
        let mut avcc = BytesMut::with_capacity(payload.len() + 16);
        let mut keyframe = false;
        let (mut sps, mut pps) = (None, None);
        for nal in annex_b_units(payload) {
            let Some(&header) = nal.first() else { continue };
            match header & 0x1f {
                7 => sps = Some(Bytes::copy_from_slice(nal)),
                8 => pps = Some(Bytes::copy_from_slice(nal)),
                // Access unit delimiters, end of sequence/stream and filler: the writers make their own.
                9..=12 => {}
                t => {
                    keyframe |= t == 5;
                    let Ok(len) = u32::try_from(nal.len()) else { continue };
                    avcc.put_u32(len);
                    avcc.put_slice(nal);
                }
            }
        }
        if sps.is_some() || pps.is_some() {
            let sps = sps.or_else(|| self.sps.clone());
            let pps = pps.or_else(|| self.pps.clone());
            if (sps.clone(), pps.clone()) != (self.sps.clone(), self.pps.clone()) {
                self.sps = sps;
                self.pps = pps;
                if let (Some(s), Some(p)) = (&self.sps, &self.pps)
                    && let Some(record) = avc_record(s, p)
                    && let Ok(config) = codec::avc_config(record)
                {
                    let config = Arc::new(config);
                    self.video_config = Some(config.clone());
                    out.push(MediaItem::VideoConfig(config));
                }
            }
        }
        if avcc.is_empty() {
            return;
        }
        if self.video_config.is_none() || (self.need_keyframe && !keyframe) {
            self.stats.skipped_frames += 1;
            return;
        }
        self.need_keyframe = false;
        out.push(MediaItem::Frame(Frame {
            track: Track::Video,
            pts: ms(pts),
            dts: ms(dts),
            keyframe,
            data: avcc.freeze(),
        }));
    }

    fn audio_pes(&mut self, pts: i64, mut payload: &[u8], out: &mut Vec<MediaItem>) {
        let mut offset_ticks = 0i64;
        while payload.len() >= 7 {
            let Some(adts) = Adts::parse(payload) else {
                self.stats.dropped_pes += 1;
                return;
            };
            let Some(raw) = payload.get(adts.header_len..adts.frame_len) else {
                self.stats.dropped_pes += 1;
                return;
            };
            let record = adts.audio_specific_config();
            if self.audio_config.as_ref().is_none_or(|c| c.record != record[..]) {
                match codec::aac_config(Bytes::copy_from_slice(&record)) {
                    Ok(c) => {
                        let c = Arc::new(c);
                        self.audio_config = Some(c.clone());
                        out.push(MediaItem::AudioConfig(c));
                    }
                    Err(_) => {
                        self.stats.dropped_pes += 1;
                        return;
                    }
                }
            }
            let at = pts + offset_ticks;
            out.push(MediaItem::Frame(Frame {
                track: Track::Audio,
                pts: ms(at),
                dts: ms(at),
                keyframe: true,
                data: Bytes::copy_from_slice(raw),
            }));
            offset_ticks += 1024 * 90_000 / i64::from(adts.sample_rate.max(1));
            payload = &payload[adts.frame_len..];
        }
    }
}

/// A PES packet's PTS, DTS and payload (§2.4.3.6); `None` when its header is malformed.
fn parse_pes(data: &[u8]) -> Option<(Option<u64>, Option<u64>, &[u8])> {
    if data.get(..3)? != [0, 0, 1] {
        return None;
    }
    let stream_id = *data.get(3)?;
    // Streams without the optional header (padding, private_stream_2, …) carry no media of ours.
    if matches!(stream_id, 0xbc | 0xbe | 0xbf | 0xf0 | 0xf1 | 0xf2 | 0xf8 | 0xff) {
        return None;
    }
    let flags = *data.get(7)?;
    let header_len = usize::from(*data.get(8)?);
    let payload_start = 9 + header_len;
    let payload = data.get(payload_start..)?;
    // A declared length bounds the payload (what follows it would be stuffing).
    let declared = usize::from(u16::from_be_bytes([data[4], data[5]]));
    let payload = if declared > 0 {
        payload.get(..(declared + 6).checked_sub(payload_start)?.min(payload.len()))?
    } else {
        payload
    };
    let header = &data[9..payload_start];
    let time = |b: &[u8]| -> Option<u64> {
        let b = b.get(..5)?;
        Some(
            (u64::from(b[0] >> 1) & 7) << 30
                | u64::from(u16::from_be_bytes([b[1], b[2]]) >> 1) << 15
                | u64::from(u16::from_be_bytes([b[3], b[4]]) >> 1),
        )
    };
    let (pts, dts) = match flags >> 6 {
        0b10 => (Some(time(header)?), None),
        0b11 => (Some(time(header)?), Some(time(header.get(5..)?)?)),
        _ => (None, None),
    };
    Some((pts, dts, payload))
}

/// The NAL units of an Annex B byte stream (ITU-T H.264 Annex B: 3- or 4-byte start codes), without
/// their start codes and trailing zero bytes.
fn annex_b_units(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut starts = Vec::new();
    // Look for the 1 of each `00 00 01` (emulation prevention keeps it out of NAL unit payloads).
    let mut i = 2;
    while let Some(at) = data.get(i..).and_then(|rest| rest.iter().position(|&b| b == 1)) {
        let one = i + at;
        if data[one - 2] == 0 && data[one - 1] == 0 {
            starts.push(one + 1);
        }
        i = one + 1;
    }
    let ends: Vec<usize> = starts.iter().skip(1).map(|s| s - 3).chain(std::iter::once(data.len())).collect();
    starts.into_iter().zip(ends).filter_map(move |(s, e)| {
        let mut nal = data.get(s..e)?;
        while let [rest @ .., 0] = nal {
            nal = rest;
        }
        (!nal.is_empty()).then_some(nal)
    })
}

/// An AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) of one SPS and one PPS, with 4-byte
/// NAL unit lengths.
fn avc_record(sps: &[u8], pps: &[u8]) -> Option<Bytes> {
    let (profile, compat, level) = (*sps.get(1)?, *sps.get(2)?, *sps.get(3)?);
    let sps_len = u16::try_from(sps.len()).ok()?;
    let pps_len = u16::try_from(pps.len()).ok()?;
    let mut r = BytesMut::with_capacity(11 + sps.len() + pps.len());
    r.put_slice(&[1, profile, compat, level, 0xff, 0xe1]);
    r.put_u16(sps_len);
    r.put_slice(sps);
    r.put_u8(1);
    r.put_u16(pps_len);
    r.put_slice(pps);
    Some(r.freeze())
}

/// An ADTS header (ISO/IEC 13818-7 §6.2).
struct Adts {
    object_type: u8,
    rate_index: u8,
    channels: u8,
    sample_rate: u32,
    header_len: usize,
    frame_len: usize,
}

const ADTS_RATES: [u32; 13] =
    [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

impl Adts {
    fn parse(b: &[u8]) -> Option<Adts> {
        let b = b.get(..7)?;
        if b[0] != 0xff || b[1] & 0xf0 != 0xf0 {
            return None;
        }
        let protection_absent = b[1] & 1 != 0;
        let object_type = (b[2] >> 6) + 1;
        let rate_index = (b[2] >> 2) & 0x0f;
        let channels = ((b[2] & 1) << 2) | (b[3] >> 6);
        let frame_len = (usize::from(b[3] & 3) << 11) | (usize::from(b[4]) << 3) | usize::from(b[5] >> 5);
        let header_len = if protection_absent { 7 } else { 9 };
        let sample_rate = *ADTS_RATES.get(usize::from(rate_index))?;
        (frame_len > header_len).then_some(Adts {
            object_type,
            rate_index,
            channels,
            sample_rate,
            header_len,
            frame_len,
        })
    }

    /// The two-byte AudioSpecificConfig of this frame's stream.
    fn audio_specific_config(&self) -> [u8; 2] {
        let v = (u16::from(self.object_type) << 11)
            | (u16::from(self.rate_index) << 7)
            | (u16::from(self.channels) << 3);
        v.to_be_bytes()
    }
}

#[cfg(test)]
#[path = "mpegts_tests.rs"]
pub(crate) mod tests;
