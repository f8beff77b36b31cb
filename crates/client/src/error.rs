//! Errors: [`SdkError`] says whether a call failed before sending (construction), on the way (transport,
//! timeout), in an unreadable response, or in the service (the operation's own error enum, generated
//! from the model's error list). Every kind carries [`ErrorMetadata`]: HTTP status, request id, error
//! code and message, attempts made and the total time spent waiting between them.
//!
//! Service errors follow restJson1 (ivs-api.md §1.4): the code is `x-amzn-ErrorType` (anything after
//! `:` and before `#` dropped), else the body's `__type` or `code`; the message is the body's
//! `exceptionMessage`, `message` or `Message`.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::transport::HttpError;

/// What is known about a failed call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorMetadata {
    /// The HTTP status of the last response, if one arrived.
    pub status: Option<u16>,
    /// The request id the service gave the last response (`x-amzn-RequestId`).
    pub request_id: Option<String>,
    /// The service's error code (`ResourceNotFoundException`), for service errors.
    pub code: Option<String>,
    /// The service's message, for service errors.
    pub message: Option<String>,
    /// How many attempts were made (0 when the request could not be built).
    pub attempts: u32,
    /// The total time slept between attempts.
    pub total_retry_delay: Duration,
}

/// An error response of the service, whichever operation it came from. (Boxed, so that results
/// carrying it stay small.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError(Box<ServiceErrorInner>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct ServiceErrorInner {
    meta: ErrorMetadata,
    code: String,
    body: bytes::Bytes,
}

impl ServiceError {
    /// Parses an error response (any non-2xx status).
    pub(crate) fn from_response(status: u16, headers: &http::HeaderMap, body: bytes::Bytes) -> Self {
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        let text = |k: &str| json.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
        let header = headers.get("x-amzn-errortype").and_then(|v| v.to_str().ok()).filter(|s| !s.is_empty());
        let code = header
            .or_else(|| text("__type"))
            .or_else(|| text("code"))
            .map(sanitize_code)
            .unwrap_or_else(|| fallback_code(status));
        let message = text("exceptionMessage").or_else(|| text("message")).or_else(|| text("Message"));
        let meta = ErrorMetadata {
            status: Some(status),
            request_id: request_id(headers),
            code: Some(code.clone()),
            message: message.map(str::to_owned),
            ..ErrorMetadata::default()
        };
        Self(Box::new(ServiceErrorInner { meta, code, body }))
    }

    /// The error code (`ResourceNotFoundException`).
    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// The service's message, if it sent one.
    pub fn message(&self) -> Option<&str> {
        self.0.meta.message.as_deref()
    }

    /// Status, request id, attempts and retry delay.
    pub fn meta(&self) -> &ErrorMetadata {
        &self.0.meta
    }

    /// The raw response body (JSON with the error's members).
    pub fn body(&self) -> &[u8] {
        &self.0.body
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32, total_retry_delay: Duration) {
        self.0.meta.attempts = attempts;
        self.0.meta.total_retry_delay = total_retry_delay;
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())?;
        if let Some(m) = self.message() {
            write!(f, ": {m}")?;
        }
        if let Some(id) = &self.meta().request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl StdError for ServiceError {}

/// `aws.protocols#ValidationException:http://…` → `ValidationException`.
fn sanitize_code(raw: &str) -> String {
    let code = raw.split(':').next().unwrap_or(raw);
    code.rsplit('#').next().unwrap_or(code).trim().to_string()
}

/// A code for an error response that names none (a proxy's 502, say).
fn fallback_code(status: u16) -> String {
    match status {
        429 => "Throttling".into(),
        _ => format!("HttpStatus{status}"),
    }
}

/// The request id of a response, under any of the names AWS services use.
pub(crate) fn request_id(headers: &http::HeaderMap) -> Option<String> {
    ["x-amzn-requestid", "x-amz-request-id"]
        .iter()
        .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
        .map(str::to_owned)
}

/// The error enum of one operation (generated): built from a [`ServiceError`], which it keeps.
pub trait OperationError: StdError + Send + Sync + Sized + 'static {
    /// Sorts a service error into the operation's modeled errors, or `Unhandled`.
    fn from_service_error(err: ServiceError) -> Self;
    /// The service error inside.
    fn service_error(&self) -> &ServiceError;
    /// The service error inside, by value.
    fn into_service_error(self) -> ServiceError;
    /// The error code (`ResourceNotFoundException`).
    fn code(&self) -> &str {
        self.service_error().code()
    }
    /// The service's message.
    fn message(&self) -> Option<&str> {
        self.service_error().message()
    }
    /// Status, request id, attempts and retry delay.
    fn meta(&self) -> &ErrorMetadata {
        self.service_error().meta()
    }
}

/// Which limit ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutKind {
    /// Connecting (the HTTP layer's connect timeout).
    Connect,
    /// One attempt (request sent, response read) took longer than the attempt timeout.
    Attempt,
    /// The whole call, retries and waits included, took longer than the operation timeout.
    Operation,
}

/// The failure of a call that got no usable response: a timeout, a transport failure or an unreadable
/// response.
#[derive(Debug)]
pub struct DispatchFailure(Box<DispatchFailureInner>);

#[derive(Debug)]
struct DispatchFailureInner {
    meta: ErrorMetadata,
    source: Box<dyn StdError + Send + Sync>,
}

impl DispatchFailure {
    pub(crate) fn new(source: impl Into<Box<dyn StdError + Send + Sync>>, meta: ErrorMetadata) -> Self {
        Self(Box::new(DispatchFailureInner { meta, source: source.into() }))
    }

    /// Status (for unreadable responses), attempts and retry delay.
    pub fn meta(&self) -> &ErrorMetadata {
        &self.0.meta
    }

    /// The HTTP layer's error, when that is what failed.
    pub fn http_error(&self) -> Option<&HttpError> {
        self.0.source.downcast_ref::<HttpError>()
    }

    fn source_ref(&self) -> &(dyn StdError + 'static) {
        self.0.source.as_ref()
    }
}

impl fmt::Display for DispatchFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (after {} attempt(s))", self.0.source, self.0.meta.attempts)
    }
}

/// Why a request could not be built; nothing was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConstructionError {
    /// A member bound to the URI (`resourceArn` of the tag operations) is missing or empty.
    #[error("the input member `{0}` is required to build the request URI")]
    MissingLabel(&'static str),
    /// The input could not be serialized.
    #[error("the input could not be serialized: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The endpoint and path do not form a valid URI.
    #[error("invalid request URI: {0}")]
    Uri(String),
    /// SigV4 refused the request.
    #[error("signing failed: {0}")]
    Signing(#[from] openivs_sigv4::SignError),
}

/// The error of a call: `E` is the operation's error enum (e.g. `CreateChannelError`).
#[derive(Debug)]
#[non_exhaustive]
pub enum SdkError<E> {
    /// The request could not be built; nothing was sent.
    Construction(ConstructionError),
    /// A timeout ran out (connect, attempt or the whole operation).
    Timeout(TimeoutKind, DispatchFailure),
    /// The connection failed or broke (DNS, connect, TLS, reset).
    Transport(DispatchFailure),
    /// A success status with a body that is not the operation's output.
    Response(DispatchFailure),
    /// The service answered with an error.
    Service(E),
}

impl<E: OperationError> SdkError<E> {
    /// The metadata of any kind of failure (default values for `Construction`).
    pub fn meta(&self) -> &ErrorMetadata {
        static NONE: ErrorMetadata = ErrorMetadata {
            status: None,
            request_id: None,
            code: None,
            message: None,
            attempts: 0,
            total_retry_delay: Duration::ZERO,
        };
        match self {
            Self::Construction(_) => &NONE,
            Self::Timeout(_, f) | Self::Transport(f) | Self::Response(f) => f.meta(),
            Self::Service(e) => e.meta(),
        }
    }

    /// The service error code, for service errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service(e) => Some(e.code()),
            _ => None,
        }
    }

    /// The operation's error, if the service answered with one.
    pub fn as_service_error(&self) -> Option<&E> {
        match self {
            Self::Service(e) => Some(e),
            _ => None,
        }
    }

    /// The operation's error by value, if the service answered with one.
    pub fn into_service_error(self) -> Option<E> {
        match self {
            Self::Service(e) => Some(e),
            _ => None,
        }
    }

    /// Converts the service error (e.g. into the [`ServiceError`] common to all operations).
    pub fn map_service_error<F: OperationError>(self, f: impl FnOnce(E) -> F) -> SdkError<F> {
        match self {
            Self::Construction(c) => SdkError::Construction(c),
            Self::Timeout(k, d) => SdkError::Timeout(k, d),
            Self::Transport(d) => SdkError::Transport(d),
            Self::Response(d) => SdkError::Response(d),
            Self::Service(e) => SdkError::Service(f(e)),
        }
    }
}

impl<E: fmt::Display> fmt::Display for SdkError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Construction(e) => write!(f, "request not sent: {e}"),
            Self::Timeout(TimeoutKind::Connect, d) => write!(f, "connect timeout: {d}"),
            Self::Timeout(TimeoutKind::Attempt, d) => write!(f, "attempt timeout: {d}"),
            Self::Timeout(TimeoutKind::Operation, d) => write!(f, "operation timeout: {d}"),
            Self::Transport(d) => write!(f, "transport failure: {d}"),
            Self::Response(d) => write!(f, "unreadable response: {d}"),
            Self::Service(e) => write!(f, "service error: {e}"),
        }
    }
}

impl<E: StdError + 'static> StdError for SdkError<E> {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Self::Construction(e) => Some(e),
            Self::Timeout(_, d) | Self::Transport(d) | Self::Response(d) => Some(d.source_ref()),
            Self::Service(e) => Some(e),
        }
    }
}

/// `ServiceError` is its own operation error: what [`SdkError::map_service_error`] can turn any
/// operation's error into, for code that handles every operation alike.
impl OperationError for ServiceError {
    fn from_service_error(err: ServiceError) -> Self {
        err
    }
    fn service_error(&self) -> &ServiceError {
        self
    }
    fn into_service_error(self) -> ServiceError {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(headers: &[(&'static str, &str)], body: &str) -> ServiceError {
        let mut map = http::HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, v.parse().expect("header value"));
        }
        ServiceError::from_response(404, &map, bytes::Bytes::from(body.to_owned()))
    }

    #[test]
    fn code_from_header_then_body_and_message_from_either_member() {
        let e = parse(
            &[("x-amzn-ErrorType", "ResourceNotFoundException:http://internal/"), ("x-amzn-RequestId", "r1")],
            r#"{"exceptionMessage":"no such channel"}"#,
        );
        assert_eq!((e.code(), e.message()), ("ResourceNotFoundException", Some("no such channel")));
        assert_eq!(e.meta().request_id.as_deref(), Some("r1"));
        let e = parse(&[], r#"{"__type":"com.amazonaws.ivs#ConflictException","message":"busy"}"#);
        assert_eq!((e.code(), e.message()), ("ConflictException", Some("busy")));
        let e = parse(&[], r#"{"code":"ValidationException","Message":"bad"}"#);
        assert_eq!((e.code(), e.message()), ("ValidationException", Some("bad")));
        let e = parse(&[], "<html>gateway</html>");
        assert_eq!((e.code(), e.message()), ("HttpStatus404", None));
        assert_eq!(e.to_string(), "HttpStatus404");
    }
}
