//! AWS Signature Version 4 (`AWS4-HMAC-SHA256`) for non-S3 services, as pure functions.
//!
//! Implements the SigV4 signing process of the AWS General Reference / IAM user guide
//! ("Create a signed AWS API request"): the canonical request, the string to sign, the
//! derived signing key and the signature, in both the `Authorization` header form and the
//! presigned query-string form. Both sides use it:
//!
//! - a **server** calls [`parse_authorization`] on the raw request, looks up the secret for
//!   [`ParsedAuth::access_key_id`], applies its own region/service policy from
//!   [`ParsedAuth::scope`], then calls [`verify`] (or [`verify_with_key`] with a cached
//!   [`SigningKey`]). Every failure is an [`AuthError`] whose [`AuthError::aws_code`] is the
//!   error code to put on the wire.
//! - a **client** calls [`sign`] to get the headers to add, or [`presign`] for a URL query.
//!
//! There is no I/O, no async and no HTTP crate here: a request is an [`HttpRequest`] of
//! plain `&str` and byte slices, with the path and query exactly as they are (or will be)
//! on the wire, still percent-encoded.
//!
//! Each step is also public (see [`canonical`] and [`key`]) so tests can compare every
//! intermediate string with the AWS test suite, and so a server can log the canonical
//! request when a signature does not match.
//!
//! ```
//! use openivs_sigv4::*;
//!
//! // Client: sign, then send the request with the returned headers added.
//! let now = std::time::SystemTime::now();
//! let credentials = Credentials { access_key_id: "AKID", secret_access_key: "secret", session_token: None };
//! let params = SigningParams { credentials, region: "us-west-2", service: "ivs", time: now };
//! let headers = [("host", "ivs.example.test"), ("content-type", "application/json")];
//! let request = HttpRequest::from_target("POST", "/ListChannels", &headers, b"{}");
//! let signed = sign(&request, &params, PayloadSigning::Hashed)?;
//!
//! // Server: parse (cheap, before reading the body), apply policy, look up the secret, verify.
//! let mut received: Vec<(&str, &str)> = headers.to_vec();
//! received.extend(signed.headers.iter().map(|(name, value)| (*name, value.as_str())));
//! let auth = parse_authorization(&received, "")?;
//! assert_eq!((auth.scope.service.as_str(), auth.access_key_id.as_str()), ("ivs", "AKID"));
//! let request = HttpRequest::from_target("POST", "/ListChannels", &received, b"{}");
//! verify(&auth, "secret", &request, now)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod canonical;
mod date;
mod error;
mod hex;
pub mod key;
mod parse;
mod request;
mod sign;
mod verify;

pub use canonical::{
    canonical_headers, canonical_query_string, canonical_request, canonical_uri, hashed_payload,
    normalize_header_value, presigned_canonical_query_string, sha256_hex, signed_header_names,
    signed_headers_line, uri_encode,
};
pub use date::{format_amz_date, format_date_stamp, parse_amz_date, parse_http_date};
pub use error::AuthError;
pub use key::{CredentialScope, SigningKey, string_to_sign};
pub use parse::{AuthLocation, ParsedAuth, parse_authorization};
pub use request::HttpRequest;
pub use sign::{
    Credentials, NEVER_SIGNED, PayloadSigning, PresignOutput, SignError, SigningOutput, SigningParams,
    presign, sign,
};
pub use verify::{MAX_CLOCK_SKEW, MAX_PRESIGN_EXPIRES_SECS, check_before_body, verify, verify_with_key};

/// The only algorithm name SigV4 (as opposed to SigV4a) uses.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The terminator of every credential scope.
pub const SCOPE_TERMINATOR: &str = "aws4_request";

/// The `x-amz-content-sha256` value that tells the server the body is not part of the
/// signature.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Hex SHA-256 of the empty string: the hashed payload of every bodiless request.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
