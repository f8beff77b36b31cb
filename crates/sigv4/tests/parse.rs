//! [`parse_authorization`]: what counts as no auth, malformed auth, and the spellings of
//! the `Authorization` header the SDKs and other signers produce; plus presigned URLs made
//! by [`presign`] and the `Date` header fallback.

use std::time::{Duration, SystemTime};

use openivs_sigv4::*;
use time::macros::datetime;

/// A `SystemTime` from a `time` literal (the date library is the tests' independent oracle).
fn at(t: time::OffsetDateTime) -> SystemTime {
    t.into()
}

const SIG: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
const CRED: &str = "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request";

fn parse_header(value: &str) -> Result<ParsedAuth, AuthError> {
    let headers =
        [("Host", "iam.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z"), ("Authorization", value)];
    parse_authorization(&headers, "")
}

fn malformed(value: &str) -> String {
    match parse_header(value) {
        Err(err @ AuthError::Malformed(_)) => {
            assert_eq!(err.aws_code(), "IncompleteSignatureException");
            err.to_string()
        }
        other => panic!("{value:?} gave {other:?}"),
    }
}

#[test]
fn no_authorization_at_all_is_a_missing_token() {
    let err = parse_authorization(&[("Host", "h")], "a=1").unwrap_err();
    assert_eq!(err, AuthError::MissingAuthentication);
    assert_eq!(err.aws_code(), "MissingAuthenticationTokenException");
}

#[test]
fn the_sdk_spelling_parses() {
    let auth = parse_header(&format!(
        "AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=content-type;host;x-amz-date, Signature={SIG}"
    ))
    .expect("parses");
    assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
    assert_eq!(auth.scope, CredentialScope::new("20150830", "us-east-1", "iam"));
    assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date"]);
    assert_eq!(hex::encode(auth.signature), SIG);
    assert_eq!(auth.request_time, at(datetime!(2015-08-30 12:36:00 UTC)));
    assert_eq!(auth.location, AuthLocation::Header);
}

#[test]
fn separators_and_field_order_are_flexible() {
    let standard = parse_header(&format!(
        "AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host;x-amz-date, Signature={SIG}"
    ))
    .expect("parses");
    for variant in [
        format!("AWS4-HMAC-SHA256 Credential={CRED},SignedHeaders=host;x-amz-date,Signature={SIG}"),
        format!("AWS4-HMAC-SHA256   Credential={CRED} ,  SignedHeaders=host;x-amz-date,\tSignature={SIG}"),
        format!("AWS4-HMAC-SHA256 Signature={SIG}, Credential={CRED}, SignedHeaders=host;x-amz-date"),
        format!(" AWS4-HMAC-SHA256 Credential={CRED} SignedHeaders=host;x-amz-date Signature={SIG} "),
    ] {
        assert_eq!(parse_header(&variant).as_ref(), Ok(&standard), "{variant:?}");
    }
}

#[test]
fn malformed_headers_are_incomplete_signatures() {
    let msg = malformed(&format!("AWS4-HMAC-SHA256 Credential={CRED}, Signature={SIG}"));
    assert_eq!(msg, "Authorization header requires 'SignedHeaders' parameter.");
    malformed(&format!("AWS4-HMAC-SHA512 Credential={CRED}, SignedHeaders=host, Signature={SIG}"));
    malformed(&format!("AWS4-HMAC-SHA256Credential={CRED}, SignedHeaders=host, Signature={SIG}"));
    malformed(&format!("AWS AKIDEXAMPLE:{SIG}"));
    malformed("AWS4-HMAC-SHA256");
    malformed(&format!(
        "AWS4-HMAC-SHA256 Credential={CRED}, Credential={CRED}, SignedHeaders=host, Signature={SIG}"
    ));
    malformed(&format!("AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host, Signature=abc"));
    malformed(&format!("AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host;;x, Signature={SIG}"));
    malformed(&format!("AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders, Signature={SIG}"));
    for credential in [
        "AKIDEXAMPLE/20150830/us-east-1/iam",
        "AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request/x",
        "/20150830/us-east-1/iam/aws4_request",
        "AKIDEXAMPLE/2015083/us-east-1/iam/aws4_request",
        "AKIDEXAMPLE/20151330/us-east-1/iam/aws4_request",
        "AKIDEXAMPLE/20150830//iam/aws4_request",
        "AKIDEXAMPLE/20150830/us-east-1//aws4_request",
        "AKIDEXAMPLE/20150830/us-east-1/iam/aws5_request",
    ] {
        malformed(&format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature={SIG}"));
    }
}

#[test]
fn the_request_time_comes_from_x_amz_date_or_date() {
    let authz = format!("AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host, Signature={SIG}");
    let bad = [("Host", "h"), ("X-Amz-Date", "2015-08-30T12:36:00Z"), ("Authorization", authz.as_str())];
    assert_eq!(parse_authorization(&bad, "").unwrap_err().aws_code(), "IncompleteSignatureException");
    let none = [("Host", "h"), ("Authorization", authz.as_str())];
    assert!(matches!(parse_authorization(&none, ""), Err(AuthError::Malformed(_))));
    let date = [("Host", "h"), ("Date", "Sun, 30 Aug 2015 12:36:00 GMT"), ("Authorization", authz.as_str())];
    let auth = parse_authorization(&date, "").expect("parses");
    assert_eq!(auth.request_time, at(datetime!(2015-08-30 12:36:00 UTC)));
}

/// A client that only sends `Date` signs it, and the string to sign still uses the ISO 8601
/// form of that time.
#[test]
fn a_date_header_request_verifies() {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let headers = [("Host", "iam.amazonaws.com"), ("Date", "Sun, 30 Aug 2015 12:36:00 GMT")];
    let names = ["date", "host"];
    let creq =
        canonical_request("GET", "/", "", &canonical_headers(&headers, &names), "date;host", EMPTY_SHA256);
    let sts = string_to_sign("20150830T123600Z", "20150830/us-east-1/iam/aws4_request", &creq);
    let sig = SigningKey::derive(secret, "20150830", "us-east-1", "iam").sign_hex(&sts);
    let authz = format!("AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=date;host, Signature={sig}");
    let mut all = headers.to_vec();
    all.push(("Authorization", &authz));
    let auth = parse_authorization(&all, "").expect("parses");
    let req = HttpRequest::from_target("GET", "/", &all, b"");
    assert_eq!(verify(&auth, secret, &req, at(datetime!(2015-08-30 12:40:00 UTC))), Ok(()));
}

#[test]
fn presigned_urls_round_trip_and_expire() {
    let secret = "secret";
    let params = SigningParams {
        credentials: Credentials {
            access_key_id: "AKID",
            secret_access_key: secret,
            session_token: Some("tok+/="),
        },
        region: "us-west-2",
        service: "ivs",
        time: at(datetime!(2026-03-01 10:00:00 UTC)),
    };
    let headers = [("Host", "ivs.us-west-2.amazonaws.com")];
    let req =
        HttpRequest::from_target("GET", "/tags/arn%3Aaws%3Aivs%3Aus-west-2%3A1%3Achannel%2Fx", &headers, b"");
    let req = HttpRequest { query: "tagKeys=a", ..req };
    let out = presign(&req, &params, 900).expect("presigns");
    assert!(out.query.contains("X-Amz-Security-Token=tok%2B%2F%3D"), "{}", out.query);
    let auth = parse_authorization(&headers, &out.query).expect("parses");
    assert_eq!(auth.location, AuthLocation::Query { expires_secs: 900 });
    assert_eq!(auth.session_token.as_deref(), Some("tok+/="));
    let sent = HttpRequest { query: &out.query, ..req };
    assert_eq!(verify(&auth, secret, &sent, params.time + Duration::from_secs(900)), Ok(()));
    let late = verify(&auth, secret, &sent, params.time + Duration::from_secs(901));
    assert!(matches!(late, Err(AuthError::Expired { .. })), "{late:?}");
    let tampered = out.query.replace("tagKeys=a", "tagKeys=b");
    let tampered = HttpRequest { query: &tampered, ..sent };
    assert_eq!(
        verify(&auth, secret, &tampered, params.time).unwrap_err().aws_code(),
        "InvalidSignatureException"
    );
    assert_eq!(presign(&req, &params, 604_801), Err(SignError::ExpiresTooLong));
}

#[test]
fn presigned_query_errors() {
    let base = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260301%2Fus-west-2%2Fivs%2Faws4_request&X-Amz-Date=20260301T100000Z&X-Amz-SignedHeaders=host";
    let sig = format!("&X-Amz-Signature={SIG}");
    let headers = [("Host", "h")];
    let incomplete = |query: &str| parse_authorization(&headers, query).unwrap_err().aws_code();
    assert_eq!(incomplete(&format!("{base}{sig}")), "IncompleteSignatureException");
    assert_eq!(incomplete(&format!("{base}&X-Amz-Expires=abc{sig}")), "IncompleteSignatureException");
    assert_eq!(incomplete(&format!("{base}&X-Amz-Expires=60{sig}{sig}")), "IncompleteSignatureException");
    let sha1 = base.replace("SHA256", "SHA1");
    assert_eq!(incomplete(&format!("{sha1}&X-Amz-Expires=60{sig}")), "IncompleteSignatureException");
    let week_plus = format!("{base}&X-Amz-Expires=604801{sig}");
    let auth = parse_authorization(&headers, &week_plus).expect("parses");
    let req = HttpRequest::from_target("GET", "/", &headers, b"");
    let err =
        verify(&auth, "s", &HttpRequest { query: &week_plus, ..req }, at(datetime!(2026-03-01 10:00:00 UTC)));
    assert_eq!(err, Err(AuthError::ExpiresTooLong));
    let both = [("Host", "h"), ("Authorization", "AWS4-HMAC-SHA256 x")];
    let query = format!("{base}&X-Amz-Expires=60{sig}");
    assert!(matches!(parse_authorization(&both, &query), Err(AuthError::Malformed(_))));
}

#[test]
fn extreme_request_times_do_not_panic() {
    for (date, scope) in [("99991231T235959Z", "99991231"), ("00000101T000000Z", "00000101")] {
        let authz = format!(
            "AWS4-HMAC-SHA256 Credential=AKID/{scope}/r/s/aws4_request, SignedHeaders=host, Signature={SIG}"
        );
        let headers = [("Host", "h"), ("X-Amz-Date", date), ("Authorization", authz.as_str())];
        let auth = parse_authorization(&headers, "").expect("parses");
        let req = HttpRequest::from_target("GET", "/", &headers, b"");
        let err = verify(&auth, "s", &req, at(datetime!(2026-03-01 10:00:00 UTC))).unwrap_err();
        assert_eq!(err.aws_code(), "InvalidSignatureException", "{err}");
    }
}

/// Only auth parameters must be UTF-8: a header-signed request may carry arbitrary
/// percent-encoded bytes elsewhere in its query, and they are signed byte for byte.
#[test]
fn non_utf8_query_bytes_are_fine_outside_auth_parameters() {
    let secret = "s";
    let params = SigningParams {
        credentials: Credentials { access_key_id: "AKID", secret_access_key: secret, session_token: None },
        region: "us-west-2",
        service: "ivs",
        time: at(datetime!(2026-03-01 10:00:00 UTC)),
    };
    let headers = [("Host", "ivs.us-west-2.amazonaws.com")];
    let req = HttpRequest::from_target("GET", "/x?blob=%FF%FE", &headers, b"");
    let out = sign(&req, &params, PayloadSigning::Hashed).expect("signs");
    let mut all = headers.to_vec();
    all.extend(out.headers.iter().map(|(n, v)| (*n, v.as_str())));
    let auth = parse_authorization(&all, req.query).expect("parses");
    assert_eq!(verify(&auth, secret, &HttpRequest { headers: &all, ..req }, params.time), Ok(()));
    let bad_token = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Security-Token=%FF";
    assert!(matches!(parse_authorization(&headers, bad_token), Err(AuthError::Malformed(_))));
}
