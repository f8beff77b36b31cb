//! Codec configurations measured from sequence headers: H.264's AVCDecoderConfigurationRecord and its
//! SPS (ISO/IEC 14496-15 §5.3.3; the SPS itself in [`crate::sps`]) for profile, level, resolution and frame rate; HEVC
//! and AV1 records for their codec strings; AAC's AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1) for
//! sample rate and channels. Codec strings follow RFC 6381 (`avc1.PPCCLL`, `mp4a.40.N`).

use crate::flv::FlvError;
use crate::frame::{AudioConfig, VideoConfig};
use bytes::Bytes;

/// The configuration of an H.264 stream from its AVCDecoderConfigurationRecord.
pub fn avc_config(record: Bytes) -> Result<VideoConfig, FlvError> {
    if record.len() < 4 {
        return Err(FlvError::BadConfig("AVC"));
    }
    let (profile_idc, compat, level_idc) = (record[1], record[2], record[3]);
    // [5] low 5 bits: number of SPS; then a 16-bit length and the first SPS.
    let count = record.get(5).ok_or(FlvError::BadConfig("AVC"))? & 0x1f;
    let len = match record.get(6..8) {
        Some(b) if count > 0 => usize::from(u16::from_be_bytes([b[0], b[1]])),
        _ => return Err(FlvError::BadConfig("AVC")),
    };
    let sps = record.get(8..8 + len).and_then(crate::sps::parse).ok_or(FlvError::BadConfig("AVC"))?;
    Ok(VideoConfig {
        codec: format!("avc1.{profile_idc:02X}{compat:02X}{level_idc:02X}"),
        profile: avc_profile_name(sps.profile_idc, compat).to_string(),
        level: format!("{}.{}", sps.level_idc / 10, sps.level_idc % 10),
        width: sps.width,
        height: sps.height,
        frame_rate: sps.frame_rate.filter(|f| f.is_finite() && *f > 0.0),
        record,
    })
}

/// The configuration of an Enhanced RTMP video codec (`avc1`, `hvc1`, `av01`) from its record.
pub fn video_config_for(fourcc: &[u8; 4], record: Bytes) -> Result<VideoConfig, FlvError> {
    match fourcc {
        b"avc1" => avc_config(record),
        b"hvc1" => hevc_config(record),
        _ => av1_config(record),
    }
}

/// The first SPS (NAL unit type 33) in an HEVCDecoderConfigurationRecord's arrays (ISO/IEC 14496-15
/// §8.3.3.1: 22 bytes, then `numOfArrays` arrays of `[type][count u16]([length u16][NAL unit])*`).
fn hevc_sps(record: &[u8]) -> Option<&[u8]> {
    let arrays = *record.get(22)?;
    let mut pos = 23;
    for _ in 0..arrays {
        let kind = record.get(pos)? & 0x3f;
        let count = u16::from_be_bytes([*record.get(pos + 1)?, *record.get(pos + 2)?]);
        pos += 3;
        for _ in 0..count {
            let len = usize::from(u16::from_be_bytes([*record.get(pos)?, *record.get(pos + 1)?]));
            let nal = record.get(pos + 2..pos + 2 + len)?;
            if kind == 33 {
                return Some(nal);
            }
            pos += 2 + len;
        }
    }
    None
}

/// HEVC: the codec string from the HEVCDecoderConfigurationRecord's general profile, tier and level,
/// and the picture size from its SPS (0 × 0 when it has none that parses).
fn hevc_config(record: Bytes) -> Result<VideoConfig, FlvError> {
    if record.len() < 23 {
        return Err(FlvError::BadConfig("HEVC"));
    }
    let profile_space = record[1] >> 6;
    let tier = if record[1] & 0x20 != 0 { 'H' } else { 'L' };
    let profile_idc = record[1] & 0x1f;
    let compat = u32::from_be_bytes([record[2], record[3], record[4], record[5]]).reverse_bits();
    let level_idc = record[12];
    let (width, height) = hevc_sps(&record).and_then(crate::sps::parse_hevc).unwrap_or((0, 0));
    let space = ["", "A", "B", "C"][usize::from(profile_space)];
    let profile = match profile_idc {
        1 => "Main",
        2 => "Main 10",
        3 => "Main Still Picture",
        4 => "Range Extensions",
        _ => "",
    };
    Ok(VideoConfig {
        codec: format!("hvc1.{space}{profile_idc}.{compat:X}.{tier}{level_idc}.B0"),
        profile: profile.to_string(),
        level: format!("{}.{}", level_idc / 30, (level_idc % 30) / 3),
        width,
        height,
        frame_rate: None,
        record,
    })
}

/// The payload of the sequence header OBU among an AV1CodecConfigurationRecord's configOBUs (after
/// its four bytes; AV1 spec §5.3: OBU header, optional extension byte, optional LEB128 size).
fn av1_sequence_header(record: &[u8]) -> Option<&[u8]> {
    let mut pos = 4;
    while pos < record.len() {
        let header = record[pos];
        let kind = (header >> 3) & 0x0f;
        pos += 1 + usize::from(header & 0x04 != 0);
        let size = if header & 0x02 != 0 {
            let mut size = 0usize;
            for i in 0..8 {
                let b = *record.get(pos)?;
                pos += 1;
                size |= usize::from(b & 0x7f) << (7 * i);
                if b & 0x80 == 0 {
                    break;
                }
            }
            size
        } else {
            record.len().checked_sub(pos)?
        };
        let payload = record.get(pos..pos.checked_add(size)?)?;
        if kind == 1 {
            return Some(payload);
        }
        pos += size;
    }
    None
}

/// AV1: the codec string from the AV1CodecConfigurationRecord's profile, level and bit depth, and the
/// frame size from the sequence header among its configOBUs (0 × 0 without one).
fn av1_config(record: Bytes) -> Result<VideoConfig, FlvError> {
    if record.len() < 4 || record[0] & 0x7f != 1 {
        return Err(FlvError::BadConfig("AV1"));
    }
    let profile = record[1] >> 5;
    let level = record[1] & 0x1f;
    let (width, height) =
        av1_sequence_header(&record).and_then(crate::sps::parse_av1_sequence_header).unwrap_or((0, 0));
    let tier = if record[2] & 0x80 != 0 { 'H' } else { 'M' };
    let depth = match (record[2] & 0x40 != 0, record[2] & 0x20 != 0) {
        (true, true) => 12,
        (true, false) => 10,
        _ => 8,
    };
    Ok(VideoConfig {
        codec: format!("av01.{profile}.{level:02}{tier}.{depth:02}"),
        profile: ["Main", "High", "Professional"].get(usize::from(profile)).unwrap_or(&"").to_string(),
        level: format!("{}.{}", 2 + (level >> 2), level & 3),
        width,
        height,
        frame_rate: None,
        record,
    })
}

/// H.264 profile names as the spec's Annex A calls them.
fn avc_profile_name(profile_idc: u8, compat: u8) -> &'static str {
    match profile_idc {
        66 if compat & 0x40 != 0 => "Constrained Baseline",
        66 => "Baseline",
        77 => "Main",
        88 => "Extended",
        100 => "High",
        110 => "High 10",
        122 => "High 4:2:2",
        244 => "High 4:4:4 Predictive",
        44 => "CAVLC 4:4:4 Intra",
        _ => "",
    }
}

const AAC_RATES: [u32; 13] =
    [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/// The configuration of an AAC stream from its AudioSpecificConfig.
pub fn aac_config(record: Bytes) -> Result<AudioConfig, FlvError> {
    let mut bits = Bits { data: &record, pos: 0 };
    let bad = || FlvError::BadConfig("AAC");
    let mut object_type = bits.take(5).ok_or_else(bad)?;
    if object_type == 31 {
        object_type = 32 + bits.take(6).ok_or_else(bad)?;
    }
    let index = bits.take(4).ok_or_else(bad)?;
    let sample_rate = match index {
        15 => bits.take(24).ok_or_else(bad)?,
        i => *AAC_RATES.get(usize::try_from(i).map_err(|_| bad())?).ok_or_else(bad)?,
    };
    let channel_config = bits.take(4).ok_or_else(bad)?;
    let channels = match channel_config {
        7 => 8,
        c => u8::try_from(c).map_err(|_| bad())?,
    };
    if object_type == 0 || sample_rate == 0 {
        return Err(bad());
    }
    Ok(AudioConfig { codec: format!("mp4a.40.{object_type}"), sample_rate, channels, record })
}

/// A big-endian bit reader that reports running out instead of panicking.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn take(&mut self, n: usize) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.data.get(self.pos / 8)?;
            v = (v << 1) | u32::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn aac_configs() {
        let c = aac_config(Bytes::from_static(&[0x12, 0x10])).unwrap();
        assert_eq!((c.codec.as_str(), c.sample_rate, c.channels), ("mp4a.40.2", 44100, 2));
        let he = aac_config(Bytes::from_static(&[0x2b, 0x92, 0x08, 0x00])).unwrap();
        assert_eq!((he.codec.as_str(), he.sample_rate), ("mp4a.40.5", 22050));
        assert!(aac_config(Bytes::from_static(&[0x17])).is_err());
        assert!(aac_config(Bytes::from_static(&[0x17, 0x80])).is_err(), "sampling index 14 is reserved");
    }

    #[test]
    fn hevc_and_av1_codec_strings() {
        let mut hvcc = vec![0u8; 23];
        hvcc[0] = 1;
        hvcc[1] = 0x01; // Main, main tier
        hvcc[2] = 0x60; // compatibility flags 1 and 2
        hvcc[12] = 93; // level 3.1
        let c = hevc_config(Bytes::from(hvcc)).unwrap();
        assert_eq!(
            (c.codec.as_str(), c.profile.as_str(), c.level.as_str()),
            ("hvc1.1.6.L93.B0", "Main", "3.1")
        );
        assert_eq!((c.width, c.height), (0, 0), "no SPS in the record");
        let c = av1_config(Bytes::from_static(&[0x81, 0x08, 0x0c, 0x00])).unwrap();
        assert_eq!((c.codec.as_str(), c.level.as_str()), ("av01.0.08M.08", "4.0"));
    }

    /// The hvcC box ffmpeg 5.1 writes for x265's 642x362 (VPS, SPS, PPS arrays).
    const HVCC_642X362: &str = concat!(
        "0101600000009000000000003ff000fcfdf8f800000f03a00001001840010c01ffff01600000030090000003000003",
        "003f959809a10001002c42010101600000030090000003000003003fa005120171c9265959a4932bc05a0200000300",
        "02000003003c10a2000100074401c172b46240"
    );

    #[test]
    fn hevc_resolution_from_the_records_sps() {
        let record = hex(HVCC_642X362);
        let c = video_config_for(b"hvc1", record.clone()).unwrap();
        assert_eq!((c.width, c.height, c.profile.as_str()), (642, 362, "Main"));
        // Cut inside the SPS array: the codec string stays, the size is unknown.
        let c = hevc_config(record.slice(..60)).unwrap();
        assert_eq!((c.width, c.height), (0, 0));
    }

    fn hex(s: &str) -> Bytes {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn av1_resolution_from_the_records_sequence_header() {
        // av1C boxes ffmpeg 5.1 wrote for libaom (642x362), SVT-AV1 (1280x720) and rav1e (320x240).
        for (record, size) in [
            ("81010c000a0b0000000cc5036936be4010", (642, 362)),
            ("81050c000a0b0000002d4cffb3c02f8004", (1280, 720)),
            ("811f0c000a0e000000fa1e7fde210ac8101010a0", (320, 240)),
        ] {
            let c = video_config_for(b"av01", hex(record)).unwrap();
            assert_eq!((c.width, c.height), size, "{record}");
        }
        let c = av1_config(hex("81010c000a0b0000000cc5")).unwrap();
        assert_eq!((c.width, c.height), (0, 0), "a cut sequence header");
    }

    proptest! {
        #[test]
        fn arbitrary_configs_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let b = Bytes::from(b);
            let _ = aac_config(b.clone());
            let _ = avc_config(b.clone());
            let _ = hevc_config(b.clone());
            let _ = av1_config(b);
        }
    }
}
