//! The MPEG-TS demuxer of SRT ingest: any bytes, cut into reads of sizes the input chooses, and the
//! SRT stream id parser on the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use openivs_media::mpegts::Demuxer;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, mut rest)) = data.split_first() else { return };
    let _ = openivs_media::srt::streamid::parse(&String::from_utf8_lossy(rest));
    let mut demuxer = Demuxer::new();
    let mut out = Vec::new();
    // Reads of 1 to 1316 bytes (an SRT message carries 7 TS packets), varying with the input.
    let mut size = usize::from(cut) * 6 + 1;
    while !rest.is_empty() {
        let (read, next) = rest.split_at(size.min(rest.len()));
        demuxer.push(read, &mut out);
        rest = next;
        size = size % 1316 + 97;
    }
    demuxer.flush(&mut out);
    for item in &out {
        if let openivs_media::MediaItem::Frame(f) = item {
            assert!(f.pts >= f.dts, "DTS after PTS");
        }
    }
});
