//! Timed metadata end to end: ffmpeg publishes, PutMetadata (through the official SDK) puts a payload
//! into the live stream, and the segments read back carry it at about the moment it was put: in TS as
//! a PES of the timed-ID3 stream (ffprobe sees `timed_id3`) holding an ID3v2.4 TXXX frame, in fMP4 as
//! an `emsg` (scheme `https://aomedia.org/emsg/ID3`) before a fragment. "About the moment" is checked
//! on the wall clock: the segment's EXT-X-PROGRAM-DATE-TIME plus the tag's offset into the segment.

use super::{channel, target, text, tools_available, wait_ok};
use aws_sdk_ivs::types::ContainerFormat;
use conformance::Server;
use conformance::ffmpeg::Publisher;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

fn now_ms() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).expect("after 1970").as_millis() as i64
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` as Unix ms.
fn unix_ms(date: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| date[r].parse::<i64>().expect("a number");
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days * 86_400_000 + n(11..13) * 3_600_000 + n(14..16) * 60_000 + n(17..19) * 1000 + n(20..23)
}

fn synchsafe(b: &[u8]) -> usize {
    b.iter().fold(0, |n, x| (n << 7) | usize::from(x & 0x7f))
}

/// The value of the TXXX frame of an ID3v2.4 tag.
fn txxx(tag: &[u8]) -> Option<Vec<u8>> {
    if !tag.starts_with(b"ID3\x04") {
        return None;
    }
    let end = 10 + synchsafe(&tag[6..10]);
    let mut pos = 10;
    while pos + 10 <= end.min(tag.len()) {
        let size = synchsafe(&tag[pos + 4..pos + 8]);
        let body = tag.get(pos + 10..pos + 10 + size)?;
        if &tag[pos..pos + 4] == b"TXXX" {
            let desc_end = body[1..].iter().position(|b| *b == 0)? + 2;
            return Some(body[desc_end..].to_vec());
        }
        pos += 10 + size;
    }
    None
}

fn pts(b: &[u8]) -> i64 {
    ((i64::from(b[0] >> 1) & 7) << 30)
        | (i64::from(u16::from_be_bytes([b[1], b[2]]) >> 1) << 15)
        | i64::from(u16::from_be_bytes([b[3], b[4]]) >> 1)
}

/// The PES packets of `pid` in a transport stream, reassembled.
fn pes_of(ts: &[u8], pid: u16) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for p in ts.chunks(188) {
        if ((u16::from(p[1] & 0x1f) << 8) | u16::from(p[2])) != pid {
            continue;
        }
        let payload = if p[3] & 0x20 != 0 { &p[5 + usize::from(p[4])..] } else { &p[4..] };
        if p[1] & 0x40 != 0 {
            out.push(payload.to_vec());
        } else if let Some(last) = out.last_mut() {
            last.extend_from_slice(payload);
        }
    }
    out
}

/// The segments of a media playlist: (URI, program date, duration ms).
fn segments(mp: &str) -> Vec<(String, i64, i64)> {
    let (mut date, mut out) = (0, Vec::new());
    let mut dur = 0;
    for l in mp.lines() {
        if let Some(d) = l.strip_prefix("#EXT-X-PROGRAM-DATE-TIME:") {
            date = unix_ms(d);
        } else if let Some(d) = l.strip_prefix("#EXTINF:") {
            dur = (d.trim_end_matches(',').parse::<f64>().expect("seconds") * 1000.0) as i64;
        } else if !l.starts_with('#') && !l.is_empty() {
            out.push((l.to_string(), date, dur));
        }
    }
    out
}

/// Publishes, waits for a first segment, puts `payload` and returns (put time, playlist URL, server).
async fn put_into_live_stream(
    s: &Server,
    format: ContainerFormat,
    payload: &str,
) -> (i64, String, Publisher) {
    let c = s.client();
    let (arn, url, key) = if format == ContainerFormat::Ts {
        channel(&c, false).await
    } else {
        let out =
            c.create_channel().insecure_ingest(true).container_format(format).send().await.expect("create");
        let ch = out.channel().expect("channel");
        let key = out.stream_key().and_then(|k| k.value()).expect("key").to_string();
        (ch.arn().expect("arn").into(), ch.playback_url().expect("url").into(), key)
    };
    let ff = Publisher::with_gop(&format!("{}/app/{key}", s.rtmp_url), 40, 30);
    let mv = wait_ok(s, &url, Duration::from_secs(20));
    let mv = text(&mv);
    let uri = mv.lines().find(|l| !l.starts_with('#') && !l.is_empty()).expect("a rendition");
    let media = format!("{}{uri}", &url[..url.rfind('/').expect("a slash") + 1]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline
        && !text(&s.raw("GET", target(&media), &[], b"", false)).contains("#EXTINF")
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    // Put it mid-stream, then let the segment holding it finish.
    std::thread::sleep(Duration::from_millis(700));
    let put_at = now_ms();
    c.put_metadata().channel_arn(&arn).metadata(payload).send().await.expect("PutMetadata");
    std::thread::sleep(Duration::from_secs(5));
    (put_at, media, ff)
}

#[tokio::test(flavor = "multi_thread")]
async fn put_metadata_reaches_ts_segments_as_timed_id3() {
    if !tools_available() {
        return;
    }
    let s = Server::start();
    let payload = format!("{{\"question\":\"openivs {}\"}}", now_ms());
    let (put_at, media, _ff) = put_into_live_stream(&s, ContainerFormat::Ts, &payload).await;
    let mp = text(&s.raw("GET", target(&media), &[], b"", false));
    let dir = &media[..media.rfind('/').expect("a slash") + 1];
    let mut found = Vec::new();
    for (uri, date, duration) in segments(&mp) {
        let seg = s.raw("GET", target(&format!("{dir}{uri}")), &[], b"", false).body;
        let first_video = pes_of(&seg, 0x100).first().map(|p| pts(&p[9..14])).expect("video");
        for pes in pes_of(&seg, 0x102) {
            assert_eq!((&pes[..4], pes[6] & 0x04), (&[0, 0, 1, 0xbd][..], 0x04), "private_stream_1, aligned");
            if txxx(&pes[9 + usize::from(pes[8])..]).as_deref() == Some(payload.as_bytes()) {
                let offset_ms = (pts(&pes[9..14]) - first_video) / 90;
                found.push((uri.clone(), date + offset_ms, duration, seg.clone()));
            }
        }
    }
    assert_eq!(found.len(), 1, "the payload once in the window: {mp}");
    let (uri, at, duration, seg) = found.pop().expect("found");
    assert!((0..=duration).contains(&(at - unix_ms_of(&mp, &uri))), "within its segment");
    assert!((at - put_at).abs() <= 1000, "tagged at {at}, put at {put_at} ({uri})");
    // ffprobe sees the timed ID3 stream next to video and audio.
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), &seg).expect("write");
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_name,codec_type", "-of", "csv=p=0"])
        .arg(file.path())
        .output()
        .expect("ffprobe");
    let streams = String::from_utf8_lossy(&probe.stdout);
    assert!(streams.lines().any(|l| l == "timed_id3,data"), "{streams}");
}

/// The program date of the segment `uri` in a playlist.
fn unix_ms_of(mp: &str, uri: &str) -> i64 {
    segments(mp).into_iter().find(|(u, _, _)| u == uri).map(|(_, d, _)| d).expect("listed")
}

/// The top-level boxes of an MP4 byte string: (type, body).
fn boxes(data: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 8 <= data.len() {
        let size = u32::from_be_bytes(data[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        assert!(size >= 8 && pos + size <= data.len());
        out.push((&data[pos + 4..pos + 8], &data[pos + 8..pos + size]));
        pos += size;
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn put_metadata_reaches_fmp4_segments_as_emsg() {
    if !tools_available() {
        return;
    }
    let s = Server::start();
    let payload = format!("openivs fmp4 {}", now_ms());
    let (put_at, media, _ff) = put_into_live_stream(&s, ContainerFormat::FragmentedMp4, &payload).await;
    let mp = text(&s.raw("GET", target(&media), &[], b"", false));
    let dir = &media[..media.rfind('/').expect("a slash") + 1];
    let mut found = Vec::new();
    let mut twitch = Vec::new();
    for (uri, date, _) in segments(&mp) {
        let seg = s.raw("GET", target(&format!("{dir}{uri}")), &[], b"", false).body;
        let top = boxes(&seg);
        // The video base decode time of the segment's first fragment (tfdt of track 1, 90 kHz).
        let moof = top.iter().find(|(k, _)| *k == b"moof").expect("moof").1;
        let traf = boxes(moof).into_iter().find(|(k, _)| *k == b"traf").expect("traf").1;
        let tfdt = boxes(traf).into_iter().find(|(k, _)| *k == b"tfdt").expect("tfdt").1;
        let base = u64::from_be_bytes(tfdt[4..12].try_into().expect("8 bytes")) as i64;
        for (i, (kind, body)) in top.iter().enumerate() {
            if *kind != b"emsg" {
                continue;
            }
            if body[0] == 0 {
                // Version 0 with Twitch's scheme, for the IVS Player: strings first, then timescale,
                // a time relative to the fragment, duration, id and the tag.
                let scheme = b"urn:twitch:id3\0\0";
                assert!(body[4..].starts_with(scheme), "the version 0 scheme");
                if txxx(&body[4 + scheme.len() + 16..]).as_deref() == Some(payload.as_bytes()) {
                    twitch.push(uri.clone());
                }
                continue;
            }
            assert_eq!(body[0], 1, "version 1");
            assert_eq!(top[i + 1..].iter().find(|(k, _)| *k != b"emsg").map(|b| b.0), Some(&b"moof"[..]));
            let timescale = i64::from(u32::from_be_bytes(body[4..8].try_into().expect("4")));
            let time = u64::from_be_bytes(body[8..16].try_into().expect("8")) as i64;
            let strings = &body[24..];
            let scheme_end = strings.iter().position(|b| *b == 0).expect("scheme");
            assert_eq!(&strings[..scheme_end], b"https://aomedia.org/emsg/ID3");
            let value_end =
                scheme_end + 1 + strings[scheme_end + 1..].iter().position(|b| *b == 0).expect("value");
            if txxx(&strings[value_end + 1..]).as_deref() == Some(payload.as_bytes()) {
                found.push((uri.clone(), date + (time * 1000 / timescale - base / 90)));
            }
        }
    }
    assert_eq!(found.len(), 1, "the payload once in the window: {mp}");
    let (uri, at) = &found[0];
    assert_eq!(
        twitch.as_slice(),
        std::slice::from_ref(uri),
        "and once as the IVS Player's emsg, in the same segment"
    );
    assert!((at - put_at).abs() <= 1000, "tagged at {at}, put at {put_at} ({uri})");
}
