//! Playback in a real browser: the wall-clock test pattern (`conformance::clock_pattern`) is published
//! with ffmpeg to a channel of the spawned `openivs serve`, and hls.js in headless Chromium
//! (`clients/browser/run.mjs`) plays the channel's `playbackUrl` from a page with its own origin: it must
//! start playing, its currentTime must advance, frames be decoded, and the clock read from the frames
//! on screen advance. Glass-to-glass latency is printed, not asserted (the latency-bench binary reports
//! it properly).
//!
//! Skips with a message when ffmpeg, node, Chromium or `clients/browser/node_modules` are missing,
//! unless `OPENIVS_REQUIRE_FFMPEG=1` / `OPENIVS_REQUIRE_BROWSER=1` (as in CI).
//!
//! The cases run one at a time (a lock): each one runs an encoder and a browser, and on a 2-core machine
//! several at once would only measure each other.

use aws_sdk_ivs::Client;
use aws_sdk_ivs::types::{ChannelLatencyMode, ContainerFormat};
use conformance::Server;
use conformance::browser::{self, Runner};
use conformance::clock_pattern::ClockPublisher;
use openivs_client::token::{PlaybackClaims, PlaybackTokenSigner, playback_url_with_token};
use serde_json::Value;
use std::time::{Duration, Instant};

mod ivs;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn tools_available() -> bool {
    conformance::ffmpeg::tools_available(&["ffmpeg"]) && browser::available()
}

/// What a channel is created with.
#[derive(Clone)]
struct Kind {
    latency: ChannelLatencyMode,
    fmp4: bool,
    authorized: bool,
}

const LOW: Kind = Kind { latency: ChannelLatencyMode::LowLatency, fmp4: false, authorized: false };
const NORMAL: Kind = Kind { latency: ChannelLatencyMode::NormalLatency, fmp4: false, authorized: false };

/// A new channel (RTMP allowed); its ARN, playback URL and stream key.
async fn channel(c: &Client, kind: &Kind) -> (String, String, String) {
    let mut req = c
        .create_channel()
        .insecure_ingest(true)
        .latency_mode(kind.latency.clone())
        .authorized(kind.authorized);
    if kind.fmp4 {
        req = req.container_format(ContainerFormat::FragmentedMp4);
    }
    let out = req.send().await.expect("create channel");
    let ch = out.channel().expect("channel");
    let key = out.stream_key().and_then(|k| k.value()).expect("key").to_string();
    (ch.arn().expect("arn").into(), ch.playback_url().expect("playbackUrl").into(), key)
}

/// The path and query of a URL on the test server.
fn target(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.find('/').map(|i| &rest[i..]).unwrap_or("/")
}

/// Waits until `url` answers something other than 404 (the stream is live and has a segment); that
/// status.
fn wait_live(s: &Server, url: &str, limit: Duration) -> u16 {
    let deadline = Instant::now() + limit;
    loop {
        let r = s.raw("GET", target(url), &[], b"", false);
        if r.status != 404 || Instant::now() >= deadline {
            return r.status;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The clock pattern live on a new channel (RTMP allowed) of `kind`, once its playback URL answers.
struct LiveChannel {
    // Declared first, so dropped first: the encoder stops before the server does (which is kept
    // only to be dropped last).
    publisher: ClockPublisher,
    _server: Server,
    client: Client,
    arn: String,
    url: String,
}

async fn live_channel(kind: &Kind) -> LiveChannel {
    let server = Server::start();
    let client = server.client();
    let (arn, url, key) = channel(&client, kind).await;
    let publisher = ClockPublisher::start(&format!("{}/app/{key}", server.rtmp_url)).expect("ffmpeg");
    assert_eq!(wait_live(&server, &url, Duration::from_secs(30)), 200, "the playback URL never answered 200");
    LiveChannel { publisher, _server: server, client, arn, url }
}

/// Asserts the runner's verdict, with everything it said when it failed.
fn assert_ok(name: &str, r: &Value) {
    assert_eq!(r["ok"], true, "{name}: {}", serde_json::to_string_pretty(r).unwrap_or_default());
}

fn print_latency(name: &str, r: &Value) {
    eprintln!(
        "{name}: played {:.1} s, {} frames decoded, {} clock frames read; glass-to-glass latency ms {}; \
         hls.js latency estimate {} s",
        r["advanced"].as_f64().unwrap_or(0.0),
        r["decodedFrames"],
        r["clockFrames"],
        r["latencyMs"],
        r["hlsLatency"]
    );
}

/// Publishes the clock pattern to a new channel of `kind` and plays it in the browser for `seconds`;
/// the runner's report after asserting it played: currentTime and the decoded clock advanced.
async fn play(kind: Kind, seconds: u32, extra: &[&str]) -> Value {
    let live = live_channel(&kind).await;
    let url = &live.url;
    let secs = seconds.to_string();
    let mut args = vec!["--barcode", "--seconds", &secs, "--min-advance", "3", "--timeout", "40"];
    args.extend_from_slice(extra);
    let mut runner = Runner::start(url, &args);
    let r = runner.result(Duration::from_secs(u64::from(seconds) + 120));
    assert_ok("play", &r);
    // The runner checked these too; restated here so the test says what it asserts.
    assert!(r["advanced"].as_f64().unwrap_or(0.0) >= 3.0, "{r}");
    assert!(r["decodedFrames"].as_u64().unwrap_or(0) >= 60, "{r}");
    assert!(r["clockAdvance"].as_f64().unwrap_or(0.0) >= 3.0, "{r}");
    r
}

#[tokio::test(flavor = "multi_thread")]
async fn hls_js_plays_a_low_latency_channel() {
    if !tools_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    // Low-latency HLS: hls.js must load the playlist's parts (EXT-X-PART), not only whole segments.
    let r = play(LOW, 10, &["--ll"]).await;
    assert_eq!(r["lowLatency"]["map"], false, "MPEG-TS segments have no EXT-X-MAP: {r}");
    print_latency("LOW", &r);
}

#[tokio::test(flavor = "multi_thread")]
async fn hls_js_plays_a_normal_latency_channel() {
    if !tools_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let r = play(NORMAL, 10, &[]).await;
    assert_eq!(r["lowLatency"]["partTarget"], 0, "NORMAL is classic HLS: {r}");
    print_latency("NORMAL", &r);
}

#[tokio::test(flavor = "multi_thread")]
async fn hls_js_plays_a_fragmented_mp4_channel() {
    if !tools_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let r = play(Kind { fmp4: true, ..LOW }, 10, &["--ll"]).await;
    assert_eq!(r["lowLatency"]["map"], true, "fragmented MP4 starts from an EXT-X-MAP init section: {r}");
    print_latency("LOW fMP4", &r);
}

/// PutMetadata while hls.js plays reaches it as a timed-metadata cue (ID3 in TS, `emsg` in fMP4).
#[tokio::test(flavor = "multi_thread")]
async fn put_metadata_arrives_in_hls_js_as_a_cue() {
    if !tools_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    for kind in [LOW, Kind { fmp4: true, ..LOW }] {
        let live = live_channel(&kind).await;
        let (c, arn, url) = (&live.client, &live.arn, &live.url);
        let text = format!("openivs-cue-{}-fmp4={}", conformance::clock_pattern::now_ms(), kind.fmp4);
        let mut runner =
            Runner::start(url, &["--cue", &text, "--seconds", "4", "--timeout", "40", "--min-advance", "2"]);
        let playing = runner.wait_for("playing", Duration::from_secs(60));
        assert!(playing.is_some(), "never played: {:?}", runner.seen);
        // A few times, a second apart (within the 5 TPS limit): one is enough to arrive.
        for _ in 0..3 {
            c.put_metadata().channel_arn(arn).metadata(&text).send().await.expect("PutMetadata");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let r = runner.result(Duration::from_secs(120));
        assert_ok("metadata", &r);
        // The 'metadata' TextTrack hls.js fills (what a web player reads), not only its parser's event.
        let cues: Vec<&str> = r["cues"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        assert!(
            cues.iter().any(|c| c.starts_with("TXXX:") && c.contains(&text)),
            "fmp4={}: {text} not among {cues:?}",
            kind.fmp4
        );
        eprintln!("metadata fmp4={}: cues {} id3 {}", kind.fmp4, r["cues"], r["id3"]);
    }
}

/// A private channel: hls.js is refused (403) without a token, and plays with one minted by the client
/// crate's signer with a key pair imported by ImportPlaybackKeyPair, bound to the page's origin with
/// strict origin enforcement; the same token on a page of another origin is refused.
#[tokio::test(flavor = "multi_thread")]
async fn hls_js_plays_a_private_channel_only_with_a_token() {
    if !tools_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = Server::start();
    let c = s.client();
    let (arn, url, key) = channel(&c, &Kind { authorized: true, ..LOW }).await;
    let pair = PlaybackTokenSigner::generate().expect("key pair");
    c.import_playback_key_pair()
        .name("browser")
        .public_key_material(pair.signer.public_key_pem())
        .send()
        .await
        .expect("ImportPlaybackKeyPair");
    let _publisher = ClockPublisher::start(&format!("{}/app/{key}", s.rtmp_url)).expect("ffmpeg");
    assert_eq!(wait_live(&s, &url, Duration::from_secs(30)), 403, "a private channel without a token");

    let mut refused = Runner::start(&url, &["--expect", "refused", "--status", "403", "--timeout", "20"]);
    assert_ok("no token", &refused.result(Duration::from_secs(90)));

    let port = free_port();
    let origin = format!("http://127.0.0.1:{port}");
    let claims = PlaybackClaims::new(arn.clone(), Duration::from_secs(600))
        .allowed_origin(origin.clone())
        .strict_origin_enforcement(true);
    let token = pair.signer.sign(&claims).expect("token");
    let with_token = playback_url_with_token(&url, &token);
    let port_arg = port.to_string();
    let mut plays = Runner::start(
        &with_token,
        &["--barcode", "--seconds", "8", "--min-advance", "3", "--timeout", "40", "--port", &port_arg],
    );
    let r = plays.result(Duration::from_secs(120));
    assert_ok("with a token", &r);
    assert_eq!(r["origin"], origin.as_str());
    print_latency("private LOW", &r);

    // The same token from a page of another origin: strict origin enforcement refuses it.
    let mut elsewhere = Runner::start(&with_token, &["--expect", "refused", "--timeout", "20"]);
    assert_ok("another origin", &elsewhere.result(Duration::from_secs(90)));
}

/// A free loopback port (for the page's origin, which the token names before the page exists).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
