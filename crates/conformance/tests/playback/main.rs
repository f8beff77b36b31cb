//! HLS playback end to end: ffmpeg publishes to a channel of the spawned `openivs serve`, then ffprobe
//! and ffmpeg read the channel's `playbackUrl` as a viewer would (codecs, resolution, frames decoded
//! across segments without timestamp errors), and raw requests check the playlists, headers, byte
//! ranges and refusals. Skips with a message when ffmpeg/ffprobe are missing, unless
//! `OPENIVS_REQUIRE_FFMPEG=1` (as in CI).

mod access;
mod fmp4;
mod low_latency;
mod metadata;
mod stalled;

use aws_sdk_ivs::Client;
use conformance::Server;
use conformance::ffmpeg::Publisher;
use std::time::{Duration, Instant};

fn tools_available() -> bool {
    conformance::ffmpeg::tools_available(&["ffmpeg", "ffprobe"])
}

/// A new channel (RTMP allowed) with the given privacy; its ARN, playback URL and stream key.
async fn channel(c: &Client, authorized: bool) -> (String, String, String) {
    let out =
        c.create_channel().insecure_ingest(true).authorized(authorized).send().await.expect("create channel");
    let ch = out.channel().expect("channel");
    let key = out.stream_key().and_then(|k| k.value()).expect("key").to_string();
    (ch.arn().expect("arn").into(), ch.playback_url().expect("playbackUrl").into(), key)
}

/// The path and query of a URL on the test server.
fn target(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.find('/').map(|i| &rest[i..]).unwrap_or("/")
}

/// GETs `url` until it answers 200 or `limit` passes; the last response.
fn wait_ok(s: &Server, url: &str, limit: Duration) -> conformance::RawResponse {
    let deadline = Instant::now() + limit;
    loop {
        let r = s.raw("GET", target(url), &[], b"", false);
        if r.status == 200 || Instant::now() >= deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn text(r: &conformance::RawResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn ffprobe_and_ffmpeg_play_a_live_channel_from_its_playback_url() {
    if !tools_available() {
        return;
    }
    let s = Server::start();
    let c = s.client();
    let (_, url, key) = channel(&c, false).await;
    assert!(
        url.starts_with(&s.endpoint) && url.contains("/api/video/v1/") && url.ends_with(".m3u8"),
        "{url}"
    );
    let offline = s.raw("GET", target(&url), &[], b"", false);
    assert_eq!(offline.status, 404, "not live yet");
    let _ff = Publisher::with_gop(&format!("{}/app/{key}", s.rtmp_url), 30, 30);

    // LOW latency: 2 s segments; wait for a few.
    let multivariant = wait_ok(&s, &url, Duration::from_secs(20));
    assert_eq!(multivariant.status, 200, "{}", text(&multivariant));
    assert_eq!(multivariant.header("content-type"), Some("application/vnd.apple.mpegurl"));
    assert_eq!(multivariant.header("access-control-allow-origin"), Some("*"));
    assert!(multivariant.header("cache-control").unwrap_or("").contains("max-age=1"));
    let mv = text(&multivariant);
    let codecs = mv.split("CODECS=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default();
    assert!(
        codecs.starts_with("avc1.64") && codecs.ends_with(",mp4a.40.2"),
        "High profile H.264 and AAC-LC: {mv}"
    );
    assert!(mv.contains("RESOLUTION=640x360") && mv.contains("FRAME-RATE=30.000"), "{mv}");
    let media_uri =
        mv.lines().find(|l| !l.starts_with('#') && !l.is_empty()).expect("a rendition").to_string();
    let base = &url[..url.rfind('/').expect("a slash") + 1];
    let media_url = format!("{base}{media_uri}");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let media = wait_ok(&s, &media_url, Duration::from_secs(5));
    let mp = text(&media);
    assert!(mp.contains("#EXT-X-TARGETDURATION:2\n") && mp.contains("#EXT-X-MEDIA-SEQUENCE:"), "{mp}");
    let segments: Vec<&str> = mp.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
    assert!(segments.len() >= 2, "{mp}");
    for d in mp.lines().filter_map(|l| l.strip_prefix("#EXTINF:")) {
        let secs: f64 = d.trim_end_matches(',').parse().expect("a duration");
        assert!((1.9..=2.6).contains(&secs), "segments are cut near 2 s at keyframes: {mp}");
    }
    let seg_url = format!("{}{}", &media_url[..media_url.rfind('/').unwrap() + 1], segments[0]);
    let seg = s.raw("GET", target(&seg_url), &[], b"", false);
    assert_eq!((seg.status, seg.header("content-type")), (200, Some("video/mp2t")));
    assert!(seg.header("cache-control").unwrap_or("").contains("max-age=86400"));
    assert!(seg.body.len().is_multiple_of(188) && seg.body[0] == 0x47);
    let part = s.raw("GET", target(&seg_url), &[("range", "bytes=188-375")], b"", false);
    assert_eq!((part.status, part.body.as_slice()), (206, &seg.body[188..376]));
    assert_eq!(part.header("content-range"), Some(format!("bytes 188-375/{}", seg.body.len()).as_str()));

    // ffprobe sees H.264 640x360 and AAC through the playback URL; ffmpeg decodes 4 s (several
    // segments) with no timestamp or decoding complaints.
    conformance::ffmpeg::assert_plays(&url, 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn private_channels_are_refused_and_unknown_urls_are_not_found() {
    if !tools_available() {
        return;
    }
    let s = Server::start();
    let c = s.client();
    let (_, url, key) = channel(&c, true).await;
    let _ff = Publisher::with_gop(&format!("{}/app/{key}", s.rtmp_url), 15, 30);
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut r = s.raw("GET", target(&url), &[], b"", false);
    while r.status == 404 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        r = s.raw("GET", target(&url), &[], b"", false);
    }
    assert_eq!(r.status, 403, "{}", text(&r));
    assert!(text(&r).contains("token"), "{}", text(&r));
    for path in [
        "/api/video/v1/us-east-1.123456789012.channel.nosuchchannel.m3u8",
        "/api/video/v1/nonsense",
        "/api/video/v1/us-east-1.1.channel.x/st-1/1.ts",
    ] {
        let r = s.raw("GET", path, &[], b"", false);
        assert_eq!((r.status, r.header("access-control-allow-origin")), (404, Some("*")), "{path}");
    }
}

#[tokio::test]
async fn playback_can_have_a_listener_of_its_own() {
    let s = Server::start_with(conformance::Options {
        env: vec![("OPENIVS_PLAYBACK_LISTEN".into(), "127.0.0.1:0".into())],
        ..Default::default()
    });
    let c = s.client();
    let (_, url, _) = channel(&c, false).await;
    let authority = url.trim_start_matches("http://").split('/').next().unwrap_or_default().to_string();
    assert_ne!(authority, s.authority(), "playbackUrl names the playback listener: {url}");
    let headers = [("host".to_string(), authority.clone())];
    let r = conformance::raw_send(&authority, "GET", target(&url), &headers, b"");
    assert_eq!((r.status, text(&r).as_str()), (404, "The channel is not live"));
    // The API listener no longer serves playback.
    let api = s.raw("GET", target(&url), &[], b"", false);
    assert_eq!(api.status, 404);
    assert_ne!(text(&api), "The channel is not live");
}
