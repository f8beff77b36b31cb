//! The HTTP server loop shared by the API and playback listeners.
//!
//! Our own accept loop over hyper-util rather than `axum::serve`, because that one has no header-read
//! timeout: a client that opens connections and trickles its request line (slowloris) would hold
//! each connection, and its task and buffers, forever. Here every HTTP/1 connection must deliver its
//! request headers within [`HEADER_READ_TIMEOUT`]; idle keep-alive connections are held to the same
//! bound by hyper. HTTP/2 (prior knowledge, for clients that ask) pings idle connections.
//!
//! Requests carry the peer's address as axum's `ConnectInfo<std::net::SocketAddr>`.
//!
//! Large response bodies registered with [`file_backed::register`] (live HLS segments) go out with
//! `sendfile(2)` from a memory file holding the same bytes (see [`file_backed`]).

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::time::Duration;
use tower::ServiceExt as _;

/// How long a connection may take to send a request's headers (or stay idle between requests).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` resolves; in-flight requests then get `grace` to
/// finish before their connections are dropped.
pub async fn serve_until(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    serve(listener, app, shutdown, grace, HEADER_READ_TIMEOUT).await
}

async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
    header_read_timeout: Duration,
) -> std::io::Result<()> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(Duration::from_secs(20));
    let graceful = GracefulShutdown::new();
    // Connection tasks, so the ones still open after the grace period can be aborted.
    let mut conns = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        while conns.try_join_next().is_some() {}
        let _ = stream.set_nodelay(true);
        let stream = file_backed::Conn::new(stream);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
        let conn = graceful.watch(conn);
        conns.spawn(async move {
            // Errors here are the client's (reset, timeout, malformed request): nothing to report.
            let _ = conn.await;
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(grace) => {
            tracing::warn!(
                grace_secs = grace.as_secs_f64(),
                "requests still open after the shutdown grace period; dropping them"
            );
        }
    }
    conns.shutdown().await;
    Ok(())
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

    /// A TCP connection that sends registered buffers with `sendfile` (everything else as usual).
    pub struct Conn {
        tcp: TcpStream,
    }

    impl Conn {
        /// Wraps an accepted connection.
        pub fn new(tcp: TcpStream) -> Self {
            Conn { tcp }
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
            Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::net::SocketAddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    async fn start(
        header_timeout: Duration,
        grace: Duration,
    ) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let app = axum::Router::new()
            .route("/peer", get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "done"
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(listener, app, async move { drop(rx.await) }, grace, header_timeout));
        (addr, tx)
    }

    async fn get_once(addr: SocketAddr, path: &str) -> String {
        let mut s = TcpStream::connect(addr).await.unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    /// A registered body (whole, a slice of it, after unregistering) arrives byte for byte, on
    /// keep-alive connections, next to small unregistered ones.
    #[tokio::test]
    async fn registered_bodies_arrive_whole() {
        use axum::body::Bytes;
        let data: Bytes = (0..3_000_000u32).map(|i| (i % 251) as u8).collect::<Vec<u8>>().into();
        let registration = file_backed::register(&data);
        let (whole, slice) = (data.clone(), data.slice(100_001..2_500_000));
        let app = axum::Router::new()
            .route("/whole", get(move || async move { whole.clone() }))
            .route("/slice", get(move || async move { slice.clone() }))
            .route("/small", get(|| async { "small" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(serve(
            listener,
            app,
            async move { drop(rx.await) },
            Duration::from_secs(1),
            HEADER_READ_TIMEOUT,
        ));
        let mut s = TcpStream::connect(addr).await.unwrap();
        // A slow reader: the socket fills and sendfile goes on where it stopped.
        let mut check = async |path: &str, want: &[u8]| {
            s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes()).await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(s.read_u8().await.unwrap());
            }
            let head = String::from_utf8(head).unwrap();
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            assert!(head.contains(&format!("content-length: {}\r\n", want.len())), "{head}");
            let mut body = vec![0; want.len()];
            for chunk in body.chunks_mut(200_000) {
                s.read_exact(chunk).await.unwrap();
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            assert!(body == want, "{path}: the body differs");
        };
        assert!(!file_backed::file_made(&data), "no file before the buffer is first sent");
        let before = file_backed::sent_bytes();
        check("/whole", &data).await;
        if cfg!(target_os = "linux") {
            assert!(file_backed::sent_bytes() - before >= data.len() as u64, "not sent with sendfile");
            assert!(file_backed::file_made(&data));
        }
        check("/small", b"small").await;
        check("/slice", &data[100_001..2_500_000]).await;
        drop(registration);
        check("/whole", &data).await;
    }

    #[tokio::test]
    async fn requests_see_the_peer_address() {
        let (addr, _stop) = start(Duration::from_secs(5), Duration::from_secs(1)).await;
        let mut s = TcpStream::connect(addr).await.unwrap();
        let local = s.local_addr().unwrap();
        s.write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
        assert!(out.ends_with(&local.to_string()), "{out}");
    }

    #[tokio::test]
    async fn a_connection_that_never_finishes_its_headers_is_closed() {
        let (addr, _stop) = start(Duration::from_millis(300), Duration::from_secs(1)).await;
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\n").await.unwrap();
        // Others are served meanwhile.
        assert!(get_once(addr, "/peer").await.starts_with("HTTP/1.1 200"));
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut buf)).await;
        let closed = matches!(read, Ok(Ok(_)) | Ok(Err(_)));
        assert!(closed, "the stalled connection is still open");
        assert!(!String::from_utf8_lossy(&buf).contains("200 OK"), "{buf:?}");
    }

    #[tokio::test]
    async fn shutdown_lets_requests_in_flight_finish() {
        let (addr, stop) = start(Duration::from_secs(5), Duration::from_secs(5)).await;
        let slow = tokio::spawn(get_once(addr, "/slow"));
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.send(()).unwrap();
        let out = slow.await.unwrap();
        assert!(out.starts_with("HTTP/1.1 200") && out.ends_with("done"), "{out}");
        // The listener is gone.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(TcpStream::connect(addr).await.is_err());
    }

    #[tokio::test]
    async fn shutdown_drops_stalled_connections_after_the_grace_period() {
        let (addr, stop) = start(Duration::from_secs(60), Duration::from_millis(200)).await;
        let mut stalled = TcpStream::connect(addr).await.unwrap();
        stalled.write_all(b"GET /peer HTTP/1.1\r\nhost: x\r\n").await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.send(()).unwrap();
        let mut buf = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), stalled.read_to_end(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(_)) | Ok(Err(_))), "the stalled connection outlived the grace period");
    }
}
