//! Issue 15 and 12: what `apply` sends to ARM, counted by kind in the emulator's request log, and
//! SIGTERM (what CI sends when a job is cancelled) against the real binary mid-apply.

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kusto_emulator::{EmulatorOptions, RequestRecord};
use serde_json::Value;

use crate::apply_fleet::{fleet, fleet_file};
use crate::harness::TestEnv;

fn by_kind(log: &[RequestRecord]) -> BTreeMap<String, usize> {
    let mut kinds = BTreeMap::new();
    for r in log {
        *kinds.entry(r.kind.clone()).or_default() += 1;
    }
    kinds
}

#[test]
fn apply_sends_one_list_per_touched_scope_and_per_write_only_the_write_and_its_poll() {
    // Two clusters, each with a cluster scope and a database: per cluster 2 to add, 1 to replace
    // and 2 to delete, which is 6 writes (a replace is a create and a delete); every scope touched.
    const CLUSTERS: usize = 2;
    let env = TestEnv::with_state(fleet(CLUSTERS));
    let file = env.write("fleet.yaml", &fleet_file(CLUSTERS));
    let file = file.to_str().unwrap();
    let run = env.run(&["apply", "-f", file, "--auto-approve", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).expect("a JSON report");
    let actions = report["actions"].as_array().expect("actions");
    assert!(
        actions.iter().all(|a| a["outcome"] == "applied"),
        "{report:#}"
    );
    let writes = actions.len();
    assert_eq!(writes, 6 * CLUSTERS, "{report:#}");

    let kinds = by_kind(&env.emu().request_log());
    let scopes = 2 * CLUSTERS;
    let count = |k: &str| kinds.get(k).copied().unwrap_or(0);
    assert_eq!(count("get"), 0, "no GET of a single assignment: {kinds:?}");
    assert_eq!(
        count("list"),
        scopes + scopes,
        "the plan's list and one guard list per touched scope: {kinds:?}"
    );
    assert_eq!(count("put") + count("delete"), writes, "{kinds:?}");
    // Operations complete at once here: one poll per write.
    assert_eq!(count("operation"), writes, "{kinds:?}");

    let again = env.run(&["plan", "-f", file, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
}

#[test]
fn apply_of_a_saved_plan_lets_its_staleness_listings_serve_as_the_guards() {
    const CLUSTERS: usize = 2;
    let env = TestEnv::with_state(fleet(CLUSTERS));
    let file = env.write("fleet.yaml", &fleet_file(CLUSTERS));
    let saved = env.dir.path().join("plan.json");
    let plan = env.run(&[
        "plan",
        "-f",
        file.to_str().unwrap(),
        "--out",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let before = env.emu().request_log().len();
    let run = env.run(&["apply", saved.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    let kinds = by_kind(&env.emu().request_log()[before..]);
    let count = |k: &str| kinds.get(k).copied().unwrap_or(0);
    // Each touched scope is listed once, by the staleness check; the guard reuses it while fresh.
    assert_eq!(count("list"), 2 * CLUSTERS, "{kinds:?}");
    assert_eq!(count("get"), 0, "{kinds:?}");
    assert_eq!(count("put") + count("delete"), 6 * CLUSTERS, "{kinds:?}");
    assert_eq!(count("operation"), 6 * CLUSTERS, "{kinds:?}");
}

/// Waits for `child` to exit, at most `limit`.
fn wait_bounded(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the CLI did not exit within {limit:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigterm_mid_apply_lets_running_operations_finish_and_prints_the_report() {
    const CLUSTERS: usize = 2;
    // Slow answers and operations that run for two polls, so SIGTERM lands while one runs.
    let env = TestEnv::with_options(
        fleet(CLUSTERS),
        EmulatorOptions::default().latency_ms(150).lro_polls(2),
    );
    let file = env.write("fleet.yaml", &fleet_file(CLUSTERS));
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("kusto-principals"))
        .env_clear()
        .envs(env.emu().env())
        .current_dir(env.dir.path())
        .args(["apply", "-f", file.to_str().unwrap(), "--auto-approve"])
        .args(["--parallelism", "1", "--format", "json", "--no-progress"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start apply");
    let deadline = Instant::now() + Duration::from_secs(30);
    while env.emu().write_history().is_empty() {
        assert!(Instant::now() < deadline, "no write came");
        std::thread::sleep(Duration::from_millis(2));
    }
    // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(rc, 0, "send SIGTERM");
    let status = wait_bounded(&mut child, Duration::from_secs(30));
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(stderr.contains("interrupted (SIGTERM)"), "{stderr}");

    let report: Value = serde_json::from_str(&stdout).expect("the report is printed");
    let actions = report["actions"].as_array().expect("actions");
    assert_eq!(actions.len(), 6 * CLUSTERS, "{report:#}");
    let applied = actions.iter().filter(|a| a["outcome"] == "applied").count();
    let interrupted = actions
        .iter()
        .filter(|a| a["reason"] == "interrupted (Ctrl-C or SIGTERM) before it started")
        .count();
    assert!(applied >= 1 && interrupted >= 1, "{report:#}");
    assert_eq!(applied + interrupted, actions.len(), "{report:#}");

    // What reached ARM: exactly the applied writes, each operation followed to its end.
    let history = env.emu().write_history();
    assert_eq!(history.len(), applied, "{history:#?}");
    assert!(
        history
            .iter()
            .all(|w| w.operation_status.as_deref() == Some("Succeeded")),
        "a write was abandoned mid-operation: {history:#?}"
    );
}
