//! Live ingest end to end: ffmpeg publishes over RTMPS, RTMP and SRT to the spawned `openivs serve`, and the
//! official `aws-sdk-ivs` client checks what IVS's API would show (GetStream, ListStreams, StopStream,
//! GetStreamSession, ListStreamSessions). Tests skip with a message when ffmpeg is not installed,
//! unless `OPENIVS_REQUIRE_FFMPEG=1` (as in CI), where its absence fails them.

mod attempts;
mod control;
mod flood;
mod publish;
mod srt;

use aws_sdk_ivs::Client;
use std::time::{Duration, Instant};

pub use conformance::ffmpeg::{Publisher, ffmpeg_available};

/// A new channel and its stream key value.
pub async fn channel(c: &Client, insecure: bool) -> (String, String) {
    let out = c.create_channel().insecure_ingest(insecure).send().await.expect("create channel");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn").to_string();
    let key = out.stream_key().and_then(|k| k.value()).expect("key").to_string();
    (arn, key)
}

/// Polls GetStream until the channel is live (its stream id) or `limit` passes.
pub async fn wait_live(c: &Client, arn: &str, limit: Duration) -> Option<String> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(out) = c.get_stream().channel_arn(arn).send().await
            && let Some(id) = out.stream().and_then(|s| s.stream_id())
        {
            return Some(id.to_string());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// Polls GetStream until the channel is not live; true when it went offline within `limit`.
pub async fn wait_offline(c: &Client, arn: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        match c.get_stream().channel_arn(arn).send().await {
            Err(e) if e.as_service_error().is_some_and(|e| e.is_channel_not_broadcasting()) => return true,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    false
}

/// The names of a session's events, newest first.
pub fn event_names(s: &aws_sdk_ivs::types::StreamSession) -> Vec<String> {
    s.truncated_events().iter().filter_map(|e| e.name().map(str::to_string)).collect()
}
