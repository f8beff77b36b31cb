//! The Amazon IVS Player Web SDK (npm `amazon-ivs-player`, what IVS viewers watch with) in headless
//! Chromium, checked through the player's own states, events and `getPosition()`: every channel kind
//! plays, PutMetadata arrives as exactly one `TEXT_METADATA_CUE`, the end of a stream is `Ended`, an
//! offline channel is `ErrorNotAvailable` and a private one without a token `ErrorAuthorization`.
//!
//! The player phones home to Amazon hosts, which do not resolve here; that only fills the console.
//! Start times and glass-to-glass latency are printed, not asserted (`latency-bench --player ivs`
//! measures them).

use super::{Kind, LOW, NORMAL, ONE_AT_A_TIME, assert_ok, channel, live_channel, tools_available, wait_live};
use aws_sdk_ivs::types::ChannelLatencyMode;
use conformance::Server;
use conformance::browser::Runner;
use conformance::clock_pattern::ClockPublisher;
use openivs_client::token::{PlaybackClaims, PlaybackTokenSigner, playback_url_with_token};
use serde_json::Value;
use std::time::Duration;

/// The texts of the player's TEXT_METADATA_CUE events, every one (repeats included).
fn cues(r: &Value) -> Vec<String> {
    r["cues"].as_array().into_iter().flatten().filter_map(Value::as_str).map(String::from).collect()
}

fn states(r: &Value) -> Vec<String> {
    r["ivs"]["states"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["state"].as_str())
        .map(String::from)
        .collect()
}

fn print(name: &str, r: &Value) {
    eprintln!(
        "IVS Player {name}: started {} ms after load(), played {:.1} s, {} frames decoded, low latency {}, \
         qualities {}, buffer {} s; glass-to-glass latency ms {}",
        r["startMs"],
        r["advanced"].as_f64().unwrap_or(0.0),
        r["decodedFrames"],
        r["ivs"]["lowLatency"],
        r["ivs"]["qualities"],
        r["ivs"]["buffer"],
        r["latencyMs"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ivs_player_plays_every_channel_kind() {
    if !tools_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    for kind in [LOW, NORMAL, Kind { fmp4: true, ..LOW }, Kind { fmp4: true, ..NORMAL }] {
        let name = format!("{:?} fmp4={}", kind.latency, kind.fmp4);
        let live = live_channel(&kind).await;
        let mut runner = Runner::start(
            &live.url,
            &["--player", "ivs", "--barcode", "--seconds", "10", "--min-advance", "4", "--timeout", "40"],
        );
        let r = runner.result(Duration::from_secs(120));
        assert_ok(&name, &r);
        // Through the player's own view: it reached Playing with no error, and its position advanced.
        let seen = states(&r);
        let playing = seen.iter().position(|s| s == "Playing").unwrap_or_else(|| panic!("{name}: {r}"));
        // …and kept playing: no Buffering (a stall) once it played.
        assert!(seen[playing..].iter().all(|s| s == "Playing"), "{name}: states {seen:?}: {r}");
        assert!(r["advanced"].as_f64().unwrap_or(0.0) >= 4.0, "{name}: getPosition() stalled: {r}");
        assert!(
            r["clockAdvance"].as_f64().unwrap_or(0.0) >= 4.0,
            "{name}: the pictures did not advance: {r}"
        );
        assert!(r["errors"].as_array().is_some_and(|e| e.iter().all(|e| e["fatal"] == false)), "{name}: {r}");
        // LOW channels are played as low latency (LHLS prefetch); NORMAL ones are not.
        let low = kind.latency == ChannelLatencyMode::LowLatency;
        assert_eq!(r["ivs"]["lowLatency"], low, "{name}: isLiveLowLatency(): {r}");
        // The rendition is named as IVS names it: <height>p<frame rate>.
        assert_eq!(r["ivs"]["qualities"], serde_json::json!(["360p30"]), "{name}: {r}");
        print(&name, &r);
    }
}

/// Each PutMetadata reaches the IVS Player as exactly one TEXT_METADATA_CUE, in both containers, and
/// the frameless ID3 tags that open MPEG-TS segments give none.
#[tokio::test(flavor = "multi_thread")]
async fn put_metadata_reaches_the_ivs_player_once() {
    if !tools_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    for kind in [LOW, Kind { fmp4: true, ..LOW }] {
        let live = live_channel(&kind).await;
        let (c, arn, url) = (&live.client, &live.arn, &live.url);
        let stamp = conformance::clock_pattern::now_ms();
        let texts: Vec<String> = (0..3).map(|i| format!("ivs-cue-{stamp}-{i}-fmp4={}", kind.fmp4)).collect();
        let mut args = vec!["--player", "ivs", "--seconds", "12", "--timeout", "40", "--min-advance", "2"];
        for t in &texts {
            args.extend(["--cue", t.as_str()]);
        }
        let mut runner = Runner::start(url, &args);
        assert!(
            runner.wait_for("playing", Duration::from_secs(60)).is_some(),
            "never played: {:?}",
            runner.seen
        );
        for t in &texts {
            c.put_metadata().channel_arn(arn).metadata(t).send().await.expect("PutMetadata");
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let r = runner.result(Duration::from_secs(120));
        assert_ok("metadata", &r);
        let got = cues(&r);
        for t in &texts {
            let n = got.iter().filter(|c| c.ends_with(&format!("|{t}"))).count();
            assert_eq!(n, 1, "fmp4={}: {t} arrived {n} times among {got:?}", kind.fmp4);
        }
        assert_eq!(got.len(), texts.len(), "fmp4={}: cues that no PutMetadata sent: {got:?}", kind.fmp4);
    }
}

/// An encoder that stops: the player plays out what it has and reports Ended, with no error.
#[tokio::test(flavor = "multi_thread")]
async fn the_ivs_player_reports_the_end_of_a_stream() {
    if !tools_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    for kind in [LOW, Kind { fmp4: true, ..NORMAL }] {
        let name = format!("{:?} fmp4={}", kind.latency, kind.fmp4);
        let mut live = live_channel(&kind).await;
        let mut runner = Runner::start(
            &live.url,
            &[
                "--player",
                "ivs",
                "--seconds",
                "4",
                "--min-advance",
                "2",
                "--timeout",
                "40",
                "--until-ended",
                "60",
            ],
        );
        assert!(runner.wait_for("watched", Duration::from_secs(90)).is_some(), "{name}: {:?}", runner.seen);
        live.publisher.stop();
        let r = runner.result(Duration::from_secs(120));
        assert_ok(&name, &r);
        assert_eq!(r["ended"], true, "{name}: {r}");
        assert_eq!(states(&r).last().map(String::as_str), Some("Ended"), "{name}: {r}");
        assert!(r["fatal"].is_null(), "{name}: {r}");
    }
}

/// An offline channel is the player's ErrorNotAvailable; a private channel is ErrorAuthorization
/// without a token and plays with one.
#[tokio::test(flavor = "multi_thread")]
async fn the_ivs_player_is_told_offline_and_unauthorized_as_on_ivs() {
    if !tools_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = Server::start();
    let c = s.client();
    let (_, offline_url, _) = channel(&c, &LOW).await;
    let mut offline = Runner::start(
        &offline_url,
        &["--player", "ivs", "--expect", "refused", "--error-type", "ErrorNotAvailable", "--timeout", "20"],
    );
    assert_ok("offline", &offline.result(Duration::from_secs(90)));

    for kind in [Kind { authorized: true, ..LOW }, Kind { authorized: true, fmp4: true, ..LOW }] {
        let (arn, url, key) = channel(&c, &kind).await;
        let pair = PlaybackTokenSigner::generate().expect("key pair");
        c.import_playback_key_pair()
            .name(format!("ivs-player-{}", kind.fmp4))
            .public_key_material(pair.signer.public_key_pem())
            .send()
            .await
            .expect("ImportPlaybackKeyPair");
        let _publisher = ClockPublisher::start(&format!("{}/app/{key}", s.rtmp_url)).expect("ffmpeg");
        assert_eq!(wait_live(&s, &url, Duration::from_secs(30)), 403);
        let mut refused = Runner::start(
            &url,
            &[
                "--player",
                "ivs",
                "--expect",
                "refused",
                "--error-type",
                "ErrorAuthorization",
                "--timeout",
                "20",
            ],
        );
        assert_ok("no token", &refused.result(Duration::from_secs(90)));
        let token = pair.signer.sign(&PlaybackClaims::new(arn, Duration::from_secs(600))).expect("token");
        let mut plays = Runner::start(
            &playback_url_with_token(&url, &token),
            &["--player", "ivs", "--seconds", "6", "--min-advance", "3", "--timeout", "40"],
        );
        let r = plays.result(Duration::from_secs(120));
        assert_ok("with a token", &r);
        // Pairs are limited to three per account and region.
        let pairs = c.list_playback_key_pairs().send().await.expect("list");
        for p in pairs.key_pairs() {
            let _ = c.delete_playback_key_pair().arn(p.arn().unwrap_or_default()).send().await;
        }
    }
}
