//! Retries in the standard mode, timeouts, transport failures and the request shape.

use std::time::Duration;

use openivs_client::error::TimeoutKind;
use openivs_client::retry::RetryConfig;
use openivs_client::transport::{HttpError, HttpErrorKind};
use openivs_client::types::*;
use openivs_client::{BatchGetChannelError, GetChannelError, ListChannelsError, SdkError, TimeoutConfig};

use crate::{Answer, Fake, client, err, header, ok, standard};

fn get_channel() -> GetChannelRequest {
    GetChannelRequest { arn: Some("arn:aws:ivs:us-west-2:123456789012:channel/abc".into()) }
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_with_backoff_and_the_quota_is_refunded() {
    let fake = Fake::new([
        err(429, "ThrottlingException", "slow down"),
        err(429, "ThrottlingException", "slow down"),
        ok(r#"{"channel":{"name":"c"}}"#),
    ]);
    let c = standard(&fake);
    let (out, meta) = c.send_with_metadata(get_channel()).await.unwrap();
    assert_eq!(out.channel.and_then(|ch| ch.name).as_deref(), Some("c"));
    assert_eq!((meta.status, meta.attempts, meta.request_id.as_deref()), (200, 3, Some("req-1")));
    // Throttling backs off from a 1 s base: [0, 1 s) then [0, 2 s).
    assert!(meta.total_retry_delay < Duration::from_secs(3), "{:?}", meta.total_retry_delay);
    // Two retries took 5 each; the success gave back the last one.
    assert_eq!(c.retry_quota_available(), 495);

    let reqs = fake.requests();
    let ids: Vec<&str> = reqs.iter().map(|r| header(r.headers(), "amz-sdk-invocation-id")).collect();
    assert!(ids.iter().all(|id| *id == ids[0] && id.len() == 36));
    let attempts: Vec<&str> = reqs.iter().map(|r| header(r.headers(), "amz-sdk-request")).collect();
    assert_eq!(attempts, ["attempt=1; max=3", "attempt=2; max=3", "attempt=3; max=3"]);
}

#[tokio::test(start_paused = true)]
async fn transient_errors_are_retried_up_to_max_attempts() {
    for (status, code) in
        [(500, "InternalServerException"), (503, "ServiceUnavailable"), (502, ""), (504, "")]
    {
        let fake = if code.is_empty() {
            Fake::new((0..3).map(|_| Answer::Status(status, "", "<html>bad gateway</html>".into())))
        } else {
            Fake::new((0..3).map(|_| err(status, code, "try later")))
        };
        let e = standard(&fake).batch_get_channel(BatchGetChannelRequest::default()).await.unwrap_err();
        assert_eq!(fake.requests().len(), 3, "{status}");
        let meta = e.meta();
        assert_eq!((meta.status, meta.attempts), (Some(status), 3));
        // Transient errors back off from 50 ms: [0, 50 ms) then [0, 100 ms).
        assert!(meta.total_retry_delay < Duration::from_millis(150), "{:?}", meta.total_retry_delay);
        match (code, e) {
            ("ServiceUnavailable", SdkError::Service(BatchGetChannelError::ServiceUnavailable(s))) => {
                assert_eq!(s.message(), Some("try later"))
            }
            ("", SdkError::Service(BatchGetChannelError::Unhandled(s))) => {
                assert_eq!(s.code(), format!("HttpStatus{status}"))
            }
            (_, SdkError::Service(BatchGetChannelError::Unhandled(s))) => assert_eq!(s.code(), code),
            (_, other) => panic!("{status}: {other:?}"),
        }
    }
    let fake = Fake::always(|| err(503, "ServiceUnavailable", "down"));
    let c = client(&fake, RetryConfig::standard().max_attempts(5), TimeoutConfig::default());
    assert_eq!(c.get_channel(get_channel()).await.unwrap_err().meta().attempts, 5);
    let fake = Fake::always(|| err(503, "ServiceUnavailable", "down"));
    let c = client(&fake, RetryConfig::disabled(), TimeoutConfig::default());
    assert_eq!(c.get_channel(get_channel()).await.unwrap_err().meta().attempts, 1);
}

#[tokio::test(start_paused = true)]
async fn client_errors_are_not_retried_and_are_typed() {
    let fake = Fake::new([err(404, "ResourceNotFoundException:http://x/", "no channel")]);
    let e = standard(&fake).get_channel(get_channel()).await.unwrap_err();
    let SdkError::Service(GetChannelError::ResourceNotFoundException(s)) = &e else { panic!("{e:?}") };
    assert_eq!(
        (s.code(), s.message(), s.meta().status),
        ("ResourceNotFoundException", Some("no channel"), Some(404))
    );
    assert_eq!((e.meta().attempts, e.meta().request_id.as_deref()), (1, Some("req-1")));
    assert_eq!(e.to_string(), "service error: ResourceNotFoundException: no channel (request id req-1)");

    let fake =
        Fake::new([Answer::Status(409, "", r#"{"__type":"ConflictException","message":"both"}"#.into())]);
    let e = standard(&fake).list_channels(ListChannelsRequest::default()).await.unwrap_err();
    assert!(matches!(e.as_service_error(), Some(ListChannelsError::ConflictException(_))), "{e:?}");
    assert_eq!((e.code(), e.meta().message.as_deref()), (Some("ConflictException"), Some("both")));
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn connection_failures_are_retried_and_reported_as_transport() {
    let fake = Fake::always(|| Answer::Fail(|| HttpError::connect("connection refused")));
    let e = standard(&fake).get_channel(get_channel()).await.unwrap_err();
    let SdkError::Transport(f) = &e else { panic!("{e:?}") };
    assert_eq!(f.http_error().map(HttpError::kind), Some(HttpErrorKind::Connect));
    assert_eq!((f.meta().attempts, f.meta().status), (3, None));

    let fake = Fake::new([Answer::Fail(|| HttpError::io("reset")), ok("{}")]);
    let (_, meta) = standard(&fake).send_with_metadata(get_channel()).await.unwrap();
    assert_eq!(meta.attempts, 2);

    let fake = Fake::always(|| Answer::Fail(|| HttpError::other("bad scheme")));
    let e = standard(&fake).get_channel(get_channel()).await.unwrap_err();
    assert!(matches!(&e, SdkError::Transport(f) if f.meta().attempts == 1), "{e:?}");

    let fake = Fake::always(|| Answer::Fail(|| HttpError::new(HttpErrorKind::ConnectTimeout, "slow")));
    let e = standard(&fake).get_channel(get_channel()).await.unwrap_err();
    assert!(matches!(&e, SdkError::Timeout(TimeoutKind::Connect, f) if f.meta().attempts == 3), "{e:?}");
}

#[tokio::test(start_paused = true)]
async fn attempt_and_operation_timeouts() {
    let fake = Fake::always(|| Answer::Hang(Duration::from_secs(30)));
    let timeouts = TimeoutConfig { attempt: Some(Duration::from_secs(1)), operation: None };
    let e = client(&fake, RetryConfig::standard(), timeouts).get_channel(get_channel()).await.unwrap_err();
    assert!(matches!(&e, SdkError::Timeout(TimeoutKind::Attempt, _)), "{e:?}");
    assert_eq!(e.meta().attempts, 3);

    let fake = Fake::always(|| Answer::Hang(Duration::from_secs(30)));
    let timeouts =
        TimeoutConfig { attempt: Some(Duration::from_secs(1)), operation: Some(Duration::from_millis(1500)) };
    let started = tokio::time::Instant::now();
    let e = client(&fake, RetryConfig::standard(), timeouts).get_channel(get_channel()).await.unwrap_err();
    assert!(matches!(&e, SdkError::Timeout(TimeoutKind::Operation, _)), "{e:?}");
    assert!(started.elapsed() <= Duration::from_millis(1500));
    assert_eq!(e.meta().attempts, 2);

    // A timed-out attempt costs 10 of the quota; a late success gives it back.
    let fake = Fake::new([Answer::Hang(Duration::from_secs(30)), ok("{}")]);
    let timeouts = TimeoutConfig { attempt: Some(Duration::from_secs(1)), operation: None };
    let c = client(&fake, RetryConfig::standard(), timeouts);
    c.get_channel(get_channel()).await.unwrap();
    assert_eq!(c.retry_quota_available(), 500);
}

#[tokio::test(start_paused = true)]
async fn an_empty_retry_quota_stops_retries_until_successes_refill_it() {
    let fake = Fake::always(|| err(500, "InternalServerException", "boom"));
    let c = standard(&fake);
    // Each failed call makes 3 attempts and takes 2 × 5 from the 500 of the quota.
    for _ in 0..50 {
        assert_eq!(c.get_channel(get_channel()).await.unwrap_err().meta().attempts, 3);
    }
    assert_eq!(c.retry_quota_available(), 0);
    assert_eq!(c.get_channel(get_channel()).await.unwrap_err().meta().attempts, 1);
    // Clones share the quota; successes without retries give back 1 each.
    let fake2 = Fake::always(|| ok("{}"));
    let c2 = standard(&fake2);
    c2.get_channel(get_channel()).await.unwrap();
    assert_eq!(c2.retry_quota_available(), 500);
    let shared = c.clone();
    assert_eq!(shared.retry_quota_available(), 0);
    let quota_off = client(&fake, RetryConfig::standard().retry_quota(false), TimeoutConfig::default());
    assert_eq!(quota_off.get_channel(get_channel()).await.unwrap_err().meta().attempts, 3);
}

#[tokio::test(start_paused = true)]
async fn a_success_status_with_a_bad_body_is_a_response_error() {
    let fake = Fake::new([ok(r#"{"channel": 42}"#)]);
    let e = standard(&fake).get_channel(get_channel()).await.unwrap_err();
    assert!(matches!(&e, SdkError::Response(f) if f.meta().status == Some(200)), "{e:?}");
    // An empty body is an empty output, and 204 operations ignore the body.
    let fake = Fake::new([ok(""), Answer::Status(204, "", String::new())]);
    let c = standard(&fake);
    assert_eq!(c.get_channel(get_channel()).await.unwrap(), GetChannelResponse::default());
    c.delete_channel(DeleteChannelRequest { arn: Some("arn:x".into()) }).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn requests_are_signed_with_the_session_token_and_shaped_by_the_model() {
    let fake = Fake::always(|| ok("{}"));
    let c = standard(&fake);
    c.list_channels(ListChannelsRequest::default()).await.unwrap();
    let input = UntagResourceRequest {
        resource_arn: Some("arn:aws:ivs:us-west-2:123456789012:channel/abc".into()),
        tag_keys: Some(vec!["team".into(), "a b".into()]),
    };
    c.untag_resource(input).await.unwrap();
    let reqs = fake.requests();

    let list = &reqs[0];
    assert_eq!(
        (list.method().as_str(), list.uri().to_string()),
        ("POST", "https://ivs.test.example/ListChannels".into())
    );
    assert_eq!(&list.body()[..], b"{}");
    let h = list.headers();
    assert_eq!((header(h, "host"), header(h, "content-type")), ("ivs.test.example", "application/json"));
    assert_eq!((header(h, "content-length"), header(h, "x-amz-security-token")), ("2", "session-token"));
    let auth = header(h, "authorization");
    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"), "{auth}");
    assert!(auth.contains("/us-west-2/ivs/aws4_request"), "{auth}");
    assert!(auth.contains("SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date;x-amz-security-token,"), "{auth}");
    assert!(header(h, "user-agent").starts_with("openivs-client/"));

    let untag = &reqs[1];
    assert_eq!(untag.method().as_str(), "DELETE");
    assert_eq!(
        untag.uri().path_and_query().map(|p| p.as_str()),
        Some("/tags/arn%3Aaws%3Aivs%3Aus-west-2%3A123456789012%3Achannel%2Fabc?tagKeys=team&tagKeys=a%20b")
    );
    assert!(untag.body().is_empty() && untag.headers().get("content-type").is_none());

    let e = c.untag_resource(UntagResourceRequest::default()).await.unwrap_err();
    assert!(matches!(e, SdkError::Construction(_)), "{e:?}");
    assert_eq!((e.meta().attempts, fake.requests().len()), (0, 2));
}

#[tokio::test]
async fn output_members_bound_to_headers_are_read_from_them() {
    let http = openivs_client::transport::from_fn(|_req| async {
        let r = openivs_client::http::Response::builder()
            .header("Cache-Control", "no-store")
            .header("x-content-type-options", "nosniff")
            .body(r#"{"channels":[],"errors":[]}"#.into())
            .unwrap();
        Ok(r)
    });
    let config = openivs_client::Config::builder()
        .region("us-west-2")
        .credentials(openivs_client::Credentials::new("a", "b", None))
        .environment(openivs_client::Environment::from_vars(Vec::<(String, String)>::new()))
        .http_client(http)
        .build()
        .unwrap();
    let out = openivs_client::Client::new(config)
        .batch_get_channel(BatchGetChannelRequest::default())
        .await
        .unwrap();
    assert_eq!(out.cache_control.as_deref(), Some("no-store"));
    assert_eq!(out.x_content_type_options.as_deref(), Some("nosniff"));
    assert_eq!((out.x_frame_options, out.channels), (None, Some(vec![])));
}
