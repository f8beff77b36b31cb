//! Tests of the segmenter: cuts at keyframes after the target, a bounded window, audio-only streams,
//! limits on segments without keyframes, malformed frames.

use super::*;
use crate::frame::Frame;
use crate::ts::{PACKET, VIDEO_PID};

fn video_config() -> MediaItem {
    MediaItem::VideoConfig(Arc::new(VideoConfig {
        codec: "avc1.64001F".into(),
        profile: "High".into(),
        level: "3.1".into(),
        width: 640,
        height: 360,
        frame_rate: None,
        record: Bytes::from_static(&[
            1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 3, 0x67, 0x64, 0x1f, 1, 0, 2, 0x68, 0xee,
        ]),
    }))
}

fn audio_config() -> MediaItem {
    MediaItem::AudioConfig(Arc::new(AudioConfig {
        codec: "mp4a.40.2".into(),
        sample_rate: 48000,
        channels: 2,
        record: Bytes::from_static(&[0x11, 0x90]),
    }))
}

fn video(dts: i64, keyframe: bool) -> MediaItem {
    let nal: &'static [u8] = if keyframe { &[0, 0, 0, 2, 0x65, 0x88] } else { &[0, 0, 0, 2, 0x41, 0x9a] };
    MediaItem::Frame(Frame {
        track: Track::Video,
        pts: dts + 66,
        dts,
        keyframe,
        data: Bytes::from_static(nal),
    })
}

fn audio(pts: i64) -> MediaItem {
    MediaItem::Frame(Frame {
        track: Track::Audio,
        pts,
        dts: pts,
        keyframe: true,
        data: Bytes::from_static(&[1; 20]),
    })
}

/// 30 fps video with a keyframe every `gop` frames and audio every ~21 ms, for `frames` frames.
fn feed(s: &mut Segmenter, frames: i64, gop: i64) -> Vec<Segment> {
    let mut out = Vec::new();
    for i in 0..frames {
        let dts = i * 1000 / 30;
        out.extend(s.push(video(dts, i % gop == 0)));
        out.extend(s.push(audio(dts)));
    }
    out
}

#[test]
fn segments_start_at_keyframes_after_the_target_duration() {
    let mut s = Segmenter::new(SegmenterConfig::LOW);
    s.push(video_config());
    s.push(audio_config());
    // Frames before the first keyframe are skipped.
    assert!(s.push(video(-33, false)).is_none());
    // Keyframes every second: segments close at the first keyframe at or after 2 s.
    let segs = feed(&mut s, 30 * 9, 30);
    assert_eq!(segs.iter().map(|s| s.seq).collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert!(segs.iter().all(|s| s.duration_ms == 2000 && s.video_frames == 60 && s.independent));
    let last = s.finish().unwrap();
    assert_eq!((last.seq, last.video_frames), (4, 30));
    assert!((999..=1001).contains(&last.duration_ms), "one frame past the last: {}", last.duration_ms);
    for seg in &segs {
        let d = &seg.data;
        assert_eq!(d.len() % PACKET, 0);
        // PAT, PMT, the frameless ID3 tag, then the keyframe's PES with the random access indicator.
        assert_eq!((d[1], d[2], d[PACKET + 1], d[PACKET + 2]), (0x40, 0, 0x50, 0));
        let pid = |k: &[u8]| (u16::from(k[1] & 0x1f) << 8) | u16::from(k[2]);
        assert_eq!(pid(&d[2 * PACKET..]), crate::ts::ID3_PID);
        let fourth = &d[3 * PACKET..];
        assert_eq!((pid(fourth), fourth[5] & 0x40), (VIDEO_PID, 0x40));
    }
    assert_eq!(s.rejected(), 0);
}

#[test]
fn low_latency_segments_are_cut_into_parts_that_add_up_to_them() {
    let mut s = Segmenter::new(SegmenterConfig::LOW);
    s.push(video_config());
    s.push(audio_config());
    let before = s.generation();
    let segs = feed(&mut s, 30 * 5, 30);
    assert_eq!(segs.len(), 2);
    for seg in &segs {
        // 2 s of 30 fps in parts of ten frames (333 or 334 ms), the first and the one at the
        // second keyframe independent.
        let durations: Vec<i64> = seg.parts.iter().map(|p| p.duration_ms).collect();
        assert_eq!(durations.len(), 6, "{durations:?}");
        assert!(durations.iter().all(|d| (333..=PART_TARGET_MS).contains(d)), "{durations:?}");
        assert_eq!(durations.iter().sum::<i64>(), seg.duration_ms);
        let independent: Vec<bool> = seg.parts.iter().map(|p| p.independent).collect();
        assert_eq!(independent, [true, false, false, true, false, false]);
        let joined: Vec<u8> = seg.parts.iter().flat_map(|p| p.data.iter().copied()).collect();
        assert_eq!(joined, seg.data, "a segment is its parts");
        for p in seg.parts.iter() {
            // Each part starts with the program tables, so it decodes alone.
            assert_eq!((p.data[0], p.data[1], p.data[PACKET + 1]), (0x47, 0x40, 0x50));
            assert_eq!(p.data.len() % PACKET, 0);
        }
    }
    // The open segment shows its finished parts: frames 120..150 make three parts, the last still open.
    let open = s.open().expect("open");
    assert_eq!((open.seq, open.parts.len()), (2, 2));
    assert_eq!(s.generation() - before, 2 * 6 + 2 + 2);
}

#[test]
fn parts_of_older_segments_are_dropped_and_normal_segments_have_none() {
    let mut s = Segmenter::new(SegmenterConfig::LOW);
    s.push(video_config());
    feed(&mut s, 30 * 20, 30);
    let with_parts: Vec<bool> = s.segments().iter().map(|g| !g.parts.is_empty()).collect();
    assert_eq!(with_parts.iter().filter(|p| **p).count(), SEGMENTS_WITH_PARTS);
    assert!(with_parts.ends_with(&[true; SEGMENTS_WITH_PARTS]));
    let mut n = Segmenter::new(SegmenterConfig::NORMAL);
    n.push(video_config());
    let segs = feed(&mut n, 30 * 13, 30);
    assert!(segs.iter().all(|g| g.parts.is_empty() && g.duration_ms == 6000));
}

#[test]
fn segments_are_dated_by_the_wall_clock_at_ingest() {
    let mut s = Segmenter::new(SegmenterConfig::LOW);
    s.push(video_config());
    let wall = 1_764_171_006_000;
    let mut segs = Vec::new();
    for i in 0..150 {
        let dts = i * 1000 / 30;
        // Arrival jitters by up to 40 ms; the dates follow the stream's clock from the first frame.
        segs.extend(s.push_at(video(dts, i % 30 == 0), Some(wall + dts + (i % 3) * 20)));
    }
    let dates: Vec<i64> = segs.iter().filter_map(|g| g.program_date_ms).collect();
    assert_eq!(dates, [wall, wall + 2000]);
    // A stall of the publisher (its clock stops while the wall clock runs) re-dates what follows.
    s.push_at(video(6000, true), Some(wall + 9000));
    let seg = s.finish().expect("last");
    assert_eq!(seg.program_date_ms, Some(wall + 9000));
}

#[test]
fn fragmented_mp4_segments_share_an_init_section_until_the_codecs_change() {
    let mut s = Segmenter::new(SegmenterConfig::LOW.with_container(Container::Fmp4));
    s.push(video_config());
    s.push(audio_config());
    let segs = feed(&mut s, 30 * 5, 30);
    assert_eq!(segs.len(), 2);
    let init = segs[0].init.clone().expect("an init section");
    assert_eq!(&init.data[4..8], b"ftyp");
    for seg in &segs {
        assert!(Arc::ptr_eq(seg.init.as_ref().unwrap(), &init));
        for p in seg.parts.iter() {
            // One moof (then its mdat) per part.
            assert_eq!(&p.data[4..8], b"moof");
        }
        let joined: Vec<u8> = seg.parts.iter().flat_map(|p| p.data.iter().copied()).collect();
        assert_eq!(joined, seg.data);
    }
    // A new video configuration (another resolution) ends the segment and brings a new init.
    let MediaItem::VideoConfig(v) = video_config() else { unreachable!() };
    s.push(MediaItem::VideoConfig(Arc::new(VideoConfig { width: 1280, height: 720, ..(*v).clone() })));
    let more = feed(&mut s, 30 * 3, 30);
    let next = more.first().expect("a segment").init.clone().expect("init");
    assert_eq!(next.id, init.id + 1);
    assert_eq!(s.rejected(), 0);
}

fn metadata(pts: i64, text: &'static str) -> MediaItem {
    MediaItem::Metadata(crate::frame::TimedMetadata { pts, payload: Bytes::from_static(text.as_bytes()) })
}

#[test]
fn metadata_goes_into_the_part_being_written() {
    let mut s = Segmenter::new(SegmenterConfig::LOW);
    // Before any segment: kept for the first.
    s.push(metadata(-5, "early"));
    s.push(video_config());
    s.push(audio_config());
    s.push(video(0, true));
    for i in 1..25 {
        s.push(video(i * 1000 / 30, false));
        if i == 12 {
            s.push(metadata(400, "{\"q\":2}"));
        }
    }
    let open = s.open().expect("open");
    let tags: Vec<(usize, u64, Vec<u8>)> = open
        .parts
        .iter()
        .enumerate()
        .flat_map(|(n, p)| {
            p.data
                .chunks(PACKET)
                .filter(|k| (u16::from(k[1] & 0x1f) << 8 | u16::from(k[2])) == crate::ts::ID3_PID)
                .map(move |k| {
                    let pes = &k[4..];
                    let pes = if k[3] & 0x20 != 0 { &k[5 + usize::from(k[4])..] } else { pes };
                    let pts = (u64::from(pes[9] >> 1) & 7) << 30
                        | u64::from(u16::from_be_bytes([pes[10], pes[11]]) >> 1) << 15
                        | u64::from(u16::from_be_bytes([pes[12], pes[13]]) >> 1);
                    (n, pts, pes[14..].to_vec())
                })
        })
        .collect();
    assert_eq!(tags.len(), 3, "{tags:?}");
    // The segment starts with a frameless tag at its first frame (the IVS Player waits for a sample
    // on every stream the PMT declares), then the metadata in the order it came.
    assert_eq!((tags[0].0, tags[0].1, &tags[0].2[..]), (0, ts90(66), &crate::id3::EMPTY_TAG[..]));
    assert_eq!((tags[1].0, tags[1].1), (0, ts90(-5)));
    assert!(tags[1].2.ends_with(b"\x03\x00early") && tags[1].2.starts_with(b"ID3\x04"));
    // Put during the second part (frames 10..19): written in it, at its time.
    assert_eq!((tags[2].0, tags[2].1), (1, ts90(400)));
    assert!(tags[2].2.ends_with(b"{\"q\":2}"));
    // fMP4: an emsg before the moof of the fragment carrying it.
    let mut f = Segmenter::new(SegmenterConfig::LOW.with_container(Container::Fmp4));
    f.push(video_config());
    f.push(video(0, true));
    f.push(metadata(100, "hi"));
    for i in 1..12 {
        f.push(video(i * 1000 / 30, false));
    }
    let part = &f.open().expect("open").parts[0].data;
    assert_eq!(&part[4..8], b"emsg");
    let emsg_len = u32::from_be_bytes(part[..4].try_into().unwrap()) as usize;
    let body = &part[8..emsg_len];
    // Version 1 (AOM's CMAF carriage): absolute time.
    assert_eq!(body[0], 1);
    assert_eq!(u64::from_be_bytes(body[8..16].try_into().unwrap()), ticks90(100) as u64);
    assert!(body[24..].starts_with(b"https://aomedia.org/emsg/ID3\0\0ID3\x04"));
    assert!(body.ends_with(b"\x03\x00hi"));
    // Then version 0 with the scheme the IVS Player reads: its time counts from the fragment's
    // earliest presentation time (the keyframe's, 66 ms).
    let second = &part[emsg_len..];
    let v0_len = u32::from_be_bytes(second[..4].try_into().unwrap()) as usize;
    assert_eq!(&second[4..8], b"emsg");
    assert_eq!(&second[v0_len + 4..v0_len + 8], b"moof");
    let v0 = &second[8..v0_len];
    assert_eq!(v0[0], 0);
    let strings = b"urn:twitch:id3\0\0";
    assert!(v0[4..].starts_with(strings));
    let at = 4 + strings.len();
    let field = |i: usize| u32::from_be_bytes(v0[at + 4 * i..at + 4 * i + 4].try_into().unwrap());
    assert_eq!((field(0), field(1), field(3)), (90_000, (ticks90(100) - ticks90(66)) as u32, 1));
    assert!(v0.ends_with(b"\x03\x00hi"));
}

#[test]
fn the_window_is_bounded_and_shares_its_bytes() {
    let cfg = SegmenterConfig { window: 3, ..SegmenterConfig::LOW };
    let mut s = Segmenter::new(cfg);
    s.push(video_config());
    let segs = feed(&mut s, 30 * 20, 60);
    assert_eq!(segs.len(), 9);
    let kept: Vec<u64> = s.segments().iter().map(|s| s.seq).collect();
    assert_eq!(kept, [6, 7, 8]);
    // The window and what push returned are the same bytes, not copies.
    assert_eq!(s.segments()[2].data.as_ptr(), segs[8].data.as_ptr());
    // Audio frames without an audio configuration are not written.
    assert!(s.rejected() > 0);
}

/// An encoder that goes on sending audio after its video stopped must not produce segments of audio
/// alone in a stream with video (the IVS Player's decoder fails on them): that audio is left out.
#[test]
fn audio_after_the_video_stopped_makes_no_audio_only_segments() {
    for container in [Container::Ts, Container::Fmp4] {
        let mut s = Segmenter::new(SegmenterConfig::LOW.with_container(container));
        s.push(video_config());
        s.push(audio_config());
        let mut segs = feed(&mut s, 30 * 5, 30);
        // 30 s of audio alone: past any segment limit.
        for i in 0..1400 {
            segs.extend(s.push(audio(5000 + i * 21)));
        }
        segs.extend(s.finish());
        assert!(segs.len() >= 2, "{container:?}: {} segments", segs.len());
        assert!(segs.iter().all(|g| g.video_frames > 0), "{container:?}: a segment without video");
        let last = segs.last().unwrap();
        assert!(last.start_ms + last.duration_ms < 7000, "{container:?}: {last:?} runs on with audio alone");
        // The video coming back starts a new segment at its keyframe, with its audio.
        for i in 0..90 {
            let dts = 40_000 + i * 1000 / 30;
            segs.extend(s.push(video(dts, i % 30 == 0)));
            segs.extend(s.push(audio(dts)));
        }
        assert!(segs.iter().any(|g| g.start_ms == 40_000 && g.video_frames > 0), "{container:?}");
    }
}

#[test]
fn audio_only_streams_cut_at_any_frame() {
    let mut s = Segmenter::new(SegmenterConfig::LOW);
    s.push(audio_config());
    let segs: Vec<Segment> = (0..200).filter_map(|i| s.push(audio(i * 21))).collect();
    assert_eq!(segs.len(), 2);
    assert!(segs.iter().all(|s| s.duration_ms >= 2000 && s.duration_ms < 2030 && s.video_frames == 0));
}

#[test]
fn a_stream_without_keyframes_still_gets_bounded_segments() {
    let cfg = SegmenterConfig { max_segment_ms: 3000, ..SegmenterConfig::LOW };
    let mut s = Segmenter::new(cfg);
    s.push(video_config());
    let segs = feed(&mut s, 30 * 10, 100_000);
    assert_eq!(segs.len(), 3);
    assert!(segs[0].independent && !segs[1].independent);
    assert!(segs.iter().all(|s| s.duration_ms == 3000));
    assert_eq!(s.longest_segment_ms(), 3000);
}

#[test]
fn malformed_frames_are_counted_not_fatal() {
    let mut s = Segmenter::new(SegmenterConfig::LOW);
    s.push(video_config());
    let bad =
        Frame { track: Track::Video, pts: 0, dts: 0, keyframe: true, data: Bytes::from_static(&[0, 0, 9]) };
    assert!(s.push(MediaItem::Frame(bad)).is_none());
    assert_eq!(s.rejected(), 1);
    let segs = feed(&mut s, 30 * 5, 30);
    assert_eq!(segs.len(), 2);
}

#[test]
fn audio_timestamps_follow_the_sample_count_through_millisecond_jitter() {
    let mut clock = AudioClock::default();
    // 48 kHz AAC: 1920 ticks a frame, though the stream says 0, 21, 43, 64 ms.
    // A repeated time (43 twice) does not repeat a timestamp either.
    let got: Vec<u64> = [0, 21, 43, 43, 85].iter().map(|ms| clock.next(*ms, 48_000)).collect();
    let base = ts90(0);
    assert_eq!(got, [base, base + 1920, base + 3840, base + 5760, base + 7680]);
    // A jump (a gap in the stream) resynchronizes to the stream's time.
    assert_eq!(clock.next(1000, 48_000), ts90(1000));
    assert_eq!(clock.next(1021, 48_000), ts90(1000) + 1920);
    assert_eq!(clock.next(1100, 48_000), ts90(1100), "75 ms ahead of the count resynchronizes");
    // Times that fall behind (repeated by the RTMP reader) never take the clock back.
    let behind: Vec<u64> =
        [1100, 1100, 1100, 1100, 1100, 1121].iter().map(|ms| clock.next(*ms, 48_000)).collect();
    assert!(behind.windows(2).all(|w| w[1] == w[0] + 1920), "{behind:?}");
    assert_eq!(clock.next(-5000, 48_000), ts90(-5000), "far behind (a new clock) resynchronizes");
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    fn item() -> impl Strategy<Value = MediaItem> {
        prop_oneof![
            1 => Just(video_config()),
            1 => Just(audio_config()),
            1 => (-100_000i64..100_000).prop_map(|t| metadata(t, "m")),
            1 => proptest::collection::vec(any::<u8>(), 0..8).prop_map(|r| MediaItem::AudioConfig(Arc::new(AudioConfig {
                codec: "mp4a.40.2".into(),
                sample_rate: 0,
                channels: 0,
                record: Bytes::from(r),
            }))),
            20 => (any::<bool>(), any::<bool>(), -100_000i64..100_000, proptest::collection::vec(any::<u8>(), 0..64))
                .prop_map(|(v, k, t, d)| MediaItem::Frame(Frame {
                    track: if v { Track::Video } else { Track::Audio },
                    pts: t,
                    dts: t,
                    keyframe: k,
                    data: Bytes::from(d),
                })),
        ]
    }

    proptest! {
        #[test]
        fn arbitrary_items_never_panic_and_the_window_stays_bounded(
            items in proptest::collection::vec(item(), 0..300),
            fmp4 in any::<bool>(),
            low in any::<bool>(),
        ) {
            let base = if low { SegmenterConfig::LOW } else { SegmenterConfig::NORMAL };
            let container = if fmp4 { Container::Fmp4 } else { Container::Ts };
            let cfg = SegmenterConfig { window: 4, target_ms: 500, ..base }.with_container(container);
            let mut s = Segmenter::new(cfg);
            for i in items {
                if let Some(seg) = s.push(i) {
                    if !fmp4 {
                        prop_assert_eq!(seg.data.len() % PACKET, 0);
                    }
                    prop_assert!(seg.duration_ms >= 1);
                    if !seg.parts.is_empty() {
                        let joined: Vec<u8> = seg.parts.iter().flat_map(|p| p.data.iter().copied()).collect();
                        prop_assert_eq!(&joined[..], &seg.data[..]);
                    }
                }
            }
            s.finish();
            prop_assert!(s.segments().len() <= 4);
        }
    }
}
