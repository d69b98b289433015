//! Issue 12 (HTTP): hostile servers on loopback. No redirect is followed (token endpoint or ARM),
//! every server-controlled quantity is bounded (body size, time per attempt, `Retry-After`, looping
//! `nextLink`), and no URL's query string reaches the output, even at -vvv.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_json::json;

use crate::arm_stub::{Answer, Stub, c1, listed, one_cluster_file, run_on_stub};
use crate::harness::{Run, TestEnv};

const ADMIN_APP: &str = "87654321-1234-1234-1234-123456789123";
/// A signed query value that must never be printed.
const SIGNED: &str = "sig=SIGSECRET0123";

fn all(run: &Run) -> String {
    format!("{}{}", run.stdout, run.stderr)
}

fn assert_no_query_strings(run: &Run) {
    let out = all(run);
    for leak in ["SIGSECRET0123", "SKIPSECRET", "?api-version="] {
        assert!(!out.contains(leak), "`{leak}` is in the output: {run:?}");
    }
}

#[test]
fn a_token_endpoint_redirect_is_not_followed_and_the_secret_goes_nowhere_else() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    // Where the redirect points: a working token endpoint, so following it would succeed.
    let target = Stub::start_tls(&env, |_, _| {
        Answer::json(
            200,
            json!({"token_type": "Bearer", "access_token": "stolen", "expires_in": 3600}),
        )
    });
    let to = format!("{}/t/oauth2/v2.0/token?{SIGNED}", target.url);
    let authority = Stub::start_tls(&env, move |_, _| Answer::empty(307).header("location", &to));
    let bundle = [
        env.emu().ca_cert_pem(),
        authority.ca_pem.as_deref().unwrap(),
        target.ca_pem.as_deref().unwrap(),
    ]
    .join("\n");
    let ca = env.write("bundle.pem", &bundle);
    let run = env.run_with(
        &["plan", "-f", &file, "--auth", "client-secret", "-vvv"],
        &[
            ("AZURE_AUTHORITY_HOST", authority.url.as_str()),
            ("KUSTO_PRINCIPALS_CA_CERT", ca.to_str().unwrap()),
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let host = authority.url.trim_start_matches("https://");
    assert!(
        run.stderr
            .contains(&format!("`{host}` answered HTTP 307, a redirect"))
            && run.stderr.contains("redirects are not followed"),
        "{run:?}"
    );
    let secret = env.emu().client_secret().to_string();
    // The form really went to the authority (so the check below means something) and nowhere else.
    let asked = authority.seen();
    assert!(
        asked
            .iter()
            .any(|s| s.method == "POST" && s.body.contains(&secret)),
        "{asked:#?}"
    );
    assert!(
        target.seen().is_empty(),
        "the redirect target was called: {:#?}",
        target.seen()
    );
    assert!(!all(&run).contains(&secret), "{run:?}");
    assert_no_query_strings(&run);
    assert_eq!(
        env.emu().request_counts().arm_total(),
        0,
        "no ARM call without a token"
    );
}

#[test]
fn an_arm_redirect_to_another_origin_is_a_scope_error_and_nothing_goes_there() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    let other = Stub::start(&env, |_, _| {
        Answer::json(
            200,
            json!({"value": [listed("x", ADMIN_APP, "AllDatabasesAdmin")]}),
        )
    });
    let to = format!("{}/elsewhere?{SIGNED}", other.url);
    let arm = Stub::start(&env, move |_, _| Answer::empty(302).header("location", &to));
    let run = run_on_stub(&env, &arm, &["plan", "-f", &file, "-vvv"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "list principal assignments `{}/principalAssignments`",
            c1()
        )) && run
            .stderr
            .contains("answered HTTP 302, a redirect to `http://127.0.0.1:")
            && run.stderr.contains("redirects are not followed"),
        "{run:?}"
    );
    assert!(other.seen().is_empty(), "followed: {:#?}", other.seen());
    assert_eq!(arm.seen().len(), 1, "a redirect is not retried");
    assert_no_query_strings(&run);
}

#[test]
fn an_endless_body_is_cut_off_at_the_cap() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    let arm = Stub::start(&env, |_, _| Answer::Endless);
    let run = run_on_stub(&env, &arm, &["plan", "-f", &file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("sent an answer larger than 32 MiB"),
        "{run:?}"
    );
    assert_eq!(
        arm.seen().len(),
        1,
        "an oversized answer is not asked for again"
    );
}

#[test]
fn a_slow_body_runs_into_the_per_attempt_deadline() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    // 200 bytes at one per 200 ms would take 40 s; each attempt may take 1 s.
    let arm = Stub::start(&env, |_, _| Answer::Trickle {
        len: 200,
        every: Duration::from_millis(200),
    });
    let run = run_on_stub(
        &env,
        &arm,
        &[
            "plan",
            "-f",
            &file,
            "--request-timeout",
            "1s",
            "--operation-timeout",
            "3s",
        ],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("sent no complete answer within 1s (--request-timeout)")
            && run.stderr.contains("left of --operation-timeout (3s)"),
        "{run:?}"
    );
    assert!(!arm.seen().is_empty());
}

#[test]
fn a_huge_retry_after_is_bounded_by_the_operation_timeout_and_never_panics() {
    for (status, value) in [
        (503, "1000000000"),
        (503, "1e20"),
        (429, "1e20"),
        (503, "-5"),
    ] {
        let env = TestEnv::demo();
        let file = one_cluster_file(&env);
        let code = if status == 429 {
            "TooManyRequests"
        } else {
            "ServiceUnavailable"
        };
        let arm = Stub::start(&env, move |_, _| {
            Answer::error(status, code, "later").header("Retry-After", value)
        });
        let run = run_on_stub(
            &env,
            &arm,
            &["plan", "-f", &file, "--operation-timeout", "5s"],
        );
        assert_eq!(run.code, 1, "{status} {value}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{run:?}");
        assert!(run.stderr.contains(code), "{run:?}");
        if value != "-5" {
            assert!(
                run.stderr
                    .contains("gave up: the next attempt would be in a day or more")
                    && run.stderr.contains("--operation-timeout (5s)"),
                "{run:?}"
            );
            assert_eq!(arm.seen().len(), 1, "no wait, no second attempt");
        }
    }
}

/// An ARM stub whose listing's `nextLink` is made by `link` from the stub's own URL and the
/// request (path and query).
fn linking_stub(
    env: &TestEnv,
    link: impl Fn(&str, &crate::arm_stub::Seen, usize) -> Answer + Send + Sync + 'static,
) -> Stub {
    let me: Arc<OnceLock<String>> = Arc::default();
    let inner = me.clone();
    let stub = Stub::start(env, move |seen, n| {
        link(inner.get().expect("url set"), seen, n)
    });
    me.set(stub.url.clone()).expect("set once");
    stub
}

#[test]
fn a_next_link_seen_twice_ends_the_scope_with_an_error() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    // Page 1 points at page 2, which points at itself: a loop that differs only in the query.
    let arm = linking_stub(&env, |me, seen, _| {
        Answer::json(
            200,
            json!({
                "value": [listed("x", ADMIN_APP, "AllDatabasesAdmin")],
                "nextLink": format!("{me}{}?api-version=2024-04-13&$skiptoken=SKIPSECRET&{SIGNED}", seen.path),
            }),
        )
    });
    let run = run_on_stub(&env, &arm, &["plan", "-f", &file, "-vvv"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("nextLink points back to a page already read")
            && run.stderr.contains(&format!(
                "list principal assignments `{}/principalAssignments`",
                c1()
            )),
        "{run:?}"
    );
    assert_eq!(arm.seen().len(), 2, "each page once: {:#?}", arm.seen());
    assert_no_query_strings(&run);
}

#[test]
fn query_strings_never_reach_stderr_at_vvv() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    // Page 2 (reached by a signed nextLink) fails; every message about it names the path only.
    let arm = linking_stub(&env, |me, seen, _| {
        if seen.query.contains("SKIPSECRET") {
            Answer::error(400, "BadRequest", "the skip token is invalid")
        } else {
            Answer::json(
                200,
                json!({
                    "value": [],
                    "nextLink": format!("{me}{}?api-version=2024-04-13&$skiptoken=SKIPSECRET&{SIGNED}", seen.path),
                }),
            )
        }
    });
    let run = run_on_stub(&env, &arm, &["plan", "-f", &file, "-vvv"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("the skip token is invalid") && run.stderr.contains("arm request"),
        "{run:?}"
    );
    // Both pages, then (a 400 BadRequest is what a stopped cluster answers) the cluster's state.
    let pages = arm
        .seen()
        .iter()
        .filter(|s| s.path.ends_with("/principalAssignments"))
        .count();
    assert_eq!(pages, 2, "{:#?}", arm.seen());
    assert_no_query_strings(&run);
}

#[test]
fn a_redirect_from_the_github_oidc_url_is_not_followed() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    let other = Stub::start(&env, |_, _| Answer::json(200, json!({"value": "eyJ.x.y"})));
    let to = format!("{}/idtoken?{SIGNED}", other.url);
    let actions = Stub::start(&env, move |_, _| Answer::empty(308).header("location", &to));
    let url = format!("{}/idtoken?api-version=2.0", actions.url);
    let run = env.run_with(
        &["plan", "-f", &file, "--auth", "github-oidc", "-vvv"],
        &[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", url.as_str()),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token"),
        ],
        &["AZURE_CLIENT_SECRET"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("answered HTTP 308, a redirect")
            && run.stderr.contains("redirects are not followed"),
        "{run:?}"
    );
    assert_eq!(actions.seen().len(), 1, "{:#?}", actions.seen());
    assert!(other.seen().is_empty(), "followed: {:#?}", other.seen());
    assert!(!all(&run).contains("gh-request-token"), "{run:?}");
    assert_no_query_strings(&run);
}
