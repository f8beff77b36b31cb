//! openivs's own members, added to a few of the model's structures by `cargo xtask codegen` (see
//! `EXTENSIONS` in `xtask/src/types.rs`).
//!
//! They travel as extra JSON members, which the AWS SDKs, boto3 and the AWS CLI skip (restJson1
//! deserializers ignore members they do not know), so existing clients see the service they expect and
//! openivs's client and CLI see more. Their wire names start with `openivs` so that a member the service
//! adds later can never collide with one of ours.

use crate::Timestamp;
use serde::{Deserialize, Serialize};

/// Viewers of one stream session (`StreamSession.openivsViewers`), what the IVS console charts from
/// CloudWatch's `ConcurrentViews`: kept up to date while the stream is live (every few seconds) and
/// final once it ended.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionViewers {
    /// The most concurrent viewers (distinct playback sessions, as `GetStream`'s `viewerCount`
    /// counts them) at any time of the session.
    #[serde(rename = "peakConcurrentViewers", default, skip_serializing_if = "Option::is_none")]
    pub peak_concurrent_viewers: Option<i64>,
    /// When that peak was first reached.
    #[serde(rename = "peakTime", default, skip_serializing_if = "Option::is_none")]
    pub peak_time: Option<Timestamp>,
    /// How many playback sessions the stream had in all (a player that starts again is a new one).
    #[serde(rename = "playbackSessions", default, skip_serializing_if = "Option::is_none")]
    pub playback_sessions: Option<i64>,
}

/// How a session's encoder publishes (`StreamSession.openivsIngest`): the protocol, and for SRT the
/// link's figures as the server receives them, kept up to date while live (every few seconds).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionIngest {
    /// `RTMPS`, `RTMP` or `SRT`.
    #[serde(rename = "protocol", default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// SRT's figures; absent for RTMP(S).
    #[serde(rename = "srt", default, skip_serializing_if = "Option::is_none")]
    pub srt: Option<SrtLink>,
}

/// An SRT publisher's link, from the receiving side.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SrtLink {
    /// Data packets received, retransmissions included.
    #[serde(rename = "packetsReceived", default, skip_serializing_if = "Option::is_none")]
    pub packets_received: Option<i64>,
    /// Retransmitted packets received: what SRT recovered.
    #[serde(rename = "packetsRetransmitted", default, skip_serializing_if = "Option::is_none")]
    pub packets_retransmitted: Option<i64>,
    /// Loss reports (NAKs) sent to the encoder.
    #[serde(rename = "lossReports", default, skip_serializing_if = "Option::is_none")]
    pub loss_reports: Option<i64>,
    /// Packets given up on, too late for the latency budget: what viewers miss.
    #[serde(rename = "packetsDropped", default, skip_serializing_if = "Option::is_none")]
    pub packets_dropped: Option<i64>,
    /// Packets that failed to decrypt.
    #[serde(rename = "decryptErrors", default, skip_serializing_if = "Option::is_none")]
    pub decrypt_errors: Option<i64>,
    /// The latency negotiated with the encoder (the receive buffer's depth), ms.
    #[serde(rename = "latencyMs", default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<i64>,
}
