//! Accept loops for RTMP (plain TCP) and RTMPS (TLS): one task per connection, so a slow, stalled or
//! hostile client holds only its own task, within the session's time and byte limits.
//!
//! Two caps keep a flood of connections that never publish from taking the slots of encoders that
//! do (issue 16: silent connections at ~800/s from 10 addresses filled all 4,096 slots): each
//! listener serves at most [`Limits::max_connections`] at once, and one address (an IPv6 /64) holds
//! at most [`Limits::max_pending_per_address`] of them *until they publish*. A publishing encoder no
//! longer counts against its address, so a NAT'd studio with many encoders is capped only while
//! they connect. When the listener is full all the same (a flood from many addresses), the oldest
//! connection that has not published is closed to make room for the new one: a real encoder gets to
//! `publish` within a few round trips, so a flood churns through its own connections and not through
//! encoders. Refusals and accept failures are logged once per address per minute with a count
//! ([`crate::admission::Tally`]), not once each.

use super::{Limits, SessionConfig, run_session};
use crate::admission::{AcceptErrors, AddressSlot, PerAddress, Tally};
use crate::ingest::{Authorized, IngestHandler, PublishRequest, Refusal};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio_rustls::TlsAcceptor;

/// A running listener.
pub struct Listener {
    /// The bound address.
    pub local_addr: SocketAddr,
    /// The accept loop.
    pub task: tokio::task::JoinHandle<()>,
}

/// How long a new connection waits for the place of the one closed to make room for it.
const EVICTION_WAIT: Duration = Duration::from_secs(1);

/// What the accept loop and one connection share until it publishes.
#[derive(Default)]
struct PendingState {
    /// Its publish reached the handler: never closed to make room from then on.
    published: AtomicBool,
    /// Closed to make room: its reads fail from now on.
    evicted: AtomicBool,
    /// The reader to wake when it is evicted.
    waker: Mutex<Option<Waker>>,
}

impl PendingState {
    /// Closes the connection if it has not published; whether it was closed.
    fn evict(&self) -> bool {
        if self.published.load(Ordering::SeqCst) || self.evicted.swap(true, Ordering::SeqCst) {
            return false;
        }
        if let Some(w) = self.waker.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            w.wake();
        }
        true
    }

    fn evictable(&self) -> bool {
        !self.published.load(Ordering::SeqCst) && !self.evicted.load(Ordering::SeqCst)
    }
}

/// The connections that may be closed to make room, oldest first (entries of connections that
/// closed or published are skipped, and swept when the queue grows past twice the listener's cap).
struct Evictable {
    queue: VecDeque<Weak<PendingState>>,
    cap: usize,
}

impl Evictable {
    fn push(&mut self, state: &Arc<PendingState>) {
        if self.queue.len() >= 2 * self.cap {
            self.queue.retain(|w| w.upgrade().is_some_and(|s| s.evictable()));
        }
        self.queue.push_back(Arc::downgrade(state));
    }

    /// Closes the oldest connection that has not published; false if there is none.
    fn evict_oldest(&mut self) -> bool {
        while let Some(w) = self.queue.pop_front() {
            if w.upgrade().is_some_and(|s| s.evict()) {
                return true;
            }
        }
        false
    }
}

/// A connection whose reads fail once it is evicted (before it published), waking a reader that
/// waits: the session then ends as if the client had gone.
struct Conn<S> {
    io: S,
    state: Arc<PendingState>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Conn<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if !this.state.published.load(Ordering::SeqCst) {
            // The waker first, then the flag: an eviction in between still wakes this read.
            *this.state.waker.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some(cx.waker().clone());
            if this.state.evicted.load(Ordering::SeqCst) && !this.state.published.load(Ordering::SeqCst) {
                return Poll::Ready(Err(std::io::ErrorKind::ConnectionAborted.into()));
            }
        }
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Conn<S> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// The handler as one connection sees it: its address's pending slot is released once its publish
/// has been answered (an encoder that goes live no longer counts against its address), and from its
/// publish on it is never closed to make room.
struct Pending<H> {
    handler: Arc<H>,
    slot: Mutex<Option<AddressSlot>>,
    state: Arc<PendingState>,
}

#[async_trait::async_trait]
impl<H: IngestHandler> IngestHandler for Pending<H> {
    async fn authorize(&self, request: PublishRequest) -> Result<Authorized, Refusal> {
        self.state.published.store(true, Ordering::SeqCst);
        let answer = self.handler.authorize(request).await;
        drop(self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take());
        answer
    }

    fn admit(&self, peer: SocketAddr) -> bool {
        self.handler.admit(peer)
    }
}

/// Serves RTMP on `listener`, or RTMPS when `tls` is given, until `shutdown` becomes true.
pub fn serve<H: IngestHandler>(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    handler: Arc<H>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<Listener> {
    let local_addr = listener.local_addr()?;
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let pending = PerAddress::new(limits.max_pending_per_address);
    let what = if tls.is_some() { "RTMPS ingest" } else { "RTMP ingest" };
    let over_address_cap = Arc::new(Tally::new("ingest connections refused over the per-address cap"));
    let over_listener_cap = Arc::new(Tally::new("ingest connections refused over the listener's cap"));
    over_address_cap.flush_periodically();
    over_listener_cap.flush_periodically();
    let task = tokio::spawn(async move {
        let mut errors = AcceptErrors::default();
        let mut evictable = Evictable { queue: VecDeque::new(), cap: limits.max_connections.max(1) };
        loop {
            let (sock, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tokio::time::sleep(errors.failed(what, &e)).await;
                        continue;
                    }
                },
                () = super::until_true(&mut shutdown) => break,
            };
            errors.succeeded();
            if !handler.admit(peer) {
                tracing::debug!(%peer, "ingest connection refused at accept");
                continue;
            }
            let Some(slot) = pending.try_acquire(peer.ip()) else {
                if over_address_cap.note(peer.ip(), Instant::now()) {
                    tracing::warn!(%peer, listener = what, "too many ingest connections from this address before publish; closing new ones (counted for a minute)");
                }
                continue;
            };
            let permit = slots.clone().try_acquire_owned().ok();
            if permit.is_none() && !evictable.evict_oldest() {
                if over_listener_cap.note(peer.ip(), Instant::now()) {
                    tracing::warn!(%peer, listener = what, "too many ingest connections; closing new ones (counted per address for a minute)");
                }
                continue;
            }
            let _ = sock.set_nodelay(true);
            let cfg = SessionConfig { secure: tls.is_some(), peer: Some(peer), limits: limits.clone() };
            let (tls, slots) = (tls.clone(), slots.clone());
            let state = Arc::new(PendingState::default());
            evictable.push(&state);
            let sock = Conn { io: sock, state: state.clone() };
            let handler = Pending { handler: handler.clone(), slot: Mutex::new(Some(slot)), state };
            tokio::spawn(async move {
                let permit = match permit {
                    Some(p) => p,
                    // The place of the connection just closed to make room.
                    None => match tokio::time::timeout(EVICTION_WAIT, slots.acquire_owned()).await {
                        Ok(Ok(p)) => p,
                        _ => return,
                    },
                };
                let outcome = match tls {
                    Some(acceptor) => {
                        match tokio::time::timeout(cfg.limits.setup_timeout, acceptor.accept(sock)).await {
                            Ok(Ok(stream)) => run_session(stream, &handler, &cfg).await,
                            Ok(Err(e)) => super::Outcome::Closed(format!("TLS handshake failed: {e}")),
                            Err(_) => super::Outcome::Closed("TLS handshake timed out".into()),
                        }
                    }
                    None => run_session(sock, &handler, &cfg).await,
                };
                tracing::debug!(%peer, secure = cfg.secure, ?outcome, "ingest connection closed");
                drop(permit);
            });
        }
    });
    Ok(Listener { local_addr, task })
}
