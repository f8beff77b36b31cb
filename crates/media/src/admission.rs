//! Admission of connections by source address, shared by the ingest listeners ([`crate::rtmp`]) and
//! the server's HTTP listeners: a cap on the connections one address holds at once, and a tally of
//! refusals that logs one line per address per minute instead of one line per refusal.
//!
//! Addresses count as the wrong-key limiter counts them: IPv4 (and IPv4-mapped IPv6) per address,
//! IPv6 per /64, which is what one host usually has; counting per /128 would let a host with a /64
//! open 2^64 "addresses". Written here rather than with a crate: it is a map of counters, and the
//! bound on its size is the part that matters (an entry lives only while its address has a
//! connection open, so the map is never larger than the listener's connection cap).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The key an address is counted under: itself for IPv4, its /64 for IPv6.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        v4 => v4,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Connections held at once per address, up to a cap.
#[derive(Debug)]
pub struct PerAddress {
    counts: Mutex<HashMap<IpAddr, usize>>,
    max: usize,
}

/// One connection counted against its address until dropped.
#[derive(Debug)]
#[must_use = "the connection stops counting when this is dropped"]
pub struct AddressSlot {
    owner: Arc<PerAddress>,
    key: IpAddr,
}

impl PerAddress {
    /// At most `max` (at least 1) connections per address.
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(PerAddress { counts: Mutex::default(), max: max.max(1) })
    }

    /// Counts a connection from `ip`, or `None` when its address already holds the cap.
    pub fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let key = address_key(ip);
        let mut counts = lock(&self.counts);
        let n = counts.entry(key).or_insert(0);
        if *n >= self.max {
            return None;
        }
        *n += 1;
        Some(AddressSlot { owner: self.clone(), key })
    }

    /// Connections counted for `ip`'s address now.
    pub fn count(&self, ip: IpAddr) -> usize {
        lock(&self.counts).get(&address_key(ip)).copied().unwrap_or(0)
    }

    /// Addresses with a connection counted now.
    pub fn addresses(&self) -> usize {
        lock(&self.counts).len()
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = lock(&self.owner.counts);
        if let Some(n) = counts.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

/// How long a tally window lasts: one line when an address's first refusal of a window happens, one
/// with the count of the rest when the window is over.
pub const TALLY_WINDOW: Duration = Duration::from_secs(60);

/// Addresses tallied at most; past this, windows that are over are logged and forgotten, and if
/// none is, further addresses are counted in one line of their own (the log stays bounded either
/// way).
pub const TALLY_ADDRESSES: usize = 16_384;

/// Refusals of one kind counted per address per [`TALLY_WINDOW`], so that an attacker who gets a
/// connection refused thousands of times a second grows the log by two lines a minute per address,
/// not thousands (issue 16: 4,209 warning lines in 16 s).
#[derive(Debug)]
pub struct Tally {
    what: &'static str,
    state: Mutex<TallyState>,
}

#[derive(Debug, Default)]
struct TallyState {
    windows: HashMap<IpAddr, (Instant, u64)>,
    /// Refusals of addresses that found the table full, since `overflow_since`.
    overflow: u64,
    overflow_since: Option<Instant>,
    last_sweep: Option<Instant>,
}

impl Tally {
    /// A tally of refusals described as `what` in its count lines ("ingest connections over the
    /// per-address cap").
    pub fn new(what: &'static str) -> Self {
        Tally { what, state: Mutex::default() }
    }

    /// Counts one refusal from `ip`; true for the first of its address's window, which the caller
    /// logs in its own words. The rest are logged by the tally as one count when the window is over
    /// (noticed by a later refusal or by [`Tally::flush`]).
    pub fn note(&self, ip: IpAddr, now: Instant) -> bool {
        let key = address_key(ip);
        let mut st = lock(&self.state);
        if st.last_sweep.is_none_or(|t| now.saturating_duration_since(t) >= TALLY_WINDOW) {
            st.last_sweep = Some(now);
            self.sweep(&mut st, now);
        }
        if let Some((start, count)) = st.windows.get_mut(&key) {
            if now.saturating_duration_since(*start) < TALLY_WINDOW {
                *count += 1;
                return false;
            }
            let more = *count;
            st.windows.remove(&key);
            self.report(key, more);
        }
        if st.windows.len() >= TALLY_ADDRESSES {
            self.sweep(&mut st, now);
        }
        if st.windows.len() >= TALLY_ADDRESSES {
            st.overflow += 1;
            let since = *st.overflow_since.get_or_insert(now);
            if now.saturating_duration_since(since) >= TALLY_WINDOW {
                tracing::warn!(
                    count = st.overflow,
                    "{} in the last minute from addresses beyond the tally's table",
                    self.what
                );
                st.overflow = 0;
                st.overflow_since = Some(now);
            }
            return false;
        }
        st.windows.insert(key, (now, 0));
        true
    }

    /// Logs the counts of windows that are over and forgets them.
    pub fn flush(&self, now: Instant) {
        let mut st = lock(&self.state);
        self.sweep(&mut st, now);
    }

    fn sweep(&self, st: &mut TallyState, now: Instant) {
        st.windows.retain(|key, (start, more)| {
            if now.saturating_duration_since(*start) < TALLY_WINDOW {
                return true;
            }
            self.report(*key, *more);
            false
        });
    }

    /// Logs the count of a window that is over, if there was more than its first refusal.
    fn report(&self, key: IpAddr, more: u64) {
        if more > 0 {
            tracing::warn!(address = %key, count = more + 1, "{} from this address in the last minute", self.what);
        }
    }

    /// Flushes this tally every [`TALLY_WINDOW`] while anything else holds it, so that the count of
    /// an address that stopped is logged too (a task on the current tokio runtime, if there is one).
    pub fn flush_periodically(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let weak = Arc::downgrade(self);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(TALLY_WINDOW);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(tally) = weak.upgrade() else { break };
                tally.flush(Instant::now());
            }
        });
    }

    /// Addresses with an open window.
    pub fn addresses(&self) -> usize {
        lock(&self.state).windows.len()
    }
}

/// First pause after a failed `accept` (EMFILE and the like); doubled on each failure in a row up to
/// [`ACCEPT_BACKOFF_MAX`], so a process out of descriptors neither spins nor floods the log.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(5);
/// Longest pause after failed `accept`s.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Logs failed `accept`s: the first at once, then a count at most once a minute.
#[derive(Debug, Default)]
pub struct AcceptErrors {
    since: Option<Instant>,
    failed: u64,
    backoff: Duration,
}

impl AcceptErrors {
    /// Counts a failure and returns how long to pause before the next `accept`.
    pub fn failed(&mut self, what: &'static str, e: &std::io::Error) -> Duration {
        let now = Instant::now();
        self.failed += 1;
        match self.since {
            None => {
                tracing::warn!(listener = what, error = %e, "accept failed; further failures are counted for a minute");
                self.since = Some(now);
                self.failed = 0;
            }
            Some(t) if now.saturating_duration_since(t) >= TALLY_WINDOW => {
                tracing::warn!(listener = what, error = %e, failed = self.failed, "accept failures in the last minute");
                self.since = Some(now);
                self.failed = 0;
            }
            Some(_) => {}
        }
        self.backoff = (self.backoff * 2).clamp(ACCEPT_BACKOFF_MIN, ACCEPT_BACKOFF_MAX);
        self.backoff
    }

    /// An `accept` succeeded: the next failure pauses briefly again.
    pub fn succeeded(&mut self) {
        self.backoff = Duration::ZERO;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_address_holds_at_most_the_cap_until_its_slots_are_dropped() {
        let p = PerAddress::new(2);
        let a = p.try_acquire(ip("10.0.0.1")).unwrap();
        let _b = p.try_acquire(ip("10.0.0.1")).unwrap();
        assert!(p.try_acquire(ip("10.0.0.1")).is_none());
        assert!(p.try_acquire(ip("::ffff:10.0.0.1")).is_none(), "mapped IPv4 is the same address");
        let _c = p.try_acquire(ip("10.0.0.2")).expect("other addresses are not affected");
        drop(a);
        let _d = p.try_acquire(ip("10.0.0.1")).expect("a dropped slot is free again");
        assert_eq!(p.count(ip("10.0.0.1")), 2);
    }

    #[test]
    fn ipv6_counts_per_64_and_forgotten_addresses_leave_the_map() {
        let p = PerAddress::new(1);
        let a = p.try_acquire(ip("2001:db8:1:2::1")).unwrap();
        assert!(p.try_acquire(ip("2001:db8:1:2:ffff::9")).is_none());
        let b = p.try_acquire(ip("2001:db8:1:3::1")).unwrap();
        assert_eq!(p.addresses(), 2);
        drop((a, b));
        assert_eq!(p.addresses(), 0);
    }

    #[test]
    fn a_tally_logs_the_first_refusal_of_a_window_and_counts_the_rest() {
        let t = Tally::new("test refusal");
        let t0 = Instant::now();
        assert!(t.note(ip("10.0.0.1"), t0));
        for i in 0..1000 {
            assert!(!t.note(ip("10.0.0.1"), t0 + Duration::from_millis(i)));
        }
        assert!(t.note(ip("10.0.0.2"), t0), "each address has its own window");
        assert!(t.note(ip("10.0.0.1"), t0 + TALLY_WINDOW), "a new window logs again");
        t.flush(t0 + TALLY_WINDOW * 3);
        assert_eq!(t.addresses(), 0);
    }

    #[test]
    fn failed_accepts_back_off_doubling_up_to_a_second_and_start_over_after_a_success() {
        let mut errors = AcceptErrors::default();
        let e = std::io::Error::from_raw_os_error(24);
        let pauses: Vec<u128> = (0..12).map(|_| errors.failed("test", &e).as_millis()).collect();
        assert_eq!(pauses[..4], [5, 10, 20, 40]);
        assert_eq!(pauses[8..], [1000, 1000, 1000, 1000]);
        errors.succeeded();
        assert_eq!(errors.failed("test", &e), ACCEPT_BACKOFF_MIN);
    }

    #[test]
    fn the_tally_table_stays_bounded() {
        let t = Tally::new("test refusal");
        let t0 = Instant::now();
        for n in 0..(TALLY_ADDRESSES as u32 + 100) {
            t.note(IpAddr::V4(n.into()), t0);
        }
        assert!(t.addresses() <= TALLY_ADDRESSES);
        assert!(t.note(ip("203.0.113.1"), t0 + TALLY_WINDOW), "windows that are over make room");
    }
}
