//! The openivs server: the Amazon IVS control-plane API (restJson1 over HTTP, SigV4-authenticated),
//! its domain (`control`) and its storage (`store`), wired together by [`app`].
//!
//! Dependency direction: `api` → `control` → `store`; the media plane will talk to `control` only
//! through the narrow traits in `control::live`.

pub mod api;
pub mod app;
pub mod control;
pub mod store;
