//! H.264 sequence parameter sets (H.264 §7.3.2.1.1 and Annex E VUI) read far enough for what a stream
//! session reports: profile, level, cropped resolution and the declared frame rate. Written here
//! rather than taken from a crate because the parser must survive hostile input: every read is
//! bounds-checked, every count capped, and arithmetic saturates, so garbage yields `None`.

/// What the SPS says.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpsInfo {
    /// `profile_idc`.
    pub profile_idc: u8,
    /// `level_idc`.
    pub level_idc: u8,
    /// Width after cropping.
    pub width: u32,
    /// Height after cropping.
    pub height: u32,
    /// `time_scale / (2 × num_units_in_tick)` when the VUI has timing info.
    pub frame_rate: Option<f64>,
}

/// Parses an SPS NAL unit (with its one-byte header, emulation prevention still in).
pub fn parse(nal: &[u8]) -> Option<SpsInfo> {
    let rbsp = unescape(nal.get(1..)?);
    let mut r = Reader { data: &rbsp, pos: 0 };
    let profile_idc = r.bits(8)? as u8;
    r.bits(8)?;
    let level_idc = r.bits(8)? as u8;
    r.ue()?;
    let mut chroma_format_idc = 1;
    let mut separate_planes = false;
    if matches!(profile_idc, 100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135) {
        chroma_format_idc = r.ue()?;
        if chroma_format_idc == 3 {
            separate_planes = r.bits(1)? == 1;
        }
        r.ue()?;
        r.ue()?;
        r.bits(1)?;
        if r.bits(1)? == 1 {
            let lists = if chroma_format_idc == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bits(1)? == 1 {
                    skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    r.ue()?;
    match r.ue()? {
        0 => {
            r.ue()?;
        }
        1 => {
            r.bits(1)?;
            r.se()?;
            r.se()?;
            let n = r.ue()?;
            if n > 255 {
                return None;
            }
            for _ in 0..n {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?;
    r.bits(1)?;
    let width_mbs = r.ue()? + 1;
    let height_map_units = r.ue()? + 1;
    let frame_mbs_only = r.bits(1)?;
    if frame_mbs_only == 0 {
        r.bits(1)?;
    }
    r.bits(1)?;
    let (mut crop_x, mut crop_y) = (0u64, 0u64);
    if r.bits(1)? == 1 {
        let (left, right, top, bottom) = (r.ue()?, r.ue()?, r.ue()?, r.ue()?);
        let chroma_array_type = if separate_planes { 0 } else { chroma_format_idc };
        let (unit_x, unit_y) = match chroma_array_type {
            0 => (1, 2 - frame_mbs_only),
            1 => (2, 2 * (2 - frame_mbs_only)),
            2 => (2, 2 - frame_mbs_only),
            _ => (1, 2 - frame_mbs_only),
        };
        crop_x = unit_x * (left + right);
        crop_y = unit_y * (top + bottom);
    }
    let width = (width_mbs * 16).saturating_sub(crop_x);
    let height = ((2 - frame_mbs_only) * height_map_units * 16).saturating_sub(crop_y);
    let frame_rate = if r.bits(1)? == 1 { vui_frame_rate(&mut r) } else { None };
    Some(SpsInfo {
        profile_idc,
        level_idc,
        width: u32::try_from(width).ok()?,
        height: u32::try_from(height).ok()?,
        frame_rate,
    })
}

/// The cropped picture size from an HEVC SPS NAL unit (H.265 §7.3.2.2, with its two-byte header,
/// emulation prevention still in). The frame rate would need the whole SPS up to its VUI (reference
/// picture sets and all); the stream's measured rate is used instead.
pub fn parse_hevc(nal: &[u8]) -> Option<(u32, u32)> {
    let rbsp = unescape(nal.get(2..)?);
    let mut r = Reader { data: &rbsp, pos: 0 };
    r.bits(4)?;
    let sub_layers = r.bits(3)? as usize;
    r.bits(1)?;
    // profile_tier_level(1, sub_layers): the general part, then per sub-layer presence flags, padding
    // to eight sub-layers, and what is present.
    r.bits(96)?;
    let mut present = [(false, false); 7];
    for p in present.iter_mut().take(sub_layers) {
        *p = (r.bits(1)? == 1, r.bits(1)? == 1);
    }
    if sub_layers > 0 {
        r.bits(2 * (8 - sub_layers as u32))?;
    }
    for &(profile, level) in present.iter().take(sub_layers) {
        if profile {
            r.bits(88)?;
        }
        if level {
            r.bits(8)?;
        }
    }
    r.ue()?;
    let chroma_format_idc = r.ue()?;
    let separate_planes = chroma_format_idc == 3 && r.bits(1)? == 1;
    let (width, height) = (r.ue()?, r.ue()?);
    let (mut crop_x, mut crop_y) = (0, 0);
    if r.bits(1)? == 1 {
        let (left, right, top, bottom) = (r.ue()?, r.ue()?, r.ue()?, r.ue()?);
        let (sub_w, sub_h) = match (chroma_format_idc, separate_planes) {
            (1, _) => (2, 2),
            (2, _) => (2, 1),
            _ => (1, 1),
        };
        crop_x = sub_w * (left + right);
        crop_y = sub_h * (top + bottom);
    }
    let width = u32::try_from(width.saturating_sub(crop_x)).ok()?;
    let height = u32::try_from(height.saturating_sub(crop_y)).ok()?;
    Some((width, height))
}

/// The maximum frame size from an AV1 sequence header OBU's payload (AV1 spec §5.5.1), which is the
/// frame size of a stream that does not change it.
pub fn parse_av1_sequence_header(payload: &[u8]) -> Option<(u32, u32)> {
    let mut r = Reader { data: payload, pos: 0 };
    r.bits(4)?;
    if r.bits(1)? == 1 {
        // reduced_still_picture_header: one level, nothing else.
        r.bits(5)?;
    } else {
        let mut decoder_model_info = false;
        let mut buffer_delay_bits = 0;
        if r.bits(1)? == 1 {
            r.bits(64)?;
            if r.bits(1)? == 1 {
                uvlc(&mut r)?;
            }
            decoder_model_info = r.bits(1)? == 1;
            if decoder_model_info {
                buffer_delay_bits = r.bits(5)? as u32 + 1;
                r.bits(32 + 5 + 5)?;
            }
        }
        let initial_display_delay = r.bits(1)? == 1;
        for _ in 0..=r.bits(5)? {
            r.bits(12)?;
            if r.bits(5)? > 7 {
                r.bits(1)?;
            }
            if decoder_model_info && r.bits(1)? == 1 {
                r.bits(2 * buffer_delay_bits + 1)?;
            }
            if initial_display_delay && r.bits(1)? == 1 {
                r.bits(4)?;
            }
        }
    }
    let width_bits = r.bits(4)? as u32 + 1;
    let height_bits = r.bits(4)? as u32 + 1;
    let width = r.bits(width_bits)? + 1;
    let height = r.bits(height_bits)? + 1;
    Some((u32::try_from(width).ok()?, u32::try_from(height).ok()?))
}

/// AV1's `uvlc()`: leading zeros, then that many bits; 32 or more zeros is the maximum value.
fn uvlc(r: &mut Reader<'_>) -> Option<u64> {
    let mut zeros = 0;
    while r.bits(1)? == 0 {
        zeros += 1;
        if zeros >= 32 {
            return Some(u64::from(u32::MAX));
        }
    }
    Some(r.bits(zeros)? + (1u64 << zeros) - 1)
}

/// The VUI up to its timing info (E.1.1).
fn vui_frame_rate(r: &mut Reader<'_>) -> Option<f64> {
    if r.bits(1)? == 1 && r.bits(8)? == 255 {
        r.bits(32)?;
    }
    if r.bits(1)? == 1 {
        r.bits(1)?;
    }
    if r.bits(1)? == 1 {
        r.bits(4)?;
        if r.bits(1)? == 1 {
            r.bits(24)?;
        }
    }
    if r.bits(1)? == 1 {
        r.ue()?;
        r.ue()?;
    }
    if r.bits(1)? == 0 {
        return None;
    }
    let units = r.bits(32)?;
    let scale = r.bits(32)?;
    (units > 0 && scale > 0).then(|| scale as f64 / (2.0 * units as f64))
}

fn skip_scaling_list(r: &mut Reader<'_>, size: usize) -> Option<()> {
    let (mut last, mut next) = (8i64, 8i64);
    for _ in 0..size {
        if next != 0 {
            next = (last + r.se()? + 256).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

/// Removes emulation-prevention bytes (`00 00 03` → `00 00`).
fn unescape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut zeros = 0;
    for &b in data {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn bits(&mut self, n: u32) -> Option<u64> {
        let mut v = 0u64;
        for _ in 0..n {
            let byte = *self.data.get(self.pos / 8)?;
            v = (v << 1) | u64::from((byte >> (7 - self.pos % 8)) & 1);
            self.pos += 1;
        }
        Some(v)
    }

    /// Unsigned Exp-Golomb; values above 2^32 are malformed.
    fn ue(&mut self) -> Option<u64> {
        let mut zeros = 0;
        while self.bits(1)? == 0 {
            zeros += 1;
            if zeros > 32 {
                return None;
            }
        }
        Some((1u64 << zeros) - 1 + self.bits(zeros)?)
    }

    /// Signed Exp-Golomb.
    fn se(&mut self) -> Option<i64> {
        let k = i64::try_from(self.ue()?).ok()?;
        Some(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// libx264's SPS for 640x360 High@3.0, 30 fps (from ffmpeg's output).
    const SPS: &[u8] = &[
        0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01,
        0x00, 0x00, 0x03, 0x00, 0x3c, 0x0f, 0x16, 0x2d, 0x96,
    ];

    #[test]
    fn libx264_640x360() {
        let s = parse(SPS).unwrap();
        assert_eq!((s.profile_idc, s.level_idc, s.width, s.height), (100, 30, 640, 360));
        assert_eq!(s.frame_rate, Some(30.0));
    }

    /// x265's SPS (ffmpeg 5.1, libx265) for 1280x720 and for 642x362, whose coded 648x368 picture
    /// is cropped by a conformance window.
    const HEVC_720P: &str =
        "42010101600000030090000003000003005da00280802d165959a4932bc05a020000030002000003003c10";
    const HEVC_642X362: &str =
        "42010101600000030090000003000003003fa005120171c9265959a4932bc05a020000030002000003003c10";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn x265_sizes_with_and_without_a_conformance_window() {
        assert_eq!(parse_hevc(&hex(HEVC_720P)), Some((1280, 720)));
        assert_eq!(parse_hevc(&hex(HEVC_642X362)), Some((642, 362)));
        assert_eq!(parse_hevc(&hex(HEVC_720P)[..12]), None);
    }

    #[test]
    fn exp_golomb() {
        let mut r = Reader { data: &[0b1010_0110, 0b0111_0000], pos: 0 };
        assert_eq!((r.ue(), r.ue(), r.ue(), r.se()), (Some(0), Some(1), Some(2), Some(-3)));
        assert_eq!(Reader { data: &[0, 0, 0, 0, 0], pos: 0 }.ue(), None);
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = parse(&b);
        }

        #[test]
        fn arbitrary_hevc_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..96)) {
            let _ = parse_hevc(&b);
        }

        #[test]
        fn arbitrary_av1_sequence_headers_never_panic(b in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Some((w, h)) = parse_av1_sequence_header(&b) {
                prop_assert!(w >= 1 && h >= 1 && w <= 1 << 16 && h <= 1 << 16);
            }
        }

        #[test]
        fn mutations_never_panic(i in 1usize..SPS.len(), b: u8) {
            let mut sps = SPS.to_vec();
            sps[i] = b;
            let _ = parse(&sps);
        }
    }
}
