//! The client: `client.send(command).await` builds the operation's request, then signs, sends and
//! retries it (see [`retry`](crate::retry)) within the configured time limits, and decodes the output
//! or the operation's typed error.

use std::sync::Arc;
use std::time::Duration;

use openivs_model::OperationInput;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::config::{Config, ConfigError};
use crate::default_client::DefaultHttpClient;
use crate::error::{DispatchFailure, ErrorMetadata, OperationError, SdkError, ServiceError, TimeoutKind};
use crate::request::{AttemptInfo, HttpBound, HttpBoundOutput, Prepared, prepare, signed};
use crate::retry::{RetryKind, TokenBucket, classify, jitter};
use crate::transport::{HttpClient, HttpErrorKind, HttpResponse};

/// One operation call: its input, output and error types. Implemented by every `…Command` type and
/// by every input type itself, so `client.send(CreateChannelCommand::new(input))` and
/// `client.send(input)` are the same call.
pub trait Command: Send {
    /// The input structure (e.g. `CreateChannelRequest`).
    type Input: OperationInput + HttpBound + Send + Sync;
    /// The output structure (`()` for operations that answer 204).
    type Output: DeserializeOwned + HttpBoundOutput + Send;
    /// The operation's error enum (e.g. `CreateChannelError`).
    type Error: OperationError;
    /// The input to send.
    fn into_input(self) -> Self::Input;
}

/// What is known about a successful call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseMetadata {
    /// The HTTP status (200, or 204 for operations without output).
    pub status: u16,
    /// The request id the service gave the response (`x-amzn-RequestId`).
    pub request_id: Option<String>,
    /// How many attempts it took.
    pub attempts: u32,
    /// The total time slept between attempts.
    pub total_retry_delay: Duration,
}

impl From<ErrorMetadata> for ResponseMetadata {
    fn from(m: ErrorMetadata) -> Self {
        Self {
            status: m.status.unwrap_or_default(),
            request_id: m.request_id,
            attempts: m.attempts,
            total_retry_delay: m.total_retry_delay,
        }
    }
}

/// An IVS client. Cheap to clone (clones share the configuration, the connection pool and the retry
/// quota); dropping the last clone closes its idle connections.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    http: Arc<dyn HttpClient>,
    quota: TokenBucket,
}

/// A successful response, or why there was none. (Made once per call and moved once, so the size
/// difference between its variants does not matter.)
#[allow(clippy::large_enum_variant)]
enum Outcome {
    Construction(crate::error::ConstructionError),
    Success(HttpResponse, ErrorMetadata),
    Service(ServiceError),
    Failure(FailureKind, DispatchFailure),
}

enum FailureKind {
    Timeout(TimeoutKind),
    Transport,
}

impl Client {
    /// A client with this configuration.
    pub fn new(config: Config) -> Self {
        let http = config.http.clone().unwrap_or_else(|| Arc::new(DefaultHttpClient::new()));
        Self { inner: Arc::new(Inner { config, http, quota: TokenBucket::default() }) }
    }

    /// A client configured from the environment and the shared profile files alone.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::new(Config::from_env()?))
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// What is left of the retry quota (500 when nothing failed lately).
    pub fn retry_quota_available(&self) -> u32 {
        self.inner.quota.available()
    }

    /// Sends a command (or an input structure) and returns its output or its typed error.
    pub async fn send<C: Command>(&self, command: C) -> Result<C::Output, SdkError<C::Error>> {
        self.send_with_metadata(command).await.map(|(output, _)| output)
    }

    /// Like [`send`](Self::send), with the response's metadata (the `$metadata` of the JavaScript
    /// SDK's outputs): status, request id, attempts and retry delay.
    pub async fn send_with_metadata<C: Command>(
        &self,
        command: C,
    ) -> Result<(C::Output, ResponseMetadata), SdkError<C::Error>> {
        let input = command.into_input();
        let info = <C::Input as OperationInput>::OPERATION.info();
        let prepared =
            prepare(info, &input, self.inner.config.endpoint.base_path()).map_err(SdkError::Construction)?;
        let expects_output = info.output.is_some();
        match self.dispatch(&prepared).await {
            Outcome::Success(response, meta) => {
                let body = response.body();
                let parsed = if !expects_output {
                    serde_json::from_slice(b"null")
                } else if body.iter().all(u8::is_ascii_whitespace) {
                    serde_json::from_slice(b"{}")
                } else {
                    serde_json::from_slice(body)
                };
                match parsed {
                    Ok(mut output) => {
                        C::Output::read_headers(&mut output, response.headers());
                        Ok((output, ResponseMetadata::from(meta)))
                    }
                    Err(e) => Err(SdkError::Response(DispatchFailure::new(e, meta))),
                }
            }
            Outcome::Construction(e) => Err(SdkError::Construction(e)),
            Outcome::Service(e) => Err(SdkError::Service(C::Error::from_service_error(e))),
            Outcome::Failure(FailureKind::Timeout(kind), f) => Err(SdkError::Timeout(kind, f)),
            Outcome::Failure(FailureKind::Transport, f) => Err(SdkError::Transport(f)),
        }
    }

    /// The retry loop (not generic, so it is compiled once).
    async fn dispatch(&self, prepared: &Prepared) -> Outcome {
        let config = &self.inner.config;
        let retry = &config.retry;
        let max_attempts = retry.get_max_attempts();
        let deadline = config.timeouts.operation.map(|d| Instant::now() + d);
        let invocation_id = invocation_id();
        let mut total_delay = Duration::ZERO;
        let mut held_cost = 0;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let meta = |status, request_id| ErrorMetadata {
                status,
                request_id,
                attempts: attempt,
                total_retry_delay: total_delay,
                ..ErrorMetadata::default()
            };
            let info = AttemptInfo { invocation_id: &invocation_id, attempt, max_attempts };
            let request = match signed(prepared, config, &info) {
                Ok(r) => r,
                Err(e) => return Outcome::Construction(e),
            };
            let (outcome, kind) = match self.attempt(request, deadline).await {
                Ok(response) if response.status().is_success() => {
                    let id = crate::error::request_id(response.headers());
                    let m = meta(Some(response.status().as_u16()), id);
                    self.inner.quota.release(if held_cost > 0 {
                        held_cost
                    } else {
                        crate::retry::NO_RETRY_INCREMENT
                    });
                    return Outcome::Success(response, m);
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let (parts, body) = response.into_parts();
                    let mut err = ServiceError::from_response(status, &parts.headers, body);
                    err.set_attempts(attempt, total_delay);
                    let kind = classify(err.code(), status);
                    (Outcome::Service(err), kind)
                }
                Err(AttemptError::Timeout(kind)) => {
                    let what = format!("{} timed out", prepared.operation);
                    let retry_kind = (kind != TimeoutKind::Operation).then_some(RetryKind::Timeout);
                    (
                        Outcome::Failure(
                            FailureKind::Timeout(kind),
                            DispatchFailure::new(what, meta(None, None)),
                        ),
                        retry_kind,
                    )
                }
                Err(AttemptError::Http(e)) => {
                    let kind = match e.kind() {
                        HttpErrorKind::ConnectTimeout => FailureKind::Timeout(TimeoutKind::Connect),
                        _ => FailureKind::Transport,
                    };
                    let retry_kind = e.is_retryable().then_some(RetryKind::Transient);
                    (Outcome::Failure(kind, DispatchFailure::new(e, meta(None, None))), retry_kind)
                }
            };
            let Some(kind) = kind else { return outcome };
            if attempt >= max_attempts {
                return outcome;
            }
            if retry.uses_quota() {
                if !self.inner.quota.try_acquire(kind.cost()) {
                    return outcome;
                }
                held_cost = kind.cost();
            }
            let delay = retry.backoff(kind, attempt - 1, jitter());
            if deadline.is_some_and(|d| Instant::now() + delay >= d) {
                let what = format!("{} ran out of time before retry {attempt}", prepared.operation);
                let kind = FailureKind::Timeout(TimeoutKind::Operation);
                return Outcome::Failure(kind, DispatchFailure::new(what, meta(None, None)));
            }
            tokio::time::sleep(delay).await;
            total_delay += delay;
        }
    }

    /// One attempt, within the attempt timeout and what is left of the operation's.
    async fn attempt(
        &self,
        request: crate::transport::HttpRequest,
        deadline: Option<Instant>,
    ) -> Result<HttpResponse, AttemptError> {
        let now = Instant::now();
        let attempt_end = self.inner.config.timeouts.attempt.map(|d| now + d);
        let (end, kind) = match (attempt_end, deadline) {
            (Some(a), Some(o)) if o <= a => (Some(o), TimeoutKind::Operation),
            (Some(a), _) => (Some(a), TimeoutKind::Attempt),
            (None, Some(o)) => (Some(o), TimeoutKind::Operation),
            (None, None) => (None, TimeoutKind::Attempt),
        };
        let call = self.inner.http.call(request);
        match end {
            Some(end) => match tokio::time::timeout_at(end, call).await {
                Ok(r) => r.map_err(AttemptError::Http),
                Err(_) => Err(AttemptError::Timeout(kind)),
            },
            None => call.await.map_err(AttemptError::Http),
        }
    }
}

enum AttemptError {
    Timeout(TimeoutKind),
    Http(crate::transport::HttpError),
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("config", &self.inner.config).finish()
    }
}

/// A random UUID (version 4 layout) naming one call across its attempts (`amz-sdk-invocation-id`).
fn invocation_id() -> String {
    let hi = (jitter() * (1u64 << 53) as f64) as u64;
    let lo = (jitter() * (1u64 << 53) as f64) as u64;
    let b = ((hi as u128) << 64 | (lo as u128) << 11) ^ (std::process::id() as u128);
    let hex = format!("{b:032x}");
    format!("{}-{}-4{}-a{}-{}", &hex[0..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

#[cfg(test)]
mod tests {
    #[test]
    fn invocation_ids_look_like_uuids_and_differ() {
        let a = super::invocation_id();
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_ne!(a, super::invocation_id());
    }
}
