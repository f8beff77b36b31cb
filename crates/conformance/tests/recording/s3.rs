//! Recording to an S3 server (s3s-fs, SigV4 enforced): the same layout as the embedded default, a
//! configuration whose bucket cannot be written fails (CREATE_FAILED) and cannot be used, and a store
//! that stops mid-recording and comes back loses nothing.

use crate::layout::{check_recording, session_events};
use crate::{
    Publisher, finished_recordings, recorded_channel, recording_configuration, settled, tools_available,
    wait_live,
};
use aws_sdk_ivs::types::RecordingConfigurationState;
use conformance::s3::S3Server;
use conformance::{Options, Server};
use std::time::Duration;

fn server_for(s3: &S3Server) -> Server {
    Server::start_with(Options { env: s3.serve_env(), ..Default::default() })
}

#[tokio::test]
async fn a_stream_is_recorded_to_an_s3_server_and_an_unwritable_bucket_fails_the_configuration() {
    if !tools_available(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let mut s3 = S3Server::start(&["ivs-recordings"]);
    let s = server_for(&s3);
    let c = s.client();

    // The store is down while the configuration is created: its probe write fails. (s3s-fs creates
    // a missing bucket on write, so a missing bucket cannot stand for the failure here.)
    s3.stop();
    let (missing, _) = recording_configuration(&c, "ivs-recordings", 0).await;
    assert_eq!(settled(&c, &missing).await, RecordingConfigurationState::CreateFailed);
    s3.restart();
    let refused = c.create_channel().recording_configuration_arn(&missing).send().await;
    let err = refused.expect_err("a channel cannot use a CREATE_FAILED configuration");
    assert!(err.as_service_error().is_some_and(|e| e.is_validation_exception()), "{err:?}");

    // Created and used at once: the channel waits for the probe instead of failing.
    let (config, _) = recording_configuration(&c, "ivs-recordings", 0).await;
    let (arn, channel_id, key) = recorded_channel(&c, &config).await;
    assert_eq!(settled(&c, &config).await, RecordingConfigurationState::Active);
    let mut ff = Publisher::with_gop(&format!("{}/app/{key}", s.rtmps_url), 14, 30);
    let stream_id = wait_live(&c, &arn).await;
    assert_eq!(ff.wait(Duration::from_secs(30)).await, Some(true));
    let bucket = s3.bucket_dir("ivs-recordings");
    let done = finished_recordings(&bucket, &channel_id, 1, Duration::from_secs(30)).await;
    assert_eq!(done.len(), 1, "{done:?}");
    check_recording(&bucket, &done[0], &arn, 11_500, 15_500);
    let events = session_events(&c, &arn, &stream_id).await;
    assert!(events.iter().any(|e| e == "Recording End"), "{events:?}");
    // The configuration's probe object (IVS may write only under ivs/).
    assert!(bucket.join("ivs/v1").join(conformance::ACCOUNT).join("ivs-check").exists());
}

#[tokio::test]
async fn a_store_that_stops_mid_recording_loses_nothing() {
    if !tools_available(&["ffmpeg", "ffprobe"]) {
        return;
    }
    let mut s3 = S3Server::start(&["outage"]);
    let s = server_for(&s3);
    let c = s.client();
    let (config, _) = recording_configuration(&c, "outage", 0).await;
    let (arn, channel_id, key) = recorded_channel(&c, &config).await;
    let mut ff = Publisher::with_gop(&format!("{}/app/{key}", s.rtmps_url), 26, 30);
    wait_live(&c, &arn).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Down for most of the stream: two segments' worth are written while it is away.
    s3.stop();
    tokio::time::sleep(Duration::from_secs(18)).await;
    s3.restart();
    assert_eq!(ff.wait(Duration::from_secs(30)).await, Some(true));
    let bucket = s3.bucket_dir("outage");
    let done = finished_recordings(&bucket, &channel_id, 1, Duration::from_secs(60)).await;
    assert_eq!(done.len(), 1, "{done:?}");
    check_recording(&bucket, &done[0], &arn, 23_000, 27_500);
}
