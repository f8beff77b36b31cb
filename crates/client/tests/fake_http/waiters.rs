//! wait_until_live / wait_until_offline: polling GetStream, `ChannelNotBroadcasting` is offline.

use std::time::Duration;

use openivs_client::{GetStreamError, SdkError, WaitConfig, WaitError};

use crate::{Fake, err, ok, standard};

const ARN: &str = "arn:aws:ivs:us-west-2:123456789012:channel/abc";
const LIVE: &str = r#"{"stream":{"channelArn":"arn","state":"LIVE","health":"HEALTHY","viewerCount":3}}"#;

fn offline() -> crate::Answer {
    err(404, "ChannelNotBroadcasting", "not live")
}

fn wait() -> WaitConfig {
    WaitConfig { interval: Duration::from_secs(2), timeout: Duration::from_secs(10) }
}

#[tokio::test(start_paused = true)]
async fn live_after_some_polls() {
    let fake = Fake::new([offline(), offline(), ok(LIVE)]);
    let started = tokio::time::Instant::now();
    let out = standard(&fake).wait_until_live(ARN, wait()).await.unwrap();
    assert_eq!(out.stream.and_then(|s| s.viewer_count), Some(3));
    assert_eq!(fake.requests().len(), 3);
    assert_eq!(started.elapsed(), Duration::from_secs(4));
    assert_eq!(fake.bodies()[0], serde_json::json!({ "channelArn": ARN }));
}

#[tokio::test(start_paused = true)]
async fn offline_after_some_polls() {
    let fake = Fake::new([ok(LIVE), ok(r#"{"stream":{"state":"OFFLINE"}}"#)]);
    standard(&fake).wait_until_offline(ARN, wait()).await.unwrap();
    let fake = Fake::new([ok(LIVE), ok(LIVE), offline()]);
    standard(&fake).wait_until_offline(ARN, wait()).await.unwrap();
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn waits_time_out_and_other_errors_end_them() {
    let fake = Fake::always(offline);
    let e = standard(&fake).wait_until_live(ARN, wait()).await.unwrap_err();
    assert!(matches!(e, WaitError::TimedOut { state: "live", polls: 6, .. }), "{e:?}");

    let fake = Fake::new([err(404, "ResourceNotFoundException", "no channel")]);
    let e = standard(&fake).wait_until_offline(ARN, wait()).await.unwrap_err();
    let WaitError::Failed(SdkError::Service(GetStreamError::ResourceNotFoundException(s))) = e else {
        panic!("{e:?}")
    };
    assert_eq!(s.message(), Some("no channel"));
}
