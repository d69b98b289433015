//! Issue 5: the ARM client under faults. Every retry class, `Retry-After`, the retry budget, the
//! operation deadline, operations that end `Failed`, Entra ID lag, `nextLink` / polling URLs on
//! another host (refused without sending the token), signed poll parameters never logged, and a
//! multi-cluster plan that comes out right through 30% faults and throttling.

use std::time::{Duration, Instant};

use kusto_emulator::{AssignmentState, DirectoryEntry, EmulatorOptions, demo_state};
use kusto_emulator::{PrincipalType, Role};
use serde_json::json;

use crate::apply_fleet::{fleet, fleet_file};
use crate::arm_stub::{Answer, SUB, Stub, c1, listed, one_cluster_file, run_on_stub};
use crate::harness::TestEnv;

const ADMIN_APP: &str = "87654321-1234-1234-1234-123456789123";

fn list_of(items: Vec<serde_json::Value>) -> Answer {
    Answer::json(200, json!({ "value": items }))
}

#[test]
fn every_retry_class_is_retried_and_retry_after_is_honoured() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    let stub = Stub::start(&env, |_, n| match n {
        0 => Answer::Reset,
        1 => Answer::error(500, "InternalServerError", "boom"),
        2 => Answer::error(502, "BadGateway", "bad gateway").header("Retry-After", "0"),
        3 => Answer::error(503, "ServiceUnavailable", "later").header("Retry-After", "0"),
        4 => Answer::error(504, "GatewayTimeout", "slow").header("Retry-After", "0"),
        5 => Answer::error(409, "Conflict", "another operation is in progress")
            .header("Retry-After", "0"),
        6 => Answer::error(429, "TooManyRequests", "throttled").header("Retry-After", "1"),
        _ => list_of(vec![listed("admin", ADMIN_APP, "AllDatabasesAdmin")]),
    });
    let run = run_on_stub(
        &env,
        &stub,
        &["plan", "-f", &file, "--detailed-exitcode", "-v"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("No changes."), "{run:?}");
    let seen = stub.seen();
    assert_eq!(seen.len(), 8, "{seen:#?}");
    assert!(
        seen.iter().all(|s| s
            .authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Bearer "))),
        "{seen:#?}"
    );
    let after_429 = seen[7].at - seen[6].at;
    assert!(
        after_429 >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured: {after_429:?}"
    );
    for class in ["Connection", "Transient", "Throttled"] {
        assert!(
            run.stderr.contains(&format!("{class} (")),
            "{class}: {run:?}"
        );
    }
}

#[test]
fn retries_stop_after_the_budget_and_the_error_says_what_failed() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    let stub = Stub::start(&env, |_, _| {
        Answer::error(503, "ServiceUnavailable", "still down").header("Retry-After", "0")
    });
    let run = run_on_stub(&env, &stub, &["plan", "-f", &file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(stub.seen().len(), 8, "max_attempts is 8");
    assert!(
        run.stderr.contains(&format!(
            "list principal assignments `{}/principalAssignments` failed with 503 ServiceUnavailable: still down (x-ms-request-id req-503-ServiceUnavailable)",
            c1()
        )),
        "{run:?}"
    );
}

#[test]
fn client_errors_are_not_retried() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    let stub = Stub::start(&env, |_, _| {
        Answer::error(400, "InvalidApiVersionParameter", "bad version")
    });
    let run = run_on_stub(&env, &stub, &["plan", "-f", &file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(stub.seen().len(), 1, "{run:?}");
    assert!(
        run.stderr.contains("400 InvalidApiVersionParameter"),
        "{run:?}"
    );
}

/// A stub ARM for one create of the admin app on an empty `c1`: the PUT answers with `put`, polls of
/// `/op` answer with `poll(n)`, and the final GET returns the assignment.
fn create_stub(
    env: &TestEnv,
    put: impl Fn(usize) -> Answer + Send + Sync + 'static,
    poll: impl Fn(usize) -> Answer + Send + Sync + 'static,
) -> Stub {
    Stub::start(env, move |seen, n| {
        let collection = format!("{}/principalAssignments", c1());
        match seen.method.as_str() {
            "GET" if seen.path == collection => list_of(vec![]),
            "PUT" => put(n),
            "GET" if seen.path.starts_with("/op") => poll(n),
            "GET" => Answer::json(
                200,
                listed(
                    seen.path.rsplit('/').next().unwrap_or(""),
                    ADMIN_APP,
                    "AllDatabasesAdmin",
                ),
            ),
            _ => Answer::empty(405),
        }
    })
}

const SIGNED: &str = "t=SIGT0KEN&c=SIGCERT&s=SIGSIGNATURE&h=SIGHASH";

fn assert_no_signed_params(text: &str) {
    for secret in ["SIGT0KEN", "SIGCERT", "SIGSIGNATURE", "SIGHASH"] {
        assert!(!text.contains(secret), "`{secret}` was printed:\n{text}");
    }
}

#[test]
fn an_operation_that_ends_failed_is_reported_with_its_code_and_not_repeated() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    let stub_url = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let url = stub_url.clone();
    let stub = create_stub(
        &env,
        move |_| {
            Answer::json(201, json!({})).header(
                "Azure-AsyncOperation",
                &format!(
                    "{}/op/1?api-version=2024-04-13&{SIGNED}",
                    url.get().unwrap()
                ),
            )
        },
        |n| match n {
            0 => Answer::json(200, json!({"status": "Running"})).header("Retry-After", "0"),
            _ => Answer::json(
                200,
                json!({"status": "Failed", "error": {"code": "BadRequest", "message": "the principal was rejected (stub)"}}),
            ),
        },
    );
    stub_url.set(stub.url.clone()).unwrap();
    let run = run_on_stub(
        &env,
        &stub,
        &["apply", "-f", &file, "--auto-approve", "-vv"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("FAILED"), "{run:?}");
    assert!(
        run.stdout
            .contains("failed with BadRequest: the principal was rejected (stub)"),
        "{run:?}"
    );
    let seen = stub.seen();
    assert_eq!(seen.iter().filter(|s| s.method == "PUT").count(), 1);
    assert_eq!(seen.iter().filter(|s| s.path == "/op/1").count(), 2);
    // The poll URL's signed parameters went to ARM, and nowhere else.
    assert!(seen.iter().any(|s| s.query.contains("s=SIGSIGNATURE")));
    assert_no_signed_params(&format!("{}{}", run.stdout, run.stderr));
}

#[test]
fn an_operation_that_fails_server_side_is_started_again() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    let stub_url = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let url = stub_url.clone();
    let stub = Stub::start(&env, move |seen, n| {
        let collection = format!("{}/principalAssignments", c1());
        match (seen.method.as_str(), seen.path.as_str()) {
            ("GET", p) if p == collection => list_of(vec![]),
            ("PUT", _) => Answer::json(201, json!({})).header(
                "Azure-AsyncOperation",
                &format!("{}/op/{n}?api-version=2024-04-13", url.get().unwrap()),
            ),
            ("GET", "/op/0") => Answer::json(
                200,
                json!({"status": "Failed", "error": {"code": "InternalServerError", "message": "[InternalServerError] Failed to run add principal assignment action for service Engine-c1."}}),
            ),
            ("GET", p) if p.starts_with("/op/") => {
                Answer::json(200, json!({"status": "Succeeded"}))
            }
            ("GET", p) => Answer::json(
                200,
                listed(
                    p.rsplit('/').next().unwrap_or(""),
                    ADMIN_APP,
                    "AllDatabasesAdmin",
                ),
            ),
            _ => Answer::empty(405),
        }
    });
    stub_url.set(stub.url.clone()).unwrap();
    let run = run_on_stub(&env, &stub, &["apply", "-f", &file, "--auto-approve", "-v"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("Apply complete: 1 change (1 add, 0 replace, 0 delete) in 1 write; 1 applied, 0 failed, 0 skipped."),
        "{run:?}"
    );
    assert_eq!(stub.seen().iter().filter(|s| s.method == "PUT").count(), 2);
    assert!(run.stderr.contains("starting it again"), "{run:?}");
}

#[test]
fn a_location_poll_that_ends_in_an_error_fails_the_write() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    let stub_url = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let url = stub_url.clone();
    let stub = create_stub(
        &env,
        move |_| {
            Answer::json(201, json!({})).header(
                "Location",
                &format!(
                    "{}/op/loc?api-version=2024-04-13&operationResultResponseType=Location&{SIGNED}",
                    url.get().unwrap()
                ),
            )
        },
        |n| match n {
            0 => Answer::empty(202).header("Retry-After", "0"),
            _ => Answer::error(400, "BadRequest", "[BadRequest] role is not valid (stub)"),
        },
    );
    stub_url.set(stub.url.clone()).unwrap();
    let run = run_on_stub(
        &env,
        &stub,
        &["apply", "-f", &file, "--auto-approve", "-vv"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("role is not valid (stub)"), "{run:?}");
    assert_no_signed_params(&format!("{}{}", run.stdout, run.stderr));
}

#[test]
fn an_operation_past_the_deadline_fails_and_holds_back_the_clusters_deletes() {
    let mut state = demo_state();
    state.clusters[0].principals.push(AssignmentState {
        name: "to-delete".into(),
        principal_id: "bob@contoso.com".into(),
        principal_type: PrincipalType::User,
        role: Role::AllDatabasesMonitor,
        tenant_id: None,
    });
    // Operations stay `Running` for far longer than the deadline.
    let env = TestEnv::with_options(
        state,
        EmulatorOptions::default()
            .lro_polls(100_000)
            .lro_timeout(Duration::from_secs(600)),
    );
    let file = env.write(
        "p.yaml",
        &format!(
            "version: 1\ndefaults:\n  subscription: {SUB}\n  resource_group: testrg\nclusters:\n  - name: mykustocluster\n    unmanaged: delete\n    principals:\n      - app: {ADMIN_APP}\n        role: AllDatabasesAdmin\n      - user: alice@contoso.com\n        role: AllDatabasesViewer\n"
        ),
    );
    let started = Instant::now();
    let run = env.run(&[
        "apply",
        "-f",
        file.to_str().unwrap(),
        "--auto-approve",
        "--operation-timeout",
        "1s",
    ]);
    let took = started.elapsed();
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout
            .contains("the operation did not finish within 1s (--operation-timeout)"),
        "{run:?}"
    );
    assert!(
        run.stdout
            .contains("did not succeed; its deletes wait for a rerun"),
        "{run:?}"
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let history = env.emu().write_history();
    assert_eq!(
        history.iter().filter(|w| w.method == "PUT").count(),
        1,
        "{history:#?}"
    );
    assert!(history.iter().all(|w| w.method != "DELETE"), "{history:#?}");
}

#[test]
fn entra_id_lag_is_retried_within_the_principal_wait_budget() {
    let mut state = demo_state();
    // A brand-new app: Entra ID shows it to Kusto only 2 s after the start.
    state.directory.as_mut().unwrap().push(DirectoryEntry {
        principal_type: PrincipalType::App,
        id: "aaaaaaaa-0000-4000-8000-00000000000a".into(),
        object_id: "bbbbbbbb-0000-4000-8000-00000000000b".into(),
        display_name: "new-app".into(),
        upn: None,
        mail: None,
        lag_secs: Some(2),
    });
    let env = TestEnv::with_state(state);
    let file = env.write(
        "p.yaml",
        &format!(
            "version: 1\ndefaults:\n  subscription: {SUB}\n  resource_group: testrg\n  unmanaged: keep\nclusters:\n  - name: mykustocluster\n    principals:\n      - app: aaaaaaaa-0000-4000-8000-00000000000a\n        role: AllDatabasesViewer\n"
        ),
    );
    let file = file.to_str().unwrap();
    let run = env.run(&[
        "apply",
        "-f",
        file,
        "--auto-approve",
        "--principal-wait",
        "30s",
        "-v",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("AAD principal was not found"),
        "{run:?}"
    );
    let puts: Vec<_> = env
        .emu()
        .write_history()
        .into_iter()
        .filter(|w| w.method == "PUT")
        .collect();
    assert!(puts.len() >= 2, "{puts:#?}");
    assert_eq!(puts.iter().filter(|w| w.granted()).count(), 1, "{puts:#?}");
    assert_eq!(
        env.run(&["plan", "-f", file, "--detailed-exitcode"]).code,
        0
    );
}

#[test]
fn entra_id_lag_past_the_budget_fails_with_the_reason() {
    // A principal no seeded assignment uses takes the emulator-wide lag: ten minutes.
    let mut state = demo_state();
    state.directory.as_mut().unwrap().push(DirectoryEntry {
        principal_type: PrincipalType::App,
        id: "cccccccc-0000-4000-8000-00000000000c".into(),
        object_id: "dddddddd-0000-4000-8000-00000000000d".into(),
        display_name: "brand-new-app".into(),
        upn: None,
        mail: None,
        lag_secs: None,
    });
    let env = TestEnv::with_options(state, EmulatorOptions::default().aad_lag_secs(600));
    let file = env.write(
        "p.yaml",
        &format!(
            "version: 1\ndefaults:\n  subscription: {SUB}\n  resource_group: testrg\n  unmanaged: keep\nclusters:\n  - name: mykustocluster\n    principals:\n      - app: cccccccc-0000-4000-8000-00000000000c\n        role: AllDatabasesViewer\n"
        ),
    );
    let started = Instant::now();
    let run = env.run(&[
        "apply",
        "-f",
        file.to_str().unwrap(),
        "--auto-approve",
        "--principal-wait",
        "1s",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("AAD principal was not found"),
        "{run:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(15));
    let puts = env
        .emu()
        .write_history()
        .into_iter()
        .filter(|w| w.method == "PUT")
        .count();
    assert!(puts >= 2, "retried at least once within the budget: {puts}");
}

/// Two stubs: `arm` is the ARM endpoint, `other` another host (same address, another port).
fn cross_host(
    env: &TestEnv,
    answer: impl Fn(&str, &crate::arm_stub::Seen, usize) -> Answer + Send + Sync + 'static,
) -> (Stub, Stub) {
    let other = Stub::start(env, |_, _| list_of(vec![]));
    let other_url = other.url.clone();
    let arm = Stub::start(env, move |seen, n| answer(&other_url, seen, n));
    (arm, other)
}

fn assert_refused(run: &crate::harness::Run, other: &Stub) {
    assert_eq!(run.code, 1, "{run:?}");
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("which is not the ARM endpoint")
            && all.contains("refusing to send the token there"),
        "{run:?}"
    );
    assert!(
        other.seen().is_empty(),
        "the other host was called: {:#?}",
        other.seen()
    );
    assert_no_signed_params(&all);
}

#[test]
fn a_next_link_to_another_host_is_refused_without_sending_the_token() {
    let env = TestEnv::demo();
    let file = one_cluster_file(&env);
    let (arm, other) = cross_host(&env, |other, _, _| {
        Answer::json(
            200,
            json!({"value": [], "nextLink": format!("{other}/page2?api-version=2024-04-13&$skiptoken=1&{SIGNED}")}),
        )
    });
    let run = run_on_stub(&env, &arm, &["plan", "-f", &file, "-vv"]);
    assert_refused(&run, &other);
    assert_eq!(arm.seen().len(), 1, "not retried");
}

#[test]
fn polling_urls_on_another_host_are_refused_without_sending_the_token() {
    for header in ["Azure-AsyncOperation", "Location"] {
        let env = TestEnv::demo();
        let file = one_cluster_file(&env);
        let (arm, other) = cross_host(&env, move |other, seen, _| match seen.method.as_str() {
            "GET" => list_of(vec![]),
            _ => Answer::json(201, json!({})).header(
                header,
                &format!("{other}/op/1?api-version=2024-04-13&{SIGNED}"),
            ),
        });
        let run = run_on_stub(&env, &arm, &["apply", "-f", &file, "--auto-approve", "-vv"]);
        assert_refused(&run, &other);
        assert_eq!(
            arm.seen().iter().filter(|s| s.method == "PUT").count(),
            1,
            "{header}: a refused poll URL is not a reason to write again"
        );
    }
}

#[test]
fn a_multi_cluster_plan_is_right_through_faults_and_throttling() {
    const CLUSTERS: usize = 4;
    let calm = TestEnv::with_state(fleet(CLUSTERS));
    let file = calm.write("fleet.yaml", &fleet_file(CLUSTERS));
    let file = file.to_str().unwrap();
    let want = calm.run(&["plan", "-f", file, "--detailed-exitcode"]);
    assert_eq!(want.code, 2, "{want:?}");
    assert!(
        want.stdout
            .contains("Plan: 8 to add, 4 to replace, 8 to delete."),
        "{want:?}"
    );

    // Reads: the recorded GET budget times 0.04, for 8 scopes and 4 database lists; 30% faults of
    // every kind.
    let stormy = TestEnv::with_options(
        fleet(CLUSTERS),
        EmulatorOptions::default()
            .seed(7)
            .fault_rate(0.3)
            .throttle(0.04)
            .latency_ms(5),
    );
    let started = Instant::now();
    let got = stormy.run(&["plan", "-f", file, "--detailed-exitcode"]);
    let took = started.elapsed();
    assert_eq!(got.code, 2, "{got:?}");
    assert_eq!(got.stdout, want.stdout);
    let log = stormy.emu().request_log();
    let count = |status: u16| {
        log.iter()
            .filter(|r| r.kind == "list" && r.status == status)
            .count()
    };
    assert_eq!(count(200), 8, "{log:#?}");
    assert!(count(429) > 0, "never throttled");
    assert!(
        count(0) + count(500) + count(503) > 0,
        "no server fault was met"
    );
    eprintln!(
        "fleet plan through faults: {took:?}, {} list requests ({} throttled, {} reset, {} 5xx)",
        log.len(),
        count(429),
        count(0),
        count(500) + count(503)
    );
    // How long it took is printed above, not asserted: a loaded machine is not a failing client.
    // Every run of the binary is bounded by the harness's timeout.
}
