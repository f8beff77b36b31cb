//! The narrow interface between an ingest session and whoever decides who may publish (the server's
//! control plane): [`IngestHandler::authorize`] turns an RTMP `publish` into a [`MediaSink`] and a stop
//! signal, or a [`Refusal`] that the session reports with the matching RTMP status before closing.

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
    /// True over RTMPS, false over plain RTMP.
    pub secure: bool,
    /// The encoder's address.
    pub peer: Option<SocketAddr>,
}

/// Why a publish is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No current stream key has this value (unknown, deleted, or the wrong application).
    #[error("invalid stream key")]
    BadKey,
    /// Plain RTMP to a channel that does not allow insecure ingest.
    #[error("this channel accepts RTMPS only")]
    InsecureNotAllowed,
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
            Refusal::InsecureNotAllowed => "NetStream.Publish.Denied",
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

/// Where an authorized session puts what it receives. Calls never wait: an implementation hands
/// frames to a [`crate::hub::Hub`] and updates counters.
pub trait MediaSink: Send {
    /// A codec configuration or frame.
    fn media(&mut self, item: MediaItem);
    /// Stream metadata (`onMetaData`).
    fn metadata(&mut self, meta: StreamMetadata);
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

    /// Whether to serve a new connection from `peer` at all; false closes it at accept, before any
    /// TLS or RTMP work (an address that keeps failing to authorize).
    fn admit(&self, _peer: SocketAddr) -> bool {
        true
    }
}
