//! `openivs-client`: a light Rust client for the Amazon IVS control-plane API (2020-07-14), for
//! openivs and for IVS itself, shaped like the AWS SDK for JavaScript v3 client: a [`Client`] built
//! from a [`Config`], a command per operation (all 46), and `client.send(command).await`.
//!
//! Inputs and outputs are the wire types of `openivs-model` (the same the openivs server uses),
//! re-exported in [`types`]; each operation has its own error enum generated from the model's error
//! list. What the AWS SDKs do not have: a playback-token signer ([`token`]), RTMPS ingest URLs
//! ([`ingest`]) and waiters for a channel going live or offline.
//!
//! # Configuration and a first call
//!
//! Settings left unset come from the environment and the shared profile files, as with the AWS SDKs
//! (see [`config`] for the order): `AWS_REGION`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
//! `AWS_SESSION_TOKEN`, `AWS_PROFILE`, `AWS_ENDPOINT_URL_IVS`/`AWS_ENDPOINT_URL`.
//!
//! ```no_run
//! use openivs_client::types::{ChannelType, CreateChannelRequest};
//! use openivs_client::{Client, Config, CreateChannelCommand, Credentials};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config::builder()
//!     .region("us-west-2")
//!     .endpoint_url("http://127.0.0.1:8080") // an openivs server; leave out for AWS
//!     .credentials(Credentials::new("OIVS…", "secret", None))
//!     .build()?;
//! let client = Client::new(config);
//!
//! // The JavaScript v3 way: a command, sent.
//! let input = CreateChannelRequest {
//!     name: Some("demo".into()),
//!     r#type: Some(ChannelType::Basic),
//!     ..Default::default()
//! };
//! let created = client.send(CreateChannelCommand::new(input)).await?;
//! let arn = created.channel.and_then(|c| c.arn).unwrap_or_default();
//!
//! // Or a method per operation (the input alone also works with `send`).
//! let got = client.get_channel(openivs_client::types::GetChannelRequest { arn: Some(arn) }).await?;
//! println!("{:?}", got.channel);
//!
//! // Or everything from the environment and ~/.aws (AWS_PROFILE=openivs with openivs's files).
//! let _from_env = Client::from_env()?;
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! A call returns [`SdkError<E>`](SdkError) where `E` is the operation's error enum (e.g.
//! [`GetChannelError`]); every kind of failure carries [`ErrorMetadata`] (status, request id,
//! code, message, attempts, total retry delay), and transport failures and timeouts are their own
//! variants.
//!
//! ```no_run
//! # async fn demo(client: openivs_client::Client) {
//! use openivs_client::types::GetChannelRequest;
//! use openivs_client::{GetChannelError, SdkError};
//!
//! let input = GetChannelRequest { arn: Some("arn:aws:ivs:us-west-2:123456789012:channel/none".into()) };
//! match client.get_channel(input).await {
//!     Ok(out) => println!("{:?}", out.channel),
//!     Err(SdkError::Service(GetChannelError::ResourceNotFoundException(e))) => {
//!         println!("no such channel: {:?} (request {:?})", e.message(), e.meta().request_id)
//!     }
//!     Err(SdkError::Timeout(kind, f)) => println!("{kind:?} timeout after {} attempts", f.meta().attempts),
//!     Err(e) => println!("{e} (after {:?} of backoff)", e.meta().total_retry_delay),
//! }
//! # }
//! ```
//!
//! # Retries and timeouts
//!
//! The AWS "standard" retry mode is on by default (3 attempts, exponential backoff with jitter, a
//! retry quota); see [`retry`]. Time limits per attempt and per call are in [`TimeoutConfig`]; the
//! connect timeout belongs to the HTTP layer.
//!
//! ```
//! use std::time::Duration;
//! use openivs_client::retry::RetryConfig;
//! use openivs_client::{Config, Credentials, TimeoutConfig};
//!
//! let config = Config::builder()
//!     .region("us-west-2")
//!     .credentials(Credentials::new("AKID", "secret", Some("session-token".into())))
//!     .retry(RetryConfig::standard().max_attempts(5).initial_backoff(Duration::from_millis(100)))
//!     .timeouts(TimeoutConfig { attempt: Some(Duration::from_secs(5)), operation: Some(Duration::from_secs(30)) })
//!     .build()?;
//! assert_eq!(config.retry().get_max_attempts(), 5);
//! # Ok::<(), openivs_client::ConfigError>(())
//! ```
//!
//! # Paginators
//!
//! Every list operation has a paginator: a `Stream` of pages, and with `.items()` of items. It
//! stops when there is no next token or the service repeats the one it was given.
//!
//! ```no_run
//! # async fn demo(client: openivs_client::Client) -> Result<(), openivs_client::SdkError<openivs_client::ListChannelsError>> {
//! use openivs_client::types::ListChannelsRequest;
//!
//! let mut pages = client.list_channels_paginator(ListChannelsRequest { max_results: Some(10), ..Default::default() });
//! while let Some(page) = pages.next().await {
//!     println!("{} channels", page?.channels.unwrap_or_default().len());
//! }
//! let all = client.list_channels_paginator(ListChannelsRequest::default()).collect_items().await?;
//! println!("{} in all", all.len());
//! # Ok(()) }
//! ```
//!
//! # A custom HTTP layer
//!
//! Requests go through an [`HttpClient`](transport::HttpClient): the [`DefaultHttpClient`] (hyper
//! and rustls, with a keep-alive pool that closes when the client is dropped), or your own, e.g. a
//! closure for tests:
//!
//! ```
//! use openivs_client::transport::{from_fn, HttpRequest};
//! use openivs_client::types::ListChannelsRequest;
//! use openivs_client::{Client, Config, Credentials};
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let http = from_fn(|req: HttpRequest| async move {
//!     assert!(req.headers()["authorization"].to_str().unwrap().starts_with("AWS4-HMAC-SHA256"));
//!     Ok(openivs_client::http::Response::new(r#"{"channels":[]}"#.into()))
//! });
//! let config = Config::builder()
//!     .region("us-west-2")
//!     .credentials(Credentials::new("AKID", "secret", None))
//!     .http_client(http)
//!     .build()
//!     .unwrap();
//! let out = Client::new(config).list_channels(ListChannelsRequest::default()).await.unwrap();
//! assert_eq!(out.channels, Some(vec![]));
//! # }
//! ```
//!
//! # Private channels: playback tokens
//!
//! ```
//! use std::time::Duration;
//! use openivs_client::token::{playback_url_with_token, PlaybackClaims, PlaybackTokenSigner};
//!
//! // A new key pair (or `PlaybackTokenSigner::from_pem` with the one you imported).
//! let pair = PlaybackTokenSigner::generate()?;
//! let public_key_material = pair.signer.public_key_pem(); // for ImportPlaybackKeyPair
//! # assert!(public_key_material.starts_with("-----BEGIN PUBLIC KEY-----"));
//! let claims = PlaybackClaims::new("arn:aws:ivs:us-west-2:123456789012:channel/abcd", Duration::from_secs(600))
//!     .allowed_origin("https://example.com")
//!     .strict_origin_enforcement(true)
//!     .viewer_id("viewer-42")
//!     .viewer_session_version(1);
//! let token = pair.signer.sign(&claims)?;
//! let url = playback_url_with_token("https://example.com/channel.m3u8", &token);
//! # assert!(url.contains("?token=ey"));
//! # Ok::<(), openivs_client::token::TokenError>(())
//! ```
//!
//! # Ingest URLs and waiting for a stream
//!
//! ```no_run
//! # async fn demo(client: openivs_client::Client, out: openivs_client::types::CreateChannelResponse) -> Result<(), Box<dyn std::error::Error>> {
//! use openivs_client::ingest::ingest_url;
//! use openivs_client::WaitConfig;
//!
//! let (channel, key) = (out.channel.unwrap_or_default(), out.stream_key.unwrap_or_default());
//! println!("ffmpeg … -f flv {}", ingest_url(&channel, &key)?); // rtmps://…:443/app/sk_…
//! let arn = channel.arn.unwrap_or_default();
//! let live = client.wait_until_live(&arn, WaitConfig::default()).await?;
//! println!("live since {:?}", live.stream.and_then(|s| s.start_time));
//! client.wait_until_offline(&arn, WaitConfig::default()).await?;
//! # Ok(()) }
//! ```

mod client;
pub mod config;
mod default_client;
mod endpoint;
pub mod error;
pub mod ingest;
mod keys;
mod paginator;
pub mod profile;
mod request;
pub mod retry;
pub mod token;
pub mod transport;
mod waiter;

#[allow(clippy::all)]
#[path = "generated/operations.rs"]
mod generated;

/// The wire types of the IVS API (inputs, outputs and what they contain), shared with the server.
pub mod types {
    pub use openivs_model::types::*;
    pub use openivs_model::{ErrorCode, Operation, OperationInput, Timestamp};
}

pub use bytes;
pub use http;

pub use client::{Client, Command, ResponseMetadata};
pub use config::{Config, ConfigBuilder, ConfigError, Credentials, Environment, TimeoutConfig};
pub use default_client::{DefaultHttpClient, DefaultHttpClientBuilder};
pub use endpoint::EndpointError;
pub use error::{ErrorMetadata, OperationError, SdkError, ServiceError};
pub use generated::*;
/// Calls a macro of yours with every operation: `(CreateChannel, create_channel, CreateChannelRequest,
/// CreateChannelResponse), …` (the names are those of [`types`] and of this crate's commands).
pub use openivs_model::for_each_operation;
pub use paginator::{Items, Paginated, Paginator};
#[doc(hidden)]
pub use request::{HttpBound, HttpBoundOutput};
pub use waiter::{WaitConfig, WaitError};
