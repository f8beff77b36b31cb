//! Tests of the transport stream demuxer: what our own TS writer (and so any conforming muxer)
//! writes comes back as the hub's items, in any chunking; losses, wrap-around, discontinuities and
//! bad tables are handled; no input panics.

use super::*;
use crate::ts::{AdtsParams, AvcParams, TsMuxer};
use proptest::prelude::*;

/// AAC-LC, 48 kHz, stereo.
const ASC: [u8; 2] = [0x11, 0x90];

fn avc_record_bytes() -> Bytes {
    Bytes::copy_from_slice(&crate::flv::tests::AVC_SEQ[5..])
}

/// A frame of `n` bytes in AVCC form: one NAL unit, IDR (type 5) or not (type 1).
fn avcc(keyframe: bool, n: usize) -> Vec<u8> {
    let mut f = (n as u32 + 1).to_be_bytes().to_vec();
    f.push(if keyframe { 0x65 } else { 0x41 });
    f.extend((0..n).map(|i| (i % 200) as u8 + 1));
    f
}

/// A stream: tables, then per 90 kHz start time `t0`, `frames` video frames at 30 fps (a keyframe
/// every `gop`) each followed by an AAC frame.
pub(crate) fn stream(t0: u64, frames: usize, gop: usize) -> Vec<u8> {
    let mut m = TsMuxer::new(true, true);
    let params = AvcParams::parse(&avc_record_bytes()).unwrap();
    let adts = AdtsParams::parse(&ASC).unwrap();
    let mut out = Vec::new();
    m.write_tables(&mut out);
    for i in 0..frames {
        let t = (t0 + i as u64 * 3000) & TS_MASK;
        m.write_video(&mut out, &params, &avcc(i % gop == 0, 500 + i), (t + 6000) & TS_MASK, t, i % gop == 0)
            .unwrap();
        m.write_audio(&mut out, &adts, &[0x21; 100], t).unwrap();
        if i % 10 == 9 {
            m.write_tables(&mut out);
        }
    }
    out
}

fn demux_in_chunks(data: &[u8], chunk: usize) -> (Vec<MediaItem>, DemuxStats) {
    let mut d = Demuxer::new();
    let mut out = Vec::new();
    for c in data.chunks(chunk) {
        d.push(c, &mut out);
    }
    d.flush(&mut out);
    (out, d.stats())
}

fn frames(items: &[MediaItem], track: Track) -> Vec<&Frame> {
    items
        .iter()
        .filter_map(|i| match i {
            MediaItem::Frame(f) if f.track == track => Some(f),
            _ => None,
        })
        .collect()
}

#[test]
fn what_the_writer_writes_comes_back_in_any_chunking() {
    let data = stream(900_000, 30, 15);
    let (reference, stats) = demux_in_chunks(&data, 1316);
    assert_eq!(stats, DemuxStats::default());
    let configs: Vec<_> = reference
        .iter()
        .filter_map(|i| match i {
            MediaItem::VideoConfig(c) => Some(format!("{} {}x{}", c.codec, c.width, c.height)),
            MediaItem::AudioConfig(c) => Some(format!("{} {} {}", c.codec, c.sample_rate, c.channels)),
            _ => None,
        })
        .collect();
    assert_eq!(configs, ["avc1.64001E 640x360", "mp4a.40.2 48000 2"]);
    assert!(
        matches!(reference[..2], [MediaItem::VideoConfig(_), MediaItem::AudioConfig(_)]),
        "both configurations before the first frame, as RTMP encoders send them"
    );
    let video = frames(&reference, Track::Video);
    assert_eq!(video.len(), 30);
    for (i, f) in video.iter().enumerate() {
        assert_eq!(f.keyframe, i % 15 == 0, "frame {i}");
        // The first time seen (the first video PTS) is 1 s; frames are 33.3 ms apart, PTS 66.7 ms after DTS.
        assert_eq!(f.pts, 1000 + (i as i64 * 100) / 3, "frame {i}");
        assert!((66..=67).contains(&(f.pts - f.dts)), "frame {i}");
        assert_eq!(&f.data[..], &avcc(i % 15 == 0, 500 + i)[..], "AVCC as written, without SPS/PPS/AUD");
    }
    let audio = frames(&reference, Track::Audio);
    assert_eq!(audio.len(), 30);
    assert!(audio.iter().all(|f| f.data[..] == [0x21; 100]));
    for chunk in [1, 7, 188, 189, 1000, 4096] {
        let (items, _) = demux_in_chunks(&data, chunk);
        assert_eq!(format!("{items:?}"), format!("{reference:?}"), "chunks of {chunk}");
    }
}

#[test]
fn times_continue_across_the_33_bit_wrap() {
    // Starts 0.5 s before the wrap: frames after it must still be 33 ms apart.
    let data = stream(TS_MASK + 1 - 45_000, 30, 15);
    let (items, stats) = demux_in_chunks(&data, 1316);
    assert_eq!(stats.discontinuities, 0);
    let video = frames(&items, Track::Video);
    assert_eq!(video.len(), 30);
    for w in video.windows(2) {
        assert!((33..=34).contains(&(w[1].dts - w[0].dts)), "{} then {}", w[0].dts, w[1].dts);
    }
}

#[test]
fn a_jump_in_time_continues_the_timeline() {
    let mut data = stream(900_000, 15, 15);
    // The encoder restarts with times an hour later (and new continuity counters).
    data.extend(stream(900_000 + 3600 * 90_000, 15, 15));
    let (items, stats) = demux_in_chunks(&data, 1316);
    assert!(stats.discontinuities >= 1);
    let video = frames(&items, Track::Video);
    assert_eq!(video.len(), 30);
    for w in video.windows(2) {
        assert!((0..=100).contains(&(w[1].dts - w[0].dts)), "{} then {}", w[0].dts, w[1].dts);
    }
}

/// The TS packets of `data` on `pid`, by index.
fn packet_indexes(data: &[u8], pid: u16) -> Vec<usize> {
    data.chunks(PACKET)
        .enumerate()
        .filter(|(_, p)| (u16::from(p[1] & 0x1f) << 8 | u16::from(p[2])) == pid)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn a_lost_video_packet_drops_its_frame_and_video_resumes_at_the_next_keyframe() {
    let data = stream(900_000, 30, 15);
    let video_packets = packet_indexes(&data, crate::ts::VIDEO_PID);
    // Lose the second packet of the first keyframe (its PES spans several packets).
    let lost = video_packets[1];
    let damaged: Vec<u8> = data
        .chunks(PACKET)
        .enumerate()
        .filter(|(i, _)| *i != lost)
        .flat_map(|(_, p)| p.iter().copied())
        .collect();
    let (items, stats) = demux_in_chunks(&damaged, 1316);
    assert_eq!((stats.lost_packets, stats.dropped_pes), (1, 1));
    let video = frames(&items, Track::Video);
    // Frames 1..15 depend on the lost keyframe: skipped until frame 15, the next keyframe.
    assert_eq!(stats.skipped_frames, 14);
    assert_eq!(video.len(), 15);
    assert!(video[0].keyframe);
    assert_eq!(&video[0].data[..], &avcc(true, 515)[..], "frame 15");
    assert_eq!(frames(&items, Track::Audio).len(), 30, "audio is unaffected");
}

#[test]
fn a_table_with_a_bad_crc_is_ignored_until_a_good_one_comes() {
    let mut data = stream(900_000, 20, 10);
    // Corrupt the first PAT's CRC: nothing is known until the tables repeat (after frame 10).
    let first_pat = packet_indexes(&data, 0)[0] * PACKET;
    let pat = &mut data[first_pat..][..PACKET];
    let section = if pat[3] & 0x20 != 0 { 5 + usize::from(pat[4]) } else { 4 } + 1;
    pat[section + 12] ^= 0xff;
    let (items, stats) = demux_in_chunks(&data, 1316);
    assert_eq!(stats.bad_tables, 1);
    let video = frames(&items, Track::Video);
    assert_eq!(video.len(), 10);
    assert_eq!(video[0].pts, 1000, "the timeline starts at the first frame read");
}

#[test]
fn garbage_between_packets_is_skipped() {
    let data = stream(900_000, 10, 10);
    let mut noisy = b"\x00\x01garbage".to_vec();
    for p in data.chunks(PACKET) {
        noisy.extend_from_slice(p);
        noisy.extend_from_slice(b"\xff\x00");
    }
    let (items, stats) = demux_in_chunks(&noisy, 1316);
    assert!(stats.resync_bytes > 0);
    assert_eq!(frames(&items, Track::Video).len(), 10);
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4000), chunk in 1usize..2000) {
        let _ = demux_in_chunks(&data, chunk);
    }

    #[test]
    fn damaged_streams_never_panic(flips in proptest::collection::vec((0usize..60_000, any::<u8>()), 1..40)) {
        let mut data = stream(TS_MASK - 90_000, 20, 10);
        let len = data.len();
        for (at, value) in flips {
            data[at % len] = value;
        }
        let (items, _) = demux_in_chunks(&data, 1316);
        for f in frames(&items, Track::Video) {
            prop_assert!(f.pts >= f.dts);
        }
    }
}
