//! The pluggable HTTP layer: the [`HttpClient`] trait the client sends every (signed) request through.
//! [`DefaultHttpClient`](crate::DefaultHttpClient) implements it over hyper and rustls; tests and
//! custom stacks implement it themselves, or wrap a closure with [`from_fn`].
//!
//! Requests and responses are `http` crate types with whole bodies (`Bytes`): IVS bodies are small
//! JSON documents, so streaming buys nothing.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;

/// A request as the HTTP layer sends it: absolute URI, all headers (signed), whole body.
pub type HttpRequest = http::Request<Bytes>;
/// A response with its whole body read.
pub type HttpResponse = http::Response<Bytes>;
/// The future an [`HttpClient`] returns.
pub type HttpFuture<'a> = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'a>>;

/// Sends one HTTP request and reads the whole response. Retries, signing and timeouts are the
/// client's business, not the HTTP layer's (it only owns the connect timeout).
pub trait HttpClient: Send + Sync + 'static {
    /// Sends `request`; any status is an `Ok` response, only a failure to get one is an error.
    fn call(&self, request: HttpRequest) -> HttpFuture<'_>;
}

/// What went wrong below HTTP; the kind decides how the client reports and retries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// No connection: DNS, refused, unreachable, TLS handshake. Nothing was sent, so always retryable.
    Connect,
    /// The connect timeout ran out.
    ConnectTimeout,
    /// The connection broke after the request was (maybe) sent: reset, closed, malformed response.
    Io,
    /// The response was larger than the HTTP layer accepts.
    ResponseTooLarge,
    /// Anything else (a bad URI, an unsupported scheme); not retried.
    Other,
}

/// A failure of the HTTP layer.
#[derive(Debug)]
pub struct HttpError {
    kind: HttpErrorKind,
    source: Box<dyn StdError + Send + Sync>,
}

impl HttpError {
    /// An error of the given kind.
    pub fn new(kind: HttpErrorKind, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self { kind, source: source.into() }
    }

    /// No connection could be made.
    pub fn connect(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::new(HttpErrorKind::Connect, source)
    }

    /// The connection failed mid-request.
    pub fn io(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::new(HttpErrorKind::Io, source)
    }

    /// Any other failure (not retried).
    pub fn other(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::new(HttpErrorKind::Other, source)
    }

    /// The kind of failure.
    pub fn kind(&self) -> HttpErrorKind {
        self.kind
    }

    /// Whether retrying may help (everything but `Other` and `ResponseTooLarge`).
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, HttpErrorKind::Connect | HttpErrorKind::ConnectTimeout | HttpErrorKind::Io)
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            HttpErrorKind::Connect => "connect failed",
            HttpErrorKind::ConnectTimeout => "connect timed out",
            HttpErrorKind::Io => "connection failed",
            HttpErrorKind::ResponseTooLarge => "response too large",
            HttpErrorKind::Other => "HTTP error",
        };
        write!(f, "{what}: {}", self.source)
    }
}

impl StdError for HttpError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.source.as_ref())
    }
}

/// An [`HttpClient`] made of an async closure: for tests (canned responses, injected failures) and
/// for adapting another HTTP stack.
///
/// ```
/// use openivs_client::transport::{from_fn, HttpRequest};
/// let http = from_fn(|req: HttpRequest| async move {
///     assert_eq!(req.uri().path(), "/ListChannels");
///     Ok(openivs_client::http::Response::new(r#"{"channels":[]}"#.into()))
/// });
/// # let _ = http;
/// ```
pub fn from_fn<F, Fut>(f: F) -> FnHttpClient<F>
where
    F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<HttpResponse, HttpError>> + Send + 'static,
{
    FnHttpClient(f)
}

/// The [`HttpClient`] of [`from_fn`].
pub struct FnHttpClient<F>(F);

impl<F, Fut> HttpClient for FnHttpClient<F>
where
    F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<HttpResponse, HttpError>> + Send + 'static,
{
    fn call(&self, request: HttpRequest) -> HttpFuture<'_> {
        Box::pin((self.0)(request))
    }
}

impl<F> fmt::Debug for FnHttpClient<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnHttpClient")
    }
}
