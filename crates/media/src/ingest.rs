//! The narrow interface between an ingest session and whoever decides who may publish (the server's
//! control plane): [`IngestHandler::authorize`] turns an RTMP `publish` or an SRT connection into a
//! [`MediaSink`] and a stop signal, or a [`Refusal`] that the session reports before closing (an RTMP
//! `onStatus`, an SRT handshake reject code). SRT asks first for the channel's passphrase
//! ([`IngestHandler::srt_secret`]), since it is checked during the handshake.

use crate::frame::MediaItem;
use std::net::SocketAddr;
use tokio::sync::watch;

/// A request to publish, as the encoder sent it.
#[derive(Clone, Debug)]
pub struct PublishRequest {
    /// The RTMP application (`app` in `rtmps://host/app/<key>`).
    pub app: String,
    /// The stream key (the publishing name). A secret: never log it.
    pub stream_key: String,
    /// True over RTMPS and encrypted SRT, false over plain RTMP and unencrypted SRT.
    pub secure: bool,
    /// The encoder's address.
    pub peer: Option<SocketAddr>,
    /// How it publishes.
    pub protocol: Protocol,
}

/// An ingest protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// RTMP or RTMPS (`secure` tells which).
    Rtmp,
    /// SRT carrying MPEG-TS.
    Srt,
}

impl Protocol {
    /// The name logs and sessions use: `RTMP`, `RTMPS`, `SRT`.
    pub fn name(self, secure: bool) -> &'static str {
        match (self, secure) {
            (Protocol::Rtmp, true) => "RTMPS",
            (Protocol::Rtmp, false) => "RTMP",
            (Protocol::Srt, _) => "SRT",
        }
    }
}

/// What an SRT caller must present for a channel, looked up before its handshake completes.
#[derive(Clone, PartialEq, Eq)]
pub struct SrtSecret {
    /// The channel's `srt.passphrase`. A secret: never log it.
    pub passphrase: String,
}

impl std::fmt::Debug for SrtSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrtSecret").finish_non_exhaustive()
    }
}

/// Why a publish is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No current stream key has this value (unknown, deleted, or the wrong application).
    #[error("invalid stream key")]
    BadKey,
    /// Plain RTMP or unencrypted SRT to a channel that does not allow insecure ingest.
    #[error("this channel accepts encrypted ingest only (RTMPS, or SRT with the channel's passphrase)")]
    InsecureNotAllowed,
    /// SRT encrypted with another passphrase than the channel's, or not encrypted.
    #[error("wrong or missing SRT passphrase")]
    BadPassphrase,
    /// The channel is already live with another encoder.
    #[error("the channel is already live")]
    AlreadyPublishing,
    /// The server could not decide (storage failure); the encoder may retry.
    #[error("temporarily unavailable")]
    Unavailable,
}

impl Refusal {
    /// The RTMP `onStatus` code sent to the encoder.
    pub fn status_code(self) -> &'static str {
        match self {
            Refusal::BadKey | Refusal::AlreadyPublishing => "NetStream.Publish.BadName",
            Refusal::InsecureNotAllowed | Refusal::BadPassphrase => "NetStream.Publish.Denied",
            Refusal::Unavailable => "NetStream.Publish.Failed",
        }
    }
}

/// Stream metadata from `@setDataFrame`/`onMetaData`: what the encoder says about itself. The server
/// measures the stream; these only fill in what cannot be measured (the encoder's name).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamMetadata {
    /// `encoder`, e.g. `Lavf59.27.100` or `obs-output module (libobs version 30.0.0)`.
    pub encoder: Option<String>,
    /// `width` and `height` as declared.
    pub width: Option<f64>,
    /// Declared height.
    pub height: Option<f64>,
    /// `framerate` as declared.
    pub frame_rate: Option<f64>,
    /// `videodatarate`, kbit/s as declared.
    pub video_kbps: Option<f64>,
    /// `audiodatarate`, kbit/s as declared.
    pub audio_kbps: Option<f64>,
}

/// Why a publishing session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndReason {
    /// The encoder unpublished (`FCUnpublish`/`deleteStream`) or closed the connection cleanly.
    Unpublished,
    /// The connection broke (reset, TLS error, write timeout) without an unpublish.
    Disconnected,
    /// The server stopped it (StopStream, key deleted, shutdown).
    Stopped,
    /// No media arrived for the starvation timeout.
    Starved,
    /// The stream reached its maximum duration.
    MaxDuration,
    /// The encoder sent something that is not RTMP.
    ProtocolError(String),
}

/// The figures of an SRT publisher's link, from the receiving side (RTMP's TCP has none worth
/// showing). srt-protocol 0.4.4 does not keep libsrt's round-trip time or loss counters: loss shows as
/// the reports (NAKs) sent and the retransmissions that answered them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Data packets received, retransmissions included.
    pub packets: u64,
    /// Retransmitted packets received.
    pub retransmitted: u64,
    /// Loss reports (NAKs) sent: each asks again for packets detected missing.
    pub loss_reports: u64,
    /// Packets given up on (too late for the latency budget).
    pub dropped: u64,
    /// Packets that failed to decrypt.
    pub decrypt_errors: u64,
    /// The latency negotiated with the encoder: how long the receive buffer holds packets, ms.
    pub latency_ms: u64,
}

/// Where an authorized session puts what it receives. Calls never wait: an implementation hands
/// frames to a [`crate::hub::Hub`] and updates counters.
pub trait MediaSink: Send {
    /// A codec configuration or frame.
    fn media(&mut self, item: MediaItem);
    /// Stream metadata (`onMetaData`).
    fn metadata(&mut self, meta: StreamMetadata);
    /// The link's latest figures (SRT), about once a second.
    fn link(&mut self, _stats: LinkStats) {}
    /// The session ended; called exactly once.
    fn end(self: Box<Self>, reason: EndReason);
}

/// An accepted publish.
pub struct Authorized {
    /// Receives the media.
    pub sink: Box<dyn MediaSink>,
    /// Becomes `true` when the server wants the encoder disconnected now.
    pub stop: watch::Receiver<bool>,
}

/// Decides who may publish.
#[async_trait::async_trait]
pub trait IngestHandler: Send + Sync + 'static {
    /// Accepts or refuses a publish. Must answer promptly; the session's handshake deadline runs.
    async fn authorize(&self, request: PublishRequest) -> Result<Authorized, Refusal>;

    /// SRT: the secret of the channel whose stream key the caller gave, so that the handshake can check
    /// its encryption; refuses a wrong key (counted as [`IngestHandler::authorize`] counts it) or a
    /// channel that is already live. [`IngestHandler::authorize`] still decides once the handshake is
    /// done. Handlers that serve no SRT keep the default, which refuses.
    async fn srt_secret(&self, _request: &PublishRequest) -> Result<SrtSecret, Refusal> {
        Err(Refusal::Unavailable)
    }

    /// SRT: a caller's handshake failed on the passphrase; counted against its address like a wrong key.
    fn refused_in_handshake(&self, _request: &PublishRequest, _why: Refusal) {}

    /// Whether to serve a new connection from `peer` at all; false closes it at accept, before any
    /// TLS or RTMP work (an address that keeps failing to authorize).
    fn admit(&self, _peer: SocketAddr) -> bool {
        true
    }
}
