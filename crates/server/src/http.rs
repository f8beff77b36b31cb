//! The HTTP server loop shared by the API and playback listeners.
//!
//! Our own accept loop over hyper-util rather than `axum::serve`, because that one bounds neither how
//! long a client may take nor how many connections it may hold. Every connection here is held to:
//!
//! - a deadline for its first bytes ([`Limits::first_bytes_timeout`]): until the protocol is known
//!   (the whole 24-byte HTTP/2 preface, or the first bytes that are not one), which hyper-util's
//!   protocol detection waits for without any deadline (issue 16: 100 of 100 silent or half-preface
//!   connections were still open after 65 s, and 1,100 of them took every descriptor);
//! - hyper's HTTP/1 header timer ([`HEADER_READ_TIMEOUT`], at most the idle timeout), which also
//!   runs while an HTTP/1 connection waits for its next request (slowloris, idle keep-alive);
//! - an idle timeout ([`Limits::idle_timeout`]): no byte read or written for that long closes it
//!   gracefully (HTTP/2 gets a GOAWAY; its pings are off, so an idle HTTP/2 connection is idle);
//! - a send timeout ([`Limits::send_timeout`]): a write that cannot proceed for that long (a viewer
//!   that stopped reading, pinning a segment) closes it;
//! - caps on connections open at once, per listener and per address (an IPv6 /64; at most half the
//!   listener's), refused at accept and logged once per address per minute
//!   ([`openivs_media::admission`]); and at most half the listener's places held by connections
//!   that have not sent their first bytes yet, the oldest of them closed to make room for a new
//!   one, so that a flood of silent connections leaves room for clients that talk. Failed accepts
//!   (out of descriptors) back off up to a second and are logged once a minute with a count.
//!
//! Requests carry the peer's address as axum's `ConnectInfo<std::net::SocketAddr>`.
//!
//! Large response bodies registered with [`file_backed::register`] (live HLS segments) go out with
//! `sendfile(2)` from a memory file holding the same bytes (see [`file_backed`]).

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use openivs_media::admission::{AcceptErrors, PerAddress, Tally};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tower::ServiceExt as _;

/// The longest an HTTP/1 connection may take to send a request's headers (or wait for its next
/// request: hyper's timer runs then too).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What the HTTP/2 connection preface starts with (RFC 9113 §3.4).
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Limits of one HTTP listener.
#[derive(Clone, Debug)]
pub struct Limits {
    /// From accept until the protocol is known (the first bytes, or the whole HTTP/2 preface).
    pub first_bytes_timeout: Duration,
    /// A connection with no byte read or written for this long is closed.
    pub idle_timeout: Duration,
    /// A connection whose writes cannot proceed for this long is closed.
    pub send_timeout: Duration,
    /// Connections open at once on the listener.
    pub max_connections: usize,
    /// Connections open at once per address (IPv6 per /64).
    pub max_per_address: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Any client sends its request (or preface) in its first packet; 5 s is a slow link's
            // TCP retransmissions and then some.
            first_bytes_timeout: Duration::from_secs(5),
            // Above the AWS SDKs' pool idle time (the Rust SDK keeps connections 90 s, JS 5 s in
            // Node's agent): a pooled connection may be closed under an SDK, which retries it.
            idle_timeout: Duration::from_secs(60),
            send_timeout: Duration::from_secs(30),
            max_connections: 4096,
            // An office behind one NAT: 100 people with a browser's six connections each, and
            // room over that.
            max_per_address: 1024,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` resolves; in-flight requests then get `grace` to
/// finish before their connections are dropped.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
    limits: Limits,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT.min(limits.idle_timeout));
    // No HTTP/2 pings: the idle timeout closes a connection nobody uses, and pings would count as use.
    builder.http2().timer(TokioTimer::new());
    // Tells every connection the server is stopping.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    // Connections that have not yet sent their first bytes may hold half the listener's places; past
    // that, the oldest of them is closed to make room. A flood of silent connections (from any number
    // of addresses) then churns through its half and leaves the other half to clients that talk,
    // which send their request within a round trip of connecting and so are never the oldest.
    let mut silent = Silent::new((limits.max_connections / 2).max(1));
    // One address may hold half the places too, so that one host never fills a listener alone.
    let per_address = PerAddress::new(limits.max_per_address.min(limits.max_connections / 2));
    let over_address_cap = Arc::new(Tally::new("HTTP connections refused over the per-address cap"));
    let over_listener_cap = Arc::new(Tally::new("HTTP connections refused over the listener's cap"));
    over_address_cap.flush_periodically();
    over_listener_cap.flush_periodically();
    let mut errors = AcceptErrors::default();
    // Connection tasks, so the ones still open after the grace period can be aborted.
    let mut conns = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    tokio::time::sleep(errors.failed("HTTP", &e)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        errors.succeeded();
        while conns.try_join_next().is_some() {}
        let Some(address_slot) = per_address.try_acquire(peer.ip()) else {
            if over_address_cap.note(peer.ip(), Instant::now()) {
                tracing::warn!(%peer, "too many HTTP connections from this address; closing new ones (counted for a minute)");
            }
            continue;
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            if over_listener_cap.note(peer.ip(), Instant::now()) {
                tracing::warn!(%peer, "too many HTTP connections; closing new ones (counted per address for a minute)");
            }
            continue;
        };
        let evict = silent.admit();
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let (builder, limits, mut stop) = (builder.clone(), limits.clone(), stop_rx.clone());
        conns.spawn(async move {
            let _held = (address_slot, permit);
            let first = tokio::time::timeout(limits.first_bytes_timeout, first_bytes(&stream));
            let prefix = tokio::select! {
                read = first => match read {
                    Ok(Ok(prefix)) => prefix,
                    _ => return,
                },
                () = evict.notified() => return,
                _ = stop.wait_for(|s| *s) => return,
            };
            drop(evict);
            let activity = Arc::new(Activity::new());
            let stream = file_backed::Conn::new(stream, prefix, activity.clone());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
            tokio::pin!(conn);
            // Errors of the connection are the client's (reset, timeout, malformed request): nothing
            // to report.
            tokio::select! {
                _ = conn.as_mut() => return,
                why = activity.expired(limits.idle_timeout, limits.send_timeout) => {
                    tracing::debug!(%peer, why, "HTTP connection closed");
                    if why != IDLE {
                        return;
                    }
                }
                _ = stop.wait_for(|s| *s) => {}
            }
            // Idle, or the server is stopping: HTTP/2 is told so (GOAWAY), HTTP/1 closes once the
            // request in flight (if any) is answered. A client that takes nothing more for the send
            // timeout is dropped; the server's shutdown grace drops the rest.
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(limits.send_timeout.max(Duration::from_secs(1)), conn).await;
        });
    }
    drop(listener);
    stop_tx.send_replace(true);
    let drained = async { while conns.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, drained).await.is_err() {
        tracing::warn!(
            grace_secs = grace.as_secs_f64(),
            "requests still open after the shutdown grace period; dropping them"
        );
    }
    conns.shutdown().await;
    Ok(())
}

/// The connections that have not sent their first bytes yet, oldest first, each as the signal that
/// closes it; a connection that leaves this state drops its signal, so a dead entry is one that left.
struct Silent {
    queue: std::collections::VecDeque<std::sync::Weak<tokio::sync::Notify>>,
    cap: usize,
}

impl Silent {
    fn new(cap: usize) -> Self {
        Silent { queue: std::collections::VecDeque::new(), cap }
    }

    /// Counts a new connection as silent, closing the oldest silent one if there are `cap` already;
    /// the new one's signal.
    fn admit(&mut self) -> Arc<tokio::sync::Notify> {
        if self.queue.len() >= self.cap {
            self.queue.retain(|w| w.strong_count() > 0);
            while self.queue.len() >= self.cap {
                if let Some(oldest) = self.queue.pop_front().and_then(|w| w.upgrade()) {
                    // Stored if its task is not waiting yet, so it cannot be missed.
                    oldest.notify_one();
                }
            }
        }
        let signal = Arc::new(tokio::sync::Notify::new());
        self.queue.push_back(Arc::downgrade(&signal));
        signal
    }
}

/// Reads until the protocol is known: the whole HTTP/2 preface, or bytes that are not one (HTTP/1,
/// whose header timer hyper runs). The bytes read are handed back, to be read again by hyper.
async fn first_bytes(stream: &tokio::net::TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(H2_PREFACE.len());
    let mut chunk = [0u8; 24];
    while buf.len() < H2_PREFACE.len() && H2_PREFACE.starts_with(&buf) {
        stream.readable().await?;
        let want = H2_PREFACE.len() - buf.len();
        match stream.try_read(&mut chunk[..want]) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(buf)
}

/// When a connection last made progress, in milliseconds since it was accepted.
struct Activity {
    start: Instant,
    /// Last byte read or written.
    last: AtomicU64,
    /// When a write first could not proceed, if it still cannot ([`NOT_BLOCKED`] otherwise).
    blocked: AtomicU64,
}

const NOT_BLOCKED: u64 = u64::MAX;

/// Why [`Activity::expired`] resolved when nothing was read or written for the idle timeout.
const IDLE: &str = "idle";

impl Activity {
    fn new() -> Self {
        Activity { start: Instant::now(), last: AtomicU64::new(0), blocked: AtomicU64::new(NOT_BLOCKED) }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn progressed(&self) {
        self.last.store(self.now_ms(), Ordering::Relaxed);
        self.blocked.store(NOT_BLOCKED, Ordering::Relaxed);
    }

    fn write_blocked(&self) {
        let _ =
            self.blocked.compare_exchange(NOT_BLOCKED, self.now_ms(), Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Resolves when the connection has been idle for `idle` or unable to write for `send`.
    async fn expired(&self, idle: Duration, send: Duration) -> &'static str {
        let (idle, send) = (idle.as_millis() as u64, send.as_millis() as u64);
        loop {
            let now = self.now_ms();
            let idle_at = self.last.load(Ordering::Relaxed).saturating_add(idle);
            let blocked = self.blocked.load(Ordering::Relaxed);
            let send_at = if blocked == NOT_BLOCKED { NOT_BLOCKED } else { blocked.saturating_add(send) };
            if now >= idle_at {
                return IDLE;
            }
            if now >= send_at {
                return "send timed out";
            }
            // A write may block after this look: wake by then to see it.
            let next = idle_at.min(send_at).min(now.saturating_add(send.max(1)));
            tokio::time::sleep_until((self.start + Duration::from_millis(next)).into()).await;
        }
    }
}

pub mod file_backed {
    //! Response bodies sent with `sendfile(2)`.
    //!
    //! A live segment is a shared `Bytes` that every viewer is sent whole. Writing it to a socket
    //! copies it from user memory into the kernel for every response (`_copy_from_iter` was about 45 %
    //! of the server's CPU with 64 viewers fetching segments); a static file server such as nginx sends
    //! the page cache's pages with `sendfile` instead and skips that copy. So a buffer can be
    //! *registered*, and the connection wrapper [`Conn`] that the accept loop puts under hyper sends
    //! any write that lies inside a registered buffer with `sendfile` from a memory file
    //! (`memfd_create`) holding the same bytes, at the matching offset. The file is made when the
    //! buffer is first sent, not when it is registered: every live stream registers its segments, and
    //! copying each into a file up front cost ingest alone 15–20 % of the server's CPU with 100
    //! publishers and no viewers (the copy, `copy_folio_from_iter`, was 14 % of the profile).
    //!
    //! Hyper writes a body's `Bytes` as its own `IoSlice` (vectored writes), so the slice's address
    //! says which buffer it is. The registry holds a clone of each registered `Bytes`, so a registered
    //! address range cannot be freed and reused by other data while it is registered: a slice that
    //! lies inside it *is* those bytes, and the file holds the same ones. Anything not found (small
    //! writes, unregistered or already unregistered buffers, other platforms) is written as usual.
    //! The cost is a second copy in memory (the file) of each registered buffer that was sent, while
    //! registered.

    use axum::body::Bytes;
    use std::collections::BTreeMap;
    use std::fs::File;
    use std::io::{self, IoSlice};
    use std::pin::Pin;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, OnceLock, RwLock};
    use std::task::{Context, Poll};
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    use tokio::net::TcpStream;

    /// Buffers smaller than this are not worth a file (nor writes smaller than this a look-up).
    pub const MIN_LEN: usize = 64 * 1024;

    struct Entry {
        id: u64,
        bytes: Bytes,
        /// Made by the first send; `None` if that failed (then sent by copying, as unregistered).
        file: Arc<OnceLock<Option<Arc<File>>>>,
    }

    /// Registered buffers by start address.
    static REGISTRY: RwLock<BTreeMap<usize, Entry>> = RwLock::new(BTreeMap::new());
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    static SENT: AtomicU64 = AtomicU64::new(0);

    /// Bytes sent with `sendfile` since the process started.
    pub fn sent_bytes() -> u64 {
        SENT.load(Ordering::Relaxed)
    }

    fn registry() -> std::sync::RwLockReadGuard<'static, BTreeMap<usize, Entry>> {
        REGISTRY.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps a buffer registered until dropped.
    #[must_use = "the buffer is unregistered when this is dropped"]
    pub struct Registration {
        key: Option<(usize, u64)>,
    }

    impl Drop for Registration {
        fn drop(&mut self) {
            if let Some((start, id)) = self.key {
                let mut map = REGISTRY.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                if map.get(&start).is_some_and(|e| e.id == id) {
                    map.remove(&start);
                }
            }
        }
    }

    /// Registers `bytes` (immutable, like every `Bytes`) so that writes of it are sent from a file.
    /// Small buffers, a buffer whose address is already registered, and platforms without `sendfile`
    /// give a registration that does nothing.
    pub fn register(bytes: &Bytes) -> Registration {
        let start = bytes.as_ptr() as usize;
        if !cfg!(target_os = "linux") || bytes.len() < MIN_LEN || registry().contains_key(&start) {
            return Registration { key: None };
        }
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let entry = Entry { id, bytes: bytes.clone(), file: Arc::default() };
        let mut map = REGISTRY.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.contains_key(&start) {
            return Registration { key: None };
        }
        map.insert(start, entry);
        Registration { key: Some((start, id)) }
    }

    /// Whether the memory file of the buffer registered at `bytes` was made.
    #[cfg(test)]
    pub fn file_made(bytes: &Bytes) -> bool {
        registry().get(&(bytes.as_ptr() as usize)).is_some_and(|e| e.file.get().is_some_and(Option::is_some))
    }

    #[cfg(target_os = "linux")]
    fn memory_file(bytes: &[u8]) -> io::Result<File> {
        use rustix::fs::{MemfdFlags, memfd_create};
        use std::io::Write;
        let mut file = File::from(memfd_create("openivs-segment", MemfdFlags::CLOEXEC)?);
        file.write_all(bytes)?;
        Ok(file)
    }

    #[cfg(not(target_os = "linux"))]
    fn memory_file(_: &[u8]) -> io::Result<File> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// The file and offset holding `buf`, if it lies inside a registered buffer (making the file on
    /// the buffer's first send).
    fn find(buf: &[u8]) -> Option<(Arc<File>, u64)> {
        if buf.len() < MIN_LEN {
            return None;
        }
        let ptr = buf.as_ptr() as usize;
        let (bytes, file, offset) = {
            let map = registry();
            let (start, e) = map.range(..=ptr).next_back()?;
            let offset = ptr - start;
            if offset + buf.len() > e.bytes.len() {
                return None;
            }
            (e.bytes.clone(), e.file.clone(), offset as u64)
        };
        // Outside the registry's lock: the copy takes a little while, and a concurrent first send
        // of the same buffer waits for this one.
        let file = file.get_or_init(|| match memory_file(&bytes) {
            Ok(f) => Some(Arc::new(f)),
            Err(e) => {
                tracing::debug!(error = %e, "buffer not file-backed");
                None
            }
        });
        file.clone().map(|f| (f, offset))
    }

    /// A TCP connection that sends registered buffers with `sendfile` (everything else as usual),
    /// first hands out the bytes the accept loop read to learn the protocol, and notes its progress
    /// for the idle and send timeouts.
    pub struct Conn {
        tcp: TcpStream,
        prefix: Vec<u8>,
        /// How much of `prefix` has been read.
        read: usize,
        activity: Arc<super::Activity>,
    }

    impl Conn {
        /// Wraps an accepted connection from which `prefix` was already read.
        pub(super) fn new(tcp: TcpStream, prefix: Vec<u8>, activity: Arc<super::Activity>) -> Self {
            Conn { tcp, prefix, read: 0, activity }
        }

        /// Sends `len` bytes of `file` from `offset` once the socket is writable.
        #[cfg(target_os = "linux")]
        fn poll_sendfile(
            &self,
            cx: &mut Context<'_>,
            file: &File,
            offset: u64,
            len: usize,
        ) -> Poll<io::Result<usize>> {
            loop {
                std::task::ready!(self.tcp.poll_write_ready(cx))?;
                let mut at = offset;
                let sent = self.tcp.try_io(tokio::io::Interest::WRITABLE, || {
                    rustix::fs::sendfile(&self.tcp, file, Some(&mut at), len).map_err(io::Error::from)
                });
                match sent {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    Ok(n) => {
                        SENT.fetch_add(n as u64, Ordering::Relaxed);
                        return Poll::Ready(Ok(n));
                    }
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
        }

        /// Writes `bufs` with `MSG_MORE` (more follows at once) once the socket is writable.
        #[cfg(target_os = "linux")]
        fn poll_send_more(&self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
            use rustix::net::{SendAncillaryBuffer, SendFlags, sendmsg};
            loop {
                std::task::ready!(self.tcp.poll_write_ready(cx))?;
                let sent = self.tcp.try_io(tokio::io::Interest::WRITABLE, || {
                    sendmsg(&self.tcp, bufs, &mut SendAncillaryBuffer::default(), SendFlags::MORE)
                        .map_err(io::Error::from)
                });
                match sent {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                    other => return Poll::Ready(other),
                }
            }
        }

        #[cfg(not(target_os = "linux"))]
        fn poll_send_more(&mut self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
        }

        #[cfg(not(target_os = "linux"))]
        fn poll_sendfile(&self, _: &mut Context<'_>, _: &File, _: u64, _: usize) -> Poll<io::Result<usize>> {
            Poll::Ready(Err(io::Error::from(io::ErrorKind::Unsupported)))
        }
    }

    impl AsyncRead for Conn {
        fn poll_read(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            let this = self.get_mut();
            if this.read < this.prefix.len() {
                let n = buf.remaining().min(this.prefix.len() - this.read);
                buf.put_slice(&this.prefix[this.read..this.read + n]);
                this.read += n;
                return Poll::Ready(Ok(()));
            }
            let before = buf.filled().len();
            let polled = Pin::new(&mut this.tcp).poll_read(cx, buf);
            if buf.filled().len() > before {
                this.activity.progressed();
            }
            polled
        }
    }

    impl AsyncWrite for Conn {
        fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            self.poll_write_vectored(cx, &[IoSlice::new(buf)])
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            let polled = this.write_some(cx, bufs);
            match &polled {
                Poll::Ready(Ok(n)) if *n > 0 => this.activity.progressed(),
                Poll::Pending => this.activity.write_blocked(),
                _ => {}
            }
            polled
        }

        fn is_write_vectored(&self) -> bool {
            true
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
        }

        fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
        }
    }

    impl Conn {
        fn write_some(&mut self, cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
            let this = self;
            let Some(first) = bufs.iter().position(|b| !b.is_empty()) else {
                return Poll::Ready(Ok(0));
            };
            if let Some((file, offset)) = find(&bufs[first]) {
                return this.poll_sendfile(cx, &file, offset, bufs[first].len());
            }
            // Everything up to the next registered buffer in one write.
            let end = bufs[first..].iter().position(|b| find(b).is_some()).map_or(bufs.len(), |i| first + i);
            if end < bufs.len() {
                // Headers before a file-backed body: held back (MSG_MORE) to leave in the body's first
                // packet, as nginx's `tcp_nopush` does, instead of a packet of their own.
                return this.poll_send_more(cx, &bufs[first..end]);
            }
            Pin::new(&mut this.tcp).poll_write_vectored(cx, &bufs[first..end])
        }
    }
}

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
