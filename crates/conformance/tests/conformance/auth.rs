//! Authentication and authorization (ivs-api.md §1.1 and §1.4): SigV4 refusals are 403 with the AWS code
//! in `x-amzn-ErrorType` and change nothing; presigned URLs; keys restricted with `--allow`; deleted
//! keys; account and region isolation; and the root key `openivs serve` generates when none is given.

use aws_sdk_ivs::config::{BehaviorVersion, Credentials, Region};
use conformance::{RawResponse, Server, raw_send};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Creates a channel with this name; returns its ARN.
async fn channel_named(c: &aws_sdk_ivs::Client, name: &str) -> String {
    let out = c.create_channel().name(name).send().await.expect("create");
    out.channel().and_then(|ch| ch.arn()).expect("arn").to_string()
}

const JSON: (&str, &str) = ("content-type", "application/json");

/// Who signs a raw request, for which region and service, at what time.
struct Signer<'a> {
    id: &'a str,
    secret: &'a str,
    region: &'a str,
    service: &'a str,
    at: SystemTime,
}

impl<'a> Signer<'a> {
    fn root(s: &'a Server) -> Self {
        Signer {
            id: &s.access_key_id,
            secret: &s.secret_access_key,
            region: conformance::REGION,
            service: "ivs",
            at: SystemTime::now(),
        }
    }

    /// The headers of a JSON POST to `target` (host, content-length, content-type), signed.
    fn headers(&self, s: &Server, target: &str, body: &[u8]) -> Vec<(String, String)> {
        self.headers_with(s, target, body, openivs_sigv4::PayloadSigning::Hashed, None)
    }

    /// Like [`Self::headers`], signing the payload as `payload` and with a session token if given.
    fn headers_with(
        &self,
        s: &Server,
        target: &str,
        body: &[u8],
        payload: openivs_sigv4::PayloadSigning,
        session_token: Option<&str>,
    ) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = vec![
            ("host".into(), s.authority().into()),
            ("content-length".into(), body.len().to_string()),
            (JSON.0.into(), JSON.1.into()),
        ];
        let hdrs: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let req = openivs_sigv4::HttpRequest { method: "POST", path, query, headers: &hdrs, body };
        let mut params = self.params();
        params.credentials.session_token = session_token;
        let out = openivs_sigv4::sign(&req, &params, payload).expect("sign");
        all.extend(out.headers.into_iter().map(|(k, v)| (k.to_string(), v)));
        all
    }

    fn params(&self) -> openivs_sigv4::SigningParams<'_> {
        openivs_sigv4::SigningParams {
            credentials: openivs_sigv4::Credentials {
                access_key_id: self.id,
                secret_access_key: self.secret,
                session_token: None,
            },
            region: self.region,
            service: self.service,
            time: self.at,
        }
    }

    /// Signs a JSON POST and sends it.
    fn post(&self, s: &Server, target: &str, body: &[u8]) -> RawResponse {
        raw_send(s.authority(), "POST", target, &self.headers(s, target, body), body)
    }
}

/// A 403 with `code` in `x-amzn-ErrorType` and `needle` in the message.
fn assert_refused(r: &RawResponse, code: &str, needle: &str) {
    let body = String::from_utf8_lossy(&r.body);
    assert_eq!(r.status, 403, "status; body {body}");
    assert_eq!(r.header("x-amzn-errortype"), Some(code), "error type; body {body}");
    let msg = r.json()["message"].as_str().unwrap_or_default().to_string();
    assert!(msg.contains(needle), "message {msg:?} should contain {needle:?}");
    assert_eq!(r.json()["exceptionMessage"].as_str(), Some(msg.as_str()));
}

/// How many channels the root key sees in the default region.
async fn channel_count(s: &Server) -> usize {
    s.client().list_channels().send().await.expect("list channels").channels().len()
}

#[tokio::test]
async fn request_without_any_auth_is_refused() {
    let s = Server::start();
    let r = s.raw("POST", "/CreateChannel", &[JSON], br#"{"name":"x"}"#, false);
    assert_refused(&r, "MissingAuthenticationTokenException", "Missing Authentication Token");
    assert_eq!(channel_count(&s).await, 0);
}

#[tokio::test]
async fn unknown_access_key_is_refused() {
    let s = Server::start();
    let signer = Signer { id: "OIVSNOSUCHKEY0000000", secret: "whatever", ..Signer::root(&s) };
    let r = signer.post(&s, "/CreateChannel", br#"{"name":"x"}"#);
    assert_refused(&r, "UnrecognizedClientException", "security token included in the request is invalid");

    // The official SDK with a made-up key: an unmodeled error, but with the code in its metadata.
    let c = s.client_for(conformance::REGION, "OIVSMADEUPKEY0000000", "made-up-secret");
    let err = c.create_channel().name("x").send().await.expect_err("refused");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    let err = err.into_service_error();
    assert_eq!(err.meta().code(), Some("UnrecognizedClientException"), "{err:?}");
    assert!(err.meta().message().is_some_and(|m| m.contains("invalid")), "{err:?}");
    assert_eq!(channel_count(&s).await, 0);
}

#[tokio::test]
async fn wrong_secret_is_refused() {
    let s = Server::start();
    let wrong = format!("{}x", s.secret_access_key);
    let signer = Signer { secret: &wrong, ..Signer::root(&s) };
    let r = signer.post(&s, "/CreateChannel", br#"{"name":"x"}"#);
    assert_refused(&r, "InvalidSignatureException", "signature we calculated does not match");

    let c = s.client_for(conformance::REGION, &s.access_key_id, &wrong);
    let err = c.create_channel().name("x").send().await.expect_err("refused").into_service_error();
    assert_eq!(err.meta().code(), Some("InvalidSignatureException"));
    assert_eq!(channel_count(&s).await, 0);
}

#[tokio::test]
async fn signature_sixteen_minutes_off_either_way_is_refused() {
    let s = Server::start();
    let now = SystemTime::now();
    let past = Signer { at: now - Duration::from_secs(16 * 60), ..Signer::root(&s) };
    let r = past.post(&s, "/CreateChannel", br#"{"name":"x"}"#);
    assert_refused(&r, "InvalidSignatureException", "Signature expired");
    let future = Signer { at: now + Duration::from_secs(16 * 60), ..Signer::root(&s) };
    let r = future.post(&s, "/CreateChannel", br#"{"name":"x"}"#);
    assert_refused(&r, "InvalidSignatureException", "Signature not yet current");
    // Within the 15-minute window it is fine, so the refusals above are about the time alone.
    let near = Signer { at: now - Duration::from_secs(14 * 60), ..Signer::root(&s) };
    let r = near.post(&s, "/ListChannels", b"{}");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(channel_count(&s).await, 0);
}

#[tokio::test]
async fn signature_for_another_service_is_refused() {
    let s = Server::start();
    let signer = Signer { service: "s3", ..Signer::root(&s) };
    let r = signer.post(&s, "/CreateChannel", br#"{"name":"x"}"#);
    assert_refused(&r, "InvalidSignatureException", "'s3'");
    assert!(r.json()["message"].as_str().unwrap_or_default().contains("'ivs'"));
    assert_eq!(channel_count(&s).await, 0);
}

#[tokio::test]
async fn host_must_be_a_signed_header() {
    let s = Server::start();
    let body = br#"{"name":"x"}"#;
    let mut headers = Signer::root(&s).headers(&s, "/CreateChannel", body);
    let auth = headers.iter_mut().find(|(k, _)| k == "authorization").expect("authorization");
    assert!(auth.1.contains(";host;"), "{}", auth.1);
    auth.1 = auth.1.replace(";host;", ";");
    let r = raw_send(s.authority(), "POST", "/CreateChannel", &headers, body);
    assert_refused(&r, "IncompleteSignatureException", "'Host' or ':authority' must be a 'SignedHeader'");
    assert_eq!(channel_count(&s).await, 0);
}

#[tokio::test]
async fn body_changed_after_signing_is_refused() {
    let s = Server::start();
    let signed_body = br#"{"name":"good"}"#;
    let sent_body = br#"{"name":"evil"}"#;
    assert_eq!(signed_body.len(), sent_body.len());
    let headers = Signer::root(&s).headers(&s, "/CreateChannel", signed_body);
    let r = raw_send(s.authority(), "POST", "/CreateChannel", &headers, sent_body);
    assert_refused(&r, "InvalidSignatureException", "signature we calculated does not match");
    assert_eq!(channel_count(&s).await, 0);
    // The same headers with the body that was signed do go through.
    let r = raw_send(s.authority(), "POST", "/CreateChannel", &headers, signed_body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(channel_count(&s).await, 1);
}

#[tokio::test]
async fn an_unsigned_payload_is_refused_so_a_body_cannot_be_swapped() {
    let s = Server::start();
    let signed_body = br#"{"name":"good"}"#;
    let unsigned = openivs_sigv4::PayloadSigning::Unsigned;
    let headers = Signer::root(&s).headers_with(&s, "/CreateChannel", signed_body, unsigned, None);
    for body in [&signed_body[..], br#"{"name":"evil"}"#] {
        let r = raw_send(s.authority(), "POST", "/CreateChannel", &headers, body);
        assert_refused(&r, "InvalidSignatureException", "x-amz-content-sha256");
    }
    assert_eq!(channel_count(&s).await, 0);
    // The payload's hash in the header, as the JavaScript SDK sends it, is fine.
    let hashed = openivs_sigv4::PayloadSigning::HashedWithHeader;
    let headers = Signer::root(&s).headers_with(&s, "/CreateChannel", signed_body, hashed, None);
    let r = raw_send(s.authority(), "POST", "/CreateChannel", &headers, signed_body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[tokio::test]
async fn a_second_authorization_header_is_refused() {
    let s = Server::start();
    let body = br#"{"name":"x"}"#;
    let mut headers = Signer::root(&s).headers(&s, "/CreateChannel", body);
    let other = Signer { secret: "not-the-secret", ..Signer::root(&s) }.headers(&s, "/CreateChannel", body);
    let (_, second) = other.into_iter().find(|(k, _)| k == "authorization").expect("authorization");
    headers.push(("authorization".into(), second));
    let r = raw_send(s.authority(), "POST", "/CreateChannel", &headers, body);
    assert_refused(&r, "IncompleteSignatureException", "more than one 'Authorization'");
    assert_eq!(channel_count(&s).await, 0);
}

#[tokio::test]
async fn a_session_token_on_a_long_term_key_is_refused() {
    let s = Server::start();
    let body = br#"{"name":"x"}"#;
    let hashed = openivs_sigv4::PayloadSigning::Hashed;
    let headers =
        Signer::root(&s).headers_with(&s, "/CreateChannel", body, hashed, Some("FwoGZXIvYXdzEXAMPLE"));
    let r = raw_send(s.authority(), "POST", "/CreateChannel", &headers, body);
    assert_refused(&r, "UnrecognizedClientException", "security token included in the request is invalid");
    assert_eq!(channel_count(&s).await, 0);
}

/// A presigned `POST /CreateChannel` URL's target, and the headers to send with it.
fn presigned(s: &Server, body: &[u8], at: SystemTime, expires: u64) -> (String, Vec<(String, String)>) {
    let headers: Vec<(String, String)> = vec![
        ("host".into(), s.authority().into()),
        ("content-length".into(), body.len().to_string()),
        (JSON.0.into(), JSON.1.into()),
    ];
    let hdrs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let req = openivs_sigv4::HttpRequest {
        method: "POST",
        path: "/CreateChannel",
        query: "",
        headers: &hdrs,
        body,
    };
    let signer = Signer { at, ..Signer::root(s) };
    let out = openivs_sigv4::presign(&req, &signer.params(), expires).expect("presign");
    assert!(out.query.contains("X-Amz-Signature="));
    (format!("/CreateChannel?{}", out.query), headers)
}

#[tokio::test]
async fn presigned_url_works_until_it_expires() {
    let s = Server::start();
    let body = br#"{"name":"presigned"}"#;
    let (target, headers) = presigned(&s, body, SystemTime::now(), 300);
    let r = raw_send(s.authority(), "POST", &target, &headers, body);
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["channel"]["name"], "presigned");
    assert_eq!(channel_count(&s).await, 1);

    // Signed an hour ago for one minute.
    let body = br#"{"name":"expired"}"#;
    let at = SystemTime::now() - Duration::from_secs(60 * 60);
    let (target, headers) = presigned(&s, body, at, 60);
    let r = raw_send(s.authority(), "POST", &target, &headers, body);
    assert_refused(&r, "InvalidSignatureException", "Signature expired");
    assert_eq!(channel_count(&s).await, 1);
}

#[tokio::test]
async fn key_allowed_only_some_actions() {
    let s = Server::start();
    let root = s.client();
    let arn = channel_named(&root, "mine").await;
    let (id, secret, account) = s.create_key(None, &["ivs:GetChannel", "ivs:List*"]);
    assert_eq!(account, conformance::ACCOUNT);
    let c = s.client_for(conformance::REGION, &id, &secret);

    let list = c.list_channels().send().await.expect("ListChannels is allowed");
    assert_eq!(list.channels().len(), 1);
    let got = c.get_channel().arn(&arn).send().await.expect("GetChannel is allowed");
    assert_eq!(got.channel().and_then(|c| c.name()), Some("mine"));
    c.list_stream_keys().channel_arn(&arn).send().await.expect("ListStreamKeys matches ivs:List*");

    let err = c.create_channel().name("nope").send().await.expect_err("CreateChannel is not allowed");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(403));
    let err = err.into_service_error();
    assert!(err.is_access_denied_exception(), "{err:?}");
    assert_eq!(err.meta().code(), Some("AccessDeniedException"));
    let msg = err.meta().message().unwrap_or_default();
    assert!(msg.contains("ivs:CreateChannel"), "{msg}");

    let err = c
        .put_metadata()
        .channel_arn(&arn)
        .metadata("hi")
        .send()
        .await
        .expect_err("PutMetadata is not allowed");
    let err = err.into_service_error();
    assert!(err.is_access_denied_exception(), "{err:?}");
    assert_eq!(err.meta().code(), Some("AccessDeniedException"));

    // Nothing was created by the refused call.
    assert_eq!(channel_count(&s).await, 1);
}

#[tokio::test]
async fn deleted_key_stops_working_within_seconds() {
    let s = Server::start();
    let (id, secret, _) = s.create_key(None, &[]);
    let c = s.client_for(conformance::REGION, &id, &secret);
    c.list_channels().send().await.expect("the new key works");

    let out = Command::new(conformance::binary())
        .args(["keys", "delete", "--data-dir"])
        .arg(&s.data_dir)
        .arg(&id)
        .output()
        .expect("openivs keys delete");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listed = Command::new(conformance::binary())
        .args(["keys", "list", "--data-dir"])
        .arg(&s.data_dir)
        .output()
        .expect("openivs keys list");
    assert!(!String::from_utf8_lossy(&listed.stdout).contains(&id));

    // The server caches keys for 5 s.
    let deleted = Instant::now();
    loop {
        match c.list_channels().send().await {
            Ok(_) => {
                assert!(deleted.elapsed() < Duration::from_secs(7), "deleted key still works after 7 s");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => {
                let e = e.into_service_error();
                assert_eq!(e.meta().code(), Some("UnrecognizedClientException"), "{e:?}");
                break;
            }
        }
    }
    // And stays refused.
    let e = c.list_channels().send().await.expect_err("still refused").into_service_error();
    assert_eq!(e.meta().code(), Some("UnrecognizedClientException"));
}

#[tokio::test]
async fn accounts_are_isolated() {
    let s = Server::start();
    let root = s.client();
    let mine = channel_named(&root, "first").await;
    let (id, secret, account) = s.create_key(Some("210987654321"), &[]);
    assert_eq!(account, "210987654321");
    let other = s.client_for(conformance::REGION, &id, &secret);

    assert!(other.list_channels().send().await.expect("list").channels().is_empty());
    let err = other.get_channel().arn(&mine).send().await.expect_err("not visible").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = other.delete_channel().arn(&mine).send().await.expect_err("not deletable").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");

    let theirs = other.create_channel().name("second").send().await.expect("create");
    let ch = theirs.channel().unwrap();
    assert!(ch.arn().unwrap().starts_with("arn:aws:ivs:us-west-2:210987654321:channel/"), "{:?}", ch.arn());
    let key_arn = theirs.stream_key().and_then(|k| k.arn()).unwrap_or_default();
    assert!(key_arn.starts_with("arn:aws:ivs:us-west-2:210987654321:stream-key/"), "{key_arn}");

    let root_list = root.list_channels().send().await.expect("list");
    assert_eq!(root_list.channels().len(), 1);
    assert_eq!(root_list.channels()[0].arn(), Some(mine.as_str()));
    let other_list = other.list_channels().send().await.expect("list");
    assert_eq!(other_list.channels().len(), 1);
    assert_eq!(other_list.channels()[0].name(), Some("second"));
    let err =
        root.get_channel().arn(ch.arn().unwrap()).send().await.expect_err("not visible").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
}

#[tokio::test]
async fn regions_are_isolated() {
    let s = Server::start();
    let west = s.client();
    let arn = channel_named(&west, "west").await;
    let eu = s.client_for("eu-west-1", &s.access_key_id, &s.secret_access_key);
    assert!(eu.list_channels().send().await.expect("list").channels().is_empty());
    let err = eu.get_channel().arn(&arn).send().await.expect_err("not visible").into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");

    let eu_arn = channel_named(&eu, "eu").await;
    assert!(eu_arn.starts_with("arn:aws:ivs:eu-west-1:123456789012:channel/"), "{eu_arn}");
    let west_list = west.list_channels().send().await.expect("list");
    assert_eq!(west_list.channels().len(), 1);
    assert_eq!(west_list.channels()[0].name(), Some("west"));
    assert_eq!(eu.list_channels().send().await.expect("list").channels().len(), 1);
}

/// `openivs serve` without `OPENIVS_ROOT_*`, killed on drop.
struct Generated {
    child: Child,
    endpoint: String,
    stdout: Vec<String>,
}

impl Generated {
    fn start(data_dir: &Path) -> Self {
        let mut child = Command::new(conformance::binary())
            .args(["serve", "--api-listen", "127.0.0.1:0", "--disable-rate-limits"])
            .args(["--rtmps-listen", "127.0.0.1:0", "--rtmp-listen", "127.0.0.1:0"])
            .args(["--srt-listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env_remove("OPENIVS_ROOT_ACCESS_KEY_ID")
            .env_remove("OPENIVS_ROOT_SECRET_ACCESS_KEY")
            .env_remove("OPENIVS_ACCOUNT_ID")
            .env_remove("OPENIVS_API_LISTEN")
            .env_remove("OPENIVS_DATA_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn openivs serve");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut stdout = Vec::new();
        let mut endpoint = None;
        // The ready line, then the lines about the credentials.
        while let Some(Ok(line)) = lines.next() {
            if let Some(url) = line.strip_prefix("openivs API listening on ") {
                endpoint = Some(url.trim().to_string());
            }
            let done = line.starts_with("try:") || line.starts_with("root credentials: from");
            stdout.push(line);
            if done {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        let endpoint = endpoint.unwrap_or_else(|| panic!("no ready line in {stdout:?}"));
        Generated { child, endpoint, stdout }
    }

    fn client(&self, id: &str, secret: &str) -> aws_sdk_ivs::Client {
        let conf = aws_sdk_ivs::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(id, secret, None, None, "generated"))
            .build();
        aws_sdk_ivs::Client::from_conf(conf)
    }
}

impl Drop for Generated {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The key of `profile` in an AWS shared-credentials file.
fn profile_key(text: &str, profile: &str) -> Option<(String, String)> {
    let (mut section, mut id, mut secret) = (String::new(), None, None);
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
            continue;
        }
        let (k, v) = line.split_once('=')?;
        if section == profile {
            match k.trim() {
                "aws_access_key_id" => id = Some(v.trim().to_string()),
                "aws_secret_access_key" => secret = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    Some((id?, secret?))
}

#[tokio::test]
async fn generated_root_credentials_work_and_survive_a_restart() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tmp");
    let creds_path = tmp.path().join("credentials");
    let first = Generated::start(tmp.path());
    let mode = std::fs::metadata(&creds_path).expect("credentials file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let text = std::fs::read_to_string(&creds_path).expect("read credentials");
    let (id, secret) =
        profile_key(&text, "openivs").unwrap_or_else(|| panic!("no openivs profile in {text}"));
    assert!(id.len() >= 16 && secret.len() >= 32, "{id} / secret of {} chars", secret.len());
    assert!(
        first.stdout.iter().any(|l| l.contains(&*creds_path.to_string_lossy())),
        "stdout names the file: {:?}",
        first.stdout
    );
    let config = std::fs::read_to_string(tmp.path().join("config")).expect("config file");
    assert!(config.contains("[profile openivs]"), "{config}");
    assert!(config.contains(&format!("endpoint_url = {}", first.endpoint)), "{config}");

    let c = first.client(&id, &secret);
    let created = c.create_channel().name("gen").send().await.expect("the generated key works");
    let arn = created.channel().and_then(|c| c.arn()).unwrap().to_string();
    let err = first.client(&id, "not-the-secret").list_channels().send().await.expect_err("wrong secret");
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidSignatureException"));
    drop(first);

    let second = Generated::start(tmp.path());
    let text2 = std::fs::read_to_string(&creds_path).expect("read credentials again");
    assert_eq!(profile_key(&text2, "openivs"), Some((id.clone(), secret.clone())), "same key after restart");
    let mode = std::fs::metadata(&creds_path).expect("credentials file").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
    let c = second.client(&id, &secret);
    let got = c.get_channel().arn(&arn).send().await.expect("same key, same data after restart");
    assert_eq!(got.channel().and_then(|c| c.name()), Some("gen"));
}
