//! Server side, step 2: verify a [`ParsedAuth`] against the request it came with.
//!
//! The checks run cheapest first: `host` signed, scope date, time window, payload hash;
//! then the canonical request is rebuilt from the raw request using only the headers the
//! client listed in `SignedHeaders`, and the signatures are compared in constant time.

use std::time::{Duration, SystemTime};

use crate::canonical::{
    canonical_headers, canonical_query_string, canonical_request, canonical_uri,
    presigned_canonical_query_string, sha256_hex, signed_headers_line,
};
use crate::date::{format_amz_date, format_date_stamp};
use crate::error::AuthError;
use crate::key::{SigningKey, string_to_sign};
use crate::parse::{AuthLocation, ParsedAuth};
use crate::request::{HttpRequest, header};

/// How far the request time of a header-signed request may be from the server's clock,
/// either way (AWS uses 15 minutes).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(15 * 60);

/// The longest validity a presigned URL may ask for: seven days.
pub const MAX_PRESIGN_EXPIRES_SECS: u64 = 7 * 24 * 60 * 60;

/// Verifies `auth` for `req` with the caller's secret access key for
/// `auth.access_key_id`. `now` is the server's current time.
pub fn verify(
    auth: &ParsedAuth,
    secret_access_key: &str,
    req: &HttpRequest<'_>,
    now: SystemTime,
) -> Result<(), AuthError> {
    let key = SigningKey::for_scope(secret_access_key, &auth.scope);
    verify_with_key(auth, &key, req, now)
}

/// Verifies `auth` for `req` with an already derived key. The key must have been derived
/// for exactly `auth.scope` (cache it by access key id and scope); any other key simply
/// gives [`AuthError::SignatureMismatch`].
pub fn verify_with_key(
    auth: &ParsedAuth,
    key: &SigningKey,
    req: &HttpRequest<'_>,
    now: SystemTime,
) -> Result<(), AuthError> {
    check_before_body(auth, now)?;
    let payload = payload_hash(req)?;
    let creq = rebuild_canonical_request(auth, req, &payload);
    let sts = string_to_sign(&format_amz_date(auth.request_time), &auth.scope.to_string(), &creq);
    // ring compares the recomputed HMAC with the one sent in constant time.
    if key.verify(&sts, &auth.signature) {
        Ok(())
    } else {
        Err(AuthError::SignatureMismatch { canonical_request: creq, string_to_sign: sts })
    }
}

/// The checks that need neither the body nor the secret: `host` signed, the scope's date that of
/// the request time, the request time within its window. A server runs them (after
/// [`crate::parse_authorization`] and its key look-up) before it reads the body, so that a stale or
/// malformed request costs it no body bytes; [`verify`] runs them again.
pub fn check_before_body(auth: &ParsedAuth, now: SystemTime) -> Result<(), AuthError> {
    check_host_signed(auth)?;
    check_scope_date(auth)?;
    check_time(auth, now)
}

/// Without `host` in the signature, a request signed for one endpoint would verify at any
/// other endpoint that shares the credentials.
fn check_host_signed(auth: &ParsedAuth) -> Result<(), AuthError> {
    if auth.signed_headers.iter().any(|name| name == "host") { Ok(()) } else { Err(AuthError::HostNotSigned) }
}

fn check_scope_date(auth: &ParsedAuth) -> Result<(), AuthError> {
    let request_date = format_date_stamp(auth.request_time);
    if auth.scope.date == request_date {
        return Ok(());
    }
    Err(AuthError::ScopeDateMismatch {
        scope_date: auth.scope.date.clone(),
        request_date,
        amz_date: format_amz_date(auth.request_time),
    })
}

/// Header form: `now` within ±15 minutes of the request time. Query form:
/// `X-Amz-Expires` at most seven days and `now` within `[time, time + expires]`, with the
/// same skew allowed before `time` so a client clock slightly ahead is not rejected.
fn check_time(auth: &ParsedAuth, now: SystemTime) -> Result<(), AuthError> {
    let t = auth.request_time;
    let window = match auth.location {
        AuthLocation::Header => MAX_CLOCK_SKEW,
        AuthLocation::Query { expires_secs } => {
            if expires_secs > MAX_PRESIGN_EXPIRES_SECS {
                return Err(AuthError::ExpiresTooLong);
            }
            Duration::from_secs(expires_secs)
        }
    };
    // The request time is untrusted and may sit at year 0 or 9999: a window that runs past
    // what `SystemTime` holds is open at that end.
    if let Some(latest) = t.checked_add(window)
        && now > latest
    {
        return Err(expired(auth.location, t, latest, now));
    }
    if let Some(earliest) = t.checked_sub(MAX_CLOCK_SKEW)
        && now < earliest
    {
        let detail = format!(
            "{} is still later than {} ({} + 15 min.)",
            format_amz_date(t),
            format_amz_date(now.checked_add(MAX_CLOCK_SKEW).unwrap_or(now)),
            format_amz_date(now)
        );
        return Err(AuthError::NotYetCurrent { detail });
    }
    Ok(())
}

/// The AWS wording: the header form names the skew, the query form the expiry.
fn expired(location: AuthLocation, t: SystemTime, latest: SystemTime, now: SystemTime) -> AuthError {
    let detail = match location {
        AuthLocation::Header => format!(
            "{} is now earlier than {} ({} - 15 min.)",
            format_amz_date(t),
            format_amz_date(now.checked_sub(MAX_CLOCK_SKEW).unwrap_or(now)),
            format_amz_date(now)
        ),
        AuthLocation::Query { .. } => {
            format!("{} is now earlier than {}", format_amz_date(latest), format_amz_date(now))
        }
    };
    AuthError::Expired { detail }
}

/// The hashed payload: always the SHA-256 of the body received. `x-amz-content-sha256`, when sent,
/// must be that same hash; `UNSIGNED-PAYLOAD` is an S3 feature, and accepting it here would let a
/// signed request's body be swapped for the 15 minutes its signature stays valid (issue 16). AWS's
/// non-S3 services hash the body whatever the header says, so a client that signs
/// `UNSIGNED-PAYLOAD` fails there too.
fn payload_hash(req: &HttpRequest<'_>) -> Result<String, AuthError> {
    let body_hash = sha256_hex(req.body);
    match header(req.headers, "x-amz-content-sha256").map(str::trim) {
        Some(value) if !value.eq_ignore_ascii_case(&body_hash) => Err(AuthError::ContentSha256Mismatch),
        _ => Ok(body_hash),
    }
}

fn rebuild_canonical_request(auth: &ParsedAuth, req: &HttpRequest<'_>, payload: &str) -> String {
    let query = match auth.location {
        AuthLocation::Header => canonical_query_string(req.query),
        AuthLocation::Query { .. } => presigned_canonical_query_string(req.query),
    };
    canonical_request(
        req.method,
        &canonical_uri(req.path),
        &query,
        &canonical_headers(req.headers, &auth.signed_headers),
        &signed_headers_line(&auth.signed_headers),
        payload,
    )
}
