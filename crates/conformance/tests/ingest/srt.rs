//! SRT ingest end to end (issue 12): ffmpeg (Debian's, with libsrt) publishes MPEG-TS to the URL the
//! API gives (`srt://<srt.endpoint>?streamid=<key>&passphrase=<srt.passphrase>`); the stream is live
//! and healthy, plays in both containers and both latency modes with timed metadata, and StopStream
//! ends it; wrong keys, wrong or missing passphrases and second publishers are refused in the
//! handshake (and never logged); a publisher behind a relay that loses 5 % of the packets stays
//! healthy with nothing missing from what viewers get; one that stops sending is starved out.

use crate::{channel, event_names, wait_live, wait_offline};
use aws_sdk_ivs::Client;
use aws_sdk_ivs::types::{ChannelLatencyMode, ContainerFormat, StreamHealth, StreamState};
use bytes::Bytes;
use conformance::ffmpeg::{Publisher, assert_plays, tools_available};
use conformance::lossy_relay::Relay;
use conformance::{Options, Server};
use futures::SinkExt;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

fn tools() -> bool {
    tools_available(&["ffmpeg", "ffprobe"])
}

/// The channel's SRT URL as IVS documents it, from GetChannel's `srt` and the key.
async fn srt_url(c: &Client, arn: &str, key: &str) -> String {
    let got = c.get_channel().arn(arn).send().await.expect("GetChannel");
    let srt = got.channel().and_then(|ch| ch.srt()).expect("srt");
    let (endpoint, passphrase) = (srt.endpoint().expect("endpoint"), srt.passphrase().expect("passphrase"));
    format!("srt://{endpoint}?streamid={key}&passphrase={passphrase}")
}

/// A channel of the given kind; its ARN, stream key and playback URL.
async fn kind_of_channel(
    c: &Client,
    latency: ChannelLatencyMode,
    format: ContainerFormat,
) -> (String, String, String) {
    let out = c.create_channel().latency_mode(latency).container_format(format).send().await.expect("create");
    let ch = out.channel().expect("channel");
    let key = out.stream_key().and_then(|k| k.value()).expect("key").to_string();
    (ch.arn().expect("arn").into(), key, ch.playback_url().expect("playbackUrl").into())
}

/// The path and query of a URL on the test server.
fn target(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.find('/').map(|i| &rest[i..]).unwrap_or("/")
}

fn text(r: &conformance::RawResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// The media playlist URL of a live channel, once its playlist lists `segments` segments.
async fn media_playlist(s: &Server, url: &str, segments: usize, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    loop {
        let mv = s.raw("GET", target(url), &[], b"", false);
        if mv.status == 200 {
            let mv = text(&mv);
            let uri = mv.lines().find(|l| !l.starts_with('#') && !l.is_empty()).expect("a rendition");
            let media = format!("{}{uri}", &url[..url.rfind('/').expect("a slash") + 1]);
            let mp = text(&s.raw("GET", target(&media), &[], b"", false));
            if mp.matches("#EXTINF").count() >= segments {
                return media;
            }
        }
        assert!(Instant::now() < deadline, "no playlist with {segments} segments at {url}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The segments of a media playlist: (URL, duration in seconds), and the init section's URL if any.
fn segments(s: &Server, media: &str) -> (Vec<(String, f64)>, Option<String>) {
    let mp = text(&s.raw("GET", target(media), &[], b"", false));
    let dir = &media[..media.rfind('/').expect("a slash") + 1];
    let mut out = Vec::new();
    let mut duration = None;
    let mut init = None;
    for line in mp.lines() {
        if let Some(d) = line.strip_prefix("#EXTINF:") {
            duration = d.trim_end_matches(',').parse::<f64>().ok();
        } else if let Some(m) = line.strip_prefix("#EXT-X-MAP:URI=\"") {
            init = m.split('"').next().map(|u| format!("{dir}{u}"));
        } else if !line.starts_with('#')
            && !line.is_empty()
            && let Some(d) = duration.take()
        {
            out.push((format!("{dir}{line}"), d));
        }
    }
    (out, init)
}

#[tokio::test(flavor = "multi_thread")]
async fn srt_publishes_live_and_plays_in_both_containers_and_latency_modes_until_stopped() {
    if !tools() {
        return;
    }
    let s = Server::start();
    let c = s.client();
    let kinds = [
        (ChannelLatencyMode::LowLatency, ContainerFormat::Ts),
        (ChannelLatencyMode::NormalLatency, ContainerFormat::Ts),
        (ChannelLatencyMode::LowLatency, ContainerFormat::FragmentedMp4),
        (ChannelLatencyMode::NormalLatency, ContainerFormat::FragmentedMp4),
    ];
    let mut live = Vec::new();
    for (latency, format) in kinds {
        let (arn, key, playback) = kind_of_channel(&c, latency.clone(), format.clone()).await;
        let url = srt_url(&c, &arn, &key).await;
        assert!(url.starts_with(&s.srt_url), "srt.endpoint names the SRT listener: {url} vs {}", s.srt_url);
        // Exactly as the API gives it: no pbkeylen, so libsrt announces no key length (AES-128).
        let ff = Publisher::srt(&url, 60);
        live.push((arn, playback, latency, format, ff));
    }
    for (arn, ..) in &live {
        wait_live(&c, arn, Duration::from_secs(20)).await.expect("live over SRT");
        let got = c.get_stream().channel_arn(arn).send().await.unwrap();
        let stream = got.stream().unwrap();
        assert_eq!(stream.state(), Some(&StreamState::StreamLive));
        assert_eq!(stream.health(), Some(&StreamHealth::StreamHealthy));
    }
    for (arn, playback, latency, format, _) in &live {
        // NORMAL has 6 s segments: wait for two of either kind so that players start cleanly.
        let media = media_playlist(&s, playback, 2, Duration::from_secs(40)).await;
        assert_plays(playback, 3);
        // Timed metadata put now reaches the segments made next.
        let payload = format!("srt-metadata-{latency:?}-{format:?}-{}", std::process::id());
        c.put_metadata().channel_arn(arn).metadata(&payload).send().await.expect("PutMetadata");
        let deadline = Instant::now() + Duration::from_secs(30);
        let found = loop {
            let (segs, _) = segments(&s, &media);
            let hit = segs.iter().any(|(u, _)| {
                let body = s.raw("GET", target(u), &[], b"", false).body;
                body.windows(payload.len()).any(|w| w == payload.as_bytes())
            });
            if hit || Instant::now() >= deadline {
                break hit;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        assert!(found, "the metadata in a segment of {latency:?} {format:?}");
    }
    // The sessions show what was measured from the MPEG-TS.
    let (arn, ..) = &live[0];
    let session = c.get_stream_session().channel_arn(arn).send().await.unwrap();
    let ingest =
        session.stream_session().and_then(|s| s.ingest_configuration()).expect("ingest configuration");
    let video = ingest.video().unwrap();
    assert_eq!((video.video_width(), video.video_height(), video.target_framerate()), (640, 360, 30));
    assert!(video.codec().unwrap().starts_with("avc1.64"), "{:?}", video.codec());
    let audio = ingest.audio().unwrap();
    assert_eq!((audio.codec(), audio.sample_rate()), (Some("mp4a.40.2"), 48000));
    let link = session_ingest(&s, arn).await;
    assert_eq!(link.protocol.as_deref(), Some("SRT"));
    // libsrt's default latency, 120 ms, as negotiated.
    assert_eq!(link.srt.and_then(|l| l.latency_ms), Some(120));
    // StopStream disconnects the SRT publisher: ffmpeg fails and the stream ends.
    for (arn, _, _, _, ff) in &mut live {
        c.stop_stream().channel_arn(arn.as_str()).send().await.expect("StopStream");
        assert!(wait_offline(&c, arn, Duration::from_secs(10)).await, "offline after StopStream");
        assert!(
            ff.wait(Duration::from_secs(20)).await.is_some(),
            "ffmpeg stops when its connection is closed"
        );
        let session = c.get_stream_session().channel_arn(arn.as_str()).send().await.unwrap();
        let names = event_names(session.stream_session().unwrap());
        assert!(names.iter().any(|n| n == "Session Ended"), "{names:?}");
    }
}

/// Runs ffmpeg to `url` until it exits (refusals make it exit at once); its success.
async fn publish_exits(url: &str) -> bool {
    let mut ff = Publisher::srt(url, 30);
    ff.wait(Duration::from_secs(30)).await.expect("ffmpeg exits when refused")
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_keys_wrong_or_missing_passphrases_and_second_publishers_are_refused_unlogged() {
    if !tools() {
        return;
    }
    let log = tempfile::NamedTempFile::new().expect("log file");
    let env = vec![("OPENIVS_LOG".to_string(), "debug".to_string())];
    let s =
        Server::start_with(Options { env, log_file: Some(log.path().to_path_buf()), ..Options::default() });
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    let url = srt_url(&c, &arn, &key).await;
    let passphrase = url.rsplit_once("passphrase=").map(|(_, p)| p.to_string()).expect("a passphrase");
    let endpoint = url.split('?').next().expect("endpoint").to_string();

    let wrong_key =
        format!("{endpoint}?streamid=sk_us-west-2_wrongKey_000000000000000000000000&passphrase={passphrase}");
    assert!(!publish_exits(&wrong_key).await, "a wrong key is refused");
    let wrong_pass = format!("{endpoint}?streamid={key}&passphrase=NotTheChannelsPassphrase1");
    assert!(!publish_exits(&wrong_pass).await, "a wrong passphrase is refused");
    let no_pass = format!("{endpoint}?streamid={key}");
    assert!(!publish_exits(&no_pass).await, "no passphrase (no encryption) is refused");
    let player = format!("{endpoint}?streamid=#!::r={key},m=request&passphrase={passphrase}");
    assert!(!publish_exits(&player).await, "a player's stream id is refused");
    assert!(c.get_stream().channel_arn(&arn).send().await.is_err(), "nothing went live");

    // The access-control form as IVS documents it (ffmpeg passes the `#` on as it is), with
    // AES-256, then a second publisher while it is live.
    let acl = format!("{endpoint}?streamid=#!::u={key},priority=1&passphrase={passphrase}&pbkeylen=32");
    let _first = Publisher::srt(&acl, 60);
    wait_live(&c, &arn, Duration::from_secs(20)).await.expect("live with #!::u=<key>");
    assert!(!publish_exits(&url).await, "a second publisher is refused");
    assert!(c.get_stream().channel_arn(&arn).send().await.is_ok(), "the first stays live");

    let logged = std::fs::read_to_string(log.path()).expect("read log");
    assert!(logged.contains("publish refused"), "refusals are logged: {logged}");
    assert!(logged.contains("SRT"), "with their protocol");
    for secret in [key.as_str(), passphrase.as_str(), "NotTheChannelsPassphrase1"] {
        assert!(!logged.contains(secret), "a secret reached the log");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_passphrases_count_against_the_address_like_wrong_keys() {
    if !tools() {
        return;
    }
    let s = Server::start();
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    let url = srt_url(&c, &arn, &key).await;
    let endpoint = url.split('?').next().expect("endpoint");
    // A burst of ten wrong passphrases empties the address's bucket (crate::ingest::attempts).
    for _ in 0..10 {
        assert!(!publish_exits(&format!("{endpoint}?streamid={key}&passphrase=guess-guess-guess")).await);
    }
    assert!(!publish_exits(&url).await, "the right passphrase too, for a while");
    assert!(c.get_stream().channel_arn(&arn).send().await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_publisher_behind_five_percent_loss_stays_healthy_and_nothing_is_missing() {
    if !tools() {
        return;
    }
    let log = tempfile::NamedTempFile::new().expect("log file");
    let s = Server::start_with(Options { log_file: Some(log.path().to_path_buf()), ..Options::default() });
    let c = s.client();
    let (arn, key, playback) = kind_of_channel(&c, ChannelLatencyMode::LowLatency, ContainerFormat::Ts).await;
    let server: std::net::SocketAddr = s.srt_url.trim_start_matches("srt://").parse().expect("SRT address");
    let relay = Relay::start(server, 5, 5).await.expect("relay");
    let url = srt_url(&c, &arn, &key).await.replace(&server.to_string(), &relay.addr.to_string());
    // 500 ms of latency (ffmpeg's option is in µs): room for several retransmissions.
    let mut ff = Publisher::srt(&format!("{url}&latency=500000"), 24);
    wait_live(&c, &arn, Duration::from_secs(30)).await.expect("live through the lossy relay");
    let media = media_playlist(&s, &playback, 8, Duration::from_secs(40)).await;
    let got = c.get_stream().channel_arn(&arn).send().await.unwrap();
    assert_eq!(got.stream().and_then(|s| s.health()), Some(&StreamHealth::StreamHealthy));
    // The window's segments, joined, decode to as many frames as their durations say (30 fps):
    // a packet SRT did not recover would have cost a frame and the rest of its GOP.
    let (segs, _) = segments(&s, &media);
    let dir = tempfile::tempdir().expect("temp dir");
    let joined = dir.path().join("window.ts");
    let mut bytes = Vec::new();
    let mut seconds = 0.0;
    for (u, d) in &segs {
        bytes.extend(s.raw("GET", target(u), &[], b"", false).body);
        seconds += d;
    }
    std::fs::write(&joined, &bytes).expect("write");
    let count = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v", "-count_frames", "-show_entries"])
        .args(["stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(&joined)
        .output()
        .expect("ffprobe");
    let counted = String::from_utf8_lossy(&count.stdout);
    // One line for the program, one for the stream: the same count.
    let first = counted.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let frames: f64 =
        first.trim().trim_end_matches(',').parse().unwrap_or_else(|_| {
            panic!("a frame count: {counted:?} {}", String::from_utf8_lossy(&count.stderr))
        });
    assert!((frames - seconds * 30.0).abs() <= 2.0, "{frames} frames in {seconds} s of segments");
    let dropped = relay.stats.dropped.load(Ordering::Relaxed);
    let seen = relay.stats.seen.load(Ordering::Relaxed);
    assert!(dropped * 100 >= seen * 3, "the relay dropped {dropped} of {seen}");
    assert!(relay.stats.reordered.load(Ordering::Relaxed) > 0);
    assert_eq!(ff.wait(Duration::from_secs(40)).await, Some(true), "ffmpeg published to the end");
    assert!(wait_offline(&c, &arn, Duration::from_secs(20)).await);
    // SRT recovered the losses: retransmissions arrived (the session shows them, in openivs's
    // extension member that the AWS SDK skips) and the MPEG-TS had no gap.
    let link = session_ingest(&s, &arn).await;
    assert_eq!(link.protocol.as_deref(), Some("SRT"));
    let srt = link.srt.expect("SRT figures");
    assert!(srt.packets_retransmitted.unwrap_or(0) > 0 && srt.loss_reports.unwrap_or(0) > 0, "{srt:?}");
    assert_eq!((srt.packets_dropped, srt.latency_ms), (Some(0), Some(500)), "{srt:?}");
    let logged = std::fs::read_to_string(log.path()).expect("read log");
    let line =
        plain(logged.lines().find(|l| l.contains("SRT publisher gone")).expect("the publisher's figures"));
    assert!(field(&line, "retransmitted") > 0, "{line}");
    assert_eq!((field(&line, "ts_lost_packets"), field(&line, "ts_dropped_pes")), (0, 0), "{line}");
    drop(relay);
}

/// The latest session's `openivsIngest`.
async fn session_ingest(s: &Server, arn: &str) -> openivs_model::ext::SessionIngest {
    let input = openivs_client::types::GetStreamSessionRequest {
        channel_arn: Some(arn.to_string()),
        ..Default::default()
    };
    let out = s.openivs_client().get_stream_session(input).await.expect("GetStreamSession");
    out.stream_session.and_then(|s| s.openivs_ingest).expect("openivsIngest")
}

/// A log line without its colours.
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(ch) = chars.next() {
        if ch == '\u{1b}' {
            chars.by_ref().find(|c| *c == 'm');
        } else {
            out.push(ch);
        }
    }
    out
}

/// A number field (`name=N`) of a log line.
fn field(line: &str, name: &str) -> u64 {
    let at = line.find(&format!(" {name}=")).unwrap_or_else(|| panic!("{name} in {line}"));
    line[at + name.len() + 2..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("a number")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_srt_publisher_that_stops_sending_is_starved_out() {
    if !tools() {
        return;
    }
    let env = vec![("OPENIVS_INGEST_STARVATION_SECS".to_string(), "6".to_string())];
    let s = Server::start_with(Options { env, ..Options::default() });
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    let url = srt_url(&c, &arn, &key).await;
    let passphrase = url.rsplit_once("passphrase=").map(|(_, p)| p.to_string()).expect("a passphrase");
    // Three seconds of MPEG-TS from ffmpeg, sent by an SRT caller that then keeps its connection
    // open (SRT keepalives) without sending media.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("clip.ts");
    let made = Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30"])
        .args(["-t", "3", "-c:v", "libx264", "-preset", "veryfast", "-g", "30", "-f", "mpegts"])
        .arg(&file)
        .status()
        .expect("ffmpeg");
    assert!(made.success());
    let ts = std::fs::read(&file).expect("read clip");
    let server = s.srt_url.trim_start_matches("srt://");
    let mut caller = srt_tokio::SrtSocket::builder()
        .encryption(0, passphrase.as_str())
        .call(server, Some(key.as_str()))
        .await
        .expect("connected");
    let start = Instant::now();
    for (i, chunk) in ts.chunks(1316).enumerate() {
        // About real time: the clip is 3 s.
        let due = start + Duration::from_secs(3).mul_f64(i as f64 * 1316.0 / ts.len() as f64);
        tokio::time::sleep_until(due.into()).await;
        caller.send((Instant::now(), Bytes::copy_from_slice(chunk))).await.expect("send");
    }
    wait_live(&c, &arn, Duration::from_secs(10)).await.expect("live");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut starving = false;
    while !starving && Instant::now() < deadline {
        let got = c.get_stream().channel_arn(&arn).send().await.ok();
        starving =
            got.and_then(|g| g.stream().and_then(|s| s.health().cloned())) == Some(StreamHealth::Starving);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(starving, "STARVING once the media stopped");
    assert!(
        wait_offline(&c, &arn, Duration::from_secs(20)).await,
        "disconnected after the starvation timeout"
    );
    let session = c.get_stream_session().channel_arn(&arn).send().await.unwrap();
    let ended = session
        .stream_session()
        .unwrap()
        .truncated_events()
        .iter()
        .find(|e| e.name() == Some("Session Ended"))
        .cloned();
    assert_eq!(ended.and_then(|e| e.code().map(str::to_string)).as_deref(), Some("StreamStarved"));
    drop(caller);
}
