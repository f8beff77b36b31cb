//! A small MPEG-2 transport stream writer (ISO/IEC 13818-1) for HLS segments: PAT and PMT, PES packets
//! with PTS/DTS, PCR on the video PID, continuity counters, H.264 converted from AVCC to Annex B (an
//! access unit delimiter first, SPS and PPS in front of every keyframe, ITU-T H.264 Annex B / RFC 8216
//! §3.2) and AAC framed with ADTS headers (ISO/IEC 13818-7 §6.2). Pure: frames in, bytes out.

use crate::frame::{AudioConfig, VideoConfig};
use bytes::Bytes;

/// TS packet size.
pub const PACKET: usize = 188;
/// PID of the program map table.
pub const PMT_PID: u16 = 0x1000;
/// PID of the H.264 elementary stream.
pub const VIDEO_PID: u16 = 0x100;
/// PID of the AAC elementary stream.
pub const AUDIO_PID: u16 = 0x101;
/// PID of the timed ID3 metadata stream.
pub const ID3_PID: u16 = 0x102;
/// Timestamps are 33-bit counts of a 90 kHz clock.
pub const TS_MASK: u64 = (1 << 33) - 1;

/// How a program is laid out: its elementary streams' PIDs, the order the PMT lists them in, and how
/// table packets are filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// PID of the H.264 stream.
    pub video: u16,
    /// PID of the AAC stream.
    pub audio: u16,
    /// PID of the timed ID3 metadata stream.
    pub id3: u16,
    /// The PMT lists audio before video.
    pub audio_first: bool,
    /// A table's packet is filled with 0xFF bytes after its section (ISO/IEC 13818-1 §2.4.4.2, as
    /// IVS recordings have it) rather than with adaptation field stuffing before it.
    pub tables_padded_after: bool,
}

impl Layout {
    /// Live HLS segments: video on [`VIDEO_PID`], audio on [`AUDIO_PID`], listed in that order.
    pub const LIVE: Layout = Layout {
        video: VIDEO_PID,
        audio: AUDIO_PID,
        id3: ID3_PID,
        audio_first: false,
        tables_padded_after: false,
    };
    /// Amazon IVS recordings (ivs-recording-events.md §1.5, parsed from a real recording): audio on
    /// 0x100 listed first, then video (the PCR PID) on 0x101, then ID3 on 0x102; the PAT and PMT
    /// packets are then byte for byte those of the real recording.
    pub const IVS_RECORDING: Layout =
        Layout { video: 0x101, audio: 0x100, id3: ID3_PID, audio_first: true, tables_padded_after: true };
}

impl Default for Layout {
    fn default() -> Self {
        Layout::LIVE
    }
}

/// Why a frame could not be written.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TsError {
    /// The AVCDecoderConfigurationRecord is malformed.
    #[error("malformed AVC decoder configuration record")]
    BadAvcRecord,
    /// A video frame's NAL unit lengths run past its end.
    #[error("malformed AVCC frame")]
    BadAvcFrame,
    /// The AudioSpecificConfig cannot be expressed as ADTS.
    #[error("AAC configuration cannot be framed as ADTS")]
    BadAac,
    /// An AAC frame too large for an ADTS header.
    #[error("AAC frame too large")]
    AacTooLarge,
}

/// What Annex B conversion needs from an AVCDecoderConfigurationRecord.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvcParams {
    /// Size of the NAL unit length prefix (1, 2 or 4).
    pub length_size: usize,
    /// Sequence parameter sets.
    pub sps: Vec<Bytes>,
    /// Picture parameter sets.
    pub pps: Vec<Bytes>,
}

impl AvcParams {
    /// Reads an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1).
    pub fn parse(record: &Bytes) -> Result<Self, TsError> {
        let byte = |i: usize| record.get(i).copied().ok_or(TsError::BadAvcRecord);
        let length_size = usize::from(byte(4)? & 3) + 1;
        if length_size == 3 {
            return Err(TsError::BadAvcRecord);
        }
        let mut pos = 5;
        let sets = |count: usize, pos: &mut usize| -> Result<Vec<Bytes>, TsError> {
            let mut out = Vec::with_capacity(count);
            for _ in 0..count {
                let len = usize::from(u16::from_be_bytes([byte(*pos)?, byte(*pos + 1)?]));
                let end = *pos + 2 + len;
                if end > record.len() {
                    return Err(TsError::BadAvcRecord);
                }
                out.push(record.slice(*pos + 2..end));
                *pos = end;
            }
            Ok(out)
        };
        let sps_count = usize::from(byte(pos)? & 0x1f);
        pos += 1;
        let sps = sets(sps_count, &mut pos)?;
        let pps_count = usize::from(byte(pos)?);
        pos += 1;
        let pps = sets(pps_count, &mut pos)?;
        if sps.is_empty() || pps.is_empty() {
            return Err(TsError::BadAvcRecord);
        }
        Ok(AvcParams { length_size, sps, pps })
    }
}

/// The ADTS header fields of an AAC stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdtsParams {
    /// ADTS profile (audio object type − 1; HE-AAC is signalled as its AAC-LC core).
    pub profile: u8,
    /// Sampling frequency index.
    pub rate_index: u8,
    /// Channel configuration.
    pub channels: u8,
}

impl AdtsParams {
    /// Reads the first fields of an AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1).
    pub fn parse(record: &[u8]) -> Result<Self, TsError> {
        let (a, b) = match record {
            [a, b, ..] => (*a, *b),
            _ => return Err(TsError::BadAac),
        };
        let object_type = a >> 3;
        let rate_index = ((a & 7) << 1) | (b >> 7);
        let channels = (b >> 3) & 0xf;
        let profile = match object_type {
            1..=4 => object_type - 1,
            5 | 29 => 1, // SBR/PS: the core is AAC-LC at the signalled (core) rate.
            _ => return Err(TsError::BadAac),
        };
        if rate_index > 12 || channels > 7 {
            return Err(TsError::BadAac);
        }
        Ok(AdtsParams { profile, rate_index, channels })
    }

    /// The 7-byte ADTS header (no CRC) of a raw frame of `len` bytes.
    pub fn header(&self, len: usize) -> Result<[u8; 7], TsError> {
        let total = len + 7;
        if total >= 1 << 13 {
            return Err(TsError::AacTooLarge);
        }
        Ok([
            0xff,
            0xf1,
            (self.profile << 6) | (self.rate_index << 2) | (self.channels >> 2),
            ((self.channels & 3) << 6) | (total >> 11) as u8,
            (total >> 3) as u8,
            (((total & 7) as u8) << 5) | 0x1f,
            0xfc,
        ])
    }
}

/// Writes one transport stream: program tables, then PES packets of video and audio frames.
#[derive(Debug)]
pub struct TsMuxer {
    layout: Layout,
    has_video: bool,
    has_audio: bool,
    has_id3: bool,
    cc_pat: u8,
    cc_pmt: u8,
    cc_video: u8,
    cc_audio: u8,
    cc_id3: u8,
}

/// `ID3 ` as a format identifier (Apple, "Timed Metadata for HTTP Live Streaming" §2).
const ID3_FORMAT: [u8; 4] = *b"ID3 ";

impl TsMuxer {
    /// A muxer for a program with the given tracks.
    pub fn new(has_video: bool, has_audio: bool) -> Self {
        TsMuxer {
            layout: Layout::LIVE,
            has_video,
            has_audio,
            has_id3: false,
            cc_pat: 0,
            cc_pmt: 0,
            cc_video: 0,
            cc_audio: 0,
            cc_id3: 0,
        }
    }

    /// The same program with a timed ID3 metadata stream (PMT stream type 0x15 on [`Layout::id3`]).
    pub fn with_id3(mut self) -> Self {
        self.has_id3 = true;
        self
    }

    /// The same program with another layout.
    pub fn with_layout(mut self, layout: Layout) -> Self {
        self.layout = layout;
        self
    }

    /// Changes which tracks the program has (the next [`TsMuxer::write_tables`] says so), keeping the
    /// continuity counters running so the stream stays one stream.
    pub fn set_tracks(&mut self, has_video: bool, has_audio: bool) {
        self.has_video = has_video;
        self.has_audio = has_audio;
    }

    /// Whether the program has (video, audio).
    pub fn tracks(&self) -> (bool, bool) {
        (self.has_video, self.has_audio)
    }

    fn pcr_pid(&self) -> u16 {
        if self.has_video { self.layout.video } else { self.layout.audio }
    }

    /// Writes the PAT and the PMT (at the start of every segment, so each can be decoded alone).
    pub fn write_tables(&mut self, out: &mut Vec<u8>) {
        let pat = section(0x00, 1, &[0x00, 0x01, 0xe0 | (PMT_PID >> 8) as u8, PMT_PID as u8]);
        self.write_table(out, 0, &pat);
        let pcr = self.pcr_pid();
        let mut body = vec![0xe0 | (pcr >> 8) as u8, pcr as u8];
        // The program's metadata_pointer_descriptor (ISO/IEC 13818-1 §2.6.58): application format and
        // metadata format both "ID3 " (0xFFFF / 0xFF: given by identifier), service 0, carried in this
        // program's PES (MPEG_carriage_flags 0), then the program number.
        let mut pointer = vec![0x25, 15, 0xff, 0xff];
        pointer.extend_from_slice(&ID3_FORMAT);
        pointer.push(0xff);
        pointer.extend_from_slice(&ID3_FORMAT);
        pointer.extend_from_slice(&[0x00, 0x1f, 0x00, 0x01]);
        let program_info: &[u8] = if self.has_id3 { &pointer } else { &[] };
        body.extend_from_slice(&[0xf0, program_info.len() as u8]);
        body.extend_from_slice(program_info);
        let mut stream = |kind: u8, pid: u16, info: &[u8]| {
            body.extend_from_slice(&[kind, 0xe0 | (pid >> 8) as u8, pid as u8, 0xf0, info.len() as u8]);
            body.extend_from_slice(info);
        };
        let audio_first = self.layout.audio_first;
        if self.has_audio && audio_first {
            stream(0x0f, self.layout.audio, &[]);
        }
        if self.has_video {
            stream(0x1b, self.layout.video, &[]);
        }
        if self.has_audio && !audio_first {
            stream(0x0f, self.layout.audio, &[]);
        }
        if self.has_id3 {
            // metadata_descriptor (§2.6.60): the same formats, service 0, no decoder config.
            let mut descriptor = vec![0x26, 13, 0xff, 0xff];
            descriptor.extend_from_slice(&ID3_FORMAT);
            descriptor.push(0xff);
            descriptor.extend_from_slice(&ID3_FORMAT);
            descriptor.extend_from_slice(&[0x00, 0x0f]);
            stream(0x15, self.layout.id3, &descriptor);
        }
        let pmt = section(0x02, 1, &body);
        self.write_table(out, PMT_PID, &pmt);
    }

    /// Writes a table section (with its pointer field) on `pid`.
    fn write_table(&mut self, out: &mut Vec<u8>, pid: u16, section: &[u8]) {
        let cc = if pid == 0 { &mut self.cc_pat } else { &mut self.cc_pmt };
        if !self.layout.tables_padded_after || section.len() > PACKET - 4 {
            write_packets(out, pid, cc, section, None, false);
            return;
        }
        let mut pkt = [0xffu8; PACKET];
        pkt[..4].copy_from_slice(&[0x47, 0x40 | (pid >> 8) as u8 & 0x1f, pid as u8, 0x10 | (*cc & 0x0f)]);
        pkt[4..4 + section.len()].copy_from_slice(section);
        *cc = (*cc + 1) & 0x0f;
        out.extend_from_slice(&pkt);
    }

    /// Writes an H.264 access unit given in AVCC form; `pts`/`dts` on the 90 kHz clock.
    pub fn write_video(
        &mut self,
        out: &mut Vec<u8>,
        params: &AvcParams,
        avcc: &[u8],
        pts: u64,
        dts: u64,
        keyframe: bool,
    ) -> Result<(), TsError> {
        let annexb = annex_b(params, avcc, keyframe)?;
        let pes = pes(0xe0, pts, Some(dts), &annexb, false);
        // PCR runs a little behind DTS so a decoder has the frame before it is due.
        let pcr = if self.pcr_pid() == self.layout.video {
            Some(dts.wrapping_sub(PCR_LEAD) & TS_MASK)
        } else {
            None
        };
        write_packets(out, self.layout.video, &mut self.cc_video, &pes, pcr, keyframe);
        Ok(())
    }

    /// Writes a raw AAC frame with its ADTS header; `pts` on the 90 kHz clock.
    pub fn write_audio(
        &mut self,
        out: &mut Vec<u8>,
        adts: &AdtsParams,
        raw: &[u8],
        pts: u64,
    ) -> Result<(), TsError> {
        let mut payload = Vec::with_capacity(raw.len() + 7);
        payload.extend_from_slice(&adts.header(raw.len())?);
        payload.extend_from_slice(raw);
        let pes = pes(0xc0, pts, None, &payload, false);
        let pcr = if self.pcr_pid() == self.layout.audio {
            Some(pts.wrapping_sub(PCR_LEAD) & TS_MASK)
        } else {
            None
        };
        write_packets(out, self.layout.audio, &mut self.cc_audio, &pes, pcr, false);
        Ok(())
    }
}

impl TsMuxer {
    /// Writes an ID3 tag as a PES packet of private_stream_1 (0xBD) with its PTS and the data
    /// alignment indicator set, on the metadata PID (Apple's timed metadata spec §3).
    pub fn write_id3(&mut self, out: &mut Vec<u8>, tag: &[u8], pts: u64) {
        if self.has_id3 {
            let pes = pes(0xbd, pts, None, tag, true);
            write_packets(out, self.layout.id3, &mut self.cc_id3, &pes, None, false);
        }
    }
}

/// How far PCR runs behind the decoding time: 100 ms.
const PCR_LEAD: u64 = 9_000;

/// Parameters of a video and an audio configuration, for callers holding the hub's types.
pub fn params(
    video: Option<&VideoConfig>,
    audio: Option<&AudioConfig>,
) -> (Option<AvcParams>, Option<AdtsParams>) {
    (
        video.filter(|v| v.codec.starts_with("avc1")).and_then(|v| AvcParams::parse(&v.record).ok()),
        audio.and_then(|a| AdtsParams::parse(&a.record).ok()),
    )
}

/// Checks that an AVCC access unit's NAL unit lengths add up to its size.
pub fn check_avcc(params: &AvcParams, avcc: &[u8]) -> Result<(), TsError> {
    let mut pos = 0;
    while pos < avcc.len() {
        let prefix = avcc.get(pos..pos + params.length_size).ok_or(TsError::BadAvcFrame)?;
        let len = prefix.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b));
        pos = pos.checked_add(params.length_size + len).ok_or(TsError::BadAvcFrame)?;
    }
    if pos == avcc.len() { Ok(()) } else { Err(TsError::BadAvcFrame) }
}

/// Converts an AVCC access unit to Annex B: an AUD, then SPS/PPS before a keyframe, then its NAL units.
fn annex_b(params: &AvcParams, avcc: &[u8], keyframe: bool) -> Result<Vec<u8>, TsError> {
    const START: [u8; 4] = [0, 0, 0, 1];
    let mut nals = Vec::new();
    let mut pos = 0;
    while pos < avcc.len() {
        let prefix = avcc.get(pos..pos + params.length_size).ok_or(TsError::BadAvcFrame)?;
        let len = prefix.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b));
        let nal =
            avcc.get(pos + params.length_size..pos + params.length_size + len).ok_or(TsError::BadAvcFrame)?;
        pos += params.length_size + len;
        if !nal.is_empty() {
            nals.push(nal);
        }
    }
    let mut out = Vec::with_capacity(avcc.len() + 64);
    out.extend_from_slice(&START);
    out.extend_from_slice(&[0x09, 0xf0]);
    let has_sps = nals.iter().any(|n| n[0] & 0x1f == 7);
    if keyframe && !has_sps {
        for set in params.sps.iter().chain(&params.pps) {
            out.extend_from_slice(&START);
            out.extend_from_slice(set);
        }
    }
    for nal in nals.into_iter().filter(|n| n[0] & 0x1f != 9) {
        out.extend_from_slice(&START);
        out.extend_from_slice(nal);
    }
    Ok(out)
}

/// A PES packet: header with PTS (and DTS when it differs), then the payload.
fn pes(stream_id: u8, pts: u64, dts: Option<u64>, payload: &[u8], aligned: bool) -> Vec<u8> {
    let dts = dts.filter(|d| *d != pts);
    let header_len: usize = if dts.is_some() { 10 } else { 5 };
    let len = 3 + header_len + payload.len();
    // Video may exceed 16 bits and then says 0 (unbounded), as the standard allows for video.
    let len_field = if len <= 0xffff { len as u16 } else { 0 };
    let mut out = Vec::with_capacity(9 + header_len + payload.len());
    out.extend_from_slice(&[0, 0, 1, stream_id]);
    out.extend_from_slice(&len_field.to_be_bytes());
    out.push(if aligned { 0x84 } else { 0x80 });
    out.push(if dts.is_some() { 0xc0 } else { 0x80 });
    out.push(header_len as u8);
    timestamp(&mut out, if dts.is_some() { 0x3 } else { 0x2 }, pts);
    if let Some(d) = dts {
        timestamp(&mut out, 0x1, d);
    }
    out.extend_from_slice(payload);
    out
}

fn timestamp(out: &mut Vec<u8>, prefix: u8, ts: u64) {
    let ts = ts & TS_MASK;
    out.push((prefix << 4) | (((ts >> 30) as u8 & 7) << 1) | 1);
    out.extend_from_slice(&((((ts >> 15) & 0x7fff) << 1 | 1) as u16).to_be_bytes());
    out.extend_from_slice(&((((ts & 0x7fff) << 1) | 1) as u16).to_be_bytes());
}

/// A PSI section with its pointer field, header and CRC, for one program (id 1).
fn section(table_id: u8, id: u16, body: &[u8]) -> Vec<u8> {
    let length = 5 + body.len() + 4;
    let mut s = vec![table_id, 0xb0 | (length >> 8) as u8, length as u8];
    s.extend_from_slice(&id.to_be_bytes());
    s.extend_from_slice(&[0xc1, 0x00, 0x00]);
    s.extend_from_slice(body);
    let crc = crc32(&s);
    s.extend_from_slice(&crc.to_be_bytes());
    let mut out = vec![0x00]; // pointer field
    out.extend_from_slice(&s);
    out
}

/// CRC-32/MPEG-2: polynomial 0x04C11DB7, initial 0xFFFFFFFF, not reflected, no final xor.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in data {
        crc ^= u32::from(*b) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 { (crc << 1) ^ 0x04c1_1db7 } else { crc << 1 };
        }
    }
    crc
}

/// Splits a PES packet or section into TS packets; PCR and the random access flag go in the first.
fn write_packets(
    out: &mut Vec<u8>,
    pid: u16,
    cc: &mut u8,
    data: &[u8],
    pcr: Option<u64>,
    random_access: bool,
) {
    let mut pos = 0;
    let mut first = true;
    while first || pos < data.len() {
        let mut pkt = [0xffu8; PACKET];
        pkt[0] = 0x47;
        pkt[1] = (if first { 0x40 } else { 0 }) | (pid >> 8) as u8 & 0x1f;
        pkt[2] = pid as u8;
        // Adaptation field content after its length byte: flags, then PCR.
        let mut af = Vec::new();
        if first && (pcr.is_some() || random_access) {
            af.push((if random_access { 0x40 } else { 0 }) | (if pcr.is_some() { 0x10 } else { 0 }));
            if let Some(p) = pcr {
                let p = p & TS_MASK;
                af.extend_from_slice(&[
                    (p >> 25) as u8,
                    (p >> 17) as u8,
                    (p >> 9) as u8,
                    (p >> 1) as u8,
                    (((p & 1) as u8) << 7) | 0x7e,
                    0x00,
                ]);
            }
        }
        let mut af_total = if af.is_empty() { 0 } else { 1 + af.len() };
        let remaining = data.len() - pos;
        if remaining < PACKET - 4 - af_total {
            af_total = PACKET - 4 - remaining;
        }
        if af_total > 0 {
            pkt[4] = (af_total - 1) as u8;
            if af_total > 1 {
                if af.is_empty() {
                    af.push(0x00);
                }
                pkt[5..5 + af.len()].copy_from_slice(&af);
            }
        }
        pkt[3] = (if af_total > 0 { 0x30 } else { 0x10 }) | (*cc & 0x0f);
        *cc = (*cc + 1) & 0x0f;
        let take = PACKET - 4 - af_total;
        pkt[4 + af_total..].copy_from_slice(&data[pos..pos + take]);
        pos += take;
        first = false;
        out.extend_from_slice(&pkt);
    }
}

#[cfg(test)]
#[path = "ts_tests.rs"]
mod tests;
