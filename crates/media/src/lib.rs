//! The openivs media plane, with no dependency on the server: RTMP and RTMPS ingest ([`rtmp`]) behind
//! the small [`ingest::IngestHandler`] trait, FLV tag bodies parsed into codec frames and configurations
//! ([`flv`], [`codec`]), the per-channel [`hub::Hub`] that readers subscribe to with bounded queues, and
//! ingest statistics ([`stats`]) from which the server derives stream health and session
//! ingest configurations; [`recording`] writes streams as Amazon IVS auto-record to S3 does.
//!
//! See `docs/architecture.md` (media plane: ingest → hub → readers) and ivs-behaviour.md §3.

pub mod admission;
pub mod amf0;
pub mod codec;
pub mod flv;
pub mod fmp4;
pub mod frame;
pub mod hls;
pub mod hub;
pub mod id3;
pub mod ingest;
pub mod mpegts;
mod mux;
pub mod recording;
pub mod rtmp;
pub mod segmenter;
pub mod sps;
pub mod srt;
pub mod stats;
pub mod thumbnail;
mod timing;
pub mod ts;

pub use frame::{AudioConfig, Frame, MediaItem, TimedMetadata, Track, VideoConfig};
