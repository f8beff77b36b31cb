//! Auto-record to S3 end to end (issue 10): ffmpeg publishes to the spawned `openivs serve`, and the
//! recording is read back the way IVS users read theirs: the keys of IVS's layout, the JSON files'
//! fields, ffprobe/ffmpeg playing `master.m3u8` and the byte-range playlist for the stream's whole
//! duration, timed metadata inside the segments, and the recording events in the stream session.
//! Both destinations: the embedded default (a folder per bucket) and an S3 server (s3s-fs, with
//! SigV4), including one that goes away mid-recording.

mod layout;
mod s3;

use aws_sdk_ivs::Client;
use aws_sdk_ivs::types::{DestinationConfiguration, RecordingConfigurationState, S3DestinationConfiguration};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use conformance::ffmpeg::{Publisher, tools_available};

/// A recording configuration for `bucket` (reconnect window in seconds); its ARN and state as created.
pub async fn recording_configuration(
    c: &Client,
    bucket: &str,
    window: i32,
) -> (String, RecordingConfigurationState) {
    recording_configuration_with(c, bucket, window, None).await
}

/// The same with a thumbnail configuration.
pub async fn recording_configuration_with(
    c: &Client,
    bucket: &str,
    window: i32,
    thumbnails: Option<aws_sdk_ivs::types::ThumbnailConfiguration>,
) -> (String, RecordingConfigurationState) {
    let dest = DestinationConfiguration::builder()
        .s3(S3DestinationConfiguration::builder().bucket_name(bucket).build().unwrap())
        .build();
    let out = c
        .create_recording_configuration()
        .destination_configuration(dest)
        .recording_reconnect_window_seconds(window)
        .set_thumbnail_configuration(thumbnails)
        .send()
        .await
        .expect("CreateRecordingConfiguration");
    let rc = out.recording_configuration().unwrap();
    (rc.arn().to_string(), rc.state().clone())
}

/// Polls GetRecordingConfiguration until it leaves CREATING; its state then.
pub async fn settled(c: &Client, arn: &str) -> RecordingConfigurationState {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = c.get_recording_configuration().arn(arn).send().await.unwrap();
        let state = out.recording_configuration().unwrap().state().clone();
        if state != RecordingConfigurationState::Creating || Instant::now() > deadline {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A channel recording with `config`: its ARN, id and stream key.
pub async fn recorded_channel(c: &Client, config: &str) -> (String, String, String) {
    let out = c.create_channel().recording_configuration_arn(config).send().await.expect("create channel");
    let arn = out.channel().and_then(|ch| ch.arn()).unwrap().to_string();
    let key = out.stream_key().and_then(|k| k.value()).unwrap().to_string();
    let id = arn.rsplit('/').next().unwrap().to_string();
    (arn, id, key)
}

/// Polls GetStream until the channel is live; its stream id.
pub async fn wait_live(c: &Client, arn: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(out) = c.get_stream().channel_arn(arn).send().await
            && let Some(id) = out.stream().and_then(|s| s.stream_id())
        {
            return id.to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{arn} did not go live");
}

/// The recording prefixes of a channel in a bucket folder (`ivs/v1/<account>/<channel id>/…/<id>`),
/// oldest first, each once its `events/recording-ended.json` or `recording-failed.json` is there;
/// waits up to `limit` for `count` of them.
pub async fn finished_recordings(
    bucket: &Path,
    channel_id: &str,
    count: usize,
    limit: Duration,
) -> Vec<String> {
    let base = bucket.join("ivs/v1").join(conformance::ACCOUNT).join(channel_id);
    let deadline = Instant::now() + limit;
    loop {
        let mut done: Vec<String> = conformance::s3::keys(&base)
            .into_iter()
            .filter_map(|k| {
                k.strip_suffix("/events/recording-ended.json")
                    .or_else(|| k.strip_suffix("/events/recording-failed.json"))
                    .map(str::to_string)
            })
            .map(|rest| format!("ivs/v1/{}/{channel_id}/{rest}", conformance::ACCOUNT))
            .collect();
        // Oldest first, by when each recording's prefix was validated.
        done.sort_by_key(|p| {
            std::fs::metadata(bucket.join(p).join("events/ivs-check")).and_then(|m| m.modified()).ok()
        });
        if done.len() >= count || Instant::now() > deadline {
            return done;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The folder of a prefix in a bucket folder.
pub fn dir(bucket: &Path, prefix: &str) -> PathBuf {
    bucket.join(prefix)
}
