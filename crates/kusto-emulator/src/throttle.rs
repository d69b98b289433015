//! ARM's throttling as the recorded Kusto traffic reports it. Each method has its own budgets, named
//! by the `x-ms-ratelimit-remaining-subscription-*` headers real answers carry:
//!
//! | method     | headers (recorded remaining)                        | budget, refill            |
//! |------------|-----------------------------------------------------|---------------------------|
//! | GET, HEAD  | `-resource-requests` (1099)                         | 1,100 per resource window |
//! | PUT, PATCH | `-resource-requests` (799)                          | 800 per resource window   |
//! | POST       | `-writes` (199), `-global-writes` (2999)            | 200 + 10/s, 3,000 + 150/s |
//! | DELETE     | `-deletes` (199), `-global-deletes` (2999)          | 200 + 10/s, 3,000 + 150/s |
//!
//! The resource-requests refill is not documented; it is a knob (`resource_window`, the time one
//! budget takes to refill). With `--throttle SCALE` every budget and refill is multiplied by SCALE
//! and enforced; without it nothing counts down: every answer reports the recorded constant, so a
//! client never slows for a limit that is not there.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The method classes ARM budgets separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpClass {
    Reads,
    Puts,
    Posts,
    Deletes,
}

/// One budget: the header naming it, its capacity and its refill per second (`None`: one capacity
/// per resource window).
struct Budget {
    header: &'static str,
    capacity: f64,
    per_sec: Option<f64>,
}

const fn budget(header: &'static str, capacity: f64, per_sec: Option<f64>) -> Budget {
    Budget {
        header,
        capacity,
        per_sec,
    }
}

const READS: [Budget; 1] = [budget(
    "x-ms-ratelimit-remaining-subscription-resource-requests",
    1100.0,
    None,
)];
const PUTS: [Budget; 1] = [budget(
    "x-ms-ratelimit-remaining-subscription-resource-requests",
    800.0,
    None,
)];
const POSTS: [Budget; 2] = [
    budget(
        "x-ms-ratelimit-remaining-subscription-writes",
        200.0,
        Some(10.0),
    ),
    budget(
        "x-ms-ratelimit-remaining-subscription-global-writes",
        3000.0,
        Some(150.0),
    ),
];
const DELETES: [Budget; 2] = [
    budget(
        "x-ms-ratelimit-remaining-subscription-deletes",
        200.0,
        Some(10.0),
    ),
    budget(
        "x-ms-ratelimit-remaining-subscription-global-deletes",
        3000.0,
        Some(150.0),
    ),
];

impl OpClass {
    pub fn from_method(method: &str) -> OpClass {
        match method {
            "GET" | "HEAD" => OpClass::Reads,
            "PUT" | "PATCH" => OpClass::Puts,
            "DELETE" => OpClass::Deletes,
            _ => OpClass::Posts,
        }
    }

    fn budgets(self) -> &'static [Budget] {
        match self {
            OpClass::Reads => &READS,
            OpClass::Puts => &PUTS,
            OpClass::Posts => &POSTS,
            OpClass::Deletes => &DELETES,
        }
    }

    /// How ARM names the operation type in its 429 message.
    pub fn operation_type(self) -> &'static str {
        match self {
            OpClass::Reads => "Read_Subscription",
            OpClass::Puts | OpClass::Posts => "Write_Subscription",
            OpClass::Deletes => "Delete_Subscription",
        }
    }
}

/// The rate-limit headers of one answer: (header, remaining).
pub type Remaining = Vec<(&'static str, u64)>;

/// Refused: wait this long before a token is back; the headers to send with the 429.
#[derive(Debug, Clone, PartialEq)]
pub struct Throttled {
    pub retry_after: Duration,
    pub message: String,
    pub remaining: Remaining,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

pub struct Buckets {
    scale: Option<f64>,
    window: Duration,
    buckets: HashMap<(String, OpClass, usize), Bucket>,
}

impl Buckets {
    pub fn new(scale: Option<f64>, window: Duration) -> Buckets {
        Buckets {
            scale,
            window: window.max(Duration::from_millis(1)),
            buckets: HashMap::new(),
        }
    }

    /// (capacity, refill per second) of a budget under the knobs.
    fn limits(&self, b: &Budget) -> (f64, f64) {
        let s = self.scale.unwrap_or(1.0).max(0.0);
        let per_sec = b.per_sec.unwrap_or(b.capacity / self.window.as_secs_f64());
        ((b.capacity * s).max(1.0).floor(), (per_sec * s).max(0.01))
    }

    /// Takes one token from every budget of the class; the headers to report, or the time until
    /// every budget has a token again.
    pub fn take(
        &mut self,
        subscription: &str,
        class: OpClass,
        now: Instant,
    ) -> Result<Remaining, Throttled> {
        let budgets = class.budgets();
        if self.scale.is_none() {
            // Nothing is enforced, so nothing counts down: the recorded full-budget answer.
            return Ok(budgets
                .iter()
                .map(|b| (b.header, b.capacity as u64 - 1))
                .collect());
        }
        let limits: Vec<(f64, f64)> = budgets.iter().map(|b| self.limits(b)).collect();
        let sub = subscription.to_lowercase();
        let mut wait = 0.0f64;
        for (i, &(cap, rate)) in limits.iter().enumerate() {
            let b = self
                .buckets
                .entry((sub.clone(), class, i))
                .or_insert(Bucket {
                    tokens: cap,
                    last: now,
                });
            let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
            b.tokens = (b.tokens + elapsed * rate).min(cap);
            b.last = now;
            if b.tokens < 1.0 {
                wait = wait.max((1.0 - b.tokens) / rate);
            }
        }
        let mut remaining = Vec::new();
        for (i, b) in budgets.iter().enumerate() {
            let bucket = self
                .buckets
                .get_mut(&(sub.clone(), class, i))
                .expect("inserted above");
            if wait == 0.0 {
                bucket.tokens -= 1.0;
            }
            remaining.push((b.header, bucket.tokens.max(0.0).floor() as u64));
        }
        if wait == 0.0 {
            return Ok(remaining);
        }
        Err(Throttled {
            retry_after: Duration::from_secs(wait.ceil().max(1.0) as u64),
            message: format!(
                "The request is being throttled as the limit has been reached for operation type - '{}'. For more information, refer to - https://aka.ms/armthrottling",
                class.operation_type()
            ),
            remaining,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(60);

    fn value(r: &Remaining, suffix: &str) -> u64 {
        r.iter()
            .find(|(h, _)| h.ends_with(suffix))
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("no {suffix} in {r:?}"))
    }

    #[test]
    fn each_method_reports_the_recorded_headers() {
        let mut b = Buckets::new(None, WINDOW);
        let t0 = Instant::now();
        let get = b.take("s", OpClass::Reads, t0).unwrap();
        assert_eq!(
            get,
            vec![(
                "x-ms-ratelimit-remaining-subscription-resource-requests",
                1099
            )]
        );
        assert_eq!(
            value(
                &b.take("s", OpClass::Puts, t0).unwrap(),
                "-resource-requests"
            ),
            799
        );
        let post = b.take("s", OpClass::Posts, t0).unwrap();
        assert_eq!(
            (value(&post, "-writes"), value(&post, "-global-writes")),
            (199, 2999)
        );
        let del = b.take("s", OpClass::Deletes, t0).unwrap();
        assert_eq!(
            (value(&del, "-deletes"), value(&del, "-global-deletes")),
            (199, 2999)
        );
    }

    #[test]
    fn without_the_knob_nothing_counts_down_or_is_refused() {
        let mut b = Buckets::new(None, WINDOW);
        let t0 = Instant::now();
        for _ in 0..5000 {
            let r = b.take("s", OpClass::Reads, t0).unwrap();
            assert_eq!(value(&r, "-resource-requests"), 1099);
        }
    }

    #[test]
    fn a_burst_drains_the_budget_and_the_window_refills_it() {
        // Reads at scale 0.01: 11 per 60 s window, one token back every 5.45 s.
        let mut b = Buckets::new(Some(0.01), WINDOW);
        let t0 = Instant::now();
        let got: Vec<_> = (0..12).map(|_| b.take("s", OpClass::Reads, t0)).collect();
        assert_eq!(value(got[0].as_ref().unwrap(), "-resource-requests"), 10);
        assert_eq!(value(got[10].as_ref().unwrap(), "-resource-requests"), 0);
        let refused = got[11].clone().unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_secs(6));
        assert_eq!(value(&refused.remaining, "-resource-requests"), 0);
        // Other subscriptions and other methods have their own budgets.
        assert!(b.take("other", OpClass::Reads, t0).is_ok());
        assert!(b.take("s", OpClass::Puts, t0).is_ok());
        assert!(
            b.take("s", OpClass::Reads, t0 + Duration::from_secs(6))
                .is_ok()
        );
    }

    #[test]
    fn a_request_needs_a_token_in_every_budget_of_its_method() {
        // Deletes at scale 0.01: 2 per subscription, 30 global.
        let mut b = Buckets::new(Some(0.01), WINDOW);
        let t0 = Instant::now();
        assert!(b.take("s", OpClass::Deletes, t0).is_ok());
        assert!(b.take("s", OpClass::Deletes, t0).is_ok());
        let refused = b.take("s", OpClass::Deletes, t0).unwrap_err();
        assert_eq!(value(&refused.remaining, "-deletes"), 0);
        assert_eq!(value(&refused.remaining, "-global-deletes"), 28);
    }
}
