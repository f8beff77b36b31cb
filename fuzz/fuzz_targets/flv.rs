//! FLV audio and video tag bodies (legacy AVC/AAC and Enhanced RTMP), with any timestamp.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use openivs_media::flv;

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<9>() else { return };
    let ts = i64::from_le_bytes(head[..8].try_into().unwrap());
    let body = Bytes::copy_from_slice(body);
    if head[8] % 2 == 0 {
        let _ = flv::parse_video(ts, body);
    } else {
        let _ = flv::parse_audio(ts, body);
    }
});
