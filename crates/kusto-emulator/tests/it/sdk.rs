//! Microsoft's own SDKs against the emulator: azure-mgmt-kusto with azure-identity (Python) and
//! @azure/arm-kusto with @azure/identity (JavaScript, at its default api-version 2023-08-15). Each
//! gets a token through Entra ID's discovery document and token endpoint, then runs list → check
//! name → create → get → list → check name → delete → get 404 → list at cluster and database scope
//! (`tests/sdk/`). `.ci/run` installs the pinned packages into `tests/sdk/.venv` and
//! `tests/sdk/js/node_modules`; without them these tests fail, they are never skipped.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use kusto_emulator::{Emulator, EmulatorOptions, demo_state};

use crate::support::{SUB, within};

fn sdk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

/// Runs one SDK script against a fresh emulator; returns the emulator and the script's output.
async fn run(program: PathBuf, script: &str, cwd: PathBuf) -> (Emulator, String) {
    assert!(
        program.exists() || program.components().count() == 1,
        "{} is missing: run .ci/run, which installs the SDKs (see tests/sdk/)",
        program.display()
    );
    let emu = within(
        "start",
        Emulator::start(demo_state(), EmulatorOptions::default()),
    )
    .await
    .expect("emulator starts");
    let mut cmd = tokio::process::Command::new(&program);
    cmd.arg(script)
        .current_dir(&cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "HOME",
            std::env::var("HOME").unwrap_or_else(|_| "/tmp".into()),
        )
        .envs(emu.env())
        .env("KUSTO_SDK_SUBSCRIPTION", SUB)
        .env("KUSTO_SDK_RESOURCE_GROUP", "testrg")
        .env("KUSTO_SDK_CLUSTER", "mykustocluster")
        .env("KUSTO_SDK_DATABASE", "sales")
        .env(
            "KUSTO_SDK_PRINCIPAL",
            "2c8e7a10-3d4f-4b6a-9c1d-0e2f3a4b5c6d",
        )
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{script} timed out"))
        .unwrap_or_else(|e| panic!("{} could not run: {e}", program.display()));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script} failed:\n{text}");
    println!("{text}");
    (emu, text)
}

/// What reached the emulator: discovery and a token, the api-version, and at each scope one
/// granted PUT and one completed DELETE of the SDK's assignment.
fn assert_served(emu: &Emulator, api_version: &str, prefix: &str) {
    let counts = emu.request_counts();
    assert!(
        counts.get("discovery") >= 1,
        "no OpenID discovery: {counts:?}"
    );
    assert!(counts.get("token") >= 1, "no token request: {counts:?}");
    let log = emu.request_log();
    let arm: Vec<_> = log
        .iter()
        .filter(|r| r.path.starts_with("/subscriptions/"))
        .collect();
    assert!(!arm.is_empty());
    for r in &arm {
        assert!(
            r.query.contains(&format!("api-version={api_version}")),
            "{} {}?{}",
            r.method,
            r.path,
            r.query
        );
        assert!(
            r.status < 500,
            "{} {} answered {}",
            r.method,
            r.path,
            r.status
        );
    }
    let writes = emu.write_history();
    for (scope, name) in [
        ("mykustocluster", format!("{prefix}-cluster")),
        ("mykustocluster/sales", format!("{prefix}-database")),
    ] {
        let mine: Vec<_> = writes
            .iter()
            .filter(|w| w.scope == scope && w.name == name)
            .collect();
        assert_eq!(mine.len(), 2, "{scope}/{name}: {mine:?}");
        assert!(mine[0].granted() && mine[1].deleted(), "{mine:?}");
    }
}

#[tokio::test]
async fn microsofts_python_sdk_runs_the_whole_cycle() {
    let dir = sdk_dir();
    let (emu, out) = run(dir.join(".venv/bin/python"), "kusto_sdk.py", dir).await;
    assert!(out.contains("python sdk: all steps passed"), "{out}");
    // azure-mgmt-kusto 4.x sends the newest version.
    assert_served(&emu, "2025-02-14", "py-sdk");
}

#[tokio::test]
async fn microsofts_javascript_sdk_runs_the_whole_cycle_at_its_default_version() {
    let dir = sdk_dir().join("js");
    assert!(
        dir.join("node_modules/@azure/arm-kusto").exists(),
        "@azure/arm-kusto is not installed: run .ci/run (npm ci in tests/sdk/js)"
    );
    let (emu, out) = run(PathBuf::from("node"), "kusto_sdk.mjs", dir).await;
    assert!(out.contains("javascript sdk: all steps passed"), "{out}");
    assert_served(&emu, "2023-08-15", "js-sdk");
}
