//! Fragmented MP4 end to end: ffmpeg publishes to a `FRAGMENTED_MP4` channel (low latency); the media
//! playlist names the initialization section with EXT-X-MAP and `.m4s` segments and parts; the box
//! structure is read back (init: ftyp+moov; segment: moof+mdat per part, a segment is its parts);
//! ffprobe reads the playback URL (H.264 640x360 and AAC), and the packets of consecutive segments,
//! joined behind their init, have continuous timestamps.

use super::{target, text, tools_available, wait_ok};
use aws_sdk_ivs::types::ContainerFormat;
use conformance::Server;
use conformance::ffmpeg::Publisher;
use std::process::Command;
use std::time::{Duration, Instant};

/// The top-level boxes of `data` (type and size); panics on a box that overruns.
fn boxes(data: &[u8]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let size = u32::from_be_bytes(data[pos..pos + 4].try_into().expect("4 bytes")) as usize;
        assert!(size >= 8 && pos + size <= data.len(), "box at {pos} of size {size} overruns");
        out.push((String::from_utf8_lossy(&data[pos + 4..pos + 8]).into_owned(), size));
        pos += size;
    }
    out
}

fn attr<'a>(line: &'a str, name: &str) -> &'a str {
    let rest = &line[line.find(&format!("{name}=\"")).expect(name) + name.len() + 2..];
    &rest[..rest.find('"').expect("closing quote")]
}

#[tokio::test(flavor = "multi_thread")]
async fn fragmented_mp4_channels_serve_init_sections_and_fragments() {
    if !tools_available() {
        return;
    }
    let s = Server::start();
    let out = s
        .client()
        .create_channel()
        .insecure_ingest(true)
        .container_format(ContainerFormat::FragmentedMp4)
        .send()
        .await
        .expect("create channel");
    let ch = out.channel().expect("channel");
    assert_eq!(ch.container_format(), Some(&ContainerFormat::FragmentedMp4));
    let url = ch.playback_url().expect("playbackUrl").to_string();
    let key = out.stream_key().and_then(|k| k.value()).expect("key");
    let _ff = Publisher::with_gop(&format!("{}/app/{key}", s.rtmp_url), 40, 30);
    let mv = wait_ok(&s, &url, Duration::from_secs(20));
    assert_eq!(mv.status, 200, "{}", text(&mv));
    let mv = text(&mv);
    assert!(mv.contains("CODECS=\"avc1.64") && mv.contains(",mp4a.40.2\""), "{mv}");
    let uri = mv.lines().find(|l| !l.starts_with('#') && !l.is_empty()).expect("a rendition");
    let media = format!("{}{uri}", &url[..url.rfind('/').expect("a slash") + 1]);
    let dir = media[..media.rfind('/').expect("a slash") + 1].to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut mp = String::new();
    while Instant::now() < deadline && mp.matches("#EXTINF:").count() < 4 {
        std::thread::sleep(Duration::from_millis(300));
        mp = text(&s.raw("GET", target(&media), &[], b"", false));
    }
    assert!(mp.starts_with("#EXTM3U\n#EXT-X-VERSION:6\n"), "{mp}");
    let map = mp.lines().find(|l| l.starts_with("#EXT-X-MAP:")).expect("EXT-X-MAP");
    let init_uri = attr(map, "URI");
    assert!(init_uri.starts_with("init0.mp4"), "{map}");
    assert!(mp.contains("#EXT-X-PART:DURATION=") && mp.contains(".m4s"), "{mp}");
    let init = s.raw("GET", target(&format!("{dir}{init_uri}")), &[], b"", false);
    assert_eq!((init.status, init.header("content-type")), (200, Some("video/mp4")));
    assert!(init.header("cache-control").unwrap_or("").contains("max-age=86400"));
    let kinds: Vec<String> = boxes(&init.body).into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds, ["ftyp", "moov"]);

    // Three consecutive segments: moof+mdat per part, each segment exactly its listed parts.
    let segs: Vec<&str> = mp.lines().filter(|l| !l.starts_with('#') && l.contains(".m4s")).collect();
    let last3 = &segs[segs.len() - 3..];
    let mut joined = init.body.clone();
    for seg in last3 {
        let r = s.raw("GET", target(&format!("{dir}{seg}")), &[], b"", false);
        assert_eq!((r.status, r.header("content-type")), (200, Some("video/mp4")), "{seg}");
        let top = boxes(&r.body);
        assert!(top.len() >= 10 && top.chunks(2).all(|p| p[0].0 == "moof" && p[1].0 == "mdat"), "{top:?}");
        let seq = seg.split('.').next().expect("seq");
        let parts: Vec<&str> = mp
            .lines()
            .filter(|l| l.starts_with("#EXT-X-PART:") && attr(l, "URI").starts_with(&format!("{seq}.")))
            .collect();
        let mut from_parts = Vec::new();
        for p in &parts {
            let pr = s.raw("GET", target(&format!("{dir}{}", attr(p, "URI"))), &[], b"", false);
            assert_eq!(pr.status, 200);
            from_parts.extend_from_slice(&pr.body);
        }
        assert_eq!(parts.len() * 2, top.len(), "one fragment per part: {seg}");
        assert!(from_parts == r.body, "{seg} is its parts");
        joined.extend_from_slice(&r.body);
    }
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), &joined).expect("write");
    let probe = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "packet=stream_index,dts_time,duration_time",
            "-of",
            "csv=p=0",
        ])
        .arg(file.path())
        .output()
        .expect("ffprobe");
    assert!(probe.status.success(), "{}", String::from_utf8_lossy(&probe.stderr));
    let packets = String::from_utf8_lossy(&probe.stdout);
    for (stream, step) in [("0", 1.0 / 30.0), ("1", 1024.0 / 48000.0)] {
        let times: Vec<f64> = packets
            .lines()
            .filter_map(|l| l.split_once(','))
            .filter(|(i, _)| *i == stream)
            .filter_map(|(_, rest)| rest.split(',').next()?.parse().ok())
            .collect();
        assert!(times.len() as f64 >= 5.0 / step, "stream {stream}: {} packets", times.len());
        for w in times.windows(2) {
            let d = w[1] - w[0];
            assert!((step * 0.5..=step * 1.6).contains(&d), "stream {stream}: a gap of {d} s at {}", w[0]);
        }
    }

    // ffprobe and ffmpeg through the playback URL itself.
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_name,width,height,codec_type", "-of", "csv=p=0"])
        .arg(&url)
        .output()
        .expect("ffprobe");
    let streams = String::from_utf8_lossy(&probe.stdout);
    assert!(streams.lines().any(|l| l.starts_with("h264,video,640,360")), "{streams}");
    assert!(streams.lines().any(|l| l.starts_with("aac,audio")), "{streams}");
    let play = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "warning", "-i", &url, "-t", "4", "-f", "null", "-"])
        .output()
        .expect("ffmpeg");
    let log = String::from_utf8_lossy(&play.stderr);
    assert!(play.status.success(), "{log}");
    for bad in ["Non-monotonous", "non monotonically", "corrupt", "error", "Invalid"] {
        assert!(!log.contains(bad), "ffmpeg complained ({bad}): {log}");
    }
}
