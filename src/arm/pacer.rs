//! Pacing from ARM's rate-limit headers, so that a fleet-wide plan slows down before it is throttled
//! rather than after.
//!
//! ARM throttles with token buckets per subscription and operation class (reads 250 + 25/s, writes
//! 200 + 10/s, deletes 200 + 10/s at the time of writing) and reports what is left in
//! `x-ms-ratelimit-remaining-subscription-{reads,writes,deletes}`. The pacer keeps a mirror of each
//! bucket: every request takes a token, every response lowers the mirror to what ARM reported, and a
//! request that would take the bucket below a small reserve waits for the refill first. Until ARM has
//! reported a budget nothing waits. The refill rates are the documented ones; the capacities come from
//! the largest remaining value seen.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The operation classes ARM budgets separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpClass {
    Read,
    Write,
    Delete,
}

impl OpClass {
    pub fn of(method: &reqwest::Method) -> OpClass {
        match *method {
            reqwest::Method::DELETE => OpClass::Delete,
            reqwest::Method::PUT | reqwest::Method::POST | reqwest::Method::PATCH => OpClass::Write,
            _ => OpClass::Read,
        }
    }

    pub fn header(self) -> &'static str {
        match self {
            OpClass::Read => "x-ms-ratelimit-remaining-subscription-reads",
            OpClass::Write => "x-ms-ratelimit-remaining-subscription-writes",
            OpClass::Delete => "x-ms-ratelimit-remaining-subscription-deletes",
        }
    }

    fn refill_per_sec(self) -> f64 {
        match self {
            OpClass::Read => 25.0,
            OpClass::Write | OpClass::Delete => 10.0,
        }
    }
}

/// The largest remaining budget believed from a header (ARM's buckets hold a few hundred to a few
/// thousand requests).
const MAX_REMAINING: f64 = 1_000_000.0;

/// Tokens kept back for other callers of the same subscription (the portal, other pipelines).
const RESERVE: f64 = 5.0;

/// A mirror of one ARM bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    tokens: f64,
    capacity: f64,
    refill_per_sec: f64,
    last: Instant,
    /// ARM answered 429 with `Retry-After`: nothing goes before this.
    held_until: Option<Instant>,
}

impl Bucket {
    fn new(remaining: f64, refill_per_sec: f64, now: Instant) -> Self {
        Bucket {
            tokens: remaining,
            capacity: remaining,
            refill_per_sec,
            last: now,
            held_until: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.refill_per_sec).min(self.capacity);
        self.last = now;
    }

    /// Takes a token for a request about to be sent; returns how long to wait before sending it.
    pub fn take(&mut self, now: Instant) -> Duration {
        self.refill(now);
        self.tokens -= 1.0;
        let held = self
            .held_until
            .map_or(Duration::ZERO, |t| t.saturating_duration_since(now));
        let short = if self.tokens >= RESERVE {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((RESERVE - self.tokens) / self.refill_per_sec)
        };
        held.max(short)
    }

    /// ARM throttled a request and said to come back after `wait`.
    pub fn hold(&mut self, until: Instant) {
        self.held_until = Some(self.held_until.map_or(until, |t| t.max(until)));
    }

    /// ARM said `remaining` tokens are left after a request.
    pub fn observe(&mut self, remaining: f64, now: Instant) {
        self.refill(now);
        self.capacity = self.capacity.max(remaining);
        self.tokens = self.tokens.min(remaining);
    }
}

/// Buckets per (subscription, class), shared by every request of one client.
#[derive(Debug, Default)]
pub struct Pacer {
    buckets: Mutex<HashMap<(String, OpClass), Bucket>>,
}

impl Pacer {
    /// How long to wait before sending a request of `class` to `subscription`.
    pub fn reserve(&self, subscription: &str, class: OpClass) -> Duration {
        let mut buckets = self.buckets.lock().expect("pacer lock");
        match buckets.get_mut(&(subscription.to_ascii_lowercase(), class)) {
            Some(b) => b.take(Instant::now()),
            None => Duration::ZERO,
        }
    }

    /// ARM throttled `class` on `subscription` for `wait`: requests not yet sent wait it out too,
    /// instead of each meeting its own 429.
    pub fn hold(&self, subscription: &str, class: OpClass, wait: Duration) {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("pacer lock");
        buckets
            .entry((subscription.to_ascii_lowercase(), class))
            .or_insert_with(|| Bucket::new(RESERVE + 1.0, class.refill_per_sec(), now))
            .hold(now + wait);
    }

    /// Records the remaining budget ARM reported, if it did.
    pub fn observe(
        &self,
        subscription: &str,
        class: OpClass,
        headers: &reqwest::header::HeaderMap,
    ) {
        let Some(remaining) = headers
            .get(class.header())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            // Server-controlled: only a plausible count is believed (`NaN`, `-1e300` or `inf`
            // would otherwise turn into waits that overflow).
            .filter(|r| r.is_finite())
            .map(|r| r.clamp(0.0, MAX_REMAINING))
        else {
            return;
        };
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("pacer lock");
        buckets
            .entry((subscription.to_ascii_lowercase(), class))
            .and_modify(|b| b.observe(remaining, now))
            .or_insert_with(|| Bucket::new(remaining, class.refill_per_sec(), now));
    }
}

/// The subscription id of an ARM path (`/subscriptions/{id}/…`), or "" when there is none.
pub fn subscription_of(path: &str) -> &str {
    let mut parts = path.split('/').filter(|p| !p.is_empty());
    match (parts.next(), parts.next()) {
        (Some(s), Some(id)) if s.eq_ignore_ascii_case("subscriptions") => id,
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_does_not_wait_and_a_drained_one_waits_for_the_refill() {
        let t0 = Instant::now();
        let mut b = Bucket::new(250.0, 25.0, t0);
        assert_eq!(b.take(t0), Duration::ZERO);
        b.observe(6.0, t0);
        assert_eq!(b.take(t0), Duration::ZERO); // 5 left: at the reserve
        let wait = b.take(t0); // 4 left: one token short of the reserve
        assert_eq!(wait, Duration::from_secs_f64(1.0 / 25.0));
        // A second later 25 tokens came back.
        assert_eq!(b.take(t0 + Duration::from_secs(1)), Duration::ZERO);
    }

    #[test]
    fn concurrent_takers_queue_behind_each_other() {
        let t0 = Instant::now();
        let mut b = Bucket::new(5.0, 10.0, t0);
        let waits: Vec<Duration> = (0..3).map(|_| b.take(t0)).collect();
        assert_eq!(
            waits,
            vec![
                Duration::from_secs_f64(0.1),
                Duration::from_secs_f64(0.2),
                Duration::from_secs_f64(0.3)
            ]
        );
    }

    #[test]
    fn the_pacer_learns_from_headers_per_subscription() {
        let p = Pacer::default();
        assert_eq!(p.reserve("s1", OpClass::Read), Duration::ZERO);
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(OpClass::Read.header(), "3".parse().unwrap());
        p.observe("S1", OpClass::Read, &h);
        assert!(p.reserve("s1", OpClass::Read) > Duration::ZERO);
        assert_eq!(p.reserve("s2", OpClass::Read), Duration::ZERO);
        assert_eq!(p.reserve("s1", OpClass::Write), Duration::ZERO);
    }

    #[test]
    fn hostile_remaining_budgets_never_panic_or_wait_long() {
        for v in ["NaN", "inf", "-inf", "-1e300", "1e300", "-5"] {
            let p = Pacer::default();
            let mut h = reqwest::header::HeaderMap::new();
            h.insert(OpClass::Read.header(), v.parse().unwrap());
            p.observe("s", OpClass::Read, &h);
            let wait = p.reserve("s", OpClass::Read);
            // At worst the reserve refills at the class's rate: well under a second.
            assert!(wait <= Duration::from_secs(1), "{v}: {wait:?}");
        }
    }

    #[test]
    fn a_hold_delays_every_request_of_the_class_until_it_ends() {
        let p = Pacer::default();
        p.hold("s1", OpClass::Read, Duration::from_secs(2));
        let wait = p.reserve("s1", OpClass::Read);
        assert!(
            wait > Duration::from_millis(1900) && wait <= Duration::from_secs(2),
            "{wait:?}"
        );
        assert_eq!(p.reserve("s1", OpClass::Write), Duration::ZERO);
        assert_eq!(p.reserve("s2", OpClass::Read), Duration::ZERO);
    }

    #[test]
    fn subscriptions_come_from_the_path() {
        assert_eq!(
            subscription_of("/subscriptions/abc/resourceGroups/x"),
            "abc"
        );
        assert_eq!(subscription_of("/SUBSCRIPTIONS/abc"), "abc");
        assert_eq!(subscription_of("/x"), "");
    }
}
