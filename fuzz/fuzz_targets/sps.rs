//! The H.264 SPS parser: garbage yields `None`, never a panic or a nonsense size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openivs_media::sps;

fuzz_target!(|data: &[u8]| {
    if let Some(info) = sps::parse(data) {
        assert!(info.frame_rate.is_none_or(f64::is_finite));
    }
});
