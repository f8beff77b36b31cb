//! RTMP and RTMPS ingest (ivs-behaviour.md §3): listeners and the per-connection session. The
//! handshake and the encoding of our replies are scuffle-rtmp's; the chunk stream reader is ours
//! ([`chunk`]: bounded memory, wrapping timestamps, no panics); the session loop is ours,
//! so that refusals get a proper `onStatus` before the close, the time and bytes a client may take
//! before it is authorized are bounded, and a publisher can be stopped, starved out or timed out.

pub mod chunk;
mod listen;
mod messages;
mod metadata;
mod session;

pub use listen::{Listener, serve};
pub use session::{Outcome, run_session};

use std::net::SocketAddr;
use std::time::Duration;

/// Limits of ingest sessions.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Time from TCP accept to an accepted publish (TLS and RTMP handshakes, connect, publish).
    pub setup_timeout: Duration,
    /// A publisher that sends no media for this long is disconnected (IVS: 30 s).
    pub starvation_timeout: Duration,
    /// A stream ends after this long (IVS: 48 h).
    pub max_duration: Duration,
    /// Connections served at once per listener; more are closed at accept.
    pub max_connections: usize,
    /// Connections one address (an IPv6 /64) may hold at once before they publish; more are closed
    /// at accept. Publishing encoders do not count.
    pub max_pending_per_address: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // A real encoder needs well under a second (TLS, handshake, connect, publish: four round
            // trips); 5 s leaves room for a slow link while a silent connection holds its slot half
            // as long as it did with 10 s.
            setup_timeout: Duration::from_secs(5),
            starvation_timeout: Duration::from_secs(30),
            max_duration: Duration::from_secs(48 * 3600),
            max_connections: 4096,
            // Encoders that connect at once from one address: a studio behind one NAT. Silent
            // connections from 10 addresses then hold at most 160 slots.
            max_pending_per_address: 16,
        }
    }
}

/// What a session knows about its connection.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// RTMPS (true) or plain RTMP.
    pub secure: bool,
    /// The encoder's address.
    pub peer: Option<SocketAddr>,
    /// The limits.
    pub limits: Limits,
}

/// The only RTMP application openivs serves: `rtmps://host/app/<streamKey>`.
pub const APP: &str = "app";

/// Resolves when the flag becomes true, or its sender is gone.
pub(crate) async fn until_true(flag: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = flag.wait_for(|v| *v).await;
}

#[cfg(test)]
mod tests;
