//! Server side, step 1: find and parse the SigV4 authorization of a request, from the
//! `Authorization` header or from a presigned query string ("Authenticating requests:
//! using query parameters"). Purely syntactic and cheap, so a server can run it before
//! reading the body or looking up any secret.

use std::time::SystemTime;

use percent_encoding::percent_decode_str;

use crate::date::{is_date_stamp, parse_amz_date, parse_http_date};
use crate::error::AuthError;
use crate::key::CredentialScope;
use crate::request::header;
use crate::{ALGORITHM, SCOPE_TERMINATOR};

/// Where the authorization came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthLocation {
    /// The `Authorization: AWS4-HMAC-SHA256 …` header.
    Header,
    /// A presigned URL; valid for `expires_secs` seconds after the request time.
    Query {
        /// The `X-Amz-Expires` value.
        expires_secs: u64,
    },
}

/// A syntactically valid SigV4 authorization, not yet verified.
///
/// Region and service policy (is this `ivs`? a region we serve?) is the caller's, on
/// [`ParsedAuth::scope`], before [`crate::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    /// The access key id from the credential.
    pub access_key_id: String,
    /// The credential scope (date, region, service).
    pub scope: CredentialScope,
    /// The signed header names, lowercase, in the order the client listed them.
    pub signed_headers: Vec<String>,
    /// The signature the client sent, decoded from hex.
    pub signature: [u8; 32],
    /// The request time, from `X-Amz-Date` (header or query) or else the `Date` header.
    pub request_time: SystemTime,
    /// `X-Amz-Security-Token` (header or query) when temporary credentials were used.
    pub session_token: Option<String>,
    /// Header or presigned query.
    pub location: AuthLocation,
}

/// Headers that must not repeat.
const SINGLE_HEADERS: [&str; 4] =
    ["Authorization", "X-Amz-Date", "X-Amz-Content-Sha256", "X-Amz-Security-Token"];

/// The three fields both forms carry, still as sent.
struct Fields {
    credential: String,
    signed_headers: String,
    signature: String,
}

/// Parses the authorization of a request from its headers and raw query string.
///
/// The `Authorization` header wins; without one, a query with `X-Amz-Algorithm`,
/// `X-Amz-Credential` or `X-Amz-Signature` is a presigned URL; with neither the error is
/// [`AuthError::MissingAuthentication`]. A request carrying both is rejected, since it is
/// ambiguous which one was meant.
///
/// A request that repeats `Authorization`, `X-Amz-Date`, `X-Amz-Content-Sha256` or
/// `X-Amz-Security-Token` is rejected too: taking the first (as a plain header look-up would) lets
/// a proxy and the server disagree on which one was checked.
pub fn parse_authorization(headers: &[(&str, &str)], raw_query: &str) -> Result<ParsedAuth, AuthError> {
    for name in SINGLE_HEADERS {
        if headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).nth(1).is_some() {
            return Err(AuthError::malformed(format!("The request has more than one '{name}' header.")));
        }
    }
    let query = decode_query(raw_query);
    let presigned = query
        .iter()
        .any(|(name, _)| matches!(name.as_str(), "X-Amz-Algorithm" | "X-Amz-Credential" | "X-Amz-Signature"));
    match (header(headers, "authorization"), presigned) {
        (Some(_), true) => Err(AuthError::malformed(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified",
        )),
        (Some(value), false) => parse_header_form(value, headers),
        (None, true) => parse_query_form(&query),
        (None, false) => Err(AuthError::MissingAuthentication),
    }
}

fn parse_header_form(value: &str, headers: &[(&str, &str)]) -> Result<ParsedAuth, AuthError> {
    let rest = value
        .trim()
        .strip_prefix(ALGORITHM)
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_whitespace()))
        .ok_or_else(|| {
            AuthError::malformed(format!(
                "Unsupported Authorization scheme; the only supported algorithm is {ALGORITHM}."
            ))
        })?;
    let fields = header_fields(rest)?;
    let request_time = header_request_time(headers)?;
    let session_token = header(headers, "x-amz-security-token").map(str::to_owned);
    build(fields, request_time, session_token, AuthLocation::Header)
}

/// Splits `Credential=…, SignedHeaders=…, Signature=…`. The SDKs write `, ` between the
/// fields but other signers use `,` or bare spaces, and no value can contain either, so
/// any run of commas and whitespace separates fields.
fn header_fields(rest: &str) -> Result<Fields, AuthError> {
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    let separator = |c: char| c == ',' || c.is_ascii_whitespace();
    for token in rest.split(separator).filter(|t| !t.is_empty()) {
        let (key, value) = token.split_once('=').ok_or_else(|| {
            AuthError::malformed(format!(
                "Authorization header parameter '{token}' is not of the form key=value."
            ))
        })?;
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            // Unknown parameters carry nothing we sign or check.
            _ => continue,
        };
        if slot.replace(value.to_owned()).is_some() {
            return Err(AuthError::malformed(format!(
                "Authorization header has a duplicate '{key}' parameter."
            )));
        }
    }
    let mut missing = Vec::new();
    for (name, field) in
        [("Credential", &credential), ("Signature", &signature), ("SignedHeaders", &signed_headers)]
    {
        if field.is_none() {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    match (credential, signed_headers, signature) {
        (Some(credential), Some(signed_headers), Some(signature)) => {
            Ok(Fields { credential, signed_headers, signature })
        }
        _ => Err(AuthError::Malformed(missing.join(" "))),
    }
}

fn header_request_time(headers: &[(&str, &str)]) -> Result<SystemTime, AuthError> {
    if let Some(value) = header(headers, "x-amz-date") {
        return parse_amz_date(value.trim()).ok_or_else(bad_amz_date);
    }
    // The SigV4 spec allows the plain HTTP `Date` header when `X-Amz-Date` is absent.
    match header(headers, "date") {
        Some(value) => parse_http_date(value).ok_or_else(|| {
            AuthError::malformed("Date must be in the RFC 1123 format, e.g. 'Sun, 30 Aug 2015 12:36:00 GMT'.")
        }),
        None => Err(AuthError::malformed(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )),
    }
}

fn bad_amz_date() -> AuthError {
    AuthError::malformed("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
}

fn parse_query_form(query: &[(String, &str)]) -> Result<ParsedAuth, AuthError> {
    let algorithm = query_param(query, "X-Amz-Algorithm")?;
    let credential = query_param(query, "X-Amz-Credential")?;
    let signature = query_param(query, "X-Amz-Signature")?;
    let amz_date = query_param(query, "X-Amz-Date")?;
    let signed_headers = query_param(query, "X-Amz-SignedHeaders")?;
    let expires = query_param(query, "X-Amz-Expires")?;
    let token = query_param(query, "X-Amz-Security-Token")?;
    let (
        Some(algorithm),
        Some(credential),
        Some(signature),
        Some(amz_date),
        Some(signed_headers),
        Some(expires),
    ) = (algorithm, credential, signature, amz_date, signed_headers, expires)
    else {
        return Err(AuthError::malformed(
            "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', and 'X-Amz-Expires'. Re-examine the query-string parameters.",
        ));
    };
    if algorithm != ALGORITHM {
        return Err(AuthError::malformed(format!("X-Amz-Algorithm only supports \"{ALGORITHM}\".")));
    }
    let request_time = parse_amz_date(&amz_date).ok_or_else(bad_amz_date)?;
    let expires_secs = parse_expires(&expires)?;
    let fields = Fields { credential, signed_headers, signature };
    build(fields, request_time, token, AuthLocation::Query { expires_secs })
}

/// The decoded value of an auth parameter. Sent twice, it is ambiguous and rejected.
fn query_param(query: &[(String, &str)], name: &str) -> Result<Option<String>, AuthError> {
    let mut found = query.iter().filter(|(n, _)| n == name);
    let Some((_, raw)) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(AuthError::malformed(format!("The query parameter '{name}' must not be repeated.")));
    }
    match percent_decode_str(raw).decode_utf8() {
        Ok(value) => Ok(Some(value.into_owned())),
        Err(_) => Err(AuthError::malformed(format!("The query parameter '{name}' is not valid UTF-8."))),
    }
}

fn parse_expires(value: &str) -> Result<u64, AuthError> {
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| value.parse::<u64>().ok())
        .flatten()
        .ok_or_else(|| AuthError::malformed("X-Amz-Expires should be a number of seconds."))
}

/// The query as `(decoded name, raw value)` pairs. Only auth parameters are ever decoded
/// strictly, so a header-signed request may carry any bytes in its other parameters.
/// `+` stays `+`, as in the canonical query.
fn decode_query(raw_query: &str) -> Vec<(String, &str)> {
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            (percent_decode_str(name).decode_utf8_lossy().into_owned(), value)
        })
        .collect()
}

fn build(
    fields: Fields,
    request_time: SystemTime,
    session_token: Option<String>,
    location: AuthLocation,
) -> Result<ParsedAuth, AuthError> {
    let (access_key_id, scope) = parse_credential(&fields.credential)?;
    Ok(ParsedAuth {
        access_key_id,
        scope,
        signed_headers: parse_signed_headers(&fields.signed_headers)?,
        signature: parse_signature(&fields.signature)?,
        request_time,
        session_token,
        location,
    })
}

/// `AKID/YYYYMMDD/region/service/aws4_request`.
fn parse_credential(value: &str) -> Result<(String, CredentialScope), AuthError> {
    let parts: Vec<&str> = value.split('/').collect();
    let [akid, date, region, service, terminator] = parts.as_slice() else {
        return Err(AuthError::malformed(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{value}'"
        )));
    };
    if akid.is_empty() {
        return Err(AuthError::malformed("Credential has an empty access key id."));
    }
    if !is_date_stamp(date) {
        return Err(AuthError::malformed(format!(
            "Credential should be scoped to a valid date in the form YYYYMMDD, not '{date}'."
        )));
    }
    if region.is_empty() {
        return Err(AuthError::malformed("Credential should be scoped to a valid region."));
    }
    if service.is_empty() {
        return Err(AuthError::malformed("Credential should be scoped to correct service."));
    }
    if *terminator != SCOPE_TERMINATOR {
        return Err(AuthError::malformed(format!(
            "Credential should be scoped with a valid terminator: '{SCOPE_TERMINATOR}', not '{terminator}'."
        )));
    }
    Ok((akid.to_string(), CredentialScope::new(date, region, service)))
}

fn parse_signed_headers(value: &str) -> Result<Vec<String>, AuthError> {
    let names: Vec<String> = value.split(';').map(str::to_ascii_lowercase).collect();
    let valid = |name: &String| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
    };
    if names.iter().all(valid) {
        Ok(names)
    } else {
        Err(AuthError::malformed(format!(
            "SignedHeaders '{value}' is not a ';'-separated list of header names."
        )))
    }
}

fn parse_signature(value: &str) -> Result<[u8; 32], AuthError> {
    let mut bytes = [0u8; 32];
    crate::hex::decode_to_slice(value, &mut bytes)
        .ok_or_else(|| AuthError::malformed("Signature must be 64 hexadecimal characters."))?;
    Ok(bytes)
}
