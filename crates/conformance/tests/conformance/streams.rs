//! Streams and sessions of channels that are not live (ivs-api.md GetStream, StopStream, PutMetadata,
//! InsertAdBreak, ListStreams, GetStreamSession, ListStreamSessions), and viewer-session revocation
//! (StartViewerSessionRevocation, BatchStartViewerSessionRevocation; ivs-behaviour.md §5), which is
//! stored for playback in the `revocations` table of the data dir's database.

use crate::channels::{expect_err, raw_post};
use aws_sdk_ivs::Client;
use aws_sdk_ivs::types::{
    BatchStartViewerSessionRevocationViewerSession as ViewerSession, StreamFilters, StreamHealth,
};
use conformance::{ACCOUNT, Server};
use serde_json::json;

/// A channel of `account` that uses an ad configuration; returns its ARN.
async fn channel_with_ads(c: &Client, account: &str) -> String {
    let ad = crate::common::ad_configuration(c, account).await;
    let out = c.create_channel().ad_configuration_arn(ad).send().await.expect("channel");
    out.channel().and_then(|ch| ch.arn()).expect("arn").to_string()
}

fn missing_channel() -> String {
    format!("arn:aws:ivs:us-west-2:{ACCOUNT}:channel/NoSuchChanel")
}

fn session(channel: &str, viewer: &str) -> ViewerSession {
    ViewerSession::builder().channel_arn(channel).viewer_id(viewer).build().expect("viewer session")
}

/// The stored revocations: (channel ARN, viewer id, highest revoked version), sorted.
fn revocations(s: &Server) -> Vec<(String, String, i64)> {
    let db = rusqlite::Connection::open(s.data_dir.join("openivs.db")).expect("open the server's database");
    let mut st = db
        .prepare(
            "SELECT channel_arn, viewer_id, max_version FROM revocations ORDER BY channel_arn, viewer_id",
        )
        .expect("revocations table");
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).expect("query");
    rows.collect::<Result<_, _>>().expect("rows")
}

#[tokio::test]
async fn live_operations_on_an_offline_channel_are_channel_not_broadcasting() {
    let s = Server::start();
    let c = s.client();
    let arn = channel_with_ads(&c, ACCOUNT).await;
    let not_live = "ChannelNotBroadcasting";

    let e = expect_err(c.get_stream().channel_arn(&arn).send().await, not_live, &arn);
    assert!(e.is_channel_not_broadcasting());
    let e = expect_err(c.stop_stream().channel_arn(&arn).send().await, not_live, &arn);
    assert!(e.is_channel_not_broadcasting());
    let e = expect_err(c.put_metadata().channel_arn(&arn).metadata("hello").send().await, not_live, &arn);
    assert!(e.is_channel_not_broadcasting());
    let res = c.insert_ad_break().channel_arn(&arn).duration_seconds(30).send().await;
    let e = expect_err(res, not_live, &arn);
    assert!(e.is_channel_not_broadcasting());

    let raw = raw_post(&s, "GetStream", &json!({ "channelArn": arn }));
    assert_eq!((raw.status, raw.header("x-amzn-errortype")), (404, Some(not_live)));
}

#[tokio::test]
async fn stream_operations_on_a_missing_channel_are_not_found() {
    let s = Server::start();
    let c = s.client();
    // A channel of another account (with an ad configuration) is as missing as one that never was.
    let (key, secret, account) = s.create_key(Some("210987654321"), &[]);
    let theirs = channel_with_ads(&s.client_for("us-west-2", &key, &secret), &account).await;
    let not_found = "ResourceNotFoundException";
    for arn in [missing_channel(), theirs] {
        let e = expect_err(c.get_stream().channel_arn(&arn).send().await, not_found, &arn);
        assert!(e.is_resource_not_found_exception());
        let e = expect_err(c.stop_stream().channel_arn(&arn).send().await, not_found, &arn);
        assert!(e.is_resource_not_found_exception());
        let res = c.put_metadata().channel_arn(&arn).metadata("hi").send().await;
        let e = expect_err(res, not_found, &arn);
        assert!(e.is_resource_not_found_exception());
        let res = c.insert_ad_break().channel_arn(&arn).duration_seconds(30).send().await;
        let e = expect_err(res, not_found, &arn);
        assert!(e.is_resource_not_found_exception());
    }
}

#[tokio::test]
async fn put_metadata_takes_1_to_1024_bytes() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_channel().send().await.expect("channel");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let put = |metadata: String| c.put_metadata().channel_arn(arn).metadata(metadata).send();

    let e = expect_err(put("x".repeat(1025)).await, "ValidationException", "metadata");
    assert!(e.is_validation_exception());
    // 342 three-byte characters: 1026 bytes, although only 342 characters.
    expect_err(put("€".repeat(342)).await, "ValidationException", "metadata");
    expect_err(put(String::new()).await, "ValidationException", "metadata");
    // 1 KB exactly is accepted; the channel is simply not live.
    expect_err(put("x".repeat(1024)).await, "ChannelNotBroadcasting", arn);
}

#[tokio::test]
async fn list_streams_is_empty_and_takes_a_health_filter() {
    let s = Server::start();
    let c = s.client();
    c.create_channel().send().await.expect("an offline channel");
    let out = c.list_streams().send().await.expect("list streams");
    assert!(out.streams().is_empty());
    assert_eq!(out.next_token(), None);
    for health in [StreamHealth::StreamHealthy, StreamHealth::Starving, StreamHealth::UnknownValue] {
        let filter = StreamFilters::builder().health(health).build();
        let out = c.list_streams().filter_by(filter).max_results(100).send().await.expect("filtered");
        assert!(out.streams().is_empty());
    }

    let raw = raw_post(&s, "ListStreams", &json!({}));
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json()["streams"], json!([]), "the required list is present, empty");
    let raw = raw_post(&s, "ListStreams", &json!({ "filterBy": { "health": "GREAT" } }));
    assert_eq!((raw.status, raw.header("x-amzn-errortype")), (400, Some("ValidationException")));
    let message = raw.json()["exceptionMessage"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("health"), "{message}");
    let res = c.list_streams().max_results(101).send().await;
    expect_err(res, "ValidationException", "maxResults");
}

#[tokio::test]
async fn a_channel_that_never_streamed_has_no_sessions() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_channel().send().await.expect("channel");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");

    let e =
        expect_err(c.get_stream_session().channel_arn(arn).send().await, "ResourceNotFoundException", arn);
    assert!(e.is_resource_not_found_exception());
    let stream_id = "st-1A2b3c4D5e6F78ghij9Klmn";
    let res = c.get_stream_session().channel_arn(arn).stream_id(stream_id).send().await;
    expect_err(res, "ResourceNotFoundException", stream_id);

    let list = c.list_stream_sessions().channel_arn(arn).send().await.expect("list sessions");
    assert!(list.stream_sessions().is_empty());
    assert_eq!(list.next_token(), None);
    let raw = raw_post(&s, "ListStreamSessions", &json!({ "channelArn": arn }));
    assert_eq!(raw.json()["streamSessions"], json!([]));

    let missing = missing_channel();
    let res = c.list_stream_sessions().channel_arn(&missing).send().await;
    let e = expect_err(res, "ResourceNotFoundException", &missing);
    assert!(e.is_resource_not_found_exception());
    let res = c.get_stream_session().channel_arn(&missing).send().await;
    expect_err(res, "ResourceNotFoundException", &missing);
}

#[tokio::test]
async fn viewer_session_revocation_is_stored() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_channel().authorized(true).send().await.expect("channel");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let revoke = |viewer: &str, version: Option<i32>| {
        c.start_viewer_session_revocation()
            .channel_arn(arn)
            .viewer_id(viewer)
            .set_viewer_session_versions_less_than_or_equal_to(version)
            .send()
    };

    revoke("viewer-1", Some(3)).await.expect("revoke up to version 3");
    revoke("viewer-2", None).await.expect("revoke version 0");
    revoke("viewer-1", Some(1)).await.expect("a lower version does not narrow it");
    revoke(&"v".repeat(40), None).await.expect("a 40-character viewer id");
    let stored = revocations(&s);
    let expected = [("viewer-1", 3), ("viewer-2", 0), (&*"v".repeat(40), 0)];
    let expected: Vec<_> = expected.iter().map(|(v, n)| (arn.to_string(), v.to_string(), *n)).collect();
    assert_eq!(stored, expected);

    let e = expect_err(revoke(&"v".repeat(41), None).await, "ValidationException", "viewerId");
    assert!(e.is_validation_exception());
    expect_err(revoke("", None).await, "ValidationException", "viewerId");
    let res = revoke("viewer-3", Some(-1)).await;
    expect_err(res, "ValidationException", "viewerSessionVersionsLessThanOrEqualTo");
    let missing = missing_channel();
    let res = c.start_viewer_session_revocation().channel_arn(&missing).viewer_id("v").send().await;
    let e = expect_err(res, "ResourceNotFoundException", &missing);
    assert!(e.is_resource_not_found_exception());
    assert_eq!(revocations(&s), expected, "failed requests stored nothing");
}

#[tokio::test]
async fn batch_revocation_reports_each_failure() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_channel().send().await.expect("channel");
    let good = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let missing = missing_channel();
    let (key, secret, _) = s.create_key(Some("210987654321"), &[]);
    let theirs = s.client_for("us-west-2", &key, &secret).create_channel().send().await.expect("theirs");
    let theirs = theirs.channel().and_then(|ch| ch.arn()).expect("arn");

    let out = c
        .batch_start_viewer_session_revocation()
        .viewer_sessions(session(good, "a"))
        .viewer_sessions(session(&missing, "b"))
        .viewer_sessions(session(good, "c"))
        .viewer_sessions(session(theirs, "d"))
        .send()
        .await
        .expect("batch");
    let errors: Vec<_> = out.errors().iter().map(|e| (e.channel_arn(), e.viewer_id(), e.code())).collect();
    let not_found = Some("ResourceNotFoundException");
    assert_eq!(errors, [(missing.as_str(), "b", not_found), (theirs, "d", not_found)]);
    for (e, arn) in out.errors().iter().zip([missing.as_str(), theirs]) {
        assert!(e.message().is_some_and(|m| m.contains(arn)), "{e:?}");
    }
    let stored: Vec<_> = revocations(&s).into_iter().map(|(arn, viewer, _)| (arn, viewer)).collect();
    assert_eq!(stored, [(good.to_string(), "a".to_string()), (good.to_string(), "c".to_string())]);

    let twenty: Vec<_> = (0..20).map(|i| session(good, &format!("viewer-{i}"))).collect();
    let out =
        c.batch_start_viewer_session_revocation().set_viewer_sessions(Some(twenty.clone())).send().await;
    assert!(out.expect("20 sessions").errors().is_empty());
    let mut too_many = twenty;
    too_many.push(session(good, "one-too-many"));
    let res = c.batch_start_viewer_session_revocation().set_viewer_sessions(Some(too_many)).send().await;
    let e = expect_err(res, "ValidationException", "viewerSessions");
    assert!(e.is_validation_exception());
    assert_eq!(revocations(&s).len(), 22, "the refused batch stored nothing");
}
