//! API rate limits of IVS (ivs-behaviour.md §10, "API call rates", not adjustable): a token bucket per
//! operation, account and region, holding one second of calls, plus PutMetadata's per-channel limit.
//! A request over the limit gets `ThrottlingException` (429), which every AWS SDK retries with backoff.

use super::error::{DomainError, DomainResult};
use crate::store::Scope;
use openivs_model::Operation;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Calls per second allowed for an operation, per account and region.
pub fn tps(op: Operation) -> f64 {
    use Operation::*;
    match op {
        // Playback key pairs and recording configurations: 3 TPS.
        ImportPlaybackKeyPair | GetPlaybackKeyPair | ListPlaybackKeyPairs | DeletePlaybackKeyPair => 3.0,
        CreateRecordingConfiguration
        | GetRecordingConfiguration
        | ListRecordingConfigurations
        | DeleteRecordingConfiguration => 3.0,
        BatchStartViewerSessionRevocation => 2.0,
        StartViewerSessionRevocation => 10.0,
        ListTagsForResource | TagResource | UntagResource => 10.0,
        // The account-wide PutMetadata limit; the per-channel one is `PUT_METADATA_PER_CHANNEL`.
        PutMetadata => 155.0,
        // Channels, stream keys, streams and restriction policies are 5 TPS. The quota page lists no
        // rate for ad and failover-slate configurations; they get the same 5 TPS (an assumption).
        _ => 5.0,
    }
}

/// PutMetadata calls per second per channel.
pub const PUT_METADATA_PER_CHANNEL: f64 = 5.0;

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets keyed by scope and limit name; `None` when limits are turned off.
pub struct RateLimiter {
    buckets: Mutex<HashMap<(Scope, String), Bucket>>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        Self { buckets: Mutex::new(HashMap::new()) }
    }
}

impl RateLimiter {
    /// Takes one call from the bucket `name` of `scope`, which refills at `rate` per second up to `rate`.
    pub fn take(&self, scope: &Scope, name: &str, rate: f64) -> DomainResult<()> {
        let now = Instant::now();
        let mut map =
            self.buckets.lock().map_err(|_| DomainError::Internal("rate limiter poisoned".into()))?;
        if map.len() > 100_000 {
            // Idle buckets are full anyway; dropping them forgets nothing that matters.
            map.retain(|_, b| now.duration_since(b.at).as_secs_f64() < 2.0);
        }
        let b = map.entry((scope.clone(), name.to_owned())).or_insert(Bucket { tokens: rate, at: now });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(rate);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(DomainError::Throttled(format!("Rate exceeded for {name}")))
        }
    }

    /// The per-operation limit.
    pub fn operation(&self, scope: &Scope, op: Operation) -> DomainResult<()> {
        self.take(scope, op.info().name, tps(op))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_a_second_of_calls_then_throttles() {
        let l = RateLimiter::default();
        let s = Scope { account: "1".into(), region: "r".into() };
        for _ in 0..3 {
            l.operation(&s, Operation::GetPlaybackKeyPair).unwrap();
        }
        assert!(matches!(l.operation(&s, Operation::GetPlaybackKeyPair), Err(DomainError::Throttled(_))));
        // Another account and another operation have their own buckets.
        let other = Scope { account: "2".into(), region: "r".into() };
        l.operation(&other, Operation::GetPlaybackKeyPair).unwrap();
        l.operation(&s, Operation::GetChannel).unwrap();
    }
}
