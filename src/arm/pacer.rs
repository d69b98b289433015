//! Pacing from ARM's rate-limit headers, so that a fleet-wide plan slows down before it is throttled
//! rather than after, and never when no budget is running low.
//!
//! ARM reports what is left of each budget a request drew on in an
//! `x-ms-ratelimit-remaining-subscription-*` header, and which budgets those are depends on the
//! method: real Kusto answers to GET and PUT carry only `-resource-requests` (separate budgets of
//! about 1,100 and 800), DELETE carries `-deletes` and `-global-deletes`, POST `-writes` and
//! `-global-writes`; other resource providers send `-reads`. The pacer therefore keeps a mirror of
//! every budget a response named, per (subscription, method class, header): a request takes a token
//! from each mirror of its class, and waits only when one of them would drop below a small reserve.
//! Each response sets the mirror to what ARM said, less the requests still in flight, so a budget
//! that ARM reports as full stays full however fast requests go. Until ARM has reported a budget
//! nothing waits. Refill rates are the documented ones where ARM documents them; for the others
//! (`-resource-requests`) one capacity per minute is assumed.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The method classes ARM budgets separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpClass {
    Read,
    Put,
    Post,
    Delete,
}

impl OpClass {
    pub fn of(method: &reqwest::Method) -> OpClass {
        match *method {
            reqwest::Method::DELETE => OpClass::Delete,
            reqwest::Method::PUT | reqwest::Method::PATCH => OpClass::Put,
            reqwest::Method::POST => OpClass::Post,
            _ => OpClass::Read,
        }
    }
}

/// The prefix of every per-subscription budget header.
const PREFIX: &str = "x-ms-ratelimit-remaining-subscription-";

/// The largest remaining budget believed from a header (ARM's buckets hold a few hundred to a few
/// thousand requests).
const MAX_REMAINING: f64 = 1_000_000.0;

/// Tokens kept back for other callers of the same subscription (the portal, other pipelines).
const RESERVE: f64 = 5.0;

/// A response that never came back stops counting as in flight after this long.
const IN_FLIGHT_EXPIRY: Duration = Duration::from_secs(120);

/// Whether an answer reports one of its budgets as spent (ARM's own throttling, as opposed to a
/// 429 about this request alone).
pub fn reports_spent(headers: &reqwest::header::HeaderMap) -> bool {
    headers.iter().any(|(name, value)| {
        name.as_str().starts_with(PREFIX) && value.to_str().is_ok_and(|v| v.trim() == "0")
    })
}

/// The documented refill of a budget, per second; `None` where ARM does not document it.
fn documented_refill(budget: &str) -> Option<f64> {
    match budget {
        "reads" => Some(25.0),
        "writes" | "deletes" => Some(10.0),
        "global-reads" => Some(375.0),
        "global-writes" | "global-deletes" => Some(150.0),
        _ => None,
    }
}

/// A mirror of one ARM budget.
#[derive(Debug, Clone)]
pub struct Bucket {
    tokens: f64,
    capacity: f64,
    documented_refill: Option<f64>,
    last: Instant,
}

impl Bucket {
    fn new(remaining: f64, documented_refill: Option<f64>, now: Instant) -> Self {
        Bucket {
            tokens: remaining,
            capacity: remaining,
            documented_refill,
            last: now,
        }
    }

    fn refill_per_sec(&self) -> f64 {
        // An undocumented budget is assumed to refill once a minute, and at least one a second, so
        // a budget first seen near empty does not stall a run for long.
        self.documented_refill
            .unwrap_or(self.capacity / 60.0)
            .max(1.0)
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.refill_per_sec()).min(self.capacity);
        self.last = now;
    }

    /// Takes a token for a request about to be sent; returns how long to wait before sending it.
    pub fn take(&mut self, now: Instant) -> Duration {
        self.refill(now);
        self.tokens -= 1.0;
        if self.tokens >= RESERVE {
            Duration::ZERO
        } else {
            Duration::from_secs_f64((RESERVE - self.tokens) / self.refill_per_sec())
        }
    }

    /// ARM said `remaining` tokens are left; `in_flight` requests it has not counted yet.
    pub fn observe(&mut self, remaining: f64, in_flight: usize, now: Instant) {
        self.refill(now);
        self.capacity = self.capacity.max(remaining);
        self.tokens = remaining - in_flight as f64;
    }
}

/// What the pacer knows of one method class on one subscription.
#[derive(Debug, Default)]
struct Class {
    /// Budget header suffix → mirror.
    buckets: HashMap<String, Bucket>,
    /// When each request still waiting for its answer was let go.
    in_flight: VecDeque<Instant>,
    /// ARM answered 429 with `Retry-After`: nothing goes before this.
    held_until: Option<Instant>,
}

/// Mirrors per (subscription, class), shared by every request of one client.
#[derive(Debug, Default)]
pub struct Pacer {
    classes: Mutex<HashMap<(String, OpClass), Class>>,
}

impl Pacer {
    /// How long to wait before sending a request of `class` to `subscription`.
    pub fn reserve(&self, subscription: &str, class: OpClass) -> Duration {
        let now = Instant::now();
        let mut classes = self.classes.lock().expect("pacer lock");
        let c = classes
            .entry((subscription.to_ascii_lowercase(), class))
            .or_default();
        while c
            .in_flight
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) > IN_FLIGHT_EXPIRY)
        {
            c.in_flight.pop_front();
        }
        c.in_flight.push_back(now);
        let held = c
            .held_until
            .map_or(Duration::ZERO, |t| t.saturating_duration_since(now));
        c.buckets
            .values_mut()
            .map(|b| b.take(now))
            .fold(held, Duration::max)
    }

    /// ARM throttled `class` on `subscription` for `wait`: requests not yet sent wait it out too,
    /// instead of each meeting its own 429.
    pub fn hold(&self, subscription: &str, class: OpClass, wait: Duration) {
        let until = Instant::now() + wait;
        let mut classes = self.classes.lock().expect("pacer lock");
        let c = classes
            .entry((subscription.to_ascii_lowercase(), class))
            .or_default();
        c.held_until = Some(c.held_until.map_or(until, |t| t.max(until)));
    }

    /// Records every budget ARM reported in an answer to a request of `class`.
    pub fn observe(
        &self,
        subscription: &str,
        class: OpClass,
        headers: &reqwest::header::HeaderMap,
    ) {
        let now = Instant::now();
        let mut classes = self.classes.lock().expect("pacer lock");
        let c = classes
            .entry((subscription.to_ascii_lowercase(), class))
            .or_default();
        c.in_flight.pop_front();
        let in_flight = c.in_flight.len();
        for (name, value) in headers {
            let Some(budget) = name.as_str().strip_prefix(PREFIX) else {
                continue;
            };
            let Some(remaining) = value
                .to_str()
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
                // Server-controlled: only a plausible count is believed (`NaN`, `-1e300` or `inf`
                // would otherwise turn into waits that overflow).
                .filter(|r| r.is_finite())
                .map(|r| r.clamp(0.0, MAX_REMAINING))
            else {
                continue;
            };
            c.buckets
                .entry(budget.to_string())
                .and_modify(|b| b.observe(remaining, in_flight, now))
                .or_insert_with(|| {
                    let mut b = Bucket::new(remaining, documented_refill(budget), now);
                    b.observe(remaining, in_flight, now);
                    b
                });
        }
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
    use reqwest::header::HeaderMap;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                reqwest::header::HeaderName::from_bytes(format!("{PREFIX}{k}").as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    /// One request and its answer, as the client makes them.
    fn round_trip(p: &Pacer, class: OpClass, answer: &HeaderMap) -> Duration {
        let wait = p.reserve("s1", class);
        p.observe("s1", class, answer);
        wait
    }

    #[test]
    fn a_full_bucket_does_not_wait_and_a_drained_one_waits_for_the_refill() {
        let t0 = Instant::now();
        let mut b = Bucket::new(250.0, Some(25.0), t0);
        assert_eq!(b.take(t0), Duration::ZERO);
        b.observe(6.0, 0, t0);
        assert_eq!(b.take(t0), Duration::ZERO); // 5 left: at the reserve
        let wait = b.take(t0); // 4 left: one token short of the reserve
        assert_eq!(wait, Duration::from_secs_f64(1.0 / 25.0));
        // A second later 25 tokens came back.
        assert_eq!(b.take(t0 + Duration::from_secs(1)), Duration::ZERO);
    }

    #[test]
    fn concurrent_takers_queue_behind_each_other() {
        let t0 = Instant::now();
        let mut b = Bucket::new(5.0, Some(10.0), t0);
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
    fn a_budget_reported_full_never_slows_however_many_requests_go() {
        // What the real service and the emulator without throttling send on every GET.
        let p = Pacer::default();
        let full = headers(&[("resource-requests", "1099")]);
        for _ in 0..5000 {
            assert_eq!(round_trip(&p, OpClass::Read, &full), Duration::ZERO);
        }
    }

    #[test]
    fn the_headers_arm_really_sends_are_read_each_as_its_own_budget() {
        let p = Pacer::default();
        // GET and PUT share a header name but not a budget.
        round_trip(&p, OpClass::Read, &headers(&[("resource-requests", "3")]));
        round_trip(&p, OpClass::Put, &headers(&[("resource-requests", "799")]));
        assert!(p.reserve("s1", OpClass::Read) > Duration::ZERO);
        assert_eq!(p.reserve("s1", OpClass::Put), Duration::ZERO);
        // A DELETE waits when either its subscription or its global budget runs low.
        let low_global = headers(&[("deletes", "199"), ("global-deletes", "2")]);
        round_trip(&p, OpClass::Delete, &low_global);
        assert!(p.reserve("s1", OpClass::Delete) > Duration::ZERO);
        // POST reads -writes; other subscriptions are untouched.
        round_trip(
            &p,
            OpClass::Post,
            &headers(&[("writes", "1"), ("global-writes", "2999")]),
        );
        assert!(p.reserve("s1", OpClass::Post) > Duration::ZERO);
        assert_eq!(p.reserve("s2", OpClass::Read), Duration::ZERO);
    }

    #[test]
    fn requests_in_flight_count_against_what_arm_reported() {
        let p = Pacer::default();
        round_trip(&p, OpClass::Read, &headers(&[("resource-requests", "10")]));
        // Five more go out before any answer: 10 - 5 = 5, at the reserve.
        for _ in 0..5 {
            assert_eq!(p.reserve("s1", OpClass::Read), Duration::ZERO);
        }
        // The first answer says 9 left, but four requests are still in flight.
        p.observe("s1", OpClass::Read, &headers(&[("resource-requests", "9")]));
        assert!(p.reserve("s1", OpClass::Read) > Duration::ZERO);
    }

    #[test]
    fn hostile_remaining_budgets_never_panic_or_wait_long() {
        for v in ["NaN", "inf", "-inf", "-1e300", "1e300", "-5"] {
            let p = Pacer::default();
            let mut h = reqwest::header::HeaderMap::new();
            h.insert(
                "x-ms-ratelimit-remaining-subscription-reads",
                v.parse().unwrap(),
            );
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
        assert_eq!(p.reserve("s1", OpClass::Put), Duration::ZERO);
        assert_eq!(p.reserve("s2", OpClass::Read), Duration::ZERO);
    }

    #[test]
    fn a_spent_budget_is_recognised_in_any_header() {
        assert!(reports_spent(&headers(&[("resource-requests", "0")])));
        assert!(reports_spent(&headers(&[
            ("deletes", "12"),
            ("global-deletes", "0")
        ])));
        assert!(!reports_spent(&headers(&[("writes", "10")])));
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
