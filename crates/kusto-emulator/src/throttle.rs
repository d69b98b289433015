//! ARM's throttling: token buckets per subscription and operation class (reads 250 + 25/s,
//! writes 200 + 10/s, deletes 200 + 10/s), scaled by `--throttle`. Without the knob the buckets
//! still count (for the `x-ms-ratelimit-remaining-*` headers) but never refuse.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// ARM's operation classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpClass {
    Reads,
    Writes,
    Deletes,
}

impl OpClass {
    pub fn from_method(method: &str) -> OpClass {
        match method {
            "GET" | "HEAD" => OpClass::Reads,
            "DELETE" => OpClass::Deletes,
            _ => OpClass::Writes,
        }
    }

    fn base(self) -> (f64, f64) {
        match self {
            OpClass::Reads => (250.0, 25.0),
            OpClass::Writes | OpClass::Deletes => (200.0, 10.0),
        }
    }

    pub fn header_word(self) -> &'static str {
        match self {
            OpClass::Reads => "reads",
            OpClass::Writes => "writes",
            OpClass::Deletes => "deletes",
        }
    }

    /// How ARM names the operation type in its 429 message.
    pub fn operation_type(self) -> &'static str {
        match self {
            OpClass::Reads => "Read_Subscription",
            OpClass::Writes => "Write_Subscription",
            OpClass::Deletes => "Delete_Subscription",
        }
    }
}

/// Refused: wait this long before a token is back.
#[derive(Debug, Clone, PartialEq)]
pub struct Throttled {
    pub retry_after: Duration,
    pub message: String,
}

struct Bucket {
    tokens: f64,
    last: Instant,
}

pub struct Buckets {
    scale: Option<f64>,
    buckets: HashMap<(String, OpClass), Bucket>,
}

impl Buckets {
    pub fn new(scale: Option<f64>) -> Buckets {
        Buckets {
            scale,
            buckets: HashMap::new(),
        }
    }

    fn limits(&self, class: OpClass) -> (f64, f64) {
        let (cap, rate) = class.base();
        let s = self.scale.unwrap_or(1.0).max(0.0);
        ((cap * s).max(1.0).floor(), (rate * s).max(0.01))
    }

    /// Takes one token; `Ok(remaining)` or the time until the next token.
    pub fn take(
        &mut self,
        subscription: &str,
        class: OpClass,
        now: Instant,
    ) -> Result<u64, Throttled> {
        let (cap, rate) = self.limits(class);
        let enforce = self.scale.is_some();
        let b = self
            .buckets
            .entry((subscription.to_lowercase(), class))
            .or_insert(Bucket {
                tokens: cap,
                last: now,
            });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(cap);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            return Ok(b.tokens.floor() as u64);
        }
        if !enforce {
            return Ok(0);
        }
        let wait = ((1.0 - b.tokens) / rate).ceil().max(1.0);
        Err(Throttled {
            retry_after: Duration::from_secs(wait as u64),
            message: format!(
                "The request is being throttled as the limit has been reached for operation type - '{}'. For more information, refer to - https://aka.ms/armthrottling",
                class.operation_type()
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_drains_the_bucket_and_time_refills_it() {
        let mut b = Buckets::new(Some(0.02)); // reads: 5 + 0.5/s
        let t0 = Instant::now();
        let got: Vec<_> = (0..6).map(|_| b.take("s", OpClass::Reads, t0)).collect();
        assert_eq!(got[0], Ok(4));
        assert_eq!(got[4], Ok(0));
        assert_eq!(
            got[5].clone().unwrap_err().retry_after,
            Duration::from_secs(2)
        );
        assert!(b.take("other", OpClass::Reads, t0).is_ok());
        assert!(b.take("s", OpClass::Writes, t0).is_ok());
        assert!(
            b.take("s", OpClass::Reads, t0 + Duration::from_secs(2))
                .is_ok()
        );
    }

    #[test]
    fn without_the_knob_nothing_is_refused() {
        let mut b = Buckets::new(None);
        let t0 = Instant::now();
        assert!((0..300).all(|_| b.take("s", OpClass::Reads, t0).is_ok()));
    }
}
