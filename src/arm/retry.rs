//! The retry decision, in one place: which failures are worth another attempt, and how long to wait.
//!
//! | class               | what                                                      | budget            |
//! |---------------------|-----------------------------------------------------------|-------------------|
//! | `Throttled`         | 429; waits `Retry-After` when ARM sends it                 | `throttle_budget` (time) with `Retry-After`, else `max_attempts` |
//! | `Transient`         | 500, 502, 503, 504; 409 conflicts during maintenance; an operation that ended `Failed` with a server-side code (`InternalServerError`, `ServiceUnavailable`, `Conflict`, …) | `max_attempts` |
//! | `Busy`              | the cluster is in maintenance (`ServiceIsInMaintenance`) or not in a terminal state (`RequestConflict`), on the request or in the operation result: "retry in a few minutes" | `busy_budget` (time) |
//! | `Connection`        | connection refused/reset, timeouts                         | `max_attempts`    |
//! | `PrincipalNotFound` | a new identity not yet visible to Kusto (Entra ID lag)     | `principal_budget` (time) |
//! | `Fatal`             | everything else (400, 401, 403, 404, …)                    | never retried     |
//!
//! Backoff is exponential with full jitter. Only idempotent requests are retried (`is_idempotent`):
//! GET, PUT to a fixed name and DELETE are; POST and PATCH are not, so a lost answer to one of those
//! is never sent twice.

use std::time::Duration;

/// Why a request failed, as far as retrying goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryClass {
    Throttled,
    Transient,
    Busy,
    Connection,
    PrincipalNotFound,
    Fatal,
}

impl RetryClass {
    /// Classifies an HTTP failure from its status, ARM error code and message.
    pub fn of_status(status: u16, code: Option<&str>, message: &str) -> RetryClass {
        if is_principal_not_found(code, message) {
            return RetryClass::PrincipalNotFound;
        }
        if is_busy(code) {
            return RetryClass::Busy;
        }
        match status {
            429 => RetryClass::Throttled,
            500 | 502 | 503 | 504 => RetryClass::Transient,
            409 => RetryClass::Transient,
            _ => RetryClass::Fatal,
        }
    }

    /// Classifies a failed operation (an LRO that ended `Failed`) from its error. A failed create
    /// leaves nothing behind and a failed delete leaves the assignment as it was, so an operation that
    /// failed for a server-side reason is worth starting again (the PUT or DELETE is idempotent); one
    /// that failed for a reason in the request is not.
    pub fn of_operation(code: Option<&str>, message: &str) -> RetryClass {
        if is_principal_not_found(code, message) {
            return RetryClass::PrincipalNotFound;
        }
        if is_busy(code) {
            return RetryClass::Busy;
        }
        let code = code.unwrap_or_default().to_ascii_lowercase();
        match code.as_str() {
            "internalservererror"
            | "serviceunavailable"
            | "servertimeout"
            | "gatewaytimeout"
            | "conflict"
            | "anotheroperationinprogress"
            | "toomanyrequests" => RetryClass::Transient,
            _ => RetryClass::Fatal,
        }
    }
}

/// True for the methods whose repetition cannot do more than one would: GET, HEAD, PUT (to a fixed
/// name) and DELETE.
pub fn is_idempotent(method: &reqwest::Method) -> bool {
    matches!(
        *method,
        reqwest::Method::GET
            | reqwest::Method::HEAD
            | reqwest::Method::PUT
            | reqwest::Method::DELETE
    )
}

/// The cluster cannot take the request for a while (docs/arm-service.md §4): maintenance, which
/// arrives in the operation result after the write was accepted, and ARM's conflict while a resource
/// is not in a terminal state. Decided on ARM's code, never on the message text.
fn is_busy(code: Option<&str>) -> bool {
    code.is_some_and(|c| {
        c.eq_ignore_ascii_case("ServiceIsInMaintenance")
            || c.eq_ignore_ascii_case("RequestConflict")
    })
}

/// The Entra ID lag errors of newly created identities (docs/arm-service.md §3): "AAD principal was not found",
/// "... was not found in AAD tenant ...".
fn is_principal_not_found(_code: Option<&str>, message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("aad principal was not found") || m.contains("was not found in aad")
}

/// One attempt's place in the sequence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Attempt {
    /// 1 for the first try.
    pub number: u32,
    /// Time spent on `PrincipalNotFound` retries so far.
    pub principal_wait: Duration,
    /// Time spent waiting out `Retry-After` of 429s so far.
    pub throttle_wait: Duration,
    /// Time spent waiting for a cluster in maintenance so far.
    pub busy_wait: Duration,
    /// Retries counted against `max_attempts` so far (transient, connection, and throttling without
    /// `Retry-After`): waits that have their own time budget do not use them up.
    pub counted: u32,
}

impl Attempt {
    pub fn first() -> Self {
        Attempt {
            number: 1,
            principal_wait: Duration::ZERO,
            throttle_wait: Duration::ZERO,
            busy_wait: Duration::ZERO,
            counted: 0,
        }
    }

    /// Counts a wait of `class` that has been slept (`retry_after`: whether the server said how long).
    pub fn waited(&mut self, class: RetryClass, d: Duration) {
        self.number += 1;
        match class {
            RetryClass::PrincipalNotFound => self.principal_wait += d,
            RetryClass::Throttled => self.throttle_wait += d,
            RetryClass::Busy => self.busy_wait += d,
            RetryClass::Transient | RetryClass::Connection | RetryClass::Fatal => self.counted += 1,
        }
    }
}

/// How many times and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all (first try included) for throttling, transient and connection failures.
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// How long to keep retrying a principal that Entra ID does not know yet.
    pub principal_budget: Duration,
    /// How long to keep waiting out 429s that say when to come back (`Retry-After`): a drained
    /// subscription budget refills at its own pace, and many parallel requests share it, so a count
    /// of attempts would give up on requests ARM is willing to serve.
    pub throttle_budget: Duration,
    /// How long to keep retrying a cluster in maintenance ("retry in a few minutes"); the session
    /// sets it to `--operation-timeout`.
    pub busy_budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
            principal_budget: Duration::from_secs(300),
            throttle_budget: Duration::from_secs(600),
            busy_budget: Duration::from_secs(1800),
        }
    }
}

impl RetryPolicy {
    /// How long to wait before the next attempt, or `None` to give up. `retry_after` is the server's
    /// `Retry-After`; `jitter` is a number in `[0, 1)` (injected so this stays a pure function).
    pub fn next_delay(
        &self,
        class: RetryClass,
        attempt: Attempt,
        idempotent: bool,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        if !idempotent {
            return None;
        }
        match class {
            RetryClass::Fatal => None,
            RetryClass::Throttled if retry_after.is_some() => {
                let ra = retry_after.unwrap_or_default();
                (attempt.throttle_wait + ra <= self.throttle_budget).then_some(ra)
            }
            RetryClass::Throttled | RetryClass::Transient | RetryClass::Connection => {
                self.counted_delay(class, attempt, retry_after, jitter)
            }
            RetryClass::Busy => self.busy_delay(attempt, retry_after, jitter),
            RetryClass::PrincipalNotFound => {
                if attempt.principal_wait >= self.principal_budget {
                    return None;
                }
                let wait = retry_after
                    .unwrap_or_else(|| self.backoff(attempt, jitter).max(self.base_delay))
                    .min(self.principal_budget - attempt.principal_wait);
                Some(wait)
            }
        }
    }

    /// Exponential backoff with full jitter, capped at `max_delay`.
    fn backoff(&self, attempt: Attempt, jitter: f64) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.number.saturating_sub(1).min(16));
        exp.min(self.max_delay).mul_f64(jitter.clamp(0.0, 1.0))
    }

    /// The wait of a failure counted against `max_attempts` (throttling without `Retry-After`,
    /// transient and connection failures).
    fn counted_delay(
        &self,
        class: RetryClass,
        attempt: Attempt,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        // A 429 that said when to come back was waited out within its own time budget; it
        // does not use up the attempts of a 503 that follows it.
        let used = attempt.counted.max(match class {
            RetryClass::Throttled => attempt.number.saturating_sub(1),
            _ => 0,
        });
        if used + 1 >= self.max_attempts {
            return None;
        }
        Some(match retry_after {
            Some(ra) => ra.min(self.max_delay.max(ra)),
            None => self.backoff(attempt, jitter),
        })
    }

    /// The wait for a cluster in maintenance, within `busy_budget`.
    fn busy_delay(
        &self,
        attempt: Attempt,
        retry_after: Option<Duration>,
        jitter: f64,
    ) -> Option<Duration> {
        // Minutes, per the service's own message: start at four base delays, double, and
        // never sleep past the budget.
        let left = self.busy_budget.checked_sub(attempt.busy_wait)?;
        if left.is_zero() {
            return None;
        }
        let exp = self
            .base_delay
            .saturating_mul(4)
            .saturating_mul(1u32 << attempt.number.saturating_sub(1).min(16))
            .min(self.max_delay);
        let wait = retry_after.unwrap_or_else(|| exp.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0)));
        Some(wait.min(left))
    }
}

/// The longest `Retry-After` taken as given: anything longer is read as this (and then clamped to
/// what is left of the operation's budget by `retry_after_within`).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Parses `Retry-After`: delay-seconds (decimals accepted) or an HTTP-date. Never panics: negative
/// values, garbage, `inf`/`NaN` are `None`; huge values (`1e20`) saturate at `MAX_RETRY_AFTER`.
pub fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    parse_retry_after_at(value, std::time::SystemTime::now())
}

/// `parse_retry_after` with the clock given (an HTTP-date is relative to `now`).
pub fn parse_retry_after_at(value: Option<&str>, now: std::time::SystemTime) -> Option<Duration> {
    let text = value?.trim();
    if text.is_empty() {
        return None;
    }
    let wait = if let Ok(secs) = text.parse::<u64>() {
        Duration::from_secs(secs.min(MAX_RETRY_AFTER.as_secs()))
    } else if let Ok(secs) = text.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        Duration::try_from_secs_f64(secs.min(MAX_RETRY_AFTER.as_secs_f64())).ok()?
    } else {
        let at = httpdate::parse_http_date(text).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// `Retry-After` parsed and clamped to `remaining` (what is left of the operation's budget), so no
/// server can make a wait outlast `--operation-timeout`. Shared by requests and operation polls.
pub fn retry_after_within(value: Option<&str>, remaining: Duration) -> Option<Duration> {
    parse_retry_after(value).map(|d| d.min(remaining))
}

#[cfg(test)]
mod tests;
