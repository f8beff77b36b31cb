//! Accept loops for RTMP (plain TCP) and RTMPS (TLS): one task per connection, so a slow, stalled or
//! hostile client holds only its own task, within the session's time and byte limits.

use super::{Limits, SessionConfig, run_session};
use crate::ingest::IngestHandler;
use std::net::SocketAddr;
use std::sync::Arc;
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
    let task = tokio::spawn(async move {
        loop {
            let (sock, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // EMFILE and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "ingest accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = super::until_true(&mut shutdown) => break,
            };
            if !handler.admit(peer) {
                tracing::debug!(%peer, "ingest connection refused at accept");
                continue;
            }
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                tracing::warn!(%peer, "too many ingest connections; closing a new one");
                continue;
            };
            let _ = sock.set_nodelay(true);
            let cfg = SessionConfig { secure: tls.is_some(), peer: Some(peer), limits: limits.clone() };
            let (tls, handler) = (tls.clone(), handler.clone());
            tokio::spawn(async move {
                let outcome = match tls {
                    Some(acceptor) => {
                        match tokio::time::timeout(cfg.limits.setup_timeout, acceptor.accept(sock)).await {
                            Ok(Ok(stream)) => run_session(stream, handler.as_ref(), &cfg).await,
                            Ok(Err(e)) => super::Outcome::Closed(format!("TLS handshake failed: {e}")),
                            Err(_) => super::Outcome::Closed("TLS handshake timed out".into()),
                        }
                    }
                    None => run_session(sock, handler.as_ref(), &cfg).await,
                };
                tracing::debug!(%peer, secure = cfg.secure, ?outcome, "ingest connection closed");
                drop(permit);
            });
        }
    });
    Ok(Listener { local_addr, task })
}
