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

/// The Entra ID lag errors of newly created identities (reference P7): "AAD principal was not found",
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
        let backoff = || {
            let exp = self
                .base_delay
                .saturating_mul(1u32 << attempt.number.saturating_sub(1).min(16));
            exp.min(self.max_delay).mul_f64(jitter.clamp(0.0, 1.0))
        };
        match class {
            RetryClass::Fatal => None,
            RetryClass::Throttled if retry_after.is_some() => {
                let ra = retry_after.unwrap_or_default();
                (attempt.throttle_wait + ra <= self.throttle_budget).then_some(ra)
            }
            RetryClass::Throttled | RetryClass::Transient | RetryClass::Connection => {
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
                    None => backoff(),
                })
            }
            RetryClass::Busy => {
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
                let wait =
                    retry_after.unwrap_or_else(|| exp.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0)));
                Some(wait.min(left))
            }
            RetryClass::PrincipalNotFound => {
                if attempt.principal_wait >= self.principal_budget {
                    return None;
                }
                let wait = retry_after
                    .unwrap_or_else(|| backoff().max(self.base_delay))
                    .min(self.principal_budget - attempt.principal_wait);
                Some(wait)
            }
        }
    }
}

/// Parses `Retry-After` in seconds (ARM never sends the HTTP-date form here).
pub fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(n: u32) -> Attempt {
        Attempt {
            number: n,
            principal_wait: Duration::ZERO,
            throttle_wait: Duration::ZERO,
            busy_wait: Duration::ZERO,
            counted: n.saturating_sub(1),
        }
    }

    #[test]
    fn statuses_classify() {
        use RetryClass::*;
        let cases = [
            (429, None, "", Throttled),
            (500, None, "", Transient),
            (502, None, "", Transient),
            (503, None, "", Transient),
            (504, None, "", Transient),
            (409, Some("Conflict"), "another operation", Transient),
            (409, Some("RequestConflict"), "not terminal", Busy),
            (409, Some("ServiceIsInMaintenance"), "maintenance", Busy),
            (400, Some("BadRequest"), "role is invalid", Fatal),
            (401, None, "", Fatal),
            (403, None, "", Fatal),
            (404, Some("ResourceNotFound"), "not found", Fatal),
            (
                404,
                Some("ResourceNotFound"),
                "The Resource 'Microsoft.Kusto/clusters/c/principalAssignments/x' under resource group 'rg' was not found.",
                Fatal,
            ),
            (
                404,
                Some("ResourceNotFound"),
                "[NotFound] Failed to run add principal assignment action for service Engine. AAD principal was not found.",
                PrincipalNotFound,
            ),
            (
                400,
                Some("400-BadRequest"),
                "[BadRequest] Entity ID 'x' of type 'AAD Application Id' was not found in AAD tenant 'y'.",
                PrincipalNotFound,
            ),
        ];
        for (status, code, message, want) in cases {
            assert_eq!(
                RetryClass::of_status(status, code, message),
                want,
                "{status} {message}"
            );
        }
    }

    #[test]
    fn failed_operations_classify_by_code() {
        use RetryClass::*;
        let cases = [
            (
                Some("InternalServerError"),
                "[InternalServerError] Failed to run add principal assignment action",
                Transient,
            ),
            (Some("ServiceUnavailable"), "try later", Transient),
            (Some("Conflict"), "another operation", Transient),
            (Some("BadRequest"), "role is invalid", Fatal),
            (
                Some("ServiceIsInMaintenance"),
                "[Conflict] Cluster 'c' is in process of maintenance for a short period. You may retry to invoke the operation in a few minutes.",
                Busy,
            ),
            (
                Some("RequestConflict"),
                "provisioning state is not terminal",
                Busy,
            ),
            (None, "the operation ended Failed", Fatal),
            (
                Some("ResourceNotFound"),
                "[NotFound] Failed to run add principal assignment action for service Engine-c. AAD principal was not found.",
                PrincipalNotFound,
            ),
        ];
        for (code, message, want) in cases {
            assert_eq!(
                RetryClass::of_operation(code, message),
                want,
                "{code:?} {message}"
            );
        }
    }

    #[test]
    fn only_idempotent_methods_are_retried() {
        use reqwest::Method;
        assert!(is_idempotent(&Method::GET));
        assert!(is_idempotent(&Method::PUT));
        assert!(is_idempotent(&Method::DELETE));
        assert!(!is_idempotent(&Method::POST));
        assert!(!is_idempotent(&Method::PATCH));
    }

    #[test]
    fn retry_after_wins_over_backoff() {
        let p = RetryPolicy::default();
        let d = p.next_delay(
            RetryClass::Throttled,
            attempt(1),
            true,
            Some(Duration::from_secs(7)),
            0.5,
        );
        assert_eq!(d, Some(Duration::from_secs(7)));
    }

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let p = RetryPolicy::default();
        let at = |n, j| p.next_delay(RetryClass::Transient, attempt(n), true, None, j);
        assert_eq!(at(1, 1.0), Some(Duration::from_millis(500)));
        assert_eq!(at(3, 1.0), Some(Duration::from_millis(2000)));
        assert_eq!(at(3, 0.5), Some(Duration::from_millis(1000)));
        assert_eq!(at(3, 0.0), Some(Duration::ZERO));
        let capped = RetryPolicy {
            max_attempts: 100,
            ..p
        };
        assert_eq!(
            capped.next_delay(RetryClass::Connection, attempt(40), true, None, 1.0),
            Some(p.max_delay)
        );
    }

    #[test]
    fn gives_up_when_fatal_exhausted_or_not_idempotent() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.next_delay(RetryClass::Fatal, attempt(1), true, None, 0.5),
            None
        );
        assert_eq!(
            p.next_delay(RetryClass::Throttled, attempt(8), true, None, 0.5),
            None
        );
        assert_eq!(
            p.next_delay(
                RetryClass::Transient,
                attempt(8),
                true,
                Some(Duration::ZERO),
                0.5
            ),
            None
        );
        assert_eq!(
            p.next_delay(RetryClass::Throttled, attempt(1), false, None, 0.5),
            None
        );
    }

    #[test]
    fn throttling_with_retry_after_has_a_time_budget_not_an_attempt_count() {
        let p = RetryPolicy {
            throttle_budget: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let mut a = attempt(30);
        a.throttle_wait = Duration::from_secs(8);
        let ra = Some(Duration::from_secs(2));
        assert_eq!(
            p.next_delay(RetryClass::Throttled, a, true, ra, 0.5),
            Some(Duration::from_secs(2))
        );
        a.throttle_wait = Duration::from_secs(9);
        assert_eq!(p.next_delay(RetryClass::Throttled, a, true, ra, 0.5), None);
        // Without Retry-After a 429 counts attempts like any transient failure.
        assert_eq!(
            p.next_delay(RetryClass::Throttled, a, true, None, 0.5),
            None
        );
    }

    #[test]
    fn principal_not_found_has_its_own_time_budget() {
        let p = RetryPolicy {
            principal_budget: Duration::from_secs(10),
            ..RetryPolicy::default()
        };
        let mut a = attempt(20); // far past max_attempts: the time budget is what counts
        a.principal_wait = Duration::from_secs(9);
        assert_eq!(
            p.next_delay(
                RetryClass::PrincipalNotFound,
                a,
                true,
                Some(Duration::from_secs(5)),
                0.5
            ),
            Some(Duration::from_secs(1))
        );
        a.principal_wait = Duration::from_secs(10);
        assert_eq!(
            p.next_delay(RetryClass::PrincipalNotFound, a, true, None, 0.5),
            None
        );
    }

    #[test]
    fn retry_after_parses_seconds() {
        assert_eq!(parse_retry_after(Some("3")), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after(Some(" 0.5 ")),
            Some(Duration::from_millis(500))
        );
        assert_eq!(parse_retry_after(Some("soon")), None);
        assert_eq!(parse_retry_after(None), None);
    }

    /// Maintenance is waited out for minutes, within the budget (`--operation-timeout`), not within
    /// `max_attempts` quick retries.
    #[test]
    fn a_busy_cluster_is_waited_for_within_its_time_budget() {
        let p = RetryPolicy {
            busy_budget: Duration::from_secs(600),
            ..RetryPolicy::default()
        };
        let mut a = Attempt::first();
        let mut slept = Duration::ZERO;
        while let Some(d) = p.next_delay(RetryClass::Busy, a, true, None, 0.5) {
            assert!(d <= p.max_delay, "{d:?}");
            slept += d;
            a.waited(RetryClass::Busy, d);
            assert!(a.number < 100, "the budget must end the waits");
        }
        assert_eq!(
            slept,
            Duration::from_secs(600),
            "waits until the budget, not past it"
        );
        assert!(
            a.number > p.max_attempts,
            "more than the quick-retry count: {}",
            a.number
        );
        assert_eq!(
            p.next_delay(RetryClass::Busy, Attempt::first(), false, None, 0.5),
            None
        );
    }
}
