//! The live paths, with ffmpeg publishing to the server: the ingest URL helper, `wait_until_live`,
//! GetStream / ListStreams / PutMetadata / GetStreamSession succeeding (cross-checked with the official
//! SDK), StopStream, and `wait_until_offline`. Skips without ffmpeg unless `OPENIVS_REQUIRE_FFMPEG=1`.

use crate::ours;
use conformance::Server;
use conformance::ffmpeg::{Publisher, ffmpeg_available};
use openivs_client::WaitConfig;
use openivs_client::ingest::ingest_url;
use openivs_client::types::*;
use std::time::Duration;

#[tokio::test]
async fn a_live_channel_seen_through_the_client() {
    if !ffmpeg_available() {
        return;
    }
    let s = Server::start();
    let (c, sdk) = (ours(&s), s.client());
    let created = c
        .create_channel(CreateChannelRequest { name: Some("live".into()), ..Default::default() })
        .await
        .expect("create");
    let (channel, key) = (created.channel.expect("channel"), created.stream_key.expect("key"));
    let arn = channel.arn.clone().expect("arn");
    let url = ingest_url(&channel, &key).expect("ingest url");
    assert_eq!(url, format!("{}/app/{}", s.rtmps_url, key.value.as_deref().unwrap_or_default()));
    let _publisher = Publisher::start(&url, 30);

    let wait = WaitConfig { interval: Duration::from_millis(200), timeout: Duration::from_secs(20) };
    let live = c.wait_until_live(&arn, wait).await.expect("goes live");
    let stream = live.stream.expect("stream");
    assert_eq!(stream.state, Some(StreamState::Live));
    let stream_id = stream.stream_id.clone().expect("stream id");
    assert!(stream_id.starts_with("st-") && stream_id.len() == 26, "{stream_id}");
    let theirs = sdk.get_stream().channel_arn(&arn).send().await.expect("sdk get stream");
    assert_eq!(theirs.stream().and_then(|s| s.stream_id()), Some(stream_id.as_str()));

    let listed = c.list_streams(ListStreamsRequest::default()).await.expect("list streams");
    assert!(
        listed.streams.unwrap_or_default().iter().any(|s| s.stream_id.as_deref() == Some(stream_id.as_str()))
    );
    let put = PutMetadataRequest {
        channel_arn: Some(arn.clone()),
        metadata: Some("{\"question\":\"ready?\"}".into()),
    };
    c.put_metadata(put).await.expect("put metadata on a live channel");
    let session = c
        .get_stream_session(GetStreamSessionRequest { channel_arn: Some(arn.clone()), stream_id: None })
        .await
        .expect("latest session");
    assert_eq!(session.stream_session.and_then(|s| s.stream_id), Some(stream_id.clone()));

    c.stop_stream(StopStreamRequest { channel_arn: Some(arn.clone()) }).await.expect("stop stream");
    c.wait_until_offline(&arn, wait).await.expect("goes offline");
    let err = c.get_stream(GetStreamRequest { channel_arn: Some(arn.clone()) }).await.expect_err("offline");
    assert!(
        matches!(
            err,
            openivs_client::SdkError::Service(openivs_client::GetStreamError::ChannelNotBroadcasting(_))
        ),
        "{err:?}"
    );
}
