//! Tags (ivs-api.md TagResource, UntagResource, ListTagsForResource and §1.6): every taggable kind,
//! the ARN as one percent-encoded path segment, repeated `tagKeys` in the query, at most 50 tags per
//! resource, the AWS key/value rules, and unknown or malformed ARNs.

use crate::channels::{expect_err, recording_configuration, restriction_policy};
use aws_sdk_ivs::Client;
use conformance::{ACCOUNT, Server};
use std::collections::HashMap;

/// One resource of each taggable kind; returns their ARNs.
async fn one_of_each_kind(c: &Client) -> Vec<String> {
    let channel = c.create_channel().send().await.expect("channel");
    let key_pair = c
        .import_playback_key_pair()
        .public_key_material(conformance::keys::PUB1)
        .send()
        .await
        .expect("key pair");
    let ad = crate::common::ad_configuration(c, ACCOUNT).await;
    let slate = c.create_failover_slate_configuration().send().await.expect("failover slate");
    vec![
        channel.channel().and_then(|ch| ch.arn()).expect("channel arn").to_string(),
        channel.stream_key().and_then(|k| k.arn()).expect("key arn").to_string(),
        key_pair.key_pair().and_then(|k| k.arn()).expect("key pair arn").to_string(),
        recording_configuration(c).await,
        restriction_policy(c).await,
        ad,
        slate.failover_slate_configuration().map(|f| f.arn()).expect("slate arn").to_string(),
    ]
}

async fn tags_of(c: &Client, arn: &str) -> HashMap<String, String> {
    let out = c.list_tags_for_resource().resource_arn(arn).send().await.expect("list tags");
    out.tags().clone()
}

fn tag_map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// The path of the tag operations for an ARN: one segment, `:` and `/` percent-encoded.
fn tags_path(arn: &str) -> String {
    format!("/tags/{}", arn.replace(':', "%3A").replace('/', "%2F"))
}

#[tokio::test]
async fn every_taggable_kind_can_be_tagged_listed_and_untagged() {
    let s = Server::start();
    let c = s.client();
    let arns = one_of_each_kind(&c).await;
    let kinds = [
        "channel",
        "stream-key",
        "playback-key",
        "recording-configuration",
        "playback-restriction-policy",
        "ad-configuration",
        "failover-slate-configuration",
    ];
    for (arn, kind) in arns.iter().zip(kinds) {
        assert!(arn.starts_with(&format!("arn:aws:ivs:us-west-2:{ACCOUNT}:{kind}/")), "{arn}");
        assert!(tags_of(&c, arn).await.is_empty(), "{kind} starts untagged");
        c.tag_resource().resource_arn(arn).tags("a", "1").tags("b", "2").send().await.expect("tag");
        assert_eq!(tags_of(&c, arn).await, tag_map(&[("a", "1"), ("b", "2")]), "{kind}");
        c.tag_resource().resource_arn(arn).tags("b", "3").send().await.expect("replace");
        assert_eq!(tags_of(&c, arn).await, tag_map(&[("a", "1"), ("b", "3")]), "{kind}");
        c.untag_resource().resource_arn(arn).tag_keys("a").tag_keys("absent").send().await.expect("untag");
        assert_eq!(tags_of(&c, arn).await, tag_map(&[("b", "3")]), "{kind}");
    }

    // Tags set by TagResource are those GetChannel and GetStreamKey report.
    let got = c.get_channel().arn(&arns[0]).send().await.expect("get channel");
    assert_eq!(got.channel().and_then(|ch| ch.tags()), Some(&tag_map(&[("b", "3")])));
    let got = c.get_stream_key().arn(&arns[1]).send().await.expect("get key");
    assert_eq!(got.stream_key().and_then(|k| k.tags()), Some(&tag_map(&[("b", "3")])));
}

#[tokio::test]
async fn the_arn_is_one_percent_encoded_path_segment_and_tag_keys_repeat() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_channel().send().await.expect("channel");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let path = tags_path(arn);

    let body = br#"{"tags":{"a":"1","b":"2","c":"3"}}"#;
    let raw = s.raw("POST", &path, &[("content-type", "application/json")], body, true);
    assert_eq!(raw.status, 200, "{:?}", raw.json());
    let raw = s.raw("GET", &path, &[], b"", true);
    assert_eq!(raw.status, 200);
    assert_eq!(raw.json()["tags"], serde_json::json!({"a": "1", "b": "2", "c": "3"}));

    // Percent-encoding is case-insensitive (RFC 3986 §2.1).
    let lower = path.replace("%3A", "%3a").replace("%2F", "%2f");
    let raw = s.raw("GET", &lower, &[], b"", true);
    assert_eq!((raw.status, raw.json()["tags"]["a"].as_str()), (200, Some("1")));
    // `:` is allowed unencoded in a path segment; only the `/` must be encoded.
    let raw = s.raw("GET", &path.replace("%3A", ":"), &[], b"", true);
    assert_eq!((raw.status, raw.json()["tags"]["a"].as_str()), (200, Some("1")));

    let raw = s.raw("DELETE", &format!("{path}?tagKeys=a&tagKeys=c"), &[], b"", true);
    assert_eq!(raw.status, 200, "{:?}", raw.json());
    assert_eq!(tags_of(&c, arn).await, tag_map(&[("b", "2")]), "both repeated tagKeys were removed");
}

#[tokio::test]
async fn at_most_50_tags_and_a_refused_request_changes_nothing() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_channel().send().await.expect("channel");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let many = |prefix: &str, n: usize| -> HashMap<String, String> {
        (0..n).map(|i| (format!("{prefix}{i}"), i.to_string())).collect()
    };

    let res = c.tag_resource().resource_arn(arn).set_tags(Some(many("x", 51))).send().await;
    expect_err(res, "ValidationException", "tags");
    let res = c.create_channel().set_tags(Some(many("x", 51))).send().await;
    expect_err(res, "ValidationException", "tags");

    c.tag_resource().resource_arn(arn).set_tags(Some(many("a", 30))).send().await.expect("30 tags");
    let res = c.tag_resource().resource_arn(arn).set_tags(Some(many("b", 21))).send().await;
    let e = expect_err(res, "ValidationException", "50");
    assert!(e.is_validation_exception());
    assert_eq!(tags_of(&c, arn).await, many("a", 30), "the refused request added nothing");

    c.tag_resource().resource_arn(arn).set_tags(Some(many("b", 20))).send().await.expect("50 in total");
    c.tag_resource().resource_arn(arn).tags("a0", "replaced").send().await.expect("replacing keeps 50");
    let res = c.tag_resource().resource_arn(arn).tags("one-more", "x").send().await;
    expect_err(res, "ValidationException", "50");
    let tags = tags_of(&c, arn).await;
    assert_eq!((tags.len(), tags.get("a0").map(String::as_str)), (50, Some("replaced")));
}

#[tokio::test]
async fn concurrent_tag_requests_never_exceed_50() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_channel().send().await.expect("channel");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let tasks: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|prefix| {
            let tags = (0..30).map(|i| (format!("{prefix}{i}"), String::new())).collect();
            let req = c.tag_resource().resource_arn(arn).set_tags(Some(tags));
            tokio::spawn(async move { req.send().await })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => accepted += 1,
            Err(e) => assert!(e.into_service_error().is_validation_exception()),
        }
    }
    assert_eq!(accepted, 1, "30 + 30 > 50: only one request can be applied");
    assert_eq!(tags_of(&c, arn).await.len(), 30);
}

#[tokio::test]
async fn tag_keys_and_values_follow_the_aws_rules() {
    let s = Server::start();
    let c = s.client();
    let out = c.create_channel().tags("keep", "me").send().await.expect("channel");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");
    let long_key = "k".repeat(129);
    let long_value = "v".repeat(257);
    for (key, value) in [
        (long_key.as_str(), "v"),
        ("", "v"),
        ("bad#key", "v"),
        ("k", long_value.as_str()),
        ("k", "bad#value"),
        ("aws:owner", "v"),
        ("AWS:owner", "v"),
    ] {
        let res = c.tag_resource().resource_arn(arn).tags(key, value).send().await;
        let e = expect_err(res, "ValidationException", "tags");
        assert!(e.is_validation_exception(), "{key:?}={value:?}");
        let res = c.create_channel().tags(key, value).send().await;
        expect_err(res, "ValidationException", "tags");
    }
    let res = c.untag_resource().resource_arn(arn).tag_keys(&long_key).send().await;
    expect_err(res, "ValidationException", "tagKeys");
    assert_eq!(tags_of(&c, arn).await, tag_map(&[("keep", "me")]), "nothing changed");
    assert_eq!(c.list_channels().send().await.expect("list").channels().len(), 1, "nothing created");

    // The edges of what is allowed: 128-character keys, 256-character values, letters of any
    // script, spaces and `_.:/=+-@`.
    let (edge_key, edge_value) = ("k".repeat(128), "v".repeat(256));
    c.tag_resource()
        .resource_arn(arn)
        .tags(&edge_key, &edge_value)
        .tags("café déjà vu", "a_b.c:d/e=f+g-h@i")
        .tags("empty", "")
        .send()
        .await
        .expect("allowed tags");
    let tags = tags_of(&c, arn).await;
    assert_eq!(tags.get(&edge_key), Some(&edge_value));
    assert_eq!(tags.get("café déjà vu").map(String::as_str), Some("a_b.c:d/e=f+g-h@i"));
    assert_eq!(tags.get("empty").map(String::as_str), Some(""));

    // Keys with spaces, `+`, `=`, `/`, `:` and `@` survive the query string of UntagResource.
    let odd = "a+b=c/d:e@f g";
    c.tag_resource().resource_arn(arn).tags(odd, "1").send().await.expect("odd key");
    c.untag_resource()
        .resource_arn(arn)
        .tag_keys(odd)
        .tag_keys("café déjà vu")
        .tag_keys(&edge_key)
        .tag_keys("empty")
        .send()
        .await
        .expect("untag");
    assert_eq!(tags_of(&c, arn).await, tag_map(&[("keep", "me")]));
}

#[tokio::test]
async fn unknown_arns_are_not_found_and_malformed_ones_invalid() {
    let s = Server::start();
    let c = s.client();
    let unknown = [
        format!("arn:aws:ivs:us-west-2:{ACCOUNT}:channel/NoSuchChanel"),
        format!("arn:aws:ivs:us-west-2:{ACCOUNT}:recording-configuration/NoSuchConfig"),
    ];
    for arn in &unknown {
        let e = expect_err(
            c.list_tags_for_resource().resource_arn(arn).send().await,
            "ResourceNotFoundException",
            arn,
        );
        assert!(e.is_resource_not_found_exception());
        let res = c.tag_resource().resource_arn(arn).tags("a", "1").send().await;
        expect_err(res, "ResourceNotFoundException", arn);
        let res = c.untag_resource().resource_arn(arn).tag_keys("a").send().await;
        expect_err(res, "ResourceNotFoundException", arn);
    }

    // A resource of another account, or one that was deleted, is unknown too.
    let (key, secret, _) = s.create_key(Some("210987654321"), &[]);
    let theirs = s.client_for("us-west-2", &key, &secret).create_channel().send().await.expect("theirs");
    let their_arn = theirs.channel().and_then(|ch| ch.arn()).expect("arn");
    let res = c.tag_resource().resource_arn(their_arn).tags("a", "1").send().await;
    expect_err(res, "ResourceNotFoundException", their_arn);
    let out = c.create_channel().send().await.expect("channel");
    let arn = out.channel().and_then(|ch| ch.arn()).expect("arn");
    c.delete_channel().arn(arn).send().await.expect("delete");
    expect_err(c.list_tags_for_resource().resource_arn(arn).send().await, "ResourceNotFoundException", arn);

    for malformed in ["not-an-arn", "arn:aws:s3:::bucket", "arn:aws:ivs:us-west-2:123456789012:channel"] {
        let res = c.list_tags_for_resource().resource_arn(malformed).send().await;
        let e = expect_err(res, "ValidationException", "resourceArn");
        assert!(e.is_validation_exception(), "{malformed}");
        let res = c.tag_resource().resource_arn(malformed).tags("a", "1").send().await;
        expect_err(res, "ValidationException", "resourceArn");
    }
}
