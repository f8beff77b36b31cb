//! The openivs server: the Amazon IVS control-plane API (restJson1 over HTTP, SigV4-authenticated),
//! its domain (`control`) and its storage (`store`), wired together by [`app`].
//!
//! Dependency direction: `api` → `control` → `store`; `ingest` wires the media plane
//! (`openivs-media`) to them, `playback` serves the live streams' HLS, and `control` sees live streams
//! only through the trait in `control::live`.

pub mod api;
pub mod app;
pub mod control;
pub mod http;
pub mod ingest;
pub mod playback;
pub mod recording;
pub mod store;
