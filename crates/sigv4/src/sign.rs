//! Client side: sign a request with the `Authorization` header, or presign it into a URL
//! query ("Authenticating requests: using query parameters"), as the AWS SDKs do for
//! non-S3 services.

use std::fmt;
use std::time::SystemTime;

use crate::canonical::{
    canonical_headers, canonical_query_string, canonical_request, canonical_uri, sha256_hex,
    signed_header_names, signed_headers_line, uri_encode,
};
use crate::date::{format_amz_date, format_date_stamp};
use crate::key::{CredentialScope, SigningKey, string_to_sign};
use crate::request::{HttpRequest, header};
use crate::verify::MAX_PRESIGN_EXPIRES_SECS;
use crate::{ALGORITHM, UNSIGNED_PAYLOAD};

/// Headers that are never signed: HTTP stacks and proxies add, drop or rewrite them in
/// transit (and `authorization` is the output), so the SDKs leave them out too.
pub const NEVER_SIGNED: [&str; 6] =
    ["authorization", "user-agent", "x-amzn-trace-id", "expect", "transfer-encoding", "connection"];

/// AWS credentials. `Debug` hides the secret and the session token.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// The access key id, e.g. `AKIDEXAMPLE`.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials.
    pub session_token: Option<&'a str>,
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// Who signs, for which region and service, at what time.
#[derive(Debug, Clone, Copy)]
pub struct SigningParams<'a> {
    /// The credentials to sign with.
    pub credentials: Credentials<'a>,
    /// The region, e.g. `us-west-2`.
    pub region: &'a str,
    /// The signing name of the service, e.g. `ivs`.
    pub service: &'a str,
    /// The signing time; its UTC date is the scope date.
    pub time: SystemTime,
}

impl SigningParams<'_> {
    fn scope(&self) -> CredentialScope {
        CredentialScope::new(&format_date_stamp(self.time), self.region, self.service)
    }
}

/// How the body enters the signature of a header-signed request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PayloadSigning {
    /// Hash the body; send no `x-amz-content-sha256` (what non-S3 SDK calls do).
    #[default]
    Hashed,
    /// Hash the body and also send and sign `x-amz-content-sha256` (JS v3 does this).
    HashedWithHeader,
    /// Leave the body out: send and sign `x-amz-content-sha256: UNSIGNED-PAYLOAD`.
    Unsigned,
}

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// Every SigV4 request must sign `host`, and the request has none.
    #[error("the request has no host header to sign")]
    MissingHost,
    /// A presigned URL may last at most seven days.
    #[error("a presigned URL may be valid for at most 604800 seconds")]
    ExpiresTooLong,
}

/// The result of [`sign`]: headers to add to the request (replacing any of the same
/// name), plus the intermediate strings for debugging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningOutput {
    /// `x-amz-date`, then `x-amz-content-sha256` and `x-amz-security-token` when used,
    /// then `authorization`.
    pub headers: Vec<(&'static str, String)>,
    /// The hex signature.
    pub signature: String,
    /// The canonical request that was signed.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

impl SigningOutput {
    /// The value of one of the added headers.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_value(&self.headers, name)
    }

    /// The `Authorization` header value.
    pub fn authorization(&self) -> &str {
        self.header("authorization").unwrap_or_default()
    }
}

/// The result of [`presign`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignOutput {
    /// The complete query string for the URL (without `?`): the request's own parameters
    /// and the `X-Amz-*` ones in canonical form, then `X-Amz-Signature`.
    pub query: String,
    /// The hex signature.
    pub signature: String,
    /// The canonical request that was signed.
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

/// Signs `req` with the `Authorization` header. All of the request's headers are signed
/// except [`NEVER_SIGNED`] ones; any `x-amz-date`, `x-amz-security-token` or
/// `x-amz-content-sha256` in `req` is replaced by the value returned here.
pub fn sign(
    req: &HttpRequest<'_>,
    params: &SigningParams<'_>,
    payload: PayloadSigning,
) -> Result<SigningOutput, SignError> {
    require_host(req)?;
    let amz_date = format_amz_date(params.time);
    let payload_hash = match payload {
        PayloadSigning::Hashed | PayloadSigning::HashedWithHeader => sha256_hex(req.body),
        PayloadSigning::Unsigned => UNSIGNED_PAYLOAD.to_owned(),
    };
    let mut added: Vec<(&'static str, String)> = vec![("x-amz-date", amz_date.clone())];
    if payload != PayloadSigning::Hashed {
        added.push(("x-amz-content-sha256", payload_hash.clone()));
    }
    if let Some(token) = params.credentials.session_token {
        // Signed, like the SDKs do, so the token cannot be swapped in transit.
        added.push(("x-amz-security-token", token.to_owned()));
    }
    let replaced: Vec<&str> = added.iter().map(|(name, _)| *name).collect();
    let mut headers = signable_headers(req.headers, &replaced);
    headers.extend(added.iter().map(|(name, value)| (*name, value.as_str())));
    let names = signed_header_names(&headers);
    let signed = signed_headers_line(&names);
    let canonical = canonical_request(
        req.method,
        &canonical_uri(req.path),
        &canonical_query_string(req.query),
        &canonical_headers(&headers, &names),
        &signed,
        &payload_hash,
    );
    let scope = params.scope();
    let (signature, sts) = sign_string(params, &scope, &amz_date, &canonical);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
        params.credentials.access_key_id
    );
    added.push(("authorization", authorization));
    Ok(SigningOutput { headers: added, signature, canonical_request: canonical, string_to_sign: sts })
}

/// Presigns `req` for `expires_secs` seconds (at most seven days) and returns the query
/// string to send. The body is hashed into the signature (empty for the usual GET).
/// `X-Amz-Date` and `X-Amz-Security-Token` go in the query, so those headers are not
/// signed, nor is `x-amz-user-agent`; every other header of `req` (except
/// [`NEVER_SIGNED`] ones) is, and must be sent with the URL.
pub fn presign(
    req: &HttpRequest<'_>,
    params: &SigningParams<'_>,
    expires_secs: u64,
) -> Result<PresignOutput, SignError> {
    require_host(req)?;
    if expires_secs > MAX_PRESIGN_EXPIRES_SECS {
        return Err(SignError::ExpiresTooLong);
    }
    let amz_date = format_amz_date(params.time);
    let scope = params.scope();
    // The date and token travel in the query. `x-amz-user-agent` describes whoever sends
    // the URL later (a browser, a player), not the signer, so the SDKs leave it unsigned.
    let skip = ["x-amz-date", "x-amz-security-token", "x-amz-user-agent"];
    let headers = signable_headers(req.headers, &skip);
    let names = signed_header_names(&headers);
    let credential = format!("{}/{scope}", params.credentials.access_key_id);
    let mut auth_params = vec![
        ("X-Amz-Algorithm", ALGORITHM.to_owned()),
        ("X-Amz-Credential", credential),
        ("X-Amz-Date", amz_date.clone()),
        ("X-Amz-Expires", expires_secs.to_string()),
        ("X-Amz-SignedHeaders", signed_headers_line(&names)),
    ];
    if let Some(token) = params.credentials.session_token {
        auth_params.push(("X-Amz-Security-Token", token.to_owned()));
    }
    let mut query = req.query.to_owned();
    for (name, value) in &auth_params {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(&format!("{name}={}", uri_encode(value.as_bytes())));
    }
    let canonical_query = canonical_query_string(&query);
    let canonical = canonical_request(
        req.method,
        &canonical_uri(req.path),
        &canonical_query,
        &canonical_headers(&headers, &names),
        &signed_headers_line(&names),
        &sha256_hex(req.body),
    );
    let (signature, sts) = sign_string(params, &scope, &amz_date, &canonical);
    Ok(PresignOutput {
        query: format!("{canonical_query}&X-Amz-Signature={signature}"),
        signature,
        canonical_request: canonical,
        string_to_sign: sts,
    })
}

fn require_host(req: &HttpRequest<'_>) -> Result<(), SignError> {
    match header(req.headers, "host") {
        Some(host) if !host.trim().is_empty() => Ok(()),
        _ => Err(SignError::MissingHost),
    }
}

/// The request headers that take part in signing, minus [`NEVER_SIGNED`] and `skip`.
fn signable_headers<'a>(headers: &[(&'a str, &'a str)], skip: &[&str]) -> Vec<(&'a str, &'a str)> {
    headers
        .iter()
        .filter(|(name, _)| {
            let excluded = |n: &&str| name.eq_ignore_ascii_case(n);
            !NEVER_SIGNED.iter().any(excluded) && !skip.iter().any(excluded)
        })
        .copied()
        .collect()
}

/// Returns `(hex signature, string to sign)`.
fn sign_string(
    params: &SigningParams<'_>,
    scope: &CredentialScope,
    amz_date: &str,
    canonical: &str,
) -> (String, String) {
    let sts = string_to_sign(amz_date, &scope.to_string(), canonical);
    let key = SigningKey::for_scope(params.credentials.secret_access_key, scope);
    (key.sign_hex(&sts), sts)
}

fn header_value<'a>(headers: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}
