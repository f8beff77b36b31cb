//! Low-latency HLS end to end (draft-pantos-hls-rfc8216bis §4.4.3.7-8, §4.4.4.9, §4.4.5.3, §6.2.5.2):
//! ffmpeg publishes to a LOW channel; the media playlist is checked against the spec's rules (server
//! control, part target, parts of the last segments, preload hint, dates), parts add up to their
//! segment, blocking reloads answer when the part exists and refuse what is too far ahead, a hinted
//! part is served once it exists, and the stream's end reaches a waiting reload as EXT-X-ENDLIST.
//! NORMAL channels stay classic HLS.

use super::{channel, target, text, tools_available, wait_ok};
use aws_sdk_ivs::types::ChannelLatencyMode;
use conformance::Server;
use conformance::ffmpeg::Publisher;
use std::time::{Duration, Instant, SystemTime};

/// The media playlist URL of a live channel, once its multivariant playlist answers.
fn media_url(s: &Server, url: &str) -> String {
    let mv = wait_ok(s, url, Duration::from_secs(20));
    assert_eq!(mv.status, 200, "{}", text(&mv));
    let mv = text(&mv);
    let uri = mv.lines().find(|l| !l.starts_with('#') && !l.is_empty()).expect("a rendition");
    format!("{}{uri}", &url[..url.rfind('/').expect("a slash") + 1])
}

/// The value of `NAME=` in a tag's attribute list (quotes removed).
fn attr<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let at = line.find(&format!("{name}="))? + name.len() + 1;
    let rest = &line[at..];
    Some(match rest.strip_prefix('"') {
        Some(q) => &q[..q.find('"')?],
        None => rest.split(',').next()?,
    })
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` as Unix ms.
fn unix_ms(date: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| date[r].parse::<i64>().expect("a number");
    let (y, m, d) = (n(0..4), n(5..7), n(8..10));
    // Days from civil (March-based years).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days * 86_400_000 + n(11..13) * 3_600_000 + n(14..16) * 60_000 + n(17..19) * 1000 + n(20..23)
}

/// `url` with `query` added to what it already has.
fn with_query(url: &str, query: &str) -> String {
    format!("{url}{}{query}", if url.contains('?') { '&' } else { '?' })
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).expect("after 1970").as_millis() as i64
}

/// (segment, part) of a part URI `<seq>.<index>.ts`.
fn part_of(uri: &str) -> (u64, u32) {
    let stem = uri.split(".ts").next().expect("a .ts URI");
    let (seq, index) = stem.split_once('.').expect("seq.index");
    (seq.parse().expect("seq"), index.parse().expect("index"))
}

#[tokio::test(flavor = "multi_thread")]
async fn low_latency_playlists_parts_and_blocking_reloads() {
    if !tools_available() {
        return;
    }
    let s = Server::start();
    let (_, url, key) = channel(&s.client(), false).await;
    let mut ff = Publisher::with_gop(&format!("{}/app/{key}", s.rtmp_url), 60, 30);
    let media = media_url(&s, &url);
    let dir = media[..media.rfind('/').expect("a slash") + 1].to_string();
    // Wait for three finished segments.
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut mp = String::new();
    while Instant::now() < deadline {
        mp = text(&s.raw("GET", target(&media), &[], b"", false));
        if mp.matches("#EXTINF:").count() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let lines: Vec<&str> = mp.lines().collect();
    assert_eq!(&lines[..3], ["#EXTM3U", "#EXT-X-VERSION:6", "#EXT-X-TARGETDURATION:2"], "{mp}");
    assert!(
        mp.contains(
            "\n#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.002,HOLD-BACK=6.000\n\
         #EXT-X-PART-INF:PART-TARGET=0.334\n"
        ),
        "{mp}"
    );
    assert!(mp.contains("\n#EXT-X-INDEPENDENT-SEGMENTS\n"), "{mp}");
    // Every part is at most the part target; parts at keyframes (every second) are independent.
    let parts: Vec<&str> = lines.iter().copied().filter(|l| l.starts_with("#EXT-X-PART:")).collect();
    assert!(parts.len() >= 9, "{mp}");
    for p in &parts {
        let d: f64 = attr(p, "DURATION").expect("DURATION").parse().expect("seconds");
        assert!(d > 0.0 && d <= 0.334, "{p}");
    }
    assert!(parts.iter().filter(|p| p.ends_with(",INDEPENDENT=YES")).count() >= 3, "{mp}");
    // Dates: the wall clock at ingest, a few seconds back at most.
    let dates: Vec<i64> =
        lines.iter().filter_map(|l| l.strip_prefix("#EXT-X-PROGRAM-DATE-TIME:")).map(unix_ms).collect();
    assert!(dates.len() >= 3 && dates.windows(2).all(|w| (1900..=2600).contains(&(w[1] - w[0]))), "{mp}");
    assert!((0..15_000).contains(&(now_ms() - dates[0])), "{mp}");
    // Last, the preload hint of the next part, then (LHLS, for the IVS Player) the segment being written.
    let hint = lines[lines.len() - 2].strip_prefix("#EXT-X-PRELOAD-HINT:TYPE=PART,").expect("a hint");
    let prefetch = lines.last().and_then(|l| l.strip_prefix("#EXT-X-PREFETCH:")).expect("a prefetch");
    // Playlists are gzipped for clients that accept it, and say that the answer varies with it.
    let zipped = s.raw("GET", target(&media), &[("accept-encoding", "gzip, deflate")], b"", false);
    assert_eq!((zipped.status, zipped.header("content-encoding")), (200, Some("gzip")));
    assert!(zipped.body.starts_with(&[0x1f, 0x8b]) && zipped.body.len() < mp.len() / 2);
    assert!(zipped.header("vary").unwrap_or("").contains("Accept-Encoding"));
    // What it holds is the very playlist (the viewer's session after every URI): a plain and a gzipped
    // request in quick succession see the same snapshot and session value, unless one changed between.
    let gunzip = |body: &[u8]| {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(body), &mut out).map(|_| out)
    };
    let same = (0..20).any(|_| {
        let plain = text(&s.raw("GET", target(&media), &[], b"", false));
        let z = s.raw("GET", target(&media), &[("accept-encoding", "gzip")], b"", false);
        let unzipped = gunzip(&z.body).expect("a valid gzip member (CRC and length checked)");
        unzipped.contains("?session=") && unzipped == plain
    });
    assert!(same, "the gzipped playlist never matched the plain one");
    let (hint_seq, hint_part) = part_of(attr(hint, "URI").expect("URI"));
    assert!(prefetch.starts_with(&format!("{hint_seq}.ts?session=")), "the segment being written: {mp}");

    // A segment with its parts listed is exactly its parts, each served for a day.
    let listed = lines.iter().rposition(|l| l.starts_with("#EXTINF:")).expect("a segment");
    let seg_uri = lines[listed + 1];
    let mut own_parts = Vec::new();
    for l in lines[..listed].iter().rev() {
        match l.strip_prefix("#EXT-X-PART:") {
            Some(p) => own_parts.insert(0, attr(p, "URI").expect("URI").to_string()),
            None if l.starts_with("#EXT-X-PROGRAM-DATE-TIME") => continue,
            None => break,
        }
    }
    assert!(own_parts.len() >= 5, "{mp}");
    let whole = s.raw("GET", target(&format!("{dir}{seg_uri}")), &[], b"", false);
    assert_eq!(whole.status, 200);
    let mut joined = Vec::new();
    for p in &own_parts {
        let r = s.raw("GET", target(&format!("{dir}{p}")), &[], b"", false);
        assert_eq!((r.status, r.header("content-type")), (200, Some("video/mp2t")), "{p}");
        assert!(r.header("cache-control").unwrap_or("").contains("max-age=86400"), "{p}");
        joined.extend_from_slice(&r.body);
    }
    assert!(joined == whole.body, "the parts of {seg_uri} add up to it");

    // A blocking reload for the hinted part answers once it exists, and the answer lists it.
    let asked = Instant::now();
    let blocking = with_query(&media, &format!("_HLS_msn={hint_seq}&_HLS_part={hint_part}"));
    let r = s.raw("GET", target(&blocking), &[], b"", false);
    let waited = asked.elapsed();
    let body = text(&r);
    assert_eq!((r.status, r.header("cache-control")), (200, Some("no-cache")), "{body}");
    let wanted = [format!("URI=\"{hint_seq}.{hint_part}.ts"), format!("URI=\"{}.0.ts", hint_seq + 1)];
    assert!(wanted.iter().any(|w| body.contains(w.as_str())), "{wanted:?} in {body}");
    assert!(waited < Duration::from_secs(2), "answered when the part came: {waited:?}");

    // The next hinted part is served when it exists (the request waits for it).
    let hint_line = body.lines().find(|l| l.starts_with("#EXT-X-PRELOAD-HINT:"));
    let hint = hint_line.and_then(|l| attr(l, "URI")).expect("a hint").to_string();
    let asked = Instant::now();
    let r = s.raw("GET", target(&format!("{dir}{hint}")), &[], b"", false);
    // A hint of the open segment's next part is 404 when a keyframe ended the segment first.
    assert!(r.status == 200 || (r.status == 404 && part_of(&hint).1 > 0), "{hint}: {}", r.status);
    assert!(asked.elapsed() < Duration::from_secs(2));

    // Too far ahead, or malformed: 400 at once.
    for q in [format!("_HLS_msn={}", hint_seq + 5), "_HLS_part=1".into(), "_HLS_msn=x".into()] {
        let r = s.raw("GET", target(&with_query(&media, &q)), &[], b"", false);
        assert_eq!(r.status, 400, "{q}: {}", text(&r));
    }
    let far = with_query(&media, &format!("_HLS_msn={hint_seq}&_HLS_part=40"));
    let r = s.raw("GET", target(&far), &[], b"", false);
    assert_eq!(r.status, 400, "more parts ahead than the advance part limit");

    // A reload waiting when the stream ends is answered with the ended playlist.
    let newest = text(&s.raw("GET", target(&media), &[], b"", false));
    let open_seq = newest
        .lines()
        .find(|l| l.starts_with("#EXT-X-PRELOAD-HINT:"))
        .and_then(|l| attr(l, "URI"))
        .map(|u| part_of(u).0)
        .expect("hint");
    let waiting = target(&with_query(&media, &format!("_HLS_msn={}&_HLS_part=0", open_seq + 1))).to_string();
    let authority = s.authority().to_string();
    let reload = std::thread::spawn(move || {
        let headers = [("host".to_string(), authority.clone())];
        conformance::raw_send(&authority, "GET", &waiting, &headers, b"")
    });
    std::thread::sleep(Duration::from_millis(300));
    ff.kill();
    let r = reload.join().expect("the reload");
    let body = text(&r);
    assert_eq!(r.status, 200, "{body}");
    assert!(body.ends_with("#EXT-X-ENDLIST\n") && !body.contains("PRELOAD-HINT"), "{body}");
    assert!(!body.contains("#EXT-X-PREFETCH"), "nothing is being written any more: {body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn normal_channels_stay_classic_hls() {
    if !tools_available() {
        return;
    }
    let s = Server::start();
    let out = s
        .client()
        .create_channel()
        .insecure_ingest(true)
        .latency_mode(ChannelLatencyMode::NormalLatency)
        .send()
        .await
        .expect("create channel");
    let ch = out.channel().expect("channel");
    let url = ch.playback_url().expect("playbackUrl").to_string();
    let key = out.stream_key().and_then(|k| k.value()).expect("key");
    let _ff = Publisher::with_gop(&format!("{}/app/{key}", s.rtmp_url), 30, 30);
    let media = media_url(&s, &url);
    let deadline = Instant::now() + Duration::from_secs(25);
    let mut mp = String::new();
    while Instant::now() < deadline && !mp.contains("#EXTINF:") {
        std::thread::sleep(Duration::from_millis(500));
        mp = text(&s.raw("GET", target(&media), &[], b"", false));
    }
    assert!(mp.starts_with("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n"), "{mp}");
    for ll in ["SERVER-CONTROL", "PART", "PRELOAD-HINT"] {
        assert!(!mp.contains(ll), "{ll} in {mp}");
    }
    let d: f64 = mp.split("#EXTINF:").nth(1).and_then(|r| r.split(',').next()).unwrap().parse().unwrap();
    assert!((5.9..=6.1).contains(&d), "6 s segments: {mp}");
    // Delivery directives mean nothing to a classic playlist: answered at once.
    let asked = Instant::now();
    let r = s.raw("GET", target(&with_query(&media, "_HLS_msn=999&_HLS_part=0")), &[], b"", false);
    assert_eq!(r.status, 200);
    assert!(asked.elapsed() < Duration::from_secs(1));
}
