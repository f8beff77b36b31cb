//! A UDP relay on loopback that loses and reorders packets, for SRT tests and benchmarks: an encoder
//! sends to [`Relay::addr`], the relay forwards to the server (and the server's answers back to the
//! encoder's last address), dropping a share of the datagrams in both directions and holding some
//! back behind the next one. A fixed seed makes a run's losses repeatable. Loopback only.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::net::UdpSocket;

/// What the relay did, both directions together.
#[derive(Default, Debug)]
pub struct RelayStats {
    /// Datagrams received.
    pub seen: AtomicU64,
    /// Datagrams dropped.
    pub dropped: AtomicU64,
    /// Datagrams sent after the one that followed them.
    pub reordered: AtomicU64,
}

/// A running relay; it stops when dropped.
pub struct Relay {
    /// Where the encoder sends.
    pub addr: SocketAddr,
    /// Its counters.
    pub stats: Arc<RelayStats>,
    task: tokio::task::JoinHandle<()>,
}

/// xorshift64*: a small repeatable generator (no need for a crate).
struct Rng(u64);

impl Rng {
    /// A number in 0..100.
    fn percent(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) % 100
    }
}

impl Relay {
    /// Relays to `server`, dropping `loss` % and reordering `reorder` % of the datagrams.
    pub async fn start(server: SocketAddr, loss: u64, reorder: u64) -> std::io::Result<Relay> {
        let front = UdpSocket::bind("127.0.0.1:0").await?;
        let back = UdpSocket::bind("127.0.0.1:0").await?;
        back.connect(server).await?;
        let addr = front.local_addr()?;
        let stats = Arc::new(RelayStats::default());
        let counters = stats.clone();
        let task = tokio::spawn(async move {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
            let mut client: Option<SocketAddr> = None;
            // One held-back datagram per direction: (to the server?, bytes).
            let mut held: [Option<Vec<u8>>; 2] = [None, None];
            let (mut up, mut down) = (vec![0u8; 2048], vec![0u8; 2048]);
            loop {
                let (to_server, data) = tokio::select! {
                    r = front.recv_from(&mut up) => match r {
                        Ok((n, from)) => {
                            client = Some(from);
                            (true, up[..n].to_vec())
                        }
                        Err(_) => continue,
                    },
                    r = back.recv(&mut down) => match r {
                        Ok(n) => (false, down[..n].to_vec()),
                        Err(_) => continue,
                    },
                };
                counters.seen.fetch_add(1, Ordering::Relaxed);
                if rng.percent() < loss {
                    counters.dropped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let slot = usize::from(to_server);
                let mut out = vec![data];
                if rng.percent() < reorder && held[slot].is_none() {
                    held[slot] = out.pop();
                    counters.reordered.fetch_add(1, Ordering::Relaxed);
                } else if let Some(h) = held[slot].take() {
                    out.push(h);
                }
                for d in out {
                    if to_server {
                        let _ = back.send(&d).await;
                    } else if let Some(c) = client {
                        let _ = front.send_to(&d, c).await;
                    }
                }
            }
        });
        Ok(Relay { addr, stats, task })
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.task.abort();
    }
}
