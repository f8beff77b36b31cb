//! openivs-client against the real `openivs serve` (spawned on port 0 by the conformance harness):
//! every operation, each error path the server can produce, and the same requests through the
//! official `aws-sdk-ivs` crate on the same server state, whose results must agree.

mod all_operations;
mod errors;
mod live;
mod tour;
mod tour_channel;

use aws_sdk_ivs::error::ProvideErrorMetadata;
use conformance::{REGION, Server};
use openivs_client::types::ErrorCode;
use openivs_client::{Client, Config, Credentials, Environment, OperationError, SdkError};

/// Our client for the server's root key.
pub fn ours(s: &Server) -> Client {
    ours_for(s, REGION, &s.access_key_id, &s.secret_access_key)
}

/// Our client for another region or key.
pub fn ours_for(s: &Server, region: &str, key: &str, secret: &str) -> Client {
    let config = Config::builder()
        .region(region)
        .endpoint_url(&s.endpoint)
        .credentials(Credentials::new(key, secret, None))
        .environment(Environment::from_vars(Vec::<(String, String)>::new()))
        .build()
        .expect("config");
    Client::new(config)
}

/// Checks that our error and the SDK's for the same request agree (code and message), and that ours
/// carries the model's status and a request id.
pub fn same_error<E, T, R>(mine: &SdkError<E>, theirs: &aws_sdk_ivs::error::SdkError<T, R>)
where
    E: OperationError,
    aws_sdk_ivs::error::SdkError<T, R>: ProvideErrorMetadata,
{
    let code = mine.code().unwrap_or_else(|| panic!("not a service error: {mine:?}"));
    assert_eq!(Some(code), theirs.code(), "codes differ: {mine:?}");
    assert_eq!(mine.meta().message.as_deref(), theirs.message(), "messages differ for {code}");
    let status = ErrorCode::from_code(code).map(ErrorCode::status);
    assert_eq!(mine.meta().status, status, "{code}");
    assert!(mine.meta().request_id.as_deref().is_some_and(|id| !id.is_empty()), "{mine:?}");
    assert_eq!(mine.meta().attempts, 1, "{code} is not retried");
}

/// Sends a request with our client and the same one with the SDK; both must fail alike, and ours with
/// the given variant of the operation's error enum.
#[macro_export]
macro_rules! same_err {
    ($mine:expr, $theirs:expr, $variant:path) => {{
        let mine = $mine.await.expect_err(concat!("ours: expected ", stringify!($variant)));
        let theirs = $theirs.send().await.expect_err(concat!("sdk: expected ", stringify!($variant)));
        assert!(matches!(&mine, openivs_client::SdkError::Service($variant(_))), "{mine:?}");
        $crate::same_error(&mine, &theirs);
        mine
    }};
}
