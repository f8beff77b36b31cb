//! Tests of the recording writer: 10 s segments of one-GOP ranges, the PID layout and tables of a real
//! IVS recording, dates, discontinuities, timed metadata, audio-only streams, limits and bad input.

use super::*;
use crate::frame::{AudioConfig, Frame, MediaItem, TimedMetadata, Track, VideoConfig};
use crate::ts::PACKET;
use proptest::prelude::*;
use std::sync::Arc;

/// 2023-02-09T22:55:41.550Z, the sample recording's first PDT.
pub(super) const WALL0: i64 = 1_675_983_341_550;

/// Where the sample recording is in the shared specification folder, if this checkout has it.
pub(super) fn sample_path(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/ivs-recording-sample/2/9/22/55/Pd8MyZnzUAFl/media/hls")
        .join(rel)
}

fn video_config(codec: &str, frame_rate: Option<f64>) -> MediaItem {
    MediaItem::VideoConfig(Arc::new(VideoConfig {
        codec: codec.into(),
        profile: "Main".into(),
        level: "3.1".into(),
        width: 1280,
        height: 720,
        frame_rate,
        record: Bytes::copy_from_slice(&crate::flv::tests::AVC_SEQ[5..]),
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
    let mut data = 301u32.to_be_bytes().to_vec();
    data.push(if keyframe { 0x65 } else { 0x41 });
    data.extend((0..300).map(|i| (i % 200) as u8 + 1));
    MediaItem::Frame(Frame { track: Track::Video, pts: dts + 66, dts, keyframe, data: Bytes::from(data) })
}

fn audio(pts: i64) -> MediaItem {
    MediaItem::Frame(Frame {
        track: Track::Audio,
        pts,
        dts: pts,
        keyframe: true,
        data: Bytes::from_static(&[0x21; 40]),
    })
}

/// `ms` of 30 fps video (a keyframe every `gop` frames) from publisher time `t0`, with AAC frames
/// interleaved in time order, arriving on the wall clock from `wall0`.
fn feed(w: &mut RecordingWriter, t0: i64, ms: i64, gop: i64, wall0: i64) -> Vec<RecordedSegment> {
    let mut out = Vec::new();
    let mut audio_n = 0i64;
    for i in 0..ms * 30 / 1000 {
        let dts = t0 + i * 1000 / 30;
        while t0 + audio_n * 1024 * 1000 / 48000 <= dts {
            let pts = t0 + audio_n * 1024 * 1000 / 48000;
            out.extend(w.push(audio(pts), wall0 + pts - t0));
            audio_n += 1;
        }
        out.extend(w.push(video(dts, i % gop == 0), wall0 + dts - t0));
    }
    out
}

fn pid(p: &[u8]) -> u16 {
    (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2])
}

/// The payload of a packet (after any adaptation field).
fn payload(p: &[u8]) -> &[u8] {
    if p[3] & 0x20 != 0 { &p[5 + usize::from(p[4])..] } else { &p[4..] }
}

/// A PMT's stream: type, PID, descriptors.
type Stream = (u8, u16, Vec<u8>);

/// The PMT of a segment (its second packet): PCR PID, program info, streams.
fn pmt(data: &[u8]) -> (u16, Vec<u8>, Vec<Stream>) {
    let p = &data[PACKET..2 * PACKET];
    assert_eq!(pid(p), 0x1000);
    let s = &payload(p)[1..];
    let len = usize::from(u16::from_be_bytes([s[1], s[2]]) & 0x0fff);
    assert_eq!(crate::ts::crc32(&s[..3 + len]), 0);
    let pcr = u16::from_be_bytes([s[8], s[9]]) & 0x1fff;
    let info_len = usize::from(u16::from_be_bytes([s[10], s[11]]) & 0x0fff);
    let info = s[12..12 + info_len].to_vec();
    let mut streams = Vec::new();
    let mut pos = 12 + info_len;
    while pos < 3 + len - 4 {
        let es_len = usize::from(u16::from_be_bytes([s[pos + 3], s[pos + 4]]) & 0x0fff);
        let epid = u16::from_be_bytes([s[pos + 1], s[pos + 2]]) & 0x1fff;
        streams.push((s[pos], epid, s[pos + 5..pos + 5 + es_len].to_vec()));
        pos += 5 + es_len;
    }
    (pcr, info, streams)
}

fn recorded(frame_rate: Option<f64>) -> (RecordingWriter, Vec<RecordedSegment>) {
    let mut w = RecordingWriter::new();
    assert!(w.rendition().is_none());
    w.push(video_config("avc1.4d401f", frame_rate), WALL0);
    w.push(audio_config(), WALL0);
    let mut segs = feed(&mut w, 0, 25_000, 30, WALL0);
    segs.extend(w.finish());
    (w, segs)
}

#[test]
fn ten_second_segments_of_one_second_ranges() {
    let (w, segs) = recorded(Some(29.97));
    assert_eq!(segs.iter().map(|s| s.index).collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!((segs[0].duration_ms, segs[1].duration_ms), (10_000, 10_000));
    assert!((4998..=5001).contains(&segs[2].duration_ms), "{}", segs[2].duration_ms);
    let total: i64 = segs.iter().map(|s| s.duration_ms).sum();
    // The stream's last frame is at 24 966 ms and lasts one frame interval.
    assert!((24_998..=25_000).contains(&total), "{total}");
    assert_eq!(segs[0].pdt_ms, WALL0);
    let mut pat_count = 0u8;
    for (n, seg) in segs.iter().enumerate() {
        assert!(!seg.discontinuity);
        let d = &seg.data;
        assert_eq!(d.len() % PACKET, 0);
        assert!(d.chunks(PACKET).all(|p| p[0] == 0x47));
        if let Some(next) = segs.get(n + 1) {
            assert_eq!(next.pdt_ms, seg.pdt_ms + seg.duration_ms);
        }
        // Ranges: one per GOP, back to back over the whole file, dated and timed consistently.
        assert_eq!(seg.ranges.len(), if n < 2 { 10 } else { 5 });
        assert_eq!(seg.ranges[0].offset, 0);
        assert_eq!(seg.ranges.iter().map(|r| r.len).sum::<u64>(), d.len() as u64);
        assert_eq!(seg.ranges.iter().map(|r| r.duration_ms).sum::<i64>(), seg.duration_ms);
        assert_eq!(seg.ranges[0].pdt_ms, seg.pdt_ms);
        for pair in seg.ranges.windows(2) {
            assert_eq!(pair[1].offset, pair[0].offset + pair[0].len);
            assert_eq!(pair[1].pdt_ms, pair[0].pdt_ms + pair[0].duration_ms);
            assert_eq!(pair[0].duration_ms, 1000);
        }
        for r in &seg.ranges {
            // PAT (continuity counters running on across ranges and segments), PMT, the ID3 tag.
            let at = &d[r.offset as usize..];
            assert_eq!(r.offset % PACKET as u64, 0);
            assert_eq!((pid(at), at[3] & 0x0f), (0, pat_count % 16));
            assert_eq!((pid(&at[PACKET..]), pid(&at[2 * PACKET..])), (0x1000, 0x102));
            pat_count = pat_count.wrapping_add(1);
        }
        let (pcr, info, streams) = pmt(d);
        assert_eq!((pcr, info.first()), (0x101, Some(&0x25)));
        let layout: Vec<(u8, u16)> = streams.iter().map(|s| (s.0, s.1)).collect();
        assert_eq!(layout, [(0x0f, 0x100), (0x1b, 0x101), (0x15, 0x102)]);
    }
    let r = w.rendition().unwrap();
    assert_eq!((r.name.as_str(), r.width, r.height), ("720p30", Some(1280), Some(720)));
    assert_eq!(r.codecs, "avc1.4D401F,mp4a.40.2");
    let peak = segs.iter().map(|s| s.data.len() as u64 * 8000 / s.duration_ms as u64).max().unwrap();
    assert_eq!(r.bandwidth, peak);
    assert_eq!(w.rejected(), 0);
}

#[test]
fn range_tags_number_the_ranges_and_carry_the_wall_clock() {
    let (_, segs) = recorded(None);
    // The second segment's first range is the recording's eleventh (TRCK 10), 10 s after the start.
    let tag = crate::id3::text_tag(&[("TRCK", "10"), ("TDTG", "2023-02-09T22:55:51")]);
    let d = &segs[1].data;
    assert_eq!(&payload(&d[2 * PACKET..3 * PACKET])[14..14 + tag.len()], &tag[..]);
}

#[test]
fn the_segments_play_back_as_the_frames_that_went_in() {
    let (_, segs) = recorded(None);
    let mut demuxer = crate::mpegts::Demuxer::new();
    let mut items = Vec::new();
    for s in &segs {
        demuxer.push(&s.data, &mut items);
    }
    demuxer.flush(&mut items);
    let count = |track| items.iter().filter(|i| matches!(i, MediaItem::Frame(f) if f.track == track)).count();
    assert_eq!(count(Track::Video), 750);
    assert!(count(Track::Audio) >= 1170, "{}", count(Track::Audio));
}

#[test]
fn tables_match_the_sample_recording() {
    let Ok(sample) = std::fs::read(sample_path("160p30/0.ts")) else {
        eprintln!("sample recording not present; skipped");
        return;
    };
    let (_, segs) = recorded(None);
    let ours = &segs[0].data;
    assert_eq!(pmt(&sample), pmt(ours));
    // PAT and PMT are the same bytes, continuity counters included; then the ID3 tag's PES.
    assert_eq!(&sample[..2 * PACKET], &ours[..2 * PACKET]);
    assert_eq!((pid(&sample[2 * PACKET..])), pid(&ours[2 * PACKET..]));
    assert_eq!(&payload(&sample[2 * PACKET..])[..4], &payload(&ours[2 * PACKET..])[..4]);
}

#[test]
fn a_discontinuity_continues_the_numbering_and_redates() {
    let mut w = RecordingWriter::new();
    assert!(w.discontinuity().is_none(), "nothing to close before anything was recorded");
    w.push(video_config("avc1.4d401f", None), WALL0);
    w.push(audio_config(), WALL0);
    let mut segs = feed(&mut w, 0, 12_000, 30, WALL0);
    segs.extend(w.discontinuity());
    // The publisher reconnects 20 s later; its timestamps start again.
    let wall = WALL0 + 32_000;
    w.push(video_config("avc1.4d401f", None), wall);
    w.push(audio_config(), wall);
    segs.extend(feed(&mut w, 0, 12_000, 30, wall));
    segs.extend(w.finish());
    assert_eq!(segs.iter().map(|s| s.index).collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(segs.iter().map(|s| s.discontinuity).collect::<Vec<_>>(), [false, false, true, false]);
    assert_eq!((segs[2].pdt_ms, segs[3].pdt_ms), (wall, wall + 10_000));
    let entries: Vec<playlist::Entry> = segs.iter().map(playlist::Entry::from).collect();
    let media = playlist::media(&entries, wall + 14_000);
    assert!(
        media.contains("1.ts\n#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:56:13.550Z\n")
    );
    let ranges = playlist::byte_range(&entries, true);
    assert_eq!(ranges.matches("#EXT-X-DISCONTINUITY\n").count(), 1);
    assert!(
        ranges.contains("1.ts\n#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:56:13.550Z\n")
    );
}

#[test]
fn timed_metadata_goes_into_the_open_segment() {
    let mut w = RecordingWriter::new();
    w.push(video_config("avc1.4d401f", None), WALL0);
    w.push(audio_config(), WALL0);
    // Before the first keyframe: kept for the first range.
    w.push(MediaItem::Metadata(TimedMetadata { pts: 0, payload: Bytes::from_static(b"early") }), WALL0);
    let mut segs = feed(&mut w, 0, 3000, 30, WALL0);
    w.push(MediaItem::Metadata(TimedMetadata { pts: 3000, payload: Bytes::from_static(b"hello") }), WALL0);
    segs.extend(feed(&mut w, 3000, 3000, 30, WALL0 + 3000));
    segs.extend(w.finish());
    assert_eq!(segs.len(), 1);
    let d = &segs[0].data;
    let find = |tag: &[u8]| d.windows(tag.len()).position(|x| x == tag);
    let early = find(&crate::id3::txxx_tag("", b"early")).expect("early metadata written");
    let hello = find(&crate::id3::txxx_tag("", b"hello")).expect("metadata written");
    // The early one follows the first range's own tag; both ride the ID3 PID.
    assert_eq!(early / PACKET, 3);
    assert_eq!(pid(&d[hello / PACKET * PACKET..]), 0x102);
    assert!(hello > segs[0].ranges[2].offset as usize);
}

#[test]
fn audio_only_streams_cut_at_audio_frames() {
    let mut w = RecordingWriter::new();
    w.push(audio_config(), WALL0);
    let mut segs = Vec::new();
    for n in 0..1200 {
        let pts = n * 1024 * 1000 / 48000;
        segs.extend(w.push(audio(pts), WALL0 + pts));
    }
    segs.extend(w.finish());
    assert_eq!(segs.len(), 3);
    assert!(segs[0].duration_ms >= 10_000 && segs[0].duration_ms < 10_030);
    let ranges = &segs[0].ranges;
    assert_eq!(ranges.len(), 10);
    assert!(ranges[..9].iter().all(|r| (1000..1030).contains(&r.duration_ms)));
    let (pcr, _, streams) = pmt(&segs[0].data);
    assert_eq!(pcr, 0x100);
    assert_eq!(streams.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(), [(0x0f, 0x100), (0x15, 0x102)]);
    let r = w.rendition().unwrap();
    assert_eq!((r.name.as_str(), r.width, r.codecs.as_str()), ("audio_only", None, "mp4a.40.2"));
}

#[test]
fn a_stream_without_keyframes_is_cut_at_the_limit() {
    let mut w = RecordingWriter::new();
    w.push(video_config("avc1.4d401f", Some(59.94)), WALL0);
    let segs = feed(&mut w, 0, 45_000, 100_000, WALL0);
    assert_eq!(segs.iter().map(|s| s.duration_ms).collect::<Vec<_>>(), [MAX_SEGMENT_MS, MAX_SEGMENT_MS]);
    assert_eq!(w.rendition().unwrap().name, "720p60");
}

#[test]
fn bad_and_unsupported_frames_are_counted_not_written() {
    let mut w = RecordingWriter::new();
    // Before any configuration.
    w.push(video(0, true), WALL0);
    w.push(video_config("hvc1.1.6.L93.B0", None), WALL0);
    w.push(video(0, true), WALL0);
    w.push(video_config("avc1.4d401f", None), WALL0);
    let truncated = Frame {
        track: Track::Video,
        pts: 0,
        dts: 0,
        keyframe: true,
        data: Bytes::from_static(&[0, 0, 9, 0, 0x65]),
    };
    w.push(MediaItem::Frame(truncated), WALL0);
    assert_eq!(w.rejected(), 3);
    assert!(w.finish().is_none());
    assert!(w.rendition().is_some());
}

proptest! {
    #[test]
    fn arbitrary_items_never_panic_and_ranges_stay_exact(
        items in proptest::collection::vec((0u8..6, any::<i64>(), any::<bool>(), 0usize..400), 0..300),
    ) {
        let mut w = RecordingWriter::new();
        let mut segs = Vec::new();
        for (kind, t, key, n) in items {
            let t = t % 100_000_000;
            let wall = WALL0.saturating_add(t);
            let item = match kind {
                0 => video_config("avc1.4d401f", None),
                1 => audio_config(),
                2 => MediaItem::Metadata(TimedMetadata { pts: t, payload: Bytes::from(vec![b'x'; n]) }),
                3 => audio(t),
                _ => {
                    let mut data = (n as u32).to_be_bytes().to_vec();
                    data.extend((0..n).map(|i| i as u8));
                    MediaItem::Frame(Frame { track: Track::Video, pts: t, dts: t, keyframe: key, data: Bytes::from(data) })
                }
            };
            segs.extend(w.push(item, wall));
            if kind == 5 && n == 7 {
                segs.extend(w.discontinuity());
            }
        }
        segs.extend(w.finish());
        for (i, s) in segs.iter().enumerate() {
            prop_assert_eq!(s.index, i as u64);
            prop_assert_eq!(s.data.len() % PACKET, 0);
            prop_assert_eq!(s.ranges.iter().map(|r| r.len).sum::<u64>(), s.data.len() as u64);
            prop_assert_eq!(s.ranges.iter().map(|r| r.duration_ms).sum::<i64>(), s.duration_ms);
        }
    }
}
