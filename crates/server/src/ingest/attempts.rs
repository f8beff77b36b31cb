//! Failed stream-key attempts per source address (issue: many wrong-key attempts must not slow the
//! others). Each address has a token bucket of failures: [`BURST`] wrong keys at once, then one more
//! every [`REFILL`]. An address with an empty bucket is turned away at TCP accept (before the TLS and
//! RTMP handshakes, which are what a wrong-key attempt costs the server) and, if it got in before the
//! bucket emptied, at `publish` before the store is asked. IPv6 addresses count per /64, which is what
//! one host usually has.
//!
//! Playback uses the same buckets, with its own rates, for tokens whose signature fails
//! (`playback::Playback`): verifying one is the costly part of a forged request.
//!
//! Written here rather than with a rate-limiting crate: it is a map of two numbers per address, and
//! the bound on its size (and what happens at the bound) is the part that matters.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong keys an address may send in a row.
pub const BURST: f64 = 10.0;
/// One more attempt after this long.
pub const REFILL: Duration = Duration::from_secs(6);
/// Addresses tracked at most. When full, addresses whose buckets have refilled are forgotten; if none
/// has, new addresses go untracked (limiting fails open rather than growing without bound).
pub const MAX_ADDRESSES: usize = 65_536;

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant, burst: f64, refill: Duration) {
        let gained = now.saturating_duration_since(self.at).as_secs_f64() / refill.as_secs_f64();
        self.tokens = (self.tokens + gained).min(burst);
        self.at = now;
    }
}

/// The buckets of failed attempts.
pub struct FailedAttempts {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    burst: f64,
    refill: Duration,
}

impl Default for FailedAttempts {
    /// Ingest's rates: [`BURST`] and [`REFILL`].
    fn default() -> Self {
        Self::new(BURST, REFILL)
    }
}

/// The address a bucket is kept for (IPv6 per /64), as the connection caps count addresses.
fn bucket_key(ip: IpAddr) -> IpAddr {
    openivs_media::admission::address_key(ip)
}

impl FailedAttempts {
    /// `burst` failures at once, then one more every `refill` (at least a millisecond).
    pub fn new(burst: f64, refill: Duration) -> Self {
        FailedAttempts { buckets: Mutex::default(), burst, refill: refill.max(Duration::from_millis(1)) }
    }

    /// Whether `ip` may try (again) now.
    pub fn allows(&self, ip: IpAddr, now: Instant) -> bool {
        let mut buckets = super::registry::lock(&self.buckets);
        match buckets.get_mut(&bucket_key(ip)) {
            None => true,
            Some(b) => {
                b.refill(now, self.burst, self.refill);
                b.tokens >= 1.0
            }
        }
    }

    /// Counts a failure from `ip`; true when this one emptied its bucket (the moment to log once).
    pub fn failed(&self, ip: IpAddr, now: Instant) -> bool {
        let mut buckets = super::registry::lock(&self.buckets);
        let key = bucket_key(ip);
        if !buckets.contains_key(&key) && buckets.len() >= MAX_ADDRESSES {
            buckets.retain(|_, b| {
                b.refill(now, self.burst, self.refill);
                b.tokens < self.burst
            });
            if buckets.len() >= MAX_ADDRESSES {
                return false;
            }
        }
        let b = buckets.entry(key).or_insert(Bucket { tokens: self.burst, at: now });
        b.refill(now, self.burst, self.refill);
        let had = b.tokens >= 1.0;
        b.tokens = (b.tokens - 1.0).max(0.0);
        had && b.tokens < 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_burst_of_wrong_keys_then_one_per_refill() {
        let a = FailedAttempts::default();
        let t0 = Instant::now();
        for i in 0..10 {
            assert!(a.allows(ip("10.0.0.1"), t0), "attempt {i}");
            assert_eq!(a.failed(ip("10.0.0.1"), t0), i == 9);
        }
        assert!(!a.allows(ip("10.0.0.1"), t0));
        assert!(a.allows(ip("10.0.0.2"), t0), "other addresses are not affected");
        assert!(!a.allows(ip("10.0.0.1"), t0 + REFILL / 2));
        assert!(a.allows(ip("10.0.0.1"), t0 + REFILL));
        assert!(a.failed(ip("10.0.0.1"), t0 + REFILL));
        assert!(!a.allows(ip("10.0.0.1"), t0 + REFILL));
        assert!(a.allows(ip("10.0.0.1"), t0 + REFILL * 20), "refilled in full");
        // Other rates.
        let fast = FailedAttempts::new(2.0, Duration::from_secs(1));
        assert!(!fast.failed(ip("10.0.0.1"), t0) && fast.failed(ip("10.0.0.1"), t0));
        assert!(!fast.allows(ip("10.0.0.1"), t0 + Duration::from_millis(900)));
        assert!(fast.allows(ip("10.0.0.1"), t0 + Duration::from_secs(1)));
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let a = FailedAttempts::default();
        let t0 = Instant::now();
        for _ in 0..10 {
            a.failed(ip("2001:db8:1:2::1"), t0);
        }
        assert!(!a.allows(ip("2001:db8:1:2:ffff::9"), t0));
        assert!(a.allows(ip("2001:db8:1:3::1"), t0));
        for _ in 0..10 {
            a.failed(ip("::ffff:192.0.2.7"), t0);
        }
        assert!(!a.allows(ip("192.0.2.7"), t0));
    }

    #[test]
    fn the_table_stays_bounded() {
        let a = FailedAttempts::default();
        let t0 = Instant::now();
        for n in 0..(MAX_ADDRESSES as u32 + 100) {
            a.failed(IpAddr::V4(n.into()), t0);
        }
        assert!(super::super::registry::lock(&a.buckets).len() <= MAX_ADDRESSES);
        // Later, once buckets have refilled, new addresses are tracked again.
        assert!(!a.failed(ip("203.0.113.1"), t0 + REFILL * 20));
        assert!(super::super::registry::lock(&a.buckets).len() <= MAX_ADDRESSES);
        assert!(super::super::registry::lock(&a.buckets).contains_key(&ip("203.0.113.1")));
    }
}
