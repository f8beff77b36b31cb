//! Tests of the transport stream writer: packet structure, tables, PES timestamps, Annex B, ADTS.

use super::*;
use proptest::prelude::*;

fn record() -> Bytes {
    // version, profile High, compat, level 3.1, 4-byte lengths, 1 SPS, 1 PPS.
    Bytes::from_static(&[1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 3, 0x67, 0x64, 0x1f, 1, 0, 2, 0x68, 0xee])
}

fn packets(ts: &[u8]) -> Vec<&[u8]> {
    assert_eq!(ts.len() % PACKET, 0);
    ts.chunks(PACKET).inspect(|p| assert_eq!(p[0], 0x47)).collect()
}

fn pid(p: &[u8]) -> u16 {
    (u16::from(p[1] & 0x1f) << 8) | u16::from(p[2])
}

/// The payload of a packet (after any adaptation field).
fn payload(p: &[u8]) -> &[u8] {
    if p[3] & 0x20 != 0 { &p[5 + usize::from(p[4])..] } else { &p[4..] }
}

fn read_ts(b: &[u8]) -> u64 {
    (u64::from(b[0] >> 1) & 7) << 30
        | u64::from(u16::from_be_bytes([b[1], b[2]]) >> 1) << 15
        | u64::from(u16::from_be_bytes([b[3], b[4]]) >> 1)
}

#[test]
fn crc_matches_the_mpeg2_check_value() {
    assert_eq!(crc32(b"123456789"), 0x0376_e6e7);
}

#[test]
fn tables_name_both_streams_with_valid_crcs() {
    let mut m = TsMuxer::new(true, true);
    let mut out = Vec::new();
    m.write_tables(&mut out);
    let ps = packets(&out);
    assert_eq!((ps.len(), pid(ps[0]), pid(ps[1])), (2, 0, PMT_PID));
    for p in &ps {
        let s = &payload(p)[1..];
        let len = usize::from(u16::from_be_bytes([s[1], s[2]]) & 0x0fff);
        assert_eq!(crc32(&s[..3 + len]), 0, "a section with its CRC checks to 0");
    }
    let pmt = &payload(ps[1])[1..];
    assert_eq!(&pmt[12..17], &[0x1b, 0xe1, 0x00, 0xf0, 0x00]);
    assert_eq!(&pmt[17..22], &[0x0f, 0xe1, 0x01, 0xf0, 0x00]);
}

#[test]
fn timed_metadata_is_an_id3_stream_announced_as_apple_specifies() {
    let mut m = TsMuxer::new(true, true).with_id3();
    let mut out = Vec::new();
    m.write_tables(&mut out);
    let ps = packets(&out);
    let pmt = &payload(ps[1])[1..];
    let len = usize::from(u16::from_be_bytes([pmt[1], pmt[2]]) & 0x0fff);
    assert_eq!(crc32(&pmt[..3 + len]), 0);
    // program_info: the metadata_pointer_descriptor.
    assert_eq!(&pmt[10..12], &[0xf0, 17]);
    assert_eq!(&pmt[12..29], b"\x25\x0f\xff\xffID3 \xffID3 \x00\x1f\x00\x01");
    // Video, audio, then the ID3 stream (type 0x15) with its metadata_descriptor.
    assert_eq!(&pmt[29..34], &[0x1b, 0xe1, 0x00, 0xf0, 0x00]);
    assert_eq!(&pmt[39..44], &[0x15, 0xe1, 0x02, 0xf0, 15]);
    assert_eq!(&pmt[44..59], b"\x26\x0d\xff\xffID3 \xffID3 \x00\x0f");
    // The tag: a PES of private_stream_1 with the data alignment indicator and a PTS.
    let mut pes = Vec::new();
    m.write_id3(&mut pes, b"ID3-tag-bytes", 900_000);
    let ps = packets(&pes);
    assert_eq!((ps.len(), pid(ps[0])), (1, ID3_PID));
    let p = payload(ps[0]);
    assert_eq!(&p[..4], &[0, 0, 1, 0xbd]);
    assert_eq!((p[6], p[7], p[8]), (0x84, 0x80, 5));
    assert_eq!(read_ts(&p[9..14]), 900_000);
    assert_eq!(&p[14..], b"ID3-tag-bytes");
    // Without the stream, no tag is written.
    let mut none = Vec::new();
    TsMuxer::new(true, true).write_id3(&mut none, b"x", 0);
    assert!(none.is_empty());
}

#[test]
fn video_access_units_are_annex_b_with_parameter_sets_before_keyframes() {
    let params = AvcParams::parse(&record()).unwrap();
    assert_eq!((params.length_size, params.sps.len(), params.pps.len()), (4, 1, 1));
    let idr = [0, 0, 0, 3, 0x65, 0x88, 0x84];
    let key = annex_b(&params, &idr, true).unwrap();
    assert_eq!(
        key,
        [
            0, 0, 0, 1, 9, 0xf0, 0, 0, 0, 1, 0x67, 0x64, 0x1f, 0, 0, 0, 1, 0x68, 0xee, 0, 0, 0, 1, 0x65,
            0x88, 0x84
        ]
    );
    let p = [0, 0, 0, 2, 0x41, 0x9a, 0, 0, 0, 2, 0x09, 0x10];
    assert_eq!(
        annex_b(&params, &p, false).unwrap(),
        [0, 0, 0, 1, 9, 0xf0, 0, 0, 0, 1, 0x41, 0x9a],
        "input AUDs go"
    );
    assert_eq!(annex_b(&params, &[0, 0, 0, 9, 0x65], true), Err(TsError::BadAvcFrame));
    assert_eq!(AvcParams::parse(&Bytes::from_static(&[1, 2, 3])), Err(TsError::BadAvcRecord));
}

#[test]
fn pes_packets_carry_timestamps_pcr_and_continuity() {
    let params = AvcParams::parse(&record()).unwrap();
    let mut m = TsMuxer::new(true, true);
    let mut out = Vec::new();
    let big = {
        let mut f = vec![0, 0, 0x03, 0xe8, 0x65];
        f.resize(4 + 1000, 0xab);
        f
    };
    m.write_video(&mut out, &params, &big, 190_000, 180_000, true).unwrap();
    m.write_video(&mut out, &params, &big, 193_000, 183_000, false).unwrap();
    let ps = packets(&out);
    assert!(ps.iter().all(|p| pid(p) == VIDEO_PID));
    let ccs: Vec<u8> = ps.iter().map(|p| p[3] & 0x0f).collect();
    assert!(ccs.windows(2).all(|w| w[1] == (w[0] + 1) & 0x0f), "{ccs:?}");
    let first = ps[0];
    assert_eq!(first[1] & 0x40, 0x40, "payload unit start");
    assert_eq!(first[5] & 0x50, 0x50, "random access and PCR flags");
    let pcr = (u64::from(first[6]) << 25)
        | (u64::from(first[7]) << 17)
        | (u64::from(first[8]) << 9)
        | (u64::from(first[9]) << 1)
        | u64::from(first[10] >> 7);
    assert_eq!(pcr, 180_000 - 9_000);
    let pes = payload(first);
    assert_eq!(&pes[..4], &[0, 0, 1, 0xe0]);
    assert_eq!(pes[7], 0xc0);
    assert_eq!((read_ts(&pes[9..14]), read_ts(&pes[14..19])), (190_000, 180_000));
    let audio = AdtsParams::parse(&[0x11, 0x90]).unwrap();
    let mut out = Vec::new();
    m.write_audio(&mut out, &audio, &[1, 2, 3], (1 << 33) + 5).unwrap();
    let pes = payload(packets(&out)[0]);
    assert_eq!((pes[3], pes[7], read_ts(&pes[9..14])), (0xc0, 0x80, 5), "PTS wraps at 33 bits");
    assert_eq!(u16::from_be_bytes([pes[4], pes[5]]), 3 + 5 + 7 + 3);
    assert_eq!(&pes[14..16], &[0xff, 0xf1]);
}

#[test]
fn adts_headers() {
    // AAC-LC, 48 kHz (index 3), stereo.
    let p = AdtsParams::parse(&[0x11, 0x90]).unwrap();
    assert_eq!(p, AdtsParams { profile: 1, rate_index: 3, channels: 2 });
    assert_eq!(p.header(100).unwrap(), [0xff, 0xf1, 0x4c, 0x80, 0x0d, 0x7f, 0xfc]);
    assert_eq!(p.header(9000), Err(TsError::AacTooLarge));
    assert_eq!(AdtsParams::parse(&[0x2b, 0x92, 0x08, 0x00]).unwrap().profile, 1, "HE-AAC as its LC core");
    assert!(AdtsParams::parse(&[0x17, 0x80]).is_err());
    assert!(AdtsParams::parse(&[0x12]).is_err());
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics_and_packets_stay_whole(
        frame in proptest::collection::vec(any::<u8>(), 0..2000),
        record in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let _ = AvcParams::parse(&Bytes::from(record.clone()));
        let _ = AdtsParams::parse(&record);
        let params = AvcParams::parse(&self::record()).unwrap();
        let mut m = TsMuxer::new(true, false);
        let mut out = Vec::new();
        let _ = m.write_video(&mut out, &params, &frame, 0, 0, true);
        let adts = AdtsParams { profile: 1, rate_index: 3, channels: 2 };
        let _ = m.write_audio(&mut out, &adts, &frame, 0);
        prop_assert_eq!(out.len() % PACKET, 0);
    }
}

#[test]
fn the_recording_layout_lists_audio_first_and_keeps_pcr_on_video() {
    let mut m = TsMuxer::new(true, true).with_id3().with_layout(Layout::IVS_RECORDING);
    let mut out = Vec::new();
    m.write_tables(&mut out);
    let ps = packets(&out);
    let pmt = &payload(ps[1])[1..];
    // PCR PID 0x101 (video), then audio 0x100, video 0x101, ID3 0x102 after the 17-byte program info.
    assert_eq!(&pmt[8..10], &[0xe1, 0x01]);
    assert_eq!(&pmt[29..34], &[0x0f, 0xe1, 0x00, 0xf0, 0x00]);
    assert_eq!(&pmt[34..39], &[0x1b, 0xe1, 0x01, 0xf0, 0x00]);
    assert_eq!(&pmt[39..42], &[0x15, 0xe1, 0x02]);
    let params = AvcParams::parse(&record()).unwrap();
    let mut v = Vec::new();
    m.write_video(&mut v, &params, &[0, 0, 0, 2, 0x65, 0x88], 9000, 9000, true).unwrap();
    let first = packets(&v)[0];
    assert_eq!((pid(first), first[5] & 0x10), (0x101, 0x10), "video carries the PCR");
    // Changing the tracks keeps the counters running.
    m.set_tracks(false, true);
    let mut again = Vec::new();
    m.write_tables(&mut again);
    assert_eq!(packets(&again)[0][3] & 0x0f, 1);
}
