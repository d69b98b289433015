//! The retry decision and `Retry-After` parsing, case by case.

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

#[test]
fn hostile_retry_after_values_never_panic_and_are_bounded() {
    for v in [
        "-1", "-0.5", "", "  ", "NaN", "inf", "-inf", "1e", "0x10", "3 s", "\u{0}",
    ] {
        assert_eq!(parse_retry_after(Some(v)), None, "{v:?}");
    }
    for v in [
        "1000000000",
        "1e20",
        "1e308",
        "18446744073709551615",
        "99999999999999999999999",
    ] {
        assert_eq!(parse_retry_after(Some(v)), Some(MAX_RETRY_AFTER), "{v:?}");
    }
    assert_eq!(
        retry_after_within(Some("1e20"), Duration::from_secs(2)),
        Some(Duration::from_secs(2))
    );
    assert_eq!(
        retry_after_within(Some("1"), Duration::from_secs(2)),
        Some(Duration::from_secs(1))
    );
    assert_eq!(
        retry_after_within(Some("junk"), Duration::from_secs(2)),
        None
    );
}

#[test]
fn retry_after_parses_http_dates_relative_to_now() {
    let now = httpdate::parse_http_date("Tue, 01 Dec 2026 22:00:00 GMT").unwrap();
    let at = |v| parse_retry_after_at(Some(v), now);
    assert_eq!(
        at("Tue, 01 Dec 2026 22:00:30 GMT"),
        Some(Duration::from_secs(30))
    );
    // A date in the past means now.
    assert_eq!(at("Tue, 01 Dec 2026 21:00:00 GMT"), Some(Duration::ZERO));
    // Far in the future saturates.
    assert_eq!(at("Fri, 31 Dec 9999 23:59:59 GMT"), Some(MAX_RETRY_AFTER));
    assert_eq!(at("Tue, 32 Dec 2026 22:00:30 GMT"), None);
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

/// A 429 that said when to come back does not use up the attempts of the 503s after it.
#[test]
fn throttle_waits_do_not_use_up_transient_attempts() {
    let p = RetryPolicy::default();
    let mut a = Attempt::first();
    for _ in 0..20 {
        let d = p
            .next_delay(
                RetryClass::Throttled,
                a,
                true,
                Some(Duration::from_millis(10)),
                0.5,
            )
            .expect("within the throttle budget");
        a.waited(RetryClass::Throttled, d);
    }
    assert!(
        p.next_delay(RetryClass::Transient, a, true, None, 0.5)
            .is_some()
    );
}
