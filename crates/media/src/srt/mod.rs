//! SRT ingest (issue 12; IVS: `srt://<srt.endpoint>:9000?streamid=<streamKey>&passphrase=<srt.passphrase>`):
//! one UDP listener for every channel. A caller's stream id names the stream key ([`streamid`]);
//! before the handshake completes the handler looks up the channel's passphrase
//! ([`IngestHandler::srt_secret`]), and the handshake accepts the caller only if it encrypts with that
//! passphrase, at the key length it asked for (AES-128/192/256). Refusals are SRT reject codes in the
//! handshake ([`reject_reason`]); SRT is always encrypted here (see [`connection`]). Once connected, the MPEG-TS it sends is demuxed
//! ([`crate::mpegts`]) into the same sink as RTMP's, with the same stop signal, starvation timeout and
//! maximum duration.
//!
//! **Why srt-tokio** (pure Rust, russelltg/srt-rs) rather than libsrt through an FFI of our own: the
//! workspace forbids `unsafe` code, the server is tokio throughout, and srt-tokio's listener hands
//! each connection request to us before it answers the handshake, with the stream id and key length,
//! so the passphrase is chosen per channel (libsrt's listen callback does the same, on its own
//! threads). The build stays `cargo build` with no system library. Its README calls it "not
//! production ready"; the end-to-end tests publish with Debian's ffmpeg and libsrt (interop), through
//! a relay that drops and reorders packets (loss recovery). What we keep in mind about it: its logging
//! prints handshakes (stream ids: stream keys), so it is compiled out (`log_disable`); srt-protocol
//! 0.4.4 has `unimplemented!`s on handshake paths (a key length other than the one announced, key
//! material where none was expected, handshake extensions it does not know, such as libsrt's packet
//! filter), so callers are always accepted with the key length they announced and with a passphrase,
//! which keeps the first two out of reach, and a listener task that dies all the same is bound
//! again ([`serve`]).

pub mod streamid;

use crate::admission::{PerAddress, Tally};
use crate::frame::MediaItem;
use crate::ingest::{Authorized, EndReason, IngestHandler, LinkStats, Protocol, PublishRequest, Refusal};
use crate::mpegts::Demuxer;
use crate::rtmp::{Limits, Listener};
use futures::StreamExt;
use srt_tokio::access::{RejectReason, ServerRejectReason};
use srt_tokio::options::Passphrase;
use srt_tokio::{ConnectionRequest, SocketStatistics, SrtListener, SrtSocket};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};

/// The receiver latency we offer: SRT's default for live mode, 120 ms. The connection uses the larger
/// of this and the caller's (ffmpeg's `latency=` option, OBS's "latency").
pub const LATENCY: Duration = Duration::from_millis(120);

/// The UDP receive buffer asked for: 50 streams of 6 Mbit/s burst a few MiB within one scheduling
/// delay (the kernel caps it at `net.core.rmem_max` unless run as root).
const UDP_RECV_BUFFER: usize = 8 << 20;

/// The SRT reject code a refusal is answered with (SRT access control's codes: Haivision
/// `docs/features/access-control.md`; on the wire 1000 more than libsrt's `SRT_REJX_*`).
pub fn reject_reason(refusal: Refusal) -> RejectReason {
    use srt_protocol::packet::CoreRejectReason;
    use srt_tokio::access::RejectReason::{Core, Server};
    match refusal {
        // 1401 "unauthorized": the credentials (the stream key) are wrong.
        Refusal::BadKey => Server(ServerRejectReason::Unauthorized),
        // SRT_REJ_UNSECURE: a passphrase is required.
        Refusal::InsecureNotAllowed => Core(CoreRejectReason::Unsecure),
        // SRT_REJ_BADSECRET: the passphrase is wrong.
        Refusal::BadPassphrase => Core(CoreRejectReason::BadSecret),
        // 1409 "conflict": the resource is already in use by another publisher.
        Refusal::AlreadyPublishing => Server(ServerRejectReason::Conflict),
        // 1503 "service unavailable".
        Refusal::Unavailable => Server(ServerRejectReason::Down),
    }
}

/// How an SRT connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It published, then ended for this reason.
    Ended(EndReason),
    /// It was refused (in the handshake, or after it when a race lost the channel).
    Refused(Refusal),
    /// Refused for its stream id or its address, or gone before it published (the reason, without
    /// secrets).
    Closed(String),
}

/// The figures of a connection's statistics.
fn link_stats(s: &SocketStatistics, latency: Duration) -> LinkStats {
    LinkStats {
        packets: s.rx_data,
        retransmitted: s.rx_retransmit_data,
        loss_reports: s.tx_nak,
        dropped: s.rx_dropped_data,
        decrypt_errors: s.rx_decrypt_errors,
        latency_ms: u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
    }
}

/// Serves SRT on `socket` until `shutdown` becomes true.
pub fn serve<H: IngestHandler>(
    socket: std::net::UdpSocket,
    handler: Arc<H>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<Listener> {
    let local_addr = socket.local_addr()?;
    socket.set_nonblocking(true)?;
    let _ = socket2::SockRef::from(&socket).set_recv_buffer_size(UDP_RECV_BUFFER);
    let mut socket = Some(tokio::net::UdpSocket::from_std(socket)?);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let pending = PerAddress::new(limits.max_pending_per_address);
    let over_cap = Arc::new(Tally::new("SRT connections refused over the per-address or listener cap"));
    over_cap.flush_periodically();
    let task = tokio::spawn(async move {
        loop {
            let udp = match socket.take() {
                Some(s) => s,
                None => match tokio::net::UdpSocket::bind(local_addr).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::warn!(error = %e, %local_addr, "binding SRT ingest again failed; retrying");
                        tokio::select! {
                            () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                            () = crate::rtmp::until_true(&mut shutdown) => break,
                        }
                    }
                },
            };
            let bound = SrtListener::builder().latency(LATENCY).socket(udp).bind(local_addr).await;
            let (listener, mut incoming) = match bound {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!(error = %e, "starting the SRT listener failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            loop {
                let request = tokio::select! {
                    r = incoming.incoming().next() => r,
                    () = crate::rtmp::until_true(&mut shutdown) => {
                        drop(listener);
                        return;
                    }
                };
                let Some(request) = request else { break };
                let peer = request.remote();
                let Some(slot) = pending.try_acquire(peer.ip()) else {
                    if over_cap.note(peer.ip(), Instant::now()) {
                        tracing::warn!(%peer, "too many SRT handshakes from this address; refusing new ones (counted for a minute)");
                    }
                    let _ = request.reject(RejectReason::Server(ServerRejectReason::Overload)).await;
                    continue;
                };
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    if over_cap.note(peer.ip(), Instant::now()) {
                        tracing::warn!(%peer, "too many SRT connections; refusing new ones (counted per address for a minute)");
                    }
                    let _ = request.reject(RejectReason::Server(ServerRejectReason::Overload)).await;
                    continue;
                };
                let (handler, limits, stop) = (handler.clone(), limits.clone(), shutdown.clone());
                tokio::spawn(async move {
                    let outcome = connection(request, handler.as_ref(), &limits, slot, stop).await;
                    tracing::debug!(%peer, ?outcome, "SRT connection closed");
                    drop(permit);
                });
            }
            // The listener's task ended without being asked to: it panicked (srt-protocol is young).
            // Its connections lose their packets and time out; bind the port again once they have.
            drop(listener);
            tracing::error!(%local_addr, "the SRT listener stopped unexpectedly; binding it again");
        }
    });
    Ok(Listener { local_addr, task })
}

/// One connection request, from the handshake to the end of its stream.
async fn connection<H: IngestHandler + ?Sized>(
    request: ConnectionRequest,
    handler: &H,
    limits: &Limits,
    slot: crate::admission::AddressSlot,
    stop_all: watch::Receiver<bool>,
) -> Outcome {
    let peer = request.remote();
    if !handler.admit(peer) {
        let _ = request.reject(RejectReason::Server(ServerRejectReason::Overload)).await;
        return Outcome::Closed("address out of attempts".into());
    }
    let publish = match streamid::parse(request.stream_id().map_or("", |s| s.as_str())) {
        Ok(p) => p,
        Err(e) => {
            let reason = match e {
                streamid::StreamIdError::NotPublish => ServerRejectReason::BadMode,
                _ => ServerRejectReason::BadRequest,
            };
            let _ = request.reject(RejectReason::Server(reason)).await;
            return Outcome::Closed(e.to_string());
        }
    };
    let mut req = PublishRequest {
        app: String::new(),
        stream_key: publish.key,
        secure: true,
        peer: Some(peer),
        protocol: Protocol::Srt,
    };
    let refuse = |request: ConnectionRequest, why: Refusal| async move {
        let _ = request.reject(reject_reason(why)).await;
        Outcome::Refused(why)
    };
    let secret = match tokio::time::timeout(limits.setup_timeout, handler.srt_secret(&req)).await {
        Ok(Ok(s)) => s,
        Ok(Err(why)) => return refuse(request, why).await,
        Err(_) => return refuse(request, Refusal::Unavailable).await,
    };
    let Ok(passphrase) = Passphrase::try_from(secret.passphrase.clone()) else {
        tracing::error!("the channel's SRT passphrase is not 10 to 79 characters");
        return refuse(request, Refusal::Unavailable).await;
    };
    // Every caller is accepted with the channel's passphrase at the key length it announced; the
    // handshake then refuses a wrong passphrase (SRT_REJ_BADSECRET) or a caller without encryption
    // (SRT_REJ_UNSECURE). libsrt callers without `pbkeylen` announce none (0) and send AES-128 key
    // material, which srt-protocol reads as 16 bytes. Unencrypted SRT is refused even on channels
    // with `insecureIngest`: srt-protocol 0.4.4 does not tell us whether a caller that announces no
    // key length sends key material, and accepting one that does without a passphrase panics it.
    let keys = srt_protocol::settings::KeySettings { key_size: request.key_size(), passphrase };
    // The handshake completes (or fails on the passphrase) when the listener has our answer.
    let socket = match tokio::time::timeout(limits.setup_timeout, request.accept(Some(keys))).await {
        Ok(Ok(s)) => s,
        Ok(Err(_)) => {
            handler.refused_in_handshake(&req, Refusal::BadPassphrase);
            return Outcome::Refused(Refusal::BadPassphrase);
        }
        Err(_) => return Outcome::Closed("handshake timed out".into()),
    };
    req.app = crate::rtmp::APP.into();
    let authorized = handler.authorize(req).await;
    // Publishing or not, this connection no longer counts against its address's handshakes.
    drop(slot);
    let mut socket = socket;
    match authorized {
        Ok(a) => Outcome::Ended(publish_loop(&mut socket, a, limits, stop_all, peer).await),
        Err(why) => {
            // Lost a race after the handshake (another encoder went live first): close at once.
            let _ = tokio::time::timeout(Duration::from_secs(1), futures::SinkExt::close(&mut socket)).await;
            Outcome::Refused(why)
        }
    }
}

/// The publishing phase: MPEG-TS into the sink until the caller leaves, the server stops it, it
/// starves or reaches the maximum duration.
async fn publish_loop(
    socket: &mut SrtSocket,
    authorized: Authorized,
    limits: &Limits,
    mut stop_all: watch::Receiver<bool>,
    peer: SocketAddr,
) -> EndReason {
    let Authorized { mut sink, mut stop } = authorized;
    let mut statistics = socket.statistics().clone();
    let latency = socket.settings().recv_tsbpd_latency;
    let mut link = link_stats(&SocketStatistics::default(), latency);
    sink.link(link);
    let mut demux = Demuxer::new();
    let mut items: Vec<MediaItem> = Vec::new();
    let mut last_media = tokio::time::Instant::now();
    // One timer for the whole stream, not one registered again for every message.
    let max_duration = tokio::time::sleep(limits.max_duration);
    tokio::pin!(max_duration);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let reason = loop {
        tokio::select! {
            message = socket.next() => match message {
                Some(Ok((_, data))) => {
                    demux.push(&data, &mut items);
                    for item in items.drain(..) {
                        if matches!(item, MediaItem::Frame(_)) {
                            last_media = tokio::time::Instant::now();
                        }
                        sink.media(item);
                    }
                }
                // SRT's shutdown message, or a peer that stopped answering (SRT's own 5 s timeout).
                Some(Err(_)) => break EndReason::Disconnected,
                None => break EndReason::Unpublished,
            },
            Some(s) = statistics.next() => {
                link = link_stats(&s, latency);
                sink.link(link);
            }
            () = crate::rtmp::until_true(&mut stop) => break EndReason::Stopped,
            () = crate::rtmp::until_true(&mut stop_all) => break EndReason::Stopped,
            _ = tick.tick() => {
                if last_media.elapsed() >= limits.starvation_timeout {
                    break EndReason::Starved;
                }
            }
            () = &mut max_duration => break EndReason::MaxDuration,
        }
    };
    demux.flush(&mut items);
    for item in items.drain(..) {
        sink.media(item);
    }
    sink.end(reason.clone());
    if reason != EndReason::Unpublished {
        let _ = tokio::time::timeout(Duration::from_secs(1), futures::SinkExt::close(socket)).await;
    }
    let d = demux.stats();
    tracing::info!(
        %peer,
        ?reason,
        packets = link.packets,
        retransmitted = link.retransmitted,
        loss_reports = link.loss_reports,
        dropped = link.dropped,
        decrypt_errors = link.decrypt_errors,
        latency_ms = link.latency_ms,
        ts_lost_packets = d.lost_packets,
        ts_dropped_pes = d.dropped_pes,
        ts_skipped_frames = d.skipped_frames,
        "SRT publisher gone"
    );
    reason
}

#[cfg(test)]
mod tests;
