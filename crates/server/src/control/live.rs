//! What control needs to know about live streams, behind a narrow trait: ingest's registry implements
//! it (`crate::ingest::Registry`); [`NoLiveStreams`] is the server without ingest, where nothing is live.

use crate::store::Scope;
use openivs_model::{StreamHealth, Timestamp};

/// A stream that is live right now.
#[derive(Clone, Debug)]
pub struct LiveStream {
    /// Channel ARN.
    pub channel_arn: String,
    /// `st-…` id of this stream.
    pub stream_id: String,
    /// When it went live.
    pub start_time: Timestamp,
    /// Health from the incoming bitrate and frame rate.
    pub health: StreamHealth,
    /// Concurrent viewers.
    pub viewer_count: i64,
    /// Order in which streams went live (increasing); ListStreams pages by it.
    pub seq: u64,
}

/// The live streams, as ingest sees them.
pub trait LiveStreams: Send + Sync + 'static {
    /// The live stream of a channel, if any.
    fn get(&self, channel_arn: &str) -> Option<LiveStream>;
    /// The live streams of an account and region.
    fn list(&self, scope: &Scope) -> Vec<LiveStream>;
    /// Disconnects the channel's encoder; false when it was not live.
    fn stop(&self, channel_arn: &str) -> bool;
    /// Inserts timed metadata into the channel's stream; false when it was not live.
    fn put_metadata(&self, channel_arn: &str, metadata: &str) -> bool;
}

/// No ingest: nothing is ever live.
#[derive(Default)]
pub struct NoLiveStreams;

impl LiveStreams for NoLiveStreams {
    fn get(&self, _: &str) -> Option<LiveStream> {
        None
    }
    fn list(&self, _: &Scope) -> Vec<LiveStream> {
        Vec::new()
    }
    fn stop(&self, _: &str) -> bool {
        false
    }
    fn put_metadata(&self, _: &str, _: &str) -> bool {
        false
    }
}
