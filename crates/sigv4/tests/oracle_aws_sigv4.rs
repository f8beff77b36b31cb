//! Cross-check with the AWS SDK's own signer, the `aws-sigv4` crate (dev-dependency only):
//! requests it signs must verify with ours, and for the same inputs both signers must
//! produce the same `Authorization` header or presigned signature.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials as AwsCredentials;
use aws_sigv4::http_request::{
    PayloadChecksumKind, SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign as aws_sign,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use openivs_sigv4::*;
use time::OffsetDateTime;
use time::macros::datetime;

const AKID: &str = "AKIAEXAMPLEEXAMPLE12";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const HOST: &str = "ivs.us-west-2.amazonaws.com";
const T: OffsetDateTime = datetime!(2026-03-01 10:20:30 UTC);
const TAGS_TARGET: &str =
    "/tags/arn%3Aaws%3Aivs%3Aus-west-2%3A123456789012%3Achannel%2FabcdABCDefgh?tagKeys=k1&tagKeys=k2";

struct Case {
    method: &'static str,
    target: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static [u8],
    token: Option<&'static str>,
    content_sha256: bool,
}

fn cases() -> Vec<Case> {
    let json = vec![
        ("content-type", "application/json"),
        ("content-length", "27"),
        ("host", HOST),
        ("x-amz-user-agent", "aws-sdk-rust/1.3.10 api/ivs/1.131.0"),
    ];
    vec![
        Case {
            method: "POST",
            target: "/CreateChannel",
            headers: json.clone(),
            body: br#"{"name":"x","type":"BASIC"}"#,
            token: None,
            content_sha256: false,
        },
        Case {
            method: "DELETE",
            target: TAGS_TARGET,
            headers: vec![("host", HOST)],
            body: b"",
            token: None,
            content_sha256: false,
        },
        Case {
            method: "POST",
            target: "/CreateChannel",
            headers: json,
            body: br#"{"name":"x","type":"BASIC"}"#,
            token: Some("IQoJb3JpZ2luX2VjEXAMPLE+token/=="),
            content_sha256: true,
        },
    ]
}

fn aws_settings(case: &Case) -> SigningSettings {
    let mut settings = SigningSettings::default();
    if case.content_sha256 {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    settings
}

type Pairs = Vec<(String, String)>;

/// Signs with aws-sigv4; returns the instructions' headers and query parameters.
fn aws_signed(case: &Case, settings: SigningSettings) -> (Pairs, Pairs) {
    let identity: Identity =
        AwsCredentials::new(AKID, SECRET, case.token.map(str::to_owned), None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-west-2")
        .name("ivs")
        .time(SystemTime::from(T))
        .settings(settings)
        .build()
        .expect("params")
        .into();
    let url = format!("https://{HOST}{}", case.target);
    let request =
        SignableRequest::new(case.method, url, case.headers.iter().copied(), SignableBody::Bytes(case.body))
            .expect("signable");
    let (instructions, _signature) = aws_sign(request, &params).expect("signs").into_parts();
    let headers = instructions.headers().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
    let query = instructions.params().iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    (headers, query)
}

fn our_params(case: &Case) -> SigningParams<'static> {
    SigningParams {
        credentials: Credentials {
            access_key_id: AKID,
            secret_access_key: SECRET,
            session_token: case.token,
        },
        region: "us-west-2",
        service: "ivs",
        time: T.into(),
    }
}

#[test]
fn aws_sigv4_header_signatures_verify_and_match_ours() {
    for case in cases() {
        let (added, _) = aws_signed(&case, aws_settings(&case));
        let mut headers: Vec<(&str, &str)> = case.headers.clone();
        headers.extend(added.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        let req = HttpRequest::from_target(case.method, case.target, &headers, case.body);
        let auth = parse_authorization(&headers, req.query).expect("parses");
        assert_eq!(verify(&auth, SECRET, &req, T.into()), Ok(()), "{}", case.target);
        assert_eq!(auth.session_token.as_deref(), case.token);

        let plain = HttpRequest::from_target(case.method, case.target, &case.headers, case.body);
        let payload =
            if case.content_sha256 { PayloadSigning::HashedWithHeader } else { PayloadSigning::Hashed };
        let ours = sign(&plain, &our_params(&case), payload).expect("signs");
        let theirs = added.iter().find(|(n, _)| n == "authorization").map(|(_, v)| v.as_str());
        assert_eq!(Some(ours.authorization()), theirs, "{}", case.target);
    }
}

#[test]
fn aws_sigv4_presigned_urls_verify_and_match_ours() {
    for case in cases().into_iter().filter(|c| !c.content_sha256) {
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(900));
        let (_, params) = aws_signed(&case, settings);
        let mut query = case.target.split_once('?').map(|(_, q)| q.to_owned()).unwrap_or_default();
        for (name, value) in &params {
            let sep = if query.is_empty() { "" } else { "&" };
            query.push_str(&format!("{sep}{name}={}", uri_encode(value.as_bytes())));
        }
        let path = case.target.split('?').next().unwrap_or_default();
        let req =
            HttpRequest { method: case.method, path, query: &query, headers: &case.headers, body: case.body };
        let auth = parse_authorization(&case.headers, &query).expect("parses");
        assert_eq!(auth.location, AuthLocation::Query { expires_secs: 900 });
        assert_eq!(verify(&auth, SECRET, &req, T.into()), Ok(()), "{}", case.target);

        let plain = HttpRequest::from_target(case.method, case.target, &case.headers, case.body);
        let ours = presign(&plain, &our_params(&case), 900).expect("presigns");
        let theirs = params.iter().find(|(n, _)| n == "X-Amz-Signature").map(|(_, v)| v.as_str());
        assert_eq!(Some(ours.signature.as_str()), theirs, "{}", case.target);
    }
}
