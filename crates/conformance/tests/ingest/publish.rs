//! Publishing: RTMPS with the channel's key shows a live stream and leaves a session whose ingest
//! configuration matches what ffmpeg sent; plain RTMP only with insecureIngest; wrong and deleted keys
//! are refused.

use crate::{Publisher, channel, event_names, ffmpeg_available, wait_live, wait_offline};
use aws_sdk_ivs::types::{StreamFilters, StreamHealth, StreamState};
use conformance::Server;
use std::time::Duration;

#[tokio::test]
async fn rtmps_publish_is_live_then_leaves_a_session_with_the_measured_configuration() {
    if !ffmpeg_available() {
        return;
    }
    let s = Server::start();
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    let ingest = c.get_channel().arn(&arn).send().await.unwrap();
    let endpoint = ingest.channel().and_then(|ch| ch.ingest_endpoint()).unwrap().to_string();
    assert_eq!(format!("rtmps://{endpoint}"), s.rtmps_url, "ingestEndpoint names the RTMPS listener");
    let mut ff = Publisher::start(&format!("rtmps://{endpoint}/app/{key}"), 6);

    let id = wait_live(&c, &arn, Duration::from_secs(15)).await.expect("live over RTMPS");
    assert!(id.len() == 26 && id.starts_with("st-") && id[3..].chars().all(|ch| ch.is_ascii_alphanumeric()));
    let got = c.get_stream().channel_arn(&arn).send().await.unwrap();
    let stream = got.stream().unwrap();
    assert_eq!(stream.state(), Some(&StreamState::StreamLive));
    assert_eq!(stream.health(), Some(&StreamHealth::StreamHealthy));
    assert!(stream.start_time().is_some() && stream.playback_url().is_some());
    assert_eq!(stream.viewer_count(), 0);
    let healthy = StreamFilters::builder().health(StreamHealth::StreamHealthy).build();
    let listed = c.list_streams().filter_by(healthy).send().await.unwrap();
    assert!(listed.streams().iter().any(|s| s.stream_id() == Some(id.as_str())));
    let starving = StreamFilters::builder().health(StreamHealth::Starving).build();
    assert!(c.list_streams().filter_by(starving).send().await.unwrap().streams().is_empty());
    // The session is there while live, without an end.
    let live = c.get_stream_session().channel_arn(&arn).send().await.unwrap();
    assert!(live.stream_session().unwrap().end_time().is_none());

    assert_eq!(ff.wait(Duration::from_secs(20)).await, Some(true), "ffmpeg published without error");
    assert!(wait_offline(&c, &arn, Duration::from_secs(5)).await, "offline after the encoder left");
    let out = c.get_stream_session().channel_arn(&arn).stream_id(&id).send().await.unwrap();
    let session = out.stream_session().unwrap();
    assert!(session.end_time().is_some());
    assert_eq!(session.channel().and_then(|ch| ch.arn()), Some(arn.as_str()));
    let ingest = session.ingest_configuration().unwrap();
    let video = ingest.video().unwrap();
    assert_eq!((video.video_width(), video.video_height()), (640, 360));
    assert_eq!(video.target_framerate(), 30);
    assert!(video.codec().unwrap().starts_with("avc1.64"), "{:?}", video.codec());
    assert_eq!(video.avc_profile(), Some("High"));
    assert!(video.encoder().unwrap_or_default().starts_with("Lavf"), "{:?}", video.encoder());
    assert!(video.target_bitrate() > 50_000, "measured video bitrate {}", video.target_bitrate());
    let audio = ingest.audio().unwrap();
    assert_eq!((audio.codec(), audio.sample_rate(), audio.channels()), (Some("mp4a.40.2"), 48000, 1));
    assert!(audio.target_bitrate() > 10_000, "measured audio bitrate {}", audio.target_bitrate());
    let names = event_names(session);
    for want in ["Session Created", "Stream Start", "Session Ended", "Stream End"] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    assert_eq!(names.first().map(String::as_str), Some("Stream End"), "newest first");
    let list = c.list_stream_sessions().channel_arn(&arn).send().await.unwrap();
    let summary = &list.stream_sessions()[0];
    assert_eq!(summary.stream_id(), Some(id.as_str()));
    assert!(summary.end_time().is_some() && !summary.has_error_event());
}

#[tokio::test]
async fn plain_rtmp_is_accepted_only_with_insecure_ingest() {
    if !ffmpeg_available() {
        return;
    }
    let s = Server::start();
    let c = s.client();
    let (secure_arn, secure_key) = channel(&c, false).await;
    let mut refused = Publisher::start(&format!("{}/app/{secure_key}", s.rtmp_url), 5);
    assert_eq!(
        refused.wait(Duration::from_secs(10)).await,
        Some(false),
        "RTMP refused without insecureIngest"
    );
    assert!(wait_offline(&c, &secure_arn, Duration::from_secs(1)).await);

    let (arn, key) = channel(&c, true).await;
    let mut ff = Publisher::start(&format!("{}/app/{key}", s.rtmp_url), 4);
    assert!(wait_live(&c, &arn, Duration::from_secs(15)).await.is_some(), "live over plain RTMP");
    assert_eq!(ff.wait(Duration::from_secs(20)).await, Some(true));
}

#[tokio::test]
async fn wrong_and_deleted_keys_are_refused_and_a_new_key_works() {
    if !ffmpeg_available() {
        return;
    }
    let s = Server::start();
    let c = s.client();
    let (arn, key) = channel(&c, false).await;
    // The last character changed (to one it is not: a key ending in 'x' once made this the real key).
    let last = if key.ends_with('x') { 'y' } else { 'x' };
    let forged = format!("{}{last}", &key[..key.len() - 1]);
    assert_ne!(forged, key);
    for bad in [forged.as_str(), "sk_us-west-2_nothing", ""] {
        let mut ff = Publisher::start(&format!("{}/app/{bad}", s.rtmps_url), 5);
        assert_eq!(ff.wait(Duration::from_secs(10)).await, Some(false), "key {bad:?} refused");
    }
    let keys = c.list_stream_keys().channel_arn(&arn).send().await.unwrap();
    let key_arn = keys.stream_keys()[0].arn().unwrap().to_string();
    c.delete_stream_key().arn(&key_arn).send().await.unwrap();
    let mut ff = Publisher::start(&format!("{}/app/{key}", s.rtmps_url), 5);
    assert_eq!(ff.wait(Duration::from_secs(10)).await, Some(false), "a deleted key is refused");
    assert!(wait_offline(&c, &arn, Duration::from_secs(1)).await);
    let fresh = c.create_stream_key().channel_arn(&arn).send().await.unwrap();
    let fresh = fresh.stream_key().and_then(|k| k.value()).unwrap().to_string();
    let mut ff = Publisher::start(&format!("{}/app/{fresh}", s.rtmps_url), 3);
    assert!(wait_live(&c, &arn, Duration::from_secs(15)).await.is_some(), "the new key publishes");
    assert_eq!(ff.wait(Duration::from_secs(20)).await, Some(true));
}
