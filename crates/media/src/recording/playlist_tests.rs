//! The playlists against the real IVS recording's (ivs-recording-events.md §1.4): the same segments
//! give the same bytes.

use super::*;
use crate::recording::tests::{WALL0, sample_path};

/// The sample's `480p30/playlist.m3u8`, byte for byte.
const SAMPLE_MEDIA: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:12\n#ID3-EQUIV-TDTG:2023-02-09T22:58:35\n\
#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-TWITCH-ELAPSED-SECS:0.000\n#EXT-X-TWITCH-TOTAL-SECS:171.546\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:55:41.550Z\n#EXTINF:10.267,\n0.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:55:51.817Z\n#EXTINF:10.000,\n1.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:56:01.817Z\n#EXTINF:10.666,\n2.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:56:12.483Z\n#EXTINF:10.967,\n3.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:56:23.450Z\n#EXTINF:10.633,\n4.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:56:34.083Z\n#EXTINF:10.667,\n5.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:56:44.750Z\n#EXTINF:10.433,\n6.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:56:55.183Z\n#EXTINF:10.334,\n7.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:57:05.517Z\n#EXTINF:10.933,\n8.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:57:16.450Z\n#EXTINF:11.200,\n9.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:57:27.650Z\n#EXTINF:10.000,\n10.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:57:37.650Z\n#EXTINF:10.500,\n11.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:57:48.150Z\n#EXTINF:10.633,\n12.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:57:58.783Z\n#EXTINF:10.000,\n13.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:58:08.783Z\n#EXTINF:10.734,\n14.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:58:19.517Z\n#EXTINF:10.600,\n15.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:58:30.117Z\n#EXTINF:2.979,\n16.ts\n#EXT-X-ENDLIST\n";

/// The sample's `master.m3u8`, byte for byte (no final newline).
const SAMPLE_MASTER: &str = "#EXTM3U\n\
#EXT-X-SESSION-DATA:DATA-ID=\"net.live-video.content.id\",VALUE=\"2rrcA103rn67\"\n\
#EXT-X-SESSION-DATA:DATA-ID=\"net.live-video.customer.id\",VALUE=\"098435415742\"\n\
#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"720p30\",NAME=\"720p\",AUTOSELECT=YES,DEFAULT=YES\n\
#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH=2440200,CODECS=\"avc1.4D401F,mp4a.40.2\",RESOLUTION=1280x720,VIDEO=\"720p30\"\n\
720p30/playlist.m3u8\n\
#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"480p30\",NAME=\"480p\",AUTOSELECT=YES,DEFAULT=YES\n\
#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH=1495199,CODECS=\"avc1.4D401F,mp4a.40.2\",RESOLUTION=852x480,VIDEO=\"480p30\"\n\
480p30/playlist.m3u8\n\
#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"360p30\",NAME=\"360p\",AUTOSELECT=YES,DEFAULT=YES\n\
#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH=630000,CODECS=\"avc1.4D401F,mp4a.40.2\",RESOLUTION=640x360,VIDEO=\"360p30\"\n\
360p30/playlist.m3u8\n\
#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"160p30\",NAME=\"160p\",AUTOSELECT=YES,DEFAULT=YES\n\
#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH=230000,CODECS=\"avc1.4D401F,mp4a.40.2\",RESOLUTION=284x160,VIDEO=\"160p30\"\n\
160p30/playlist.m3u8";

/// The sample's segment durations, ms.
const DURATIONS: [i64; 17] = [
    10267, 10000, 10666, 10967, 10633, 10667, 10433, 10334, 10933, 11200, 10000, 10500, 10633, 10000, 10734,
    10600, 2979,
];

/// Segments dated as IVS dates them: each starts where the one before ended.
fn entries(durations: &[i64]) -> Vec<Entry> {
    let mut pdt = WALL0;
    let mut out = Vec::new();
    for (i, d) in durations.iter().enumerate() {
        out.push(Entry {
            index: i as u64,
            duration_ms: *d,
            pdt_ms: pdt,
            discontinuity: false,
            ranges: Vec::new(),
        });
        pdt += d;
    }
    out
}

#[test]
fn the_media_playlist_is_the_samples() {
    // Rewritten at 22:58:35.4: the tag has whole seconds.
    let rewritten = WALL0 + (2 * 60 + 53) * 1000 + 450 + 400;
    assert_eq!(media(&entries(&DURATIONS), rewritten), SAMPLE_MEDIA);
    if let Ok(file) = std::fs::read_to_string(sample_path("480p30/playlist.m3u8")) {
        assert_eq!(file, SAMPLE_MEDIA);
    }
    // An empty recording still has a valid header, target 1, and ENDLIST.
    let empty = media(&[], WALL0);
    assert!(
        empty.contains("#EXT-X-TARGETDURATION:1\n")
            && empty.ends_with("#EXT-X-TWITCH-TOTAL-SECS:0.000\n#EXT-X-ENDLIST\n")
    );
}

/// A sample PDT (`2023-02-09T22:55:41.550Z`) as Unix ms: all of the sample is on one day.
fn sample_pdt(text: &str) -> i64 {
    let field = |r: std::ops::Range<usize>| text[r].parse::<i64>().unwrap();
    let of_day = ((field(11..13) * 60 + field(14..16)) * 60 + field(17..19)) * 1000 + field(20..23);
    WALL0 - ((22 * 60 + 55) * 60 + 41) * 1000 - 550 + of_day
}

/// The segments a byte-range variant lists: its ranges grouped by file.
fn parse_byte_range(text: &str) -> Vec<Entry> {
    let mut out: Vec<Entry> = Vec::new();
    let (mut pdt, mut duration, mut range) = (0, 0, (0, 0));
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("#EXT-X-PROGRAM-DATE-TIME:") {
            pdt = sample_pdt(v);
        } else if let Some(v) = line.strip_prefix("#EXTINF:") {
            duration = (v.trim_end_matches(',').parse::<f64>().unwrap() * 1000.0).round() as i64;
        } else if let Some(v) = line.strip_prefix("#EXT-X-BYTERANGE:") {
            let (len, offset) = v.split_once('@').unwrap();
            range = (len.parse().unwrap(), offset.parse().unwrap());
        } else if let Some(n) = line.strip_suffix(".ts") {
            let index = n.parse().unwrap();
            if out.last().is_none_or(|e| e.index != index) {
                out.push(Entry {
                    index,
                    duration_ms: 0,
                    pdt_ms: pdt,
                    discontinuity: false,
                    ranges: Vec::new(),
                });
            }
            let e = out.last_mut().unwrap();
            e.duration_ms += duration;
            e.ranges.push(SubRange { offset: range.1, len: range.0, duration_ms: duration, pdt_ms: pdt });
        }
    }
    out
}

#[test]
fn the_byte_range_playlist_is_the_samples() {
    let head = "#EXTM3U\n#EXT-X-VERSION:4\n#EXT-X-TARGETDURATION:12\n#EXT-X-PLAYLIST-TYPE:VOD\n\
#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:55:41.550Z\n#EXTINF:1.000,\n\
#EXT-X-BYTERANGE:141188@0\n0.ts\n#EXT-X-PROGRAM-DATE-TIME:2023-02-09T22:55:42.550Z\n#EXTINF:1.267,\n\
#EXT-X-BYTERANGE:247784@141188\n0.ts\n";
    let mut list = entries(&DURATIONS);
    list[0].ranges = vec![
        SubRange { offset: 0, len: 141_188, duration_ms: 1000, pdt_ms: WALL0 },
        SubRange { offset: 141_188, len: 247_784, duration_ms: 1267, pdt_ms: WALL0 + 1000 },
    ];
    let ours = byte_range(&list, false);
    assert!(ours.starts_with(head), "{ours}");
    assert!(!ours.contains("ENDLIST"));
    assert!(byte_range(&list, true).ends_with("0.ts\n#EXT-X-ENDLIST\n"));
    // The whole file, from the sample's own ranges, when this checkout has the sample.
    for rendition in ["480p30", "160p30"] {
        let Ok(file) = std::fs::read_to_string(sample_path(&format!("{rendition}/byte-range-variant.m3u8")))
        else {
            continue;
        };
        let parsed = parse_byte_range(&file);
        assert_eq!(parsed.len(), 17);
        assert_eq!(parsed.iter().map(|e| e.duration_ms).collect::<Vec<_>>(), DURATIONS);
        assert_eq!(byte_range(&parsed, true), file);
    }
}

fn rendition(name: &str, w: u32, h: u32, bandwidth: u64) -> Rendition {
    Rendition {
        name: name.into(),
        width: Some(w),
        height: Some(h),
        codecs: "avc1.4D401F,mp4a.40.2".into(),
        bandwidth,
    }
}

#[test]
fn the_multivariant_playlists_are_the_samples() {
    // Given in any order: highest first.
    let renditions = [
        rendition("360p30", 640, 360, 630_000),
        rendition("720p30", 1280, 720, 2_440_200),
        rendition("160p30", 284, 160, 230_000),
        rendition("480p30", 852, 480, 1_495_199),
    ];
    let plain = master(&renditions, "2rrcA103rn67", "098435415742", false);
    assert_eq!(plain, SAMPLE_MASTER);
    let ranged = master(&renditions, "2rrcA103rn67", "098435415742", true);
    assert_eq!(ranged, SAMPLE_MASTER.replace("/playlist.m3u8", "/byte-range-variant.m3u8"));
    for (file, ours) in [("master.m3u8", &plain), ("byte-range-multivariant.m3u8", &ranged)] {
        if let Ok(text) = std::fs::read_to_string(sample_path(file)) {
            assert_eq!(&text, ours);
        }
    }
}

#[test]
fn audio_only_comes_last_without_a_resolution() {
    let audio = Rendition {
        name: "audio_only".into(),
        width: None,
        height: None,
        codecs: "mp4a.40.2".into(),
        bandwidth: 160_000,
    };
    let text = master(&[audio, rendition("480p30", 852, 480, 1)], "c", "a", false);
    assert!(text.ends_with(
        "480p30/playlist.m3u8\n#EXT-X-MEDIA:TYPE=VIDEO,GROUP-ID=\"audio_only\",NAME=\"audio_only\",AUTOSELECT=YES,DEFAULT=YES\n\
#EXT-X-STREAM-INF:PROGRAM-ID=1,BANDWIDTH=160000,CODECS=\"mp4a.40.2\",VIDEO=\"audio_only\"\naudio_only/playlist.m3u8"
    ));
}
