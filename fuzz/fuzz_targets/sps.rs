//! The H.264 and HEVC SPS parsers and the AV1 sequence header parser: garbage yields `None`, never a
//! panic or a nonsense value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openivs_media::sps;

fuzz_target!(|data: &[u8]| {
    if let Some(info) = sps::parse(data) {
        assert!(info.frame_rate.is_none_or(f64::is_finite));
    }
    let _ = sps::parse_hevc(data);
    if let Some((w, h)) = sps::parse_av1_sequence_header(data) {
        assert!(w >= 1 && h >= 1 && w <= 1 << 16 && h <= 1 << 16);
    }
});
