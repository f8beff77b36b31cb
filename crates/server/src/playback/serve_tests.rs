//! Tests of serving: paths, delivery directives and what a blocking reload waits for, parts found or
//! awaited, gzip, byte ranges.

use super::*;

#[test]
fn paths() {
    let arn = "arn:aws:ivs:us-west-2:123456789012:channel/abcdEFGH1234".to_string();
    assert_eq!(
        parse("us-west-2.123456789012.channel.abcdEFGH1234.m3u8"),
        Some((arn.clone(), Target::Multivariant))
    );
    assert_eq!(
        parse("us-west-2.123456789012.channel.abcdEFGH1234/st-1/media.m3u8"),
        Some((arn.clone(), Target::Media { stream_id: "st-1" }))
    );
    assert_eq!(
        parse("us-west-2.123456789012.channel.abcdEFGH1234/st-1/42.ts"),
        Some((arn.clone(), Target::Segment { stream_id: "st-1", seq: 42, ext: Ext::Ts }))
    );
    assert_eq!(
        parse("us-west-2.123456789012.channel.abcdEFGH1234/st-1/42.3.ts"),
        Some((arn.clone(), Target::Part { stream_id: "st-1", seq: 42, index: 3, ext: Ext::Ts }))
    );
    assert_eq!(
        parse("us-west-2.123456789012.channel.abcdEFGH1234/st-1/42.3.m4s"),
        Some((arn.clone(), Target::Part { stream_id: "st-1", seq: 42, index: 3, ext: Ext::M4s }))
    );
    assert_eq!(
        parse("us-west-2.123456789012.channel.abcdEFGH1234/st-1/init0.mp4"),
        Some((arn, Target::Init { stream_id: "st-1", id: 0 }))
    );
    for bad in [
        "us-west-2.123456789012.stream-key.abc.m3u8",
        "us-west-2.123456789012.channel.abc.def.m3u8",
        "us-west-2.12x.channel.abc.m3u8",
        "us-west-2.1.channel.abc/st-1/x.ts",
        "us-west-2.1.channel.abc/st-1/1.ts/more",
        "us-west-2.1.channel.abc//1.ts",
        "us-west-2.1.channel.abc/st-1/+1.ts",
        "us-west-2.1.channel.abc/st-1/1.2.3.ts",
        "us-west-2.1.channel.abc/st-1/1..ts",
        "us-west-2.1.channel.abc/st-1/1.mp4",
        "us-west-2.1.channel.abc/st-1/init.mp4",
        "us-west-2.1.channel.abc/st-1/init-1.mp4",
        "US-west-2.123456789012.channel.abc.m3u8",
        "us:west-2.123456789012.channel.abc.m3u8",
        ".123456789012.channel.abc.m3u8",
        "us-west-2..channel.abc.m3u8",
        "us-west-2.123456789012.channel..m3u8",
        "us-west-2.123456789012.channel.a_b.m3u8",
        "us-west-2.123456789012.channel.a:b/st-1/1.ts",
        "",
    ] {
        assert_eq!(parse(bad), None, "{bad}");
    }
}

fn part(index: u32) -> openivs_media::segmenter::Part {
    openivs_media::segmenter::Part {
        index,
        start_ms: 0,
        duration_ms: 334,
        independent: index == 0,
        data: axum::body::Bytes::from(vec![index as u8]),
    }
}

/// Segments `first..first+n` (the last three with six parts) and an open one with `open` parts.
fn snap(first: u64, n: u64, open: u32) -> Snapshot {
    let segments = (first..first + n)
        .map(|seq| openivs_media::segmenter::Segment {
            seq,
            start_ms: 0,
            duration_ms: 2000,
            video_frames: 60,
            independent: true,
            program_date_ms: None,
            init: None,
            parts: if seq + 3 >= first + n { (0..6).map(part).collect() } else { Arc::new([]) },
            data: axum::body::Bytes::new(),
        })
        .collect();
    let open = openivs_media::segmenter::OpenSegment {
        seq: first + n,
        program_date_ms: None,
        init: None,
        parts: (0..open).map(part).collect(),
    };
    Snapshot { segments, open: Some(open), info: None, ended: false, longest_ms: 2000, ..Snapshot::default() }
}

#[test]
fn delivery_directives() {
    assert_eq!(reload(""), Ok(None));
    assert_eq!(reload("token=x&_HLS_msn=5"), Ok(Some(Reload { msn: 5, part: None })));
    assert_eq!(reload("_HLS_msn=5&_HLS_part=2"), Ok(Some(Reload { msn: 5, part: Some(2) })));
    for bad in ["_HLS_part=2", "_HLS_msn=-1", "_HLS_msn=x", "_HLS_msn=1&_HLS_part=", "_HLS_msn=+3"] {
        assert!(reload(bad).is_err(), "{bad}");
    }
}

#[test]
fn blocking_reloads_wait_for_the_part_asked_for() {
    let r = |msn, part| Reload { msn, part };
    // Segments 10..=14 finished, 15 open with two parts (0 and 1).
    let s = snap(10, 5, 2);
    assert!(satisfies(&s, r(14, None)) && !satisfies(&s, r(15, None)));
    assert!(satisfies(&s, r(15, Some(1))) && !satisfies(&s, r(15, Some(2))));
    // Past segment 14's last part (5) means part 0 of 15, which exists.
    assert!(satisfies(&s, r(14, Some(6))) && satisfies(&s, r(14, Some(99))));
    let empty_open = snap(10, 5, 0);
    assert!(!satisfies(&empty_open, r(14, Some(6))), "part 0 of 15 is not there yet");
    assert!(satisfies(&Snapshot { ended: true, ..snap(10, 5, 0) }, r(99, Some(0))));
    // Too far: more than two segments past the last finished one, or more than 9 parts ahead.
    assert!(!too_far(&s, r(16, Some(0)), 334) && too_far(&s, r(17, Some(0)), 334));
    assert!(!too_far(&s, r(15, Some(10)), 334) && too_far(&s, r(15, Some(11)), 334));
    assert!(too_far(&s, r(16, Some(10)), 334));
}

#[test]
fn parts_are_found_or_awaited_when_hinted() {
    let s = snap(10, 5, 2);
    assert_eq!(find_part(&s, 15, 1).as_deref(), Some(&[1u8][..]));
    assert_eq!(find_part(&s, 13, 5).as_deref(), Some(&[5u8][..]));
    assert_eq!(find_part(&s, 10, 0), None, "older segments have no parts");
    assert!(may_come(&s, 15, 2) && may_come(&s, 16, 0));
    assert!(!may_come(&s, 14, 6) && !may_come(&s, 16, 1) && !may_come(&s, 17, 0));
}

#[test]
fn gzip_when_accepted() {
    let h = |v: &str| {
        let mut m = HeaderMap::new();
        m.insert(header::ACCEPT_ENCODING, v.parse().unwrap());
        m
    };
    for yes in ["gzip", "deflate, gzip;q=0.5", "GZIP", "*", "br, gzip"] {
        assert!(accepts_gzip(&h(yes)), "{yes}");
    }
    for no in ["deflate", "gzip;q=0", "gzip; q=0.0", "identity", "x-gzip2"] {
        assert!(!accepts_gzip(&h(no)), "{no}");
    }
    assert!(!accepts_gzip(&HeaderMap::new()));
    let body = "#EXTM3U\n".repeat(100);
    let resp = playlist(body.clone(), false, &h("gzip"));
    assert_eq!(resp.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(resp.headers()[header::VARY], "Accept-Encoding");
    let plain = playlist(body, true, &HeaderMap::new());
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.headers()[header::CACHE_CONTROL], "no-cache");
}

#[test]
fn byte_ranges() {
    assert_eq!(byte_range("bytes=0-99", 1000), Some((0, 99)));
    assert_eq!(byte_range("bytes=900-", 1000), Some((900, 999)));
    assert_eq!(byte_range("bytes=-100", 1000), Some((900, 999)));
    assert_eq!(byte_range("bytes=-5000", 1000), Some((0, 999)));
    assert_eq!(byte_range("bytes=990-5000", 1000), Some((990, 999)));
    assert_eq!(byte_range("bytes=1000-", 1000), None);
    assert_eq!(byte_range("bytes=5-1", 1000), None);
    assert_eq!(byte_range("bytes=0-1,5-6", 1000), None);
    assert_eq!(byte_range("items=0-1", 1000), None);
}

/// The session caches of admission give what opening and minting give, and never carry a value over
/// to another channel or stream.
#[test]
fn cached_sessions_are_what_opening_and_minting_give() {
    use super::super::{Playback, session::Session};
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(crate::store::SqliteStore::open(&dir.path().join("db")).unwrap());
    let pb = Playback::new(Arc::new(Registry::default()), store, [5; 32], None);
    let s = Session {
        id: 7,
        channel: "arn:aws:ivs:us-west-2:123456789012:channel/abc".into(),
        stream: "st-1".into(),
        viewer_id: Some("v".into()),
        viewer_version: 2,
        rules: vec![],
        exp: 1_800_000_000,
    };
    let suffix = pb.session_suffix(s.clone());
    assert_eq!(&*suffix, format!("?session={}", pb.sessions.mint(&s)));
    assert!(Arc::ptr_eq(&suffix, &pb.session_suffix(s.clone())), "an equal session reuses the value");
    let later = pb.session_suffix(Session { exp: s.exp + 1, ..s.clone() });
    assert_ne!(later, suffix, "a renewal is a new value");
    let value = suffix.strip_prefix("?session=").unwrap();
    for _ in 0..2 {
        // First opened, then from the cache.
        assert_eq!(pb.open_session(value, &s.channel, "st-1"), Ok(s.clone()));
        assert_eq!(pb.open_session(value, &s.channel, "st-2"), Err(super::super::Refusal::SessionInvalid));
        let other = "arn:aws:ivs:us-west-2:123456789012:channel/abd";
        assert_eq!(pb.open_session(value, other, "st-1"), Err(super::super::Refusal::SessionInvalid));
    }
    assert_eq!(pb.open_session("garbage", &s.channel, "st-1"), Err(super::super::Refusal::SessionInvalid));
}
