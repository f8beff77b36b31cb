//! The conformance suite: the official `aws-sdk-ivs` crate (and raw signed requests where an SDK cannot
//! go) against the spawned `openivs serve`. One test binary, one module per area.

mod ads_failover;
mod auth;
mod channels;
mod common;
mod configurations;
mod durability;
mod errors_wire;
mod hardening;
mod official_clients;
mod pagination;
mod playback_keys;
mod smoke;
mod stream_keys;
mod streams;
mod tags;
mod tour;
