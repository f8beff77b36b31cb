//! The wire shape of responses and errors (ivs-api.md §1.2–§1.4): request ids, error bodies, 204s,
//! malformed and odd requests, validation messages, the SDK's typed errors, routing of all 46
//! operations, and the API rate limits (ivs-behaviour.md §10).

use aws_sdk_ivs::config::retry::RetryConfig;
use aws_sdk_ivs::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ivs::error::ProvideErrorMetadata;
use aws_sdk_ivs::operation::RequestId;
use aws_sdk_ivs::operation::get_channel::GetChannelError;
use conformance::{Options, RawResponse, Server};
use openivs_model::Operation;
use std::time::{Duration, Instant};

const JSON: (&str, &str) = ("content-type", "application/json");
const MISSING_CHANNEL: &str = "arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh";

fn text(r: &RawResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// A signed JSON POST with the root key.
fn post(s: &Server, target: &str, body: &str) -> RawResponse {
    s.raw("POST", target, &[JSON], body.as_bytes(), true)
}

/// An error response: status, `x-amzn-ErrorType`, a JSON body whose `exceptionMessage` and `message`
/// are the same non-empty text, and a request id. Returns the message.
fn assert_error(r: &RawResponse, status: u16, code: &str) -> String {
    assert_eq!(r.status, status, "status; body {}", text(r));
    assert_eq!(r.header("x-amzn-errortype"), Some(code), "error type; body {}", text(r));
    assert!(r.header("content-type").is_some_and(|c| c.starts_with("application/json")), "{:?}", r.headers);
    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("error body is JSON");
    let msg = v["message"].as_str().expect("message").to_string();
    assert!(!msg.is_empty());
    assert_eq!(v["exceptionMessage"].as_str(), Some(msg.as_str()), "{v}");
    assert_request_id(r);
    msg
}

fn assert_request_id(r: &RawResponse) -> String {
    let id = r.header("x-amzn-requestid").unwrap_or_else(|| panic!("no x-amzn-RequestId in {:?}", r.headers));
    assert_eq!(id.len(), 36, "{id}");
    assert_eq!(id.matches('-').count(), 4, "{id}");
    id.to_string()
}

async fn channel_names(s: &Server) -> Vec<String> {
    let out = s.client().list_channels().send().await.expect("list");
    out.channels().iter().filter_map(|c| c.name()).map(str::to_string).collect()
}

#[tokio::test]
async fn every_response_has_a_request_id() {
    let s = Server::start();
    let ok = post(&s, "/ListChannels", "{}");
    assert_eq!(ok.status, 200, "{}", text(&ok));
    let mut ids = vec![assert_request_id(&ok)];
    let unsigned = s.raw("POST", "/ListChannels", &[JSON], b"{}", false);
    assert_error(&unsigned, 403, "MissingAuthenticationTokenException");
    ids.push(assert_request_id(&unsigned));
    let unknown = post(&s, "/NoSuchOperation", "{}");
    ids.push(assert_request_id(&unknown));
    let invalid = post(&s, "/GetChannel", "{}");
    ids.push(assert_request_id(&invalid));
    let created = post(&s, "/CreateChannel", "{}");
    let arn = created.json()["channel"]["arn"].as_str().expect("arn").to_string();
    let deleted = post(&s, "/DeleteChannel", &serde_json::json!({ "arn": arn }).to_string());
    assert_eq!(deleted.status, 204);
    ids.push(assert_request_id(&deleted));
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "request ids repeat: {ids:?}");

    // The SDK exposes it, on success and on error.
    let c = s.client();
    let out = c.list_channels().send().await.expect("list");
    assert!(out.request_id().is_some_and(|id| id.len() == 36), "{:?}", out.request_id());
    let err = c.get_channel().arn(MISSING_CHANNEL).send().await.expect_err("missing");
    let header = err.raw_response().and_then(|r| r.headers().get("x-amzn-requestid")).map(str::to_string);
    let err = err.into_service_error();
    assert!(err.request_id().is_some());
    assert_eq!(err.request_id().map(str::to_string), header);
}

#[tokio::test]
async fn operations_without_output_answer_204_with_an_empty_body() {
    let s = Server::start();
    let created = s.client().create_channel().name("gone").send().await.expect("create");
    let arn = created.channel().and_then(|c| c.arn()).unwrap().to_string();
    let key = created.stream_key().and_then(|k| k.arn()).unwrap().to_string();

    // An operation with an empty output structure answers 200 `{}` instead.
    let tags = format!("/tags/{}", arn.replace(':', "%3A").replace('/', "%2F"));
    let r = post(&s, &tags, r#"{"tags":{"a":"b"}}"#);
    assert_eq!((r.status, r.json()), (200, serde_json::json!({})), "{}", text(&r));

    let r = post(&s, "/DeleteStreamKey", &serde_json::json!({ "arn": key }).to_string());
    assert_eq!(r.status, 204, "{}", text(&r));
    assert!(r.body.is_empty(), "{}", text(&r));
    assert!(r.header("content-length").is_none_or(|l| l == "0"), "{:?}", r.headers);
    assert_request_id(&r);

    let r = post(&s, "/DeleteChannel", &serde_json::json!({ "arn": arn }).to_string());
    assert_eq!(r.status, 204, "{}", text(&r));
    assert!(r.body.is_empty(), "{}", text(&r));
    assert!(channel_names(&s).await.is_empty());
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let s = Server::start();
    let r = post(&s, "/CreateChannel", r#"{"name":"#);
    let msg = assert_error(&r, 400, "ValidationException");
    assert!(msg.contains("not valid JSON"), "{msg}");

    let r = post(&s, "/CreateChannel", r#"[{"name":"x"}]"#);
    let msg = assert_error(&r, 400, "ValidationException");
    assert!(msg.contains("JSON object"), "{msg}");

    let r = post(&s, "/CreateChannel", r#"{"name":"x","authorized":"yes"}"#);
    let msg = assert_error(&r, 400, "ValidationException");
    assert!(msg.contains("'authorized'"), "{msg}");
    assert!(channel_names(&s).await.is_empty());
}

#[tokio::test]
async fn unknown_members_are_ignored() {
    let s = Server::start();
    let r = post(&s, "/CreateChannel", r#"{"name":"known","noSuchMember":{"deep":[1,2]},"another":null}"#);
    assert_eq!(r.status, 200, "{}", text(&r));
    assert_eq!(r.json()["channel"]["name"], "known");
    assert_eq!(channel_names(&s).await, ["known"]);
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods() {
    let s = Server::start();
    let r = post(&s, "/NoSuchOperation", "{}");
    let msg = assert_error(&r, 404, "UnknownOperationException");
    assert!(msg.contains("/NoSuchOperation"), "{msg}");
    // Operation names are case sensitive.
    let r = post(&s, "/createchannel", "{}");
    assert_error(&r, 404, "UnknownOperationException");

    let r = s.raw("GET", "/CreateChannel", &[], b"", true);
    assert_eq!(r.status, 405, "{}", text(&r));
    assert_request_id(&r);
    let r = s.raw(
        "PUT",
        "/tags/arn%3Aaws%3Aivs%3Aus-west-2%3A123456789012%3Achannel%2Fabc",
        &[JSON],
        b"{}",
        true,
    );
    assert_eq!(r.status, 405, "{}", text(&r));
    assert!(channel_names(&s).await.is_empty());
}

#[tokio::test]
async fn oversize_body_is_413_and_the_server_carries_on() {
    let s = Server::start();
    let big = format!(r#"{{"name":"big","tags":{{"k":"{}"}}}}"#, "x".repeat(300 * 1024));
    let r = post(&s, "/CreateChannel", &big);
    assert_eq!(r.status, 413, "{}", &text(&r)[..text(&r).len().min(200)]);
    assert_request_id(&r);

    // Chunked, so the size is only known while reading; signed, as no body byte is read before the
    // headers are authenticated.
    let mut chunked = format!("{:x}\r\n", big.len()).into_bytes();
    chunked.extend_from_slice(big.as_bytes());
    chunked.extend_from_slice(b"\r\n0\r\n\r\n");
    let mut headers = vec![
        ("host".to_string(), s.authority().to_string()),
        ("transfer-encoding".to_string(), "chunked".to_string()),
        (JSON.0.to_string(), JSON.1.to_string()),
    ];
    let signed = conformance::sign_headers(
        &s,
        "POST",
        "/CreateChannel",
        &headers,
        big.as_bytes(),
        conformance::REGION,
        "ivs",
    );
    headers.extend(signed);
    let r = conformance::raw_send(s.authority(), "POST", "/CreateChannel", &headers, &chunked);
    assert_eq!(r.status, 413, "{}", &text(&r)[..text(&r).len().min(200)]);

    // Just under the limit is read (and then refused for what it says, not for its size).
    let under = format!(r#"{{"name":"big","x":"{}"}}"#, "x".repeat(250 * 1024));
    let r = post(&s, "/CreateChannel", &under);
    assert_eq!(r.status, 200, "{}", &text(&r)[..text(&r).len().min(200)]);

    let ok = post(&s, "/ListChannels", "{}");
    assert_eq!(ok.status, 200, "{}", text(&ok));
    assert_eq!(channel_names(&s).await, ["big"]);
}

#[tokio::test]
async fn non_json_content_type_is_415() {
    let s = Server::start();
    let r = s.raw("POST", "/CreateChannel", &[("content-type", "text/plain")], br#"{"name":"x"}"#, true);
    let msg = assert_error(&r, 415, "UnsupportedMediaTypeException");
    assert!(msg.contains("text/plain"), "{msg}");
    let r = s.raw(
        "POST",
        "/CreateChannel",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"name=x",
        true,
    );
    assert_error(&r, 415, "UnsupportedMediaTypeException");
    assert!(channel_names(&s).await.is_empty());
    // A charset parameter is fine.
    let r =
        s.raw("POST", "/CreateChannel", &[("content-type", "application/json; charset=utf-8")], b"{}", true);
    assert_eq!(r.status, 200, "{}", text(&r));
}

#[tokio::test]
async fn validation_messages_name_the_members() {
    let s = Server::start();
    let r = post(&s, "/GetChannel", "{}");
    let msg = assert_error(&r, 400, "ValidationException");
    assert!(msg.contains("Value null at 'arn'"), "{msg}");

    let r = post(&s, "/CreateChannel", r#"{"name":"not a valid name!","type":"HUGE","latencyMode":"FAST"}"#);
    let msg = assert_error(&r, 400, "ValidationException");
    assert!(msg.starts_with("3 validation errors detected: "), "{msg}");
    for member in ["'name'", "'type'", "'latencyMode'"] {
        assert!(msg.contains(member), "{member} missing in {msg}");
    }
    assert_eq!(msg.matches("; ").count(), 2, "{msg}");
    assert!(channel_names(&s).await.is_empty());
}

#[tokio::test]
async fn the_sdk_decodes_modeled_errors_as_typed() {
    let s = Server::start();
    let c = s.client();

    let err = c.get_channel().arn("not-an-arn").send().await.expect_err("invalid");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(400));
    match err.into_service_error() {
        GetChannelError::ValidationException(e) => {
            assert!(e.exception_message().is_some_and(|m| m.contains("'arn'")), "{e:?}");
            assert!(e.meta().message().is_some_and(|m| m.contains("'arn'")), "{e:?}");
            assert!(e.request_id().is_some());
        }
        other => panic!("not typed: {other:?}"),
    }

    let err = c.get_channel().arn(MISSING_CHANNEL).send().await.expect_err("missing");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    match err.into_service_error() {
        GetChannelError::ResourceNotFoundException(e) => {
            assert!(e.exception_message().is_some_and(|m| m.contains(MISSING_CHANNEL)), "{e:?}");
            assert!(e.meta().message().is_some());
            assert!(e.request_id().is_some());
        }
        other => panic!("not typed: {other:?}"),
    }

    let err = c
        .list_channels()
        .filter_by_name("a")
        .filter_by_recording_configuration_arn(
            "arn:aws:ivs:us-west-2:123456789012:recording-configuration/abcdABCDefgh",
        )
        .send()
        .await
        .expect_err("two filters");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(409));
    let err = err.into_service_error();
    assert!(err.is_conflict_exception(), "{err:?}");
    assert!(err.meta().message().is_some() && err.request_id().is_some());
    if let aws_sdk_ivs::operation::list_channels::ListChannelsError::ConflictException(e) = &err {
        assert!(e.exception_message().is_some());
    }

    let channel = c.create_channel().send().await.expect("create");
    let arn = channel.channel().and_then(|c| c.arn()).unwrap().to_string();
    let err = c.create_stream_key().channel_arn(&arn).send().await.expect_err("one key per channel");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(402));
    let err = err.into_service_error();
    assert!(err.is_service_quota_exceeded_exception(), "{err:?}");
    assert!(err.meta().message().is_some() && err.request_id().is_some());
    if let aws_sdk_ivs::operation::create_stream_key::CreateStreamKeyError::ServiceQuotaExceededException(e) =
        &err
    {
        assert!(e.exception_message().is_some());
    }

    let err = c.get_stream().channel_arn(&arn).send().await.expect_err("offline");
    let err = err.into_service_error();
    assert!(err.is_channel_not_broadcasting(), "{err:?}");
    assert!(err.meta().message().is_some() && err.request_id().is_some());
}

/// The tag operations' path, with a percent-encoded ARN.
const TAGS_PATH: &str = "/tags/arn%3Aaws%3Aivs%3Aus-west-2%3A123456789012%3Achannel%2FabcdABCDefgh";

#[tokio::test]
async fn all_46_operations_are_routed() {
    let s = Server::start();
    assert_eq!(Operation::ALL.len(), 46);
    let mut seen = std::collections::HashSet::new();
    for op in Operation::ALL {
        let info = op.info();
        let target = match info.uri {
            "/tags/{resourceArn}" if info.method == "DELETE" => format!("{TAGS_PATH}?tagKeys=a"),
            "/tags/{resourceArn}" => TAGS_PATH.to_string(),
            uri => {
                assert_eq!(uri, format!("/{}", info.name), "POST /<Operation>");
                assert_eq!(info.method, "POST");
                uri.to_string()
            }
        };
        assert!(seen.insert((info.method, target.clone())), "two operations at {} {target}", info.method);
        let r = s.raw(info.method, &target, &[JSON], b"{}", true);
        let code = r.header("x-amzn-errortype").unwrap_or("").to_string();
        let what = format!("{} {} {target}: {} {code} {}", info.name, info.method, r.status, text(&r));
        assert_ne!(code, "UnknownOperationException", "{what}");
        assert_ne!(r.status, 405, "{what}");
        assert!(r.status < 500, "{what}");
        assert_request_id(&r);
        if r.status < 300 {
            assert_eq!(r.status, info.success_status, "{what}");
        } else {
            assert!(matches!(code.as_str(), "ValidationException" | "ResourceNotFoundException"), "{what}");
        }
    }
    assert_eq!(seen.len(), 46);
}

/// The SDK client with more retry attempts than the default three, so a burst over the limit always
/// ends in success however the backoff jitter falls.
fn patient_client(s: &Server) -> aws_sdk_ivs::Client {
    let conf = aws_sdk_ivs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(conformance::REGION))
        .endpoint_url(&s.endpoint)
        .credentials_provider(Credentials::new(&s.access_key_id, &s.secret_access_key, None, None, "test"))
        .retry_config(RetryConfig::standard().with_max_attempts(10))
        .build();
    aws_sdk_ivs::Client::from_conf(conf)
}

#[tokio::test]
async fn rate_limits_throttle_raw_calls_and_the_sdk_retries() {
    let s = Server::start_with(Options { rate_limits: true, ..Options::default() });
    let pair = s
        .client()
        .import_playback_key_pair()
        .public_key_material(conformance::keys::PUB1)
        .send()
        .await
        .expect("import");
    let arn = pair.key_pair().and_then(|k| k.arn()).unwrap().to_string();
    let body = serde_json::json!({ "arn": arn }).to_string();

    // GetPlaybackKeyPair allows 3 calls per second.
    let statuses: Vec<RawResponse> = (0..10).map(|_| post(&s, "/GetPlaybackKeyPair", &body)).collect();
    assert_eq!(statuses[0].status, 200, "{}", text(&statuses[0]));
    let first_throttled = statuses.iter().position(|r| r.status == 429).expect("throttled within 10 calls");
    // A second's worth first; a slow machine may refill a token or two while the calls go out.
    assert!((3..=6).contains(&first_throttled), "first 429 at call {first_throttled}");
    let msg = assert_error(&statuses[first_throttled], 429, "ThrottlingException");
    assert!(msg.contains("GetPlaybackKeyPair"), "{msg}");
    // Other operations, and the same operation in another region, have their own budget.
    let r = post(&s, "/ListChannels", "{}");
    assert_eq!(r.status, 200, "{}", text(&r));
    let mut headers: Vec<(String, String)> = vec![
        ("host".into(), s.authority().into()),
        ("content-length".into(), body.len().to_string()),
        (JSON.0.into(), JSON.1.into()),
    ];
    let signed = conformance::sign_headers(
        &s,
        "POST",
        "/GetPlaybackKeyPair",
        &headers,
        body.as_bytes(),
        "eu-west-1",
        "ivs",
    );
    headers.extend(signed);
    let r = conformance::raw_send(s.authority(), "POST", "/GetPlaybackKeyPair", &headers, body.as_bytes());
    assert_error(&r, 404, "ResourceNotFoundException");

    // The official SDK retries ThrottlingException with backoff: a burst of 8 succeeds, and taking at
    // least (8 - 3) / 3 s shows the server did throttle it.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let c = patient_client(&s);
    let started = Instant::now();
    for i in 0..8 {
        let out =
            c.get_playback_key_pair().arn(&arn).send().await.unwrap_or_else(|e| panic!("call {i}: {e:?}"));
        assert_eq!(out.key_pair().and_then(|k| k.arn()), Some(arn.as_str()));
    }
    assert!(started.elapsed() >= Duration::from_millis(1500), "8 calls in {:?}", started.elapsed());
}

#[tokio::test]
async fn put_metadata_is_limited_per_channel() {
    // The per-channel limit (5 TPS) is taken after the channel is found and before the live check, so
    // an existing offline channel reaches it: ChannelNotBroadcasting five times, then ThrottlingException.
    let s = Server::start_with(Options { rate_limits: true, ..Options::default() });
    let c = s.client();
    let a = c.create_channel().name("a").send().await.expect("create");
    let a = a.channel().and_then(|c| c.arn()).unwrap().to_string();
    let b = c.create_channel().name("b").send().await.expect("create");
    let b = b.channel().and_then(|c| c.arn()).unwrap().to_string();
    let body = |arn: &str| serde_json::json!({ "channelArn": arn, "metadata": "hi" }).to_string();

    let conf = aws_sdk_ivs::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(conformance::REGION))
        .endpoint_url(&s.endpoint)
        .credentials_provider(Credentials::new(&s.access_key_id, &s.secret_access_key, None, None, "test"))
        .retry_config(RetryConfig::disabled())
        .build();
    let no_retry = aws_sdk_ivs::Client::from_conf(conf);

    let rs: Vec<RawResponse> = (0..12).map(|_| post(&s, "/PutMetadata", &body(&a))).collect();
    // PutMetadata models ThrottlingException, so the SDK (retries off) returns it typed.
    let err = no_retry.put_metadata().channel_arn(&a).metadata("hi").send().await.expect_err("throttled");
    let err = err.into_service_error();
    assert!(err.is_throttling_exception(), "{err:?}");
    assert!(err.meta().message().is_some() && err.request_id().is_some());

    assert_error(&rs[0], 404, "ChannelNotBroadcasting");
    let first_throttled = rs.iter().position(|r| r.status == 429).expect("throttled within 12 calls");
    assert!((5..=9).contains(&first_throttled), "first 429 at call {first_throttled}");
    assert_error(&rs[first_throttled], 429, "ThrottlingException");

    // Channel b has its own budget.
    assert_error(&post(&s, "/PutMetadata", &body(&b)), 404, "ChannelNotBroadcasting");
}
