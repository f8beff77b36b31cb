//! Accept loops for RTMP (plain TCP) and RTMPS (TLS): one task per connection, so a slow, stalled or
//! hostile client holds only its own task, within the session's time and byte limits.
//!
//! Two caps keep a flood of connections that never publish from taking the slots of encoders that
//! do (issue 16: silent connections at ~800/s from 10 addresses filled all 4,096 slots): each
//! listener serves at most [`Limits::max_connections`] at once, and one address (an IPv6 /64) holds
//! at most [`Limits::max_pending_per_address`] of them *until they publish*. A publishing encoder no
//! longer counts against its address, so a NAT'd studio with many encoders is capped only while
//! they connect. Refusals and accept failures are logged once per address per minute with a count
//! ([`crate::admission::Tally`]), not once each.

use super::{Limits, SessionConfig, run_session};
use crate::admission::{AcceptErrors, AddressSlot, PerAddress, Tally};
use crate::ingest::{Authorized, IngestHandler, PublishRequest, Refusal};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;
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

/// The handler as one connection sees it: its address's pending slot is released once its publish
/// has been answered (an encoder that goes live no longer counts against its address).
struct Pending<H> {
    handler: Arc<H>,
    slot: Mutex<Option<AddressSlot>>,
}

#[async_trait::async_trait]
impl<H: IngestHandler> IngestHandler for Pending<H> {
    async fn authorize(&self, request: PublishRequest) -> Result<Authorized, Refusal> {
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
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                if over_listener_cap.note(peer.ip(), Instant::now()) {
                    tracing::warn!(%peer, listener = what, "too many ingest connections; closing new ones (counted per address for a minute)");
                }
                continue;
            };
            let _ = sock.set_nodelay(true);
            let cfg = SessionConfig { secure: tls.is_some(), peer: Some(peer), limits: limits.clone() };
            let tls = tls.clone();
            let handler = Pending { handler: handler.clone(), slot: Mutex::new(Some(slot)) };
            tokio::spawn(async move {
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
