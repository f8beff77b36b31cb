//! Published vectors beyond the header suite:
//! - the presigned (query) form from the aws-c-auth signing test suite
//!   (`get-header-value-multiline`, `get-vanilla-with-session-token`, X-Amz-Expires=3600),
//! - the IAM `ListUsers` example and the signing-key derivation examples of the AWS
//!   SigV4 documentation.

mod common;

use common::*;
use openivs_sigv4::*;
use std::time::Duration;

const MULTILINE_CREQ: &str = "GET\n/\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host%3Bmy-header1\nhost:example.amazonaws.com\nmy-header1:value1,value2,value3\n\nhost;my-header1\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const MULTILINE_STS_HASH: &str = "6053ce005c5b805dd7bde2fd4c4ed6c54852b2157f3f9e57d39997dd3c36b0c4";
const MULTILINE_SIGNATURE: &str = "07f38a7bae261a5b2eec137361e6403c191bbf8e3f75466bb8114a08acd99936";
/// The query of the published presigned request, in the order aws-c-auth wrote it.
const MULTILINE_URL_QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host%3Bmy-header1&X-Amz-Expires=3600&X-Amz-Signature=07f38a7bae261a5b2eec137361e6403c191bbf8e3f75466bb8114a08acd99936";
/// The obs-folded `value1\n  value2\n     value3`, unfolded (see aws_suite.rs).
const MULTILINE_HEADERS: &[(&str, &str)] = &[
    ("Host", HOST),
    ("My-Header1", "value1"),
    ("My-Header1", "value2"),
    ("My-Header1", "value3"),
    ("X-Amz-Date", AMZ_DATE),
];

#[test]
fn presign_reproduces_the_published_query_vector() {
    let req = HttpRequest::from_target("GET", "/", MULTILINE_HEADERS, b"");
    let out = presign(&req, &suite_params(None), 3600).expect("presigns");
    assert_eq!(out.canonical_request, MULTILINE_CREQ);
    assert_eq!(out.string_to_sign, format!("{STS_PREFIX}{MULTILINE_STS_HASH}"));
    assert_eq!(out.signature, MULTILINE_SIGNATURE);
    // Our query is the canonical one plus the signature; it must carry the same values.
    assert_eq!(
        presigned_canonical_query_string(&out.query),
        presigned_canonical_query_string(MULTILINE_URL_QUERY)
    );
    assert!(out.query.ends_with(&format!("&X-Amz-Signature={MULTILINE_SIGNATURE}")));
}

#[test]
fn the_published_presigned_url_verifies_until_it_expires() {
    let auth = parse_authorization(MULTILINE_HEADERS, MULTILINE_URL_QUERY).expect("parses");
    assert_eq!(auth.location, AuthLocation::Query { expires_secs: 3600 });
    assert_eq!(auth.signed_headers, ["host", "my-header1"]);
    assert_eq!(auth.request_time, now());
    let req = HttpRequest {
        method: "GET",
        path: "/",
        query: MULTILINE_URL_QUERY,
        headers: MULTILINE_HEADERS,
        body: b"",
    };
    for offset in [0, 1800, 3600] {
        let at = now() + Duration::from_secs(offset);
        assert_eq!(verify(&auth, SECRET, &req, at), Ok(()), "at +{offset}s");
    }
    let late = verify(&auth, SECRET, &req, now() + Duration::from_secs(3601)).unwrap_err();
    assert_eq!(late.aws_code(), "InvalidSignatureException");
    assert!(late.to_string().starts_with("Signature expired: "), "{late}");
}

/// aws-c-auth's session-token presign also signs the token as a header; the steps still
/// match, and our verifier accepts it when that header is sent.
#[test]
fn presigned_session_token_steps_match_the_published_files() {
    const TOKEN: &str = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    let query = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host%3Bx-amz-security-token&X-Amz-Expires=3600&X-Amz-Security-Token=6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267&X-Amz-Signature=0518c24b3e92905b38e2bcdb775a4301cfa7afef15851eda5b08383f181c6966";
    let creq = "GET\n/\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=3600&X-Amz-Security-Token=6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267&X-Amz-SignedHeaders=host%3Bx-amz-security-token\nhost:example.amazonaws.com\nx-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\nhost;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let headers = [("Host", HOST), ("X-Amz-Security-Token", TOKEN)];
    let names = ["host", "x-amz-security-token"];
    let built = canonical_request(
        "GET",
        &canonical_uri("/"),
        &presigned_canonical_query_string(query),
        &canonical_headers(&headers, &names),
        &signed_headers_line(&names),
        EMPTY_SHA256,
    );
    assert_eq!(built, creq);
    let sts = string_to_sign(AMZ_DATE, "20150830/us-east-1/service/aws4_request", creq);
    assert_eq!(sts, format!("{STS_PREFIX}3ccf911b8d0ca9c791608b8f1550af1402a28ccc3a68f0d2023d6d7e334f2e72"));
    let key = SigningKey::derive(SECRET, "20150830", REGION, SERVICE);
    assert_eq!(key.sign_hex(&sts), "0518c24b3e92905b38e2bcdb775a4301cfa7afef15851eda5b08383f181c6966");
    let auth = parse_authorization(&headers, query).expect("parses");
    assert_eq!(auth.session_token.as_deref(), Some(TOKEN));
    let req = HttpRequest::from_target("GET", "/", &headers, b"");
    let req = HttpRequest { query, ..req };
    assert_eq!(verify(&auth, SECRET, &req, now()), Ok(()));
}

/// The header-form session-token vector of aws-c-auth: the token is signed.
#[test]
fn sign_with_session_token_matches_aws_c_auth() {
    const TOKEN: &str = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
    let headers = [("Host", HOST)];
    let req = HttpRequest::from_target("GET", "/", &headers, b"");
    let out = sign(&req, &suite_params(Some(TOKEN)), PayloadSigning::Hashed).expect("signs");
    assert_eq!(
        out.authorization(),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"
    );
    assert_eq!(out.header("x-amz-security-token"), Some(TOKEN));
}

#[test]
fn signing_key_derivation_examples_from_the_aws_docs() {
    let key = SigningKey::derive(SECRET, "20150830", "us-east-1", "iam");
    assert_eq!(
        hex::encode(key.as_bytes()),
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    );
    let key = SigningKey::derive(SECRET, "20120215", "us-east-1", "iam");
    assert_eq!(
        hex::encode(key.as_bytes()),
        "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
    );
}

/// "Create a signed AWS API request": `GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08`.
#[test]
fn iam_list_users_example_from_the_aws_docs() {
    let headers = [
        ("Host", "iam.amazonaws.com"),
        ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ("X-Amz-Date", AMZ_DATE),
    ];
    let req = HttpRequest::from_target("GET", "/?Action=ListUsers&Version=2010-05-08", &headers, b"");
    let params = SigningParams { service: "iam", ..suite_params(None) };
    let out = sign(&req, &params, PayloadSigning::Hashed).expect("signs");
    assert_eq!(
        out.canonical_request,
        "GET\n/\nAction=ListUsers&Version=2010-05-08\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        out.string_to_sign,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
    assert_eq!(
        out.authorization(),
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
}
