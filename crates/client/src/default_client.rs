//! The default HTTP layer: HTTP/1.1 over tokio TCP, with rustls (ring provider, Mozilla's roots from
//! `webpki-roots`) for `https`, and a small keep-alive pool per scheme and authority.
//!
//! Each connection is driven by a task of its own; the pool keeps the idle ones. Dropping the last
//! clone of the client (and so of the [`Client`](crate::Client) holding it) aborts those tasks, which
//! closes their sockets: nothing lingers after the client is gone.

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio::task::AbortHandle;

use crate::transport::{HttpClient, HttpError, HttpErrorKind, HttpFuture, HttpRequest, HttpResponse};

/// Responses above this size are refused (IVS's largest, a page of 100 channels, is far smaller).
const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;
/// Idle connections older than this are not reused (servers close theirs after a while anyway).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The default [`HttpClient`]: hyper 1 (HTTP/1.1) with rustls. Clones share the connection pool.
#[derive(Clone)]
pub struct DefaultHttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    tls: tokio_rustls::TlsConnector,
    connect_timeout: Option<Duration>,
    max_idle_per_host: usize,
    max_response_bytes: usize,
    pool: Mutex<HashMap<String, Vec<Idle>>>,
}

struct Idle {
    sender: SendRequest<FullBody>,
    task: AbortHandle,
    since: Instant,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let pool = self.pool.get_mut().unwrap_or_else(|p| p.into_inner());
        for idle in pool.drain().flat_map(|(_, v)| v) {
            idle.task.abort();
        }
    }
}

/// Options of the [`DefaultHttpClient`].
#[derive(Clone, Debug)]
pub struct DefaultHttpClientBuilder {
    connect_timeout: Option<Duration>,
    max_idle_per_host: usize,
    max_response_bytes: usize,
    extra_roots: Vec<CertificateDer<'static>>,
    webpki_roots: bool,
}

impl Default for DefaultHttpClientBuilder {
    fn default() -> Self {
        Self {
            connect_timeout: Some(Duration::from_millis(3100)),
            max_idle_per_host: 8,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            extra_roots: Vec::new(),
            webpki_roots: true,
        }
    }
}

impl DefaultHttpClientBuilder {
    /// How long connecting (TCP and TLS) may take; default 3.1 s, as the AWS SDKs. `None`: no limit.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many idle connections to keep per host (default 8; 0 disables keep-alive).
    pub fn max_idle_per_host(mut self, n: usize) -> Self {
        self.max_idle_per_host = n;
        self
    }

    /// The largest response body accepted (default 16 MiB).
    pub fn max_response_bytes(mut self, n: usize) -> Self {
        self.max_response_bytes = n;
        self
    }

    /// Also trusts the certificates of this PEM text (e.g. an openivs server's self-signed one).
    pub fn add_root_certificates_pem(mut self, pem: &[u8]) -> Result<Self, HttpError> {
        for cert in CertificateDer::pem_slice_iter(pem) {
            self.extra_roots.push(cert.map_err(|e| HttpError::other(format!("bad PEM certificate: {e}")))?);
        }
        Ok(self)
    }

    /// Whether to trust Mozilla's root certificates (default true).
    pub fn webpki_roots(mut self, yes: bool) -> Self {
        self.webpki_roots = yes;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<DefaultHttpClient, HttpError> {
        let mut roots = rustls::RootCertStore::empty();
        if self.webpki_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        for cert in self.extra_roots {
            roots.add(cert).map_err(|e| HttpError::other(format!("unusable root certificate: {e}")))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(HttpError::other)?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(DefaultHttpClient {
            inner: Arc::new(Inner {
                tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
                connect_timeout: self.connect_timeout,
                max_idle_per_host: self.max_idle_per_host,
                max_response_bytes: self.max_response_bytes,
                pool: Mutex::new(HashMap::new()),
            }),
        })
    }
}

impl DefaultHttpClient {
    /// A client with the default options.
    pub fn new() -> Self {
        // The default options cannot fail: no extra certificates, and the ring provider supports
        // the default protocol versions.
        Self::builder().build().unwrap_or_else(|e| unreachable!("default HTTP client: {e}"))
    }

    /// Options.
    pub fn builder() -> DefaultHttpClientBuilder {
        DefaultHttpClientBuilder::default()
    }

    /// How many idle connections the pool holds (for tests and diagnostics).
    pub fn idle_connections(&self) -> usize {
        self.inner.lock_pool().values().map(Vec::len).sum()
    }
}

impl Default for DefaultHttpClient {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for DefaultHttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultHttpClient").field("idle_connections", &self.idle_connections()).finish()
    }
}

impl HttpClient for DefaultHttpClient {
    fn call(&self, request: HttpRequest) -> HttpFuture<'_> {
        Box::pin(self.inner.send(request))
    }
}

impl Inner {
    fn lock_pool(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Idle>>> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let target = Target::of(request.uri())?;
        let (mut parts, body) = request.into_parts();
        // HTTP/1.1 requests carry the origin form (`/path?query`); the host travels in `Host`.
        let origin = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        parts.uri = origin.parse().map_err(HttpError::other)?;
        let request = http::Request::from_parts(parts, FullBody(Some(body)));

        let (mut sender, task) = self.connection(&target).await?;
        let response = match sender.send_request(request).await {
            Ok(r) => r,
            Err(e) => {
                task.abort();
                return Err(HttpError::io(e));
            }
        };
        let (parts, mut incoming) = response.into_parts();
        let mut buf = BytesMut::new();
        while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut incoming).poll_frame(cx)).await {
            let frame = frame.map_err(|e| {
                task.abort();
                HttpError::io(e)
            })?;
            if let Ok(data) = frame.into_data() {
                if buf.len() + data.len() > self.max_response_bytes {
                    task.abort();
                    let msg = format!("more than {} bytes", self.max_response_bytes);
                    return Err(HttpError::new(HttpErrorKind::ResponseTooLarge, msg));
                }
                buf.extend_from_slice(&data);
            }
        }
        self.checkin(&target.key, sender, task);
        Ok(http::Response::from_parts(parts, buf.freeze()))
    }

    /// A ready connection to `target`: an idle one of the pool, else a new one.
    async fn connection(&self, target: &Target) -> Result<(SendRequest<FullBody>, AbortHandle), HttpError> {
        while let Some(mut idle) = self.checkout(&target.key) {
            // A connection goes back to the pool as soon as its response is read; its task may not
            // have marked it ready yet, so wait for that (a closed one fails instead).
            if idle.sender.ready().await.is_ok() {
                return Ok((idle.sender, idle.task));
            }
            idle.task.abort();
        }
        let (mut sender, task) = self.connect(target).await?;
        if let Err(e) = sender.ready().await {
            task.abort();
            return Err(HttpError::connect(e));
        }
        Ok((sender, task))
    }

    fn checkout(&self, key: &str) -> Option<Idle> {
        let mut pool = self.lock_pool();
        let idle = pool.get_mut(key)?;
        while let Some(conn) = idle.pop() {
            if !conn.sender.is_closed() && conn.since.elapsed() < IDLE_TIMEOUT {
                return Some(conn);
            }
            conn.task.abort();
        }
        None
    }

    fn checkin(&self, key: &str, sender: SendRequest<FullBody>, task: AbortHandle) {
        if self.max_idle_per_host == 0 || sender.is_closed() {
            task.abort();
            return;
        }
        let mut pool = self.lock_pool();
        let idle = pool.entry(key.to_owned()).or_default();
        if idle.len() >= self.max_idle_per_host {
            task.abort();
            return;
        }
        idle.push(Idle { sender, task, since: Instant::now() });
    }

    async fn connect(&self, target: &Target) -> Result<(SendRequest<FullBody>, AbortHandle), HttpError> {
        let work = self.connect_inner(target);
        match self.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, work).await.map_err(|_| {
                HttpError::new(HttpErrorKind::ConnectTimeout, format!("no connection within {limit:?}"))
            })?,
            None => work.await,
        }
    }

    async fn connect_inner(
        &self,
        target: &Target,
    ) -> Result<(SendRequest<FullBody>, AbortHandle), HttpError> {
        let tcp =
            TcpStream::connect((target.host.as_str(), target.port)).await.map_err(HttpError::connect)?;
        let _ = tcp.set_nodelay(true);
        if !target.tls {
            return handshake(TokioIo::new(tcp)).await;
        }
        let name = ServerName::try_from(target.host.clone()).map_err(HttpError::connect)?;
        let tls = self.tls.connect(name, tcp).await.map_err(HttpError::connect)?;
        handshake(TokioIo::new(tls)).await
    }
}

async fn handshake<T>(io: TokioIo<T>) -> Result<(SendRequest<FullBody>, AbortHandle), HttpError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = http1::handshake(io).await.map_err(HttpError::connect)?;
    let task = tokio::spawn(async move {
        // The connection ends when the server closes it or its sender is dropped; its error, if
        // any, reaches the request that was in flight.
        let _ = conn.await;
    });
    Ok((sender, task.abort_handle()))
}

/// Where a request goes: pool key, host (without IPv6 brackets), port, TLS or not.
struct Target {
    key: String,
    host: String,
    port: u16,
    tls: bool,
}

impl Target {
    fn of(uri: &http::Uri) -> Result<Self, HttpError> {
        let tls = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => return Err(HttpError::other(format!("unsupported URI scheme {other:?}"))),
        };
        let host = uri.host().ok_or_else(|| HttpError::other("request URI has no host"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let key = format!("{}://{host}:{port}", if tls { "https" } else { "http" });
        Ok(Self { key, host, port, tls })
    }
}

/// A request body that is one chunk of bytes.
struct FullBody(Option<Bytes>);

impl Body for FullBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        Poll::Ready(self.0.take().filter(|b| !b.is_empty()).map(|b| Ok(Frame::data(b))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.as_ref().is_none_or(Bytes::is_empty)
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_strip_ipv6_brackets_and_default_ports() {
        let t = Target::of(&"https://ivs.us-west-2.amazonaws.com/ListChannels".parse().unwrap()).unwrap();
        assert_eq!((t.host.as_str(), t.port, t.tls), ("ivs.us-west-2.amazonaws.com", 443, true));
        let t = Target::of(&"http://[::1]:8080/x".parse().unwrap()).unwrap();
        assert_eq!((t.host.as_str(), t.port, t.key.as_str()), ("::1", 8080, "http://::1:8080"));
        assert!(Target::of(&"ftp://h/x".parse().unwrap()).is_err());
    }
}
