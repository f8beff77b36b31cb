//! Retries in the AWS "standard" mode (AWS SDKs and Tools reference guide, "Retry behavior"):
//!
//! - which failures: throttling (`ThrottlingException`, `Throttling`, `TooManyRequestsException`,
//!   `RequestLimitExceeded`, … or status 429) and transient ones (status 500, 502, 503, 504,
//!   `InternalServerException`, `ServiceUnavailable`, timeouts, connection failures);
//! - how often: at most `max_attempts` attempts in all (default 3);
//! - how long between them: exponential backoff with full jitter, `random[0,1) × min(base × 2^i,
//!   20 s)` before retry `i` (from 0), with base 50 ms for transient errors and 1 s for throttling;
//! - how much in all: a retry quota (token bucket) of 500 per client; a retry costs 5 (10 after a
//!   timeout), a success gives back the cost of its last retry, or 1 when it needed none. When the
//!   bucket is empty the client stops retrying, so an outage does not multiply the load.

use std::sync::Mutex;
use std::time::Duration;

/// Capacity of the retry quota.
pub const RETRY_QUOTA: u32 = 500;
/// Quota taken by a retry.
pub const RETRY_COST: u32 = 5;
/// Quota taken by a retry after a timeout.
pub const TIMEOUT_RETRY_COST: u32 = 10;
/// Quota given back by a success that needed no retry.
pub const NO_RETRY_INCREMENT: u32 = 1;

/// Error codes retried as throttling (the standard mode's list).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];
/// Error codes retried as transient.
const TRANSIENT_CODES: &[&str] =
    &["RequestTimeout", "RequestTimeoutException", "InternalServerException", "ServiceUnavailable"];
/// Statuses retried as transient.
const TRANSIENT_STATUSES: &[u16] = &[500, 502, 503, 504];

/// How a call retries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    max_attempts: u32,
    initial_backoff: Duration,
    throttling_backoff: Duration,
    max_backoff: Duration,
    quota: bool,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self::standard()
    }
}

impl RetryConfig {
    /// The standard mode: 3 attempts, 50 ms / 1 s backoff bases, 20 s cap, retry quota on.
    pub fn standard() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(50),
            throttling_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20),
            quota: true,
        }
    }

    /// No retries: one attempt.
    pub fn disabled() -> Self {
        Self::standard().max_attempts(1)
    }

    /// Attempts in all, first included (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Backoff base for transient errors (default 50 ms).
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Backoff base for throttling errors (default 1 s).
    pub fn throttling_backoff(mut self, d: Duration) -> Self {
        self.throttling_backoff = d;
        self
    }

    /// Longest wait between two attempts (default 20 s).
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// Whether retries draw on the client's retry quota (default true).
    pub fn retry_quota(mut self, yes: bool) -> Self {
        self.quota = yes;
        self
    }

    /// Attempts in all.
    pub fn get_max_attempts(&self) -> u32 {
        self.max_attempts
    }

    pub(crate) fn uses_quota(&self) -> bool {
        self.quota
    }

    /// The wait before retry number `retry` (0 for the first retry), for a random `jitter` in [0, 1).
    pub(crate) fn backoff(&self, kind: RetryKind, retry: u32, jitter: f64) -> Duration {
        let base = match kind {
            RetryKind::Throttling => self.throttling_backoff,
            RetryKind::Transient | RetryKind::Timeout => self.initial_backoff,
        };
        let ceiling = base.saturating_mul(2u32.saturating_pow(retry.min(30))).min(self.max_backoff);
        ceiling.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

/// Why a failure may be retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryKind {
    /// The service asked to slow down.
    Throttling,
    /// A server fault or a broken connection.
    Transient,
    /// An attempt timed out.
    Timeout,
}

impl RetryKind {
    /// What a retry of this kind takes from the quota.
    pub(crate) fn cost(self) -> u32 {
        match self {
            Self::Timeout => TIMEOUT_RETRY_COST,
            Self::Throttling | Self::Transient => RETRY_COST,
        }
    }
}

/// Classifies an error response.
pub(crate) fn classify(code: &str, status: u16) -> Option<RetryKind> {
    if THROTTLING_CODES.contains(&code) || status == 429 {
        Some(RetryKind::Throttling)
    } else if TRANSIENT_CODES.contains(&code) || TRANSIENT_STATUSES.contains(&status) {
        Some(RetryKind::Transient)
    } else {
        None
    }
}

/// The retry quota of one client (shared by its clones).
#[derive(Debug)]
pub(crate) struct TokenBucket {
    available: Mutex<u32>,
}

impl Default for TokenBucket {
    fn default() -> Self {
        Self { available: Mutex::new(RETRY_QUOTA) }
    }
}

impl TokenBucket {
    /// Takes `cost` if that much is left.
    pub(crate) fn try_acquire(&self, cost: u32) -> bool {
        let mut n = self.available.lock().unwrap_or_else(|p| p.into_inner());
        if *n < cost {
            return false;
        }
        *n -= cost;
        true
    }

    /// Gives back `amount`, up to the capacity.
    pub(crate) fn release(&self, amount: u32) {
        let mut n = self.available.lock().unwrap_or_else(|p| p.into_inner());
        *n = (*n + amount).min(RETRY_QUOTA);
    }

    /// What is left.
    pub(crate) fn available(&self) -> u32 {
        *self.available.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A uniformly distributed number in [0, 1), from the standard library's randomly keyed hasher (no
/// extra dependency; jitter needs spread, not secrecy).
pub(crate) fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_the_standard_lists() {
        assert_eq!(classify("ThrottlingException", 429), Some(RetryKind::Throttling));
        assert_eq!(classify("HttpStatus429", 429), Some(RetryKind::Throttling));
        assert_eq!(classify("RequestLimitExceeded", 400), Some(RetryKind::Throttling));
        assert_eq!(classify("InternalServerException", 500), Some(RetryKind::Transient));
        assert_eq!(classify("StreamUnavailable", 503), Some(RetryKind::Transient));
        assert_eq!(classify("HttpStatus502", 502), Some(RetryKind::Transient));
        assert_eq!(classify("ValidationException", 400), None);
        assert_eq!(classify("ResourceNotFoundException", 404), None);
        assert_eq!(classify("ConflictException", 409), None);
    }

    #[test]
    fn backoff_is_exponential_capped_and_jittered() {
        let c = RetryConfig::standard();
        assert_eq!(
            c.backoff(RetryKind::Transient, 0, 0.999_999),
            Duration::from_millis(50).mul_f64(0.999_999)
        );
        assert_eq!(c.backoff(RetryKind::Transient, 3, 0.5), Duration::from_millis(200));
        assert_eq!(c.backoff(RetryKind::Throttling, 1, 0.5), Duration::from_secs(1));
        assert_eq!(c.backoff(RetryKind::Throttling, 10, 1.0), Duration::from_secs(20));
        assert_eq!(c.backoff(RetryKind::Timeout, 40, 0.0), Duration::ZERO);
        let samples: Vec<f64> = (0..1000).map(|_| jitter()).collect();
        assert!(samples.iter().all(|j| (0.0..1.0).contains(j)));
        let mean = samples.iter().sum::<f64>() / 1000.0;
        assert!((0.4..0.6).contains(&mean), "mean {mean}");
    }

    #[test]
    fn the_quota_refuses_when_empty_and_refills_up_to_its_capacity() {
        let b = TokenBucket::default();
        let mut taken = 0;
        while b.try_acquire(TIMEOUT_RETRY_COST) {
            taken += 1;
        }
        assert_eq!((taken, b.available()), (50, 0));
        b.release(RETRY_COST);
        assert!(b.try_acquire(RETRY_COST));
        b.release(10_000);
        assert_eq!(b.available(), RETRY_QUOTA);
    }
}
