//! Tests of the fMP4 writer: the box tree of an initialization section and of a fragment, read back
//! with a small box reader, and data offsets that point at each run's samples.

use super::*;
use std::sync::Arc;

/// The boxes directly inside `data`: (type, body).
fn boxes(data: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= data.len() {
        let size = u32::from_be_bytes(data[pos..pos + 4].try_into().unwrap()) as usize;
        assert!(size >= 8 && pos + size <= data.len(), "box at {pos} of size {size} overruns");
        out.push((data[pos + 4..pos + 8].try_into().unwrap(), &data[pos + 8..pos + size]));
        pos += size;
    }
    assert_eq!(pos, data.len(), "trailing bytes");
    out
}

/// The body of the first box at `path` (full boxes' version/flags included), descending from `data`.
fn find<'a>(data: &'a [u8], path: &[&[u8; 4]]) -> &'a [u8] {
    let mut body = data;
    for (depth, kind) in path.iter().enumerate() {
        // Sample entries and stsd have fields before their child boxes.
        let skip = match path.get(depth.wrapping_sub(1)).copied() {
            Some(b"stsd") => 8,
            Some(b"avc1") => 78,
            Some(b"mp4a") => 28,
            _ => 0,
        };
        body =
            boxes(&body[skip..]).into_iter().find(|(k, _)| k == *kind).map(|(_, b)| b).unwrap_or_else(|| {
                panic!("no {} in {:?}", String::from_utf8_lossy(*kind), path);
            });
    }
    body
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn video() -> VideoConfig {
    VideoConfig {
        codec: "avc1.64001F".into(),
        profile: "High".into(),
        level: "3.1".into(),
        width: 640,
        height: 360,
        frame_rate: None,
        record: Bytes::from_static(&[
            1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 3, 0x67, 0x64, 0x1f, 1, 0, 2, 0x68, 0xee,
        ]),
    }
}

fn audio() -> AudioConfig {
    AudioConfig {
        codec: "mp4a.40.2".into(),
        sample_rate: 48000,
        channels: 2,
        record: Bytes::from_static(&[0x11, 0x90]),
    }
}

#[test]
fn the_init_segment_describes_both_tracks() {
    let init = init_segment(Some(&video()), Some(&audio()));
    let top: Vec<[u8; 4]> = boxes(&init).into_iter().map(|(k, _)| k).collect();
    assert_eq!(top, [*b"ftyp", *b"moov"]);
    assert_eq!(&find(&init, &[b"ftyp"])[..4], b"iso6");
    let moov = find(&init, &[b"moov"]);
    let kinds: Vec<[u8; 4]> = boxes(moov).into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, [*b"mvhd", *b"trak", *b"trak", *b"mvex"]);
    let traks: Vec<&[u8]> = boxes(moov).into_iter().filter(|(k, _)| k == b"trak").map(|(_, b)| b).collect();
    // Video: track 1, 90 kHz, 640x360, the record as avcC.
    let tkhd = find(traks[0], &[b"tkhd"]);
    assert_eq!((u32_at(tkhd, 12), u32_at(tkhd, 76) >> 16, u32_at(tkhd, 80) >> 16), (1, 640, 360));
    assert_eq!(u32_at(find(traks[0], &[b"mdia", b"mdhd"]), 12), 90_000);
    assert_eq!(&find(traks[0], &[b"mdia", b"hdlr"])[8..12], b"vide");
    let avc1 = find(traks[0], &[b"mdia", b"minf", b"stbl", b"stsd", b"avc1"]);
    assert_eq!(
        (u16::from_be_bytes([avc1[24], avc1[25]]), u16::from_be_bytes([avc1[26], avc1[27]])),
        (640, 360)
    );
    let avcc = find(traks[0], &[b"mdia", b"minf", b"stbl", b"stsd", b"avc1", b"avcC"]);
    assert_eq!(avcc, &video().record[..]);
    // Audio: track 2 at 48 kHz with the AudioSpecificConfig in its esds.
    assert_eq!(u32_at(find(traks[1], &[b"tkhd"]), 12), 2);
    assert_eq!(u32_at(find(traks[1], &[b"mdia", b"mdhd"]), 12), 48_000);
    let mp4a = find(traks[1], &[b"mdia", b"minf", b"stbl", b"stsd", b"mp4a"]);
    assert_eq!((u16::from_be_bytes([mp4a[16], mp4a[17]]), u32_at(mp4a, 24) >> 16), (2, 48_000));
    let esds = find(traks[1], &[b"mdia", b"minf", b"stbl", b"stsd", b"mp4a", b"esds"]);
    let asc_at = esds.windows(5).position(|w| w == [0x05, 0x80, 0x80, 0x80, 2]).expect("DecoderSpecificInfo");
    assert_eq!(&esds[asc_at + 5..asc_at + 7], &[0x11, 0x90]);
    assert_eq!(esds[4], 0x03, "ES_Descriptor first");
    assert_eq!(esds[8] as usize, esds.len() - 9, "ES_Descriptor size covers the rest");
    let trex: Vec<&[u8]> = boxes(find(moov, &[b"mvex"])).into_iter().map(|(_, b)| b).collect();
    assert_eq!((u32_at(trex[0], 4), u32_at(trex[1], 4)), (1, 2));
    // Audio only: one trak.
    let only = init_segment(None, Some(&audio()));
    assert_eq!(boxes(find(&only, &[b"moov"])).iter().filter(|(k, _)| k == b"trak").count(), 1);
}

#[test]
fn fragments_point_at_their_samples() {
    let v = |b: &'static [u8], sync| RunSample {
        duration: 3000,
        composition_offset: 6000,
        sync,
        data: Bytes::from_static(b),
    };
    let a = |b: &'static [u8]| RunSample {
        duration: 1024,
        composition_offset: 0,
        sync: true,
        data: Bytes::from_static(b),
    };
    let runs = [
        Run {
            track_id: VIDEO_TRACK,
            base_decode_time: 126_000,
            samples: vec![v(b"VVV1", true), v(b"VV2", false)],
        },
        Run { track_id: AUDIO_TRACK, base_decode_time: 67_200, samples: vec![a(b"AA1"), a(b"AAA2")] },
    ];
    let meta = emsg("https://aomedia.org/emsg/ID3", "", 90_000, 130_000, 7, b"ID3tag");
    let frag = fragment(9, &runs, &meta);
    let top: Vec<[u8; 4]> = boxes(&frag).into_iter().map(|(k, _)| k).collect();
    assert_eq!(top, [*b"emsg", *b"moof", *b"mdat"]);
    let moof_at = meta.len();
    let moof = find(&frag, &[b"moof"]);
    assert_eq!(u32_at(find(moof, &[b"mfhd"]), 4), 9);
    let trafs: Vec<&[u8]> = boxes(moof).into_iter().filter(|(k, _)| k == b"traf").map(|(_, b)| b).collect();
    assert_eq!(trafs.len(), 2);
    for (traf, run) in trafs.iter().zip(&runs) {
        let tfhd = find(traf, &[b"tfhd"]);
        assert_eq!((u32_at(tfhd, 0) & 0xff_ffff, u32_at(tfhd, 4)), (0x02_0000, run.track_id));
        let tfdt = find(traf, &[b"tfdt"]);
        assert_eq!((tfdt[0], u64::from_be_bytes(tfdt[4..12].try_into().unwrap())), (1, run.base_decode_time));
        let trun = find(traf, &[b"trun"]);
        assert_eq!(u32_at(trun, 4), 2, "sample count");
        let offset = u32_at(trun, 8) as usize;
        let first = &run.samples[0].data;
        assert_eq!(&frag[moof_at + offset..moof_at + offset + first.len()], &first[..]);
    }
    // Video samples carry flags and signed composition offsets (version 1).
    let trun = find(trafs[0], &[b"trun"]);
    assert_eq!((trun[0], u32_at(trun, 0) & 0xff_ffff), (1, 0x0f01));
    assert_eq!(
        (u32_at(trun, 12), u32_at(trun, 16), u32_at(trun, 20), u32_at(trun, 24)),
        (3000, 4, 0x0200_0000, 6000)
    );
    assert_eq!(u32_at(trun, 36), 0x0101_0000, "the second is not a sync sample");
    assert_eq!(find(&frag, &[b"mdat"]), b"VVV1VV2AA1AAA2");
    // emsg v1: timescale, 64-bit time, duration, id, then the scheme and value strings and the message.
    let e = find(&frag, &[b"emsg"]);
    assert_eq!(
        (e[0], u32_at(e, 4), u64::from_be_bytes(e[8..16].try_into().unwrap()), u32_at(e, 20)),
        (1, 90_000, 130_000, 7)
    );
    assert!(e[24..].starts_with(b"https://aomedia.org/emsg/ID3\0\0ID3tag"));
    let _ = Arc::new(());
}
