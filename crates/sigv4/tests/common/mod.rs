//! Shared constants of the AWS SigV4 test suite (credentials, time, scope).

#![allow(dead_code)]

use std::time::SystemTime;

use openivs_sigv4::{Credentials, SigningParams};
use time::macros::datetime;

pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
pub const REGION: &str = "us-east-1";
pub const SERVICE: &str = "service";
pub const HOST: &str = "example.amazonaws.com";
pub const AMZ_DATE: &str = "20150830T123600Z";
/// The suite's signing time, 2015-08-30T12:36:00Z (built with `time`, an independent oracle).
pub fn now() -> SystemTime {
    datetime!(2015-08-30 12:36:00 UTC).into()
}

/// Everything in a suite string to sign except its last line (the canonical request hash).
pub const STS_PREFIX: &str = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n";

/// The suite's signing parameters, optionally with a session token.
pub fn suite_params(session_token: Option<&'static str>) -> SigningParams<'static> {
    SigningParams {
        credentials: Credentials { access_key_id: ACCESS_KEY, secret_access_key: SECRET, session_token },
        region: REGION,
        service: SERVICE,
        time: now(),
    }
}
