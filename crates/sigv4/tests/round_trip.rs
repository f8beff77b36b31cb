//! Sign with [`sign`] / [`presign`], verify with [`parse_authorization`] + [`verify`]:
//! the untouched request passes, every single change to a signed part fails with the
//! right AWS error code, and changes to unsigned parts do not matter.

use std::time::SystemTime;

use openivs_sigv4::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const HOST: &str = "ivs.us-west-2.amazonaws.com";
const T: OffsetDateTime = datetime!(2026-03-01 10:20:30 UTC);
const TAGS_PATH: &str = "/tags/arn%3Aaws%3Aivs%3Aus-west-2%3A123456789012%3Achannel%2FabcdABCDefgh";
const BODY: &[u8] = br#"{"name":"my-channel","latencyMode":"LOW"}"#;

const INVALID: &str = "InvalidSignatureException";
const INCOMPLETE: &str = "IncompleteSignatureException";

fn params() -> SigningParams<'static> {
    SigningParams {
        credentials: Credentials { access_key_id: AKID, secret_access_key: SECRET, session_token: None },
        region: "us-west-2",
        service: "ivs",
        time: T.into(),
    }
}

/// A request as a client would send it: its own headers plus the signing headers.
struct Sent {
    method: &'static str,
    path: &'static str,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Sent {
    fn new(method: &'static str, path: &'static str, query: &str, body: &[u8]) -> Self {
        let headers = vec![
            ("Host", HOST),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-User-Agent", "aws-sdk-rust/1.3 api/ivs/1.131"),
            ("User-Agent", "aws-sdk-rust/1.3 os/linux"),
        ];
        let headers = headers.into_iter().map(|(n, v)| (n.to_owned(), v.to_owned()));
        Self { method, path, query: query.to_owned(), headers: headers.collect(), body: body.to_vec() }
    }

    fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
    }

    fn signed(mut self, payload: PayloadSigning) -> Self {
        let headers = self.header_refs();
        let req = HttpRequest {
            method: self.method,
            path: self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        };
        let out = sign(&req, &params(), payload).expect("signs");
        let added: Vec<(String, String)> = out.headers.into_iter().map(|(n, v)| (n.to_owned(), v)).collect();
        self.headers.extend(added);
        self
    }

    fn set_header(&mut self, name: &str, value: &str) {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    fn verify_at(&self, secret: &str, now: OffsetDateTime) -> Result<ParsedAuth, AuthError> {
        let headers = self.header_refs();
        let auth = parse_authorization(&headers, &self.query)?;
        let req = HttpRequest {
            method: self.method,
            path: self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        };
        verify(&auth, secret, &req, now.into()).map(|()| auth)
    }

    fn check(&self) -> Result<ParsedAuth, AuthError> {
        self.verify_at(SECRET, T)
    }
}

fn code(result: Result<ParsedAuth, AuthError>) -> &'static str {
    result.expect_err("must fail").aws_code()
}

fn create_channel() -> Sent {
    Sent::new("POST", "/CreateChannel", "", BODY).signed(PayloadSigning::Hashed)
}

#[test]
fn a_signed_request_verifies_and_exposes_its_scope() {
    let auth = create_channel().check().expect("verifies");
    assert_eq!(auth.access_key_id, AKID);
    assert_eq!(auth.scope, CredentialScope::new("20260301", "us-west-2", "ivs"));
    assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date", "x-amz-user-agent"]);
    assert_eq!(auth.request_time, SystemTime::from(T));
    assert_eq!(auth.session_token, None);
}

#[test]
fn any_change_to_a_signed_part_is_an_invalid_signature() {
    let mut sent = create_channel();
    sent.method = "PUT";
    assert_eq!(code(sent.check()), INVALID);

    let mut sent = create_channel();
    sent.path = "/DeleteChannel";
    assert_eq!(code(sent.check()), INVALID);

    let mut sent = create_channel();
    sent.query = "extra=1".to_owned();
    assert_eq!(code(sent.check()), INVALID);

    let mut sent = create_channel();
    sent.set_header("Content-Type", "application/json");
    assert_eq!(code(sent.check()), INVALID);

    let mut sent = create_channel();
    sent.body = br#"{"name":"other"}"#.to_vec();
    assert_eq!(code(sent.check()), INVALID);

    let sent = create_channel();
    assert_eq!(code(sent.verify_at("another-secret", T)), INVALID);
}

#[test]
fn a_mismatch_message_leaks_neither_secret_nor_expected_signature() {
    let mut sent = create_channel();
    sent.body = b"{}".to_vec();
    let err = sent.check().expect_err("mismatch");
    let AuthError::SignatureMismatch { string_to_sign, .. } = &err else {
        panic!("unexpected {err:?}");
    };
    let expected = SigningKey::derive(SECRET, "20260301", "us-west-2", "ivs").sign_hex(string_to_sign);
    let message = err.to_string();
    assert!(!message.contains(SECRET) && !message.contains(&expected), "{message}");
    assert!(message.starts_with("The request signature we calculated does not match"));
}

#[test]
fn unsigned_headers_may_change_or_appear() {
    let mut sent = create_channel();
    sent.set_header("User-Agent", "something-else");
    sent.set_header("X-Forwarded-For", "10.0.0.1");
    sent.set_header("X-Amzn-Trace-Id", "Root=1-abc");
    assert!(sent.check().is_ok());
}

#[test]
fn the_request_time_must_be_within_fifteen_minutes() {
    let sent = create_channel();
    for ok in [-15, 0, 15] {
        assert!(sent.verify_at(SECRET, T + Duration::minutes(ok)).is_ok(), "{ok} min");
    }
    let late = sent.verify_at(SECRET, T + Duration::minutes(16)).expect_err("late");
    assert_eq!(late.aws_code(), INVALID);
    assert_eq!(
        late.to_string(),
        "Signature expired: 20260301T102030Z is now earlier than 20260301T102130Z (20260301T103630Z - 15 min.)"
    );
    let early = sent.verify_at(SECRET, T - Duration::minutes(16)).expect_err("early");
    assert_eq!(early.aws_code(), INVALID);
    assert!(early.to_string().starts_with("Signature not yet current: "));
}

#[test]
fn the_scope_date_must_be_the_request_date() {
    let mut sent = create_channel();
    sent.set_header("X-Amz-Date", "20260302T102030Z");
    let err = sent.verify_at(SECRET, T + Duration::days(1)).expect_err("fails");
    assert!(matches!(err, AuthError::ScopeDateMismatch { .. }), "{err:?}");
    assert_eq!(err.aws_code(), INVALID);
}

#[test]
fn host_must_be_signed() {
    let mut sent = create_channel();
    let authz = sent
        .header_refs()
        .iter()
        .find(|(n, _)| *n == "authorization")
        .map(|(_, v)| v.replace("host;", ""))
        .expect("authorization");
    sent.set_header("Authorization", &authz);
    assert_eq!(sent.check(), Err(AuthError::HostNotSigned));
    assert_eq!(AuthError::HostNotSigned.aws_code(), INCOMPLETE);
}

#[test]
fn content_sha256_is_signed_and_checked() {
    let sent = Sent::new("POST", "/ListChannels", "", b"{}").signed(PayloadSigning::HashedWithHeader);
    let auth = sent.check().expect("verifies");
    assert!(auth.signed_headers.contains(&"x-amz-content-sha256".to_owned()));
    let mut swapped = sent;
    swapped.body = b"{\"maxResults\":1}".to_vec();
    assert_eq!(swapped.check(), Err(AuthError::ContentSha256Mismatch));

    // Present but not signed, and wrong: still rejected.
    let mut unsigned = create_channel();
    unsigned.set_header("x-amz-content-sha256", EMPTY_SHA256);
    assert_eq!(unsigned.check(), Err(AuthError::ContentSha256Mismatch));
}

#[test]
fn an_unsigned_payload_is_refused_as_non_s3_services_do() {
    // Validly signed over `UNSIGNED-PAYLOAD`, with the body it was sent with or with another.
    let mut sent = Sent::new("POST", "/PutMetadata", "", b"abc").signed(PayloadSigning::Unsigned);
    assert_eq!(sent.check(), Err(AuthError::ContentSha256Mismatch));
    sent.body = b"other body".to_vec();
    assert_eq!(sent.check(), Err(AuthError::ContentSha256Mismatch));
}

#[test]
fn a_repeated_authorization_or_date_header_is_refused() {
    let sent = create_channel();
    let authz = sent
        .header_refs()
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.to_string())
        .expect("signed");
    let mut twice = create_channel();
    twice.headers.push(("Authorization".to_owned(), authz.replace("Signature=", "Signature=0")));
    assert!(matches!(twice.check(), Err(AuthError::Malformed(m)) if m.contains("'Authorization'")));
    let mut dates = create_channel();
    dates.headers.push(("x-amz-date".to_owned(), "20150830T123600Z".to_owned()));
    assert!(matches!(dates.check(), Err(AuthError::Malformed(m)) if m.contains("'X-Amz-Date'")));
}

#[test]
fn the_tags_arn_path_is_double_encoded_and_verifies() {
    let sent = Sent::new("DELETE", TAGS_PATH, "tagKeys=k1&tagKeys=k2", b"");
    let headers = sent.header_refs();
    let req =
        HttpRequest { method: "DELETE", path: TAGS_PATH, query: &sent.query, headers: &headers, body: b"" };
    let out = sign(&req, &params(), PayloadSigning::Hashed).expect("signs");
    let lines: Vec<&str> = out.canonical_request.lines().collect();
    assert_eq!(
        lines[1],
        "/tags/arn%253Aaws%253Aivs%253Aus-west-2%253A123456789012%253Achannel%252FabcdABCDefgh"
    );
    assert_eq!(lines[2], "tagKeys=k1&tagKeys=k2");

    let sent = sent.signed(PayloadSigning::Hashed);
    assert!(sent.check().is_ok());
    // Repeated keys are sorted by value, so their order on the wire does not matter...
    let mut reordered = Sent { query: "tagKeys=k2&tagKeys=k1".to_owned(), ..sent };
    assert!(reordered.check().is_ok());
    // ...but their values do, and so does the raw (not decoded) path.
    reordered.query = "tagKeys=k1&tagKeys=k3".to_owned();
    assert_eq!(code(reordered.check()), INVALID);
    let decoded = Sent {
        path: "/tags/arn:aws:ivs:us-west-2:123456789012:channel/abcdABCDefgh",
        query: "tagKeys=k1&tagKeys=k2".to_owned(),
        ..reordered
    };
    assert_eq!(code(decoded.check()), INVALID);
}

#[test]
fn a_session_token_is_signed_and_reported() {
    let headers = [("Host", HOST)];
    let req = HttpRequest::from_target("POST", "/ListChannels", &headers, b"{}");
    let creds = Credentials { session_token: Some("FwoGZXIvYXdzEXAMPLE+/="), ..params().credentials };
    let out =
        sign(&req, &SigningParams { credentials: creds, ..params() }, PayloadSigning::Hashed).expect("signs");
    let mut all: Vec<(&str, &str)> = headers.to_vec();
    all.extend(out.headers.iter().map(|(n, v)| (*n, v.as_str())));
    let auth = parse_authorization(&all, "").expect("parses");
    assert_eq!(auth.session_token.as_deref(), Some("FwoGZXIvYXdzEXAMPLE+/="));
    assert!(auth.signed_headers.contains(&"x-amz-security-token".to_owned()));
    let req = HttpRequest { headers: &all, ..req };
    assert_eq!(verify(&auth, SECRET, &req, T.into()), Ok(()));
}

#[test]
fn a_cached_signing_key_verifies_like_the_secret() {
    let sent = create_channel();
    let headers = sent.header_refs();
    let auth = parse_authorization(&headers, "").expect("parses");
    let key = SigningKey::for_scope(SECRET, &auth.scope);
    let req = HttpRequest::from_target("POST", "/CreateChannel", &headers, BODY);
    assert_eq!(verify_with_key(&auth, &key, &req, T.into()), Ok(()));
    let other = SigningKey::derive(SECRET, "20260301", "us-east-1", "ivs");
    assert_eq!(verify_with_key(&auth, &other, &req, T.into()).unwrap_err().aws_code(), INVALID);
}
