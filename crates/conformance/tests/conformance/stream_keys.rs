//! Stream keys (ivs-api.md CreateStreamKey … ListStreamKeys, ivs-behaviour.md §3): one key per
//! channel, rotation by DeleteStreamKey + CreateStreamKey, values where the model has them and never
//! in ListStreamKeys, its page sizes, and distinct values across channels.

use crate::channels::{expect_err, raw_post};
use aws_sdk_ivs::Client;
use aws_sdk_ivs::types::StreamKey;
use conformance::{ACCOUNT, Server};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// A new channel's ARN and its stream key.
async fn channel(c: &Client) -> (String, StreamKey) {
    let out = c.create_channel().send().await.expect("create channel");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn").to_string();
    (arn, out.stream_key().expect("stream key").clone())
}

/// Whether a JSON value has an object member `name` at any depth.
fn has_member(v: &Value, name: &str) -> bool {
    match v {
        Value::Object(m) => m.contains_key(name) || m.values().any(|v| has_member(v, name)),
        Value::Array(a) => a.iter().any(|v| has_member(v, name)),
        _ => false,
    }
}

#[tokio::test]
async fn a_channel_has_one_stream_key_rotated_by_delete_and_create() {
    let s = Server::start();
    let c = s.client();
    let (channel_arn, old) = channel(&c).await;
    let old_arn = old.arn().expect("arn");

    let res = c.create_stream_key().channel_arn(&channel_arn).send().await;
    let e = expect_err(res, "ServiceQuotaExceededException", "stream key");
    assert!(e.is_service_quota_exceeded_exception());

    c.delete_stream_key().arn(old_arn).send().await.expect("delete key");
    expect_err(c.get_stream_key().arn(old_arn).send().await, "ResourceNotFoundException", old_arn);
    let list = c.list_stream_keys().channel_arn(&channel_arn).send().await.expect("list");
    assert!(list.stream_keys().is_empty(), "{list:?}");

    let out = c
        .create_stream_key()
        .channel_arn(&channel_arn)
        .tags("rotation", "2")
        .send()
        .await
        .expect("create after delete");
    let new = out.stream_key().expect("stream key");
    let new_arn = new.arn().expect("arn");
    assert_ne!(new_arn, old_arn);
    let id = new_arn.strip_prefix(&format!("arn:aws:ivs:us-west-2:{ACCOUNT}:stream-key/")).expect("ARN");
    let value = new.value().expect("value");
    assert!(value.starts_with(&format!("sk_us-west-2_{id}_")), "{value}");
    assert_ne!(Some(value), old.value(), "a new secret");
    assert_eq!(new.channel_arn(), Some(channel_arn.as_str()));
    let tags = HashMap::from([("rotation".to_string(), "2".to_string())]);
    assert_eq!(new.tags(), Some(&tags));

    let got = c.get_stream_key().arn(new_arn).send().await.expect("get");
    assert_eq!(got.stream_key(), Some(new));
    let res = c.create_stream_key().channel_arn(&channel_arn).send().await;
    expect_err(res, "ServiceQuotaExceededException", "stream key");
    let list = c.list_stream_keys().channel_arn(&channel_arn).send().await.expect("list");
    let listed: Vec<_> = list.stream_keys().iter().map(|k| (k.arn(), k.channel_arn(), k.tags())).collect();
    assert_eq!(listed, [(Some(new_arn), Some(channel_arn.as_str()), Some(&tags))]);
}

#[tokio::test]
async fn concurrent_creates_leave_one_stream_key() {
    let s = Server::start();
    let c = s.client();
    let (channel_arn, key) = channel(&c).await;
    c.delete_stream_key().arn(key.arn().expect("arn")).send().await.expect("delete");
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let req = c.create_stream_key().channel_arn(&channel_arn);
            tokio::spawn(async move { req.send().await })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => created += 1,
            Err(e) => assert!(e.into_service_error().is_service_quota_exceeded_exception()),
        }
    }
    assert_eq!(created, 1, "exactly one of the concurrent creates wins");
    let list = c.list_stream_keys().channel_arn(&channel_arn).max_results(50).send().await.expect("list");
    assert_eq!(list.stream_keys().len(), 1);
}

#[tokio::test]
async fn get_and_batch_get_return_the_values() {
    let s = Server::start();
    let c = s.client();
    let (_, k1) = channel(&c).await;
    let (_, k2) = channel(&c).await;
    let (a1, a2) = (k1.arn().expect("arn"), k2.arn().expect("arn"));

    let got = c.get_stream_key().arn(a1).send().await.expect("get");
    assert_eq!(got.stream_key(), Some(&k1), "GetStreamKey returns the value CreateChannel did");

    let missing = format!("arn:aws:ivs:us-west-2:{ACCOUNT}:stream-key/NoSuchKey123");
    let out = c
        .batch_get_stream_key()
        .set_arns(Some(vec![a1.into(), missing.clone(), a2.into(), a1.into(), missing.clone()]))
        .send()
        .await
        .expect("batch get");
    assert_eq!(out.stream_keys(), [k1.clone(), k2.clone()]);
    assert_eq!(out.errors().len(), 1, "{:?}", out.errors());
    let err = &out.errors()[0];
    assert_eq!((err.arn(), err.code()), (Some(missing.as_str()), Some("ResourceNotFoundException")));
    assert!(err.message().is_some_and(|m| m.contains(&missing)), "{err:?}");
}

#[tokio::test]
async fn list_stream_keys_never_returns_values() {
    let s = Server::start();
    let c = s.client();
    let (channel_arn, key) = channel(&c).await;
    let list = c.list_stream_keys().channel_arn(&channel_arn).send().await.expect("list");
    assert_eq!(list.stream_keys().len(), 1);
    assert_eq!(list.stream_keys()[0].arn(), key.arn());

    let raw = raw_post(&s, "ListStreamKeys", &json!({ "channelArn": channel_arn }));
    assert_eq!(raw.status, 200);
    let body = raw.json();
    assert_eq!(body["streamKeys"][0]["arn"].as_str(), key.arn(), "{body}");
    assert!(!has_member(&body, "value"), "no value member anywhere: {body}");
    let secret = key.value().expect("value");
    assert!(!String::from_utf8_lossy(&raw.body).contains(secret), "the secret is not in the body");
}

#[tokio::test]
async fn list_stream_keys_needs_an_existing_channel_and_1_to_50_results() {
    let s = Server::start();
    let c = s.client();
    let unknown = format!("arn:aws:ivs:us-west-2:{ACCOUNT}:channel/NoSuchChanel");
    let e = expect_err(
        c.list_stream_keys().channel_arn(&unknown).send().await,
        "ResourceNotFoundException",
        &unknown,
    );
    assert!(e.is_resource_not_found_exception());

    let (channel_arn, _) = channel(&c).await;
    let page = c.list_stream_keys().channel_arn(&channel_arn).send().await.expect("default page size");
    assert_eq!((page.stream_keys().len(), page.next_token()), (1, None));
    let page = c.list_stream_keys().channel_arn(&channel_arn).max_results(50).send().await.expect("50");
    assert_eq!(page.stream_keys().len(), 1);
    for bad in [0, 51] {
        let res = c.list_stream_keys().channel_arn(&channel_arn).max_results(bad).send().await;
        let e = expect_err(res, "ValidationException", "maxResults");
        assert!(e.is_validation_exception());
    }
}

#[tokio::test]
async fn create_stream_key_for_an_unknown_channel_is_not_found() {
    let s = Server::start();
    let c = s.client();
    let unknown = format!("arn:aws:ivs:us-west-2:{ACCOUNT}:channel/NoSuchChanel");
    let res = c.create_stream_key().channel_arn(&unknown).send().await;
    let e = expect_err(res, "ResourceNotFoundException", &unknown);
    assert!(e.is_resource_not_found_exception());

    // A channel of another account is unknown too, even with its key deleted.
    let (key, secret, _) = s.create_key(Some("210987654321"), &[]);
    let theirs = s.client_for("us-west-2", &key, &secret);
    let (their_channel, their_key) = channel(&theirs).await;
    theirs.delete_stream_key().arn(their_key.arn().expect("arn")).send().await.expect("delete");
    let res = c.create_stream_key().channel_arn(&their_channel).send().await;
    expect_err(res, "ResourceNotFoundException", &their_channel);
}

#[tokio::test]
async fn fifty_channels_have_fifty_distinct_stream_keys() {
    let s = Server::start();
    let c = s.client();
    let mut values = HashSet::new();
    let mut arns = HashSet::new();
    for _ in 0..50 {
        let (_, key) = channel(&c).await;
        values.insert(key.value().expect("value").to_string());
        arns.insert(key.arn().expect("arn").to_string());
    }
    assert_eq!(values.len(), 50, "distinct values");
    assert_eq!(arns.len(), 50, "distinct ARNs");
    let batch =
        c.batch_get_stream_key().set_arns(Some(arns.into_iter().collect())).send().await.expect("batch");
    let got: HashSet<_> = batch.stream_keys().iter().filter_map(|k| k.value().map(str::to_owned)).collect();
    assert_eq!(got, values, "BatchGetStreamKey returns the same 50 values");
}
