//! Issue 17: what `apply` says when it ends. Ctrl-C gives an "interrupted" report (not "Apply
//! complete") and exit 130; `--format json` is the versioned document of
//! `docs/apply-report-format.md`, whose `scope` has the plan document's shape.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use kusto_emulator::{EmulatorOptions, demo_state};
use serde_json::Value;

use crate::harness::{TestEnv, repo_file};

fn example() -> String {
    std::fs::read_to_string(repo_file("principals.example.yaml")).expect("example file")
}

#[test]
fn ctrl_c_reports_an_interrupted_apply_and_exits_130() {
    // Slow writes (each operation polled twice, every answer 150 ms late) so Ctrl-C lands mid-apply.
    let env = TestEnv::with_options(
        demo_state(),
        EmulatorOptions::default().latency_ms(150).lro_polls(2),
    );
    let file = env.write("principals.yaml", &example());
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("kusto-principals"));
    cmd.args(["apply", "-f", file.to_str().unwrap(), "--auto-approve"])
        .env_remove("KUSTO_PRINCIPALS_FILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env.emu().env() {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn apply");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut seen = String::new();
    // The first finished write prints `[1/4] …`; then Ctrl-C.
    while !seen.contains("[1/4]") {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("read stderr") == 0 {
            panic!("apply ended before its first write: {seen}");
        }
        seen.push_str(&line);
    }
    // SAFETY: kill(2) on our own child's pid, which has not been waited for.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("rest of stderr");
    let out = child.wait_with_output().expect("apply exits");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{seen}{rest}");
    assert!(!stdout.contains("Apply complete"), "{stdout}");
    let last = stdout.lines().last().expect("a report");
    let applied = env.emu().write_history().len();
    assert!((1..4).contains(&applied), "{applied} writes reached ARM");
    assert_eq!(
        last,
        format!(
            "Apply interrupted (Ctrl-C) before it finished: 4 changes (3 add, 0 replace, 1 delete) \
             in 4 writes; {applied} applied, 0 failed, {} skipped. Rerun apply to finish.",
            4 - applied
        ),
        "{stdout}"
    );
    assert!(
        rest.contains(
            "error: interrupted by Ctrl-C; the apply report says what was applied. Rerun apply to finish"
        ),
        "{rest}"
    );
}

/// Every key of a JSON object, recursively, as `a.b.c` (arrays by their first element, `a[].b`).
fn paths(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.push(p.clone());
                paths(v, &p, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_json_report_has_the_documented_shape_and_the_plans_scope() {
    let env = TestEnv::demo();
    let file = env.write("principals.yaml", &example());
    let file = file.to_str().unwrap();
    let plan = env.run(&["plan", "-f", file, "--format", "json"]);
    let plan: Value = serde_json::from_str(&plan.stdout).expect("plan JSON");
    let run = env.run(&["apply", "-f", file, "--auto-approve", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let report: Value = serde_json::from_str(&run.stdout).expect("report JSON on stdout only");
    assert_eq!(report["format_version"], 1);
    assert_eq!(report["status"], "complete");
    assert_eq!(
        report["summary"],
        serde_json::json!({"changes": 4, "create": 3, "replace": 0, "delete": 1,
                           "writes": 4, "applied": 4, "failed": 0, "skipped": 0})
    );
    let actions = report["actions"].as_array().expect("actions");
    assert_eq!(actions.len(), 4);
    for change in plan["changes"].as_array().expect("plan changes") {
        let name = &change["name"];
        let write = actions
            .iter()
            .find(|a| &a["name"] == name)
            .expect("the change's write");
        assert_eq!(
            write["scope"], change["scope"],
            "same scope shape as the plan's"
        );
        assert_eq!(write["outcome"], "applied");
    }
    // Applied: the second apply has nothing to do and still prints a (complete, empty) report.
    let again = env.run(&["apply", "-f", file, "--auto-approve", "--format", "json"]);
    assert_eq!(again.code, 0, "{again:?}");
    let empty: Value = serde_json::from_str(&again.stdout).expect("a JSON report");
    assert_eq!(empty["status"], "complete");
    assert_eq!(empty["summary"]["changes"], 0);
    assert_eq!(empty["actions"], serde_json::json!([]));
    let doc = std::fs::read_to_string(repo_file("docs/apply-report-format.md")).expect("doc");
    let mut keys = Vec::new();
    paths(&report, "", &mut keys);
    keys.sort();
    keys.dedup();
    let undocumented: Vec<&String> = keys
        .iter()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/apply-report-format.md: {undocumented:?}"
    );
}

/// Answers apply's prompt through a terminal (`script` gives the binary a pty for stdin).
fn answer_prompt(env: &TestEnv, answer: &[u8]) -> (Option<i32>, String) {
    use std::io::Write;
    let file = env.write("principals.yaml", &example());
    let command = format!(
        "{} apply -f {} --no-progress --color never",
        assert_cmd::cargo::cargo_bin("kusto-principals").display(),
        file.display()
    );
    let mut cmd = Command::new("script");
    cmd.args(["-q", "-e", "-c", &command, "/dev/null"])
        .env_remove("KUSTO_PRINCIPALS_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env.emu().env() {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("script(1) from util-linux");
    let mut stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut stdout, &mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    // Answer only once the prompt shows, as a person would.
    while !String::from_utf8_lossy(&screen).contains("Only `yes` is accepted: ") {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        screen.extend(rx.recv_timeout(left).expect("the prompt appears"));
    }
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(answer).expect("answer");
    let status = child.wait().expect("exits");
    drop(stdin);
    while let Ok(more) = rx.recv_timeout(std::time::Duration::from_secs(5)) {
        screen.extend(more);
    }
    (
        status.code(),
        String::from_utf8_lossy(&screen).replace("\r\n", "\n"),
    )
}

#[test]
fn no_or_ctrl_d_at_the_prompt_changes_nothing_and_exits_3() {
    for (answer, echoed) in [(&b"no\n"[..], "no"), (&b"\x04"[..], "")] {
        let env = TestEnv::demo();
        let (code, screen) = answer_prompt(&env, answer);
        assert_eq!(code, Some(3), "{screen}");
        assert!(
            screen.contains(&format!(
                "Apply these changes? Only `yes` is accepted: {echoed}\nerror: apply cancelled: the \
                 answer was not `yes`; nothing was changed\n"
            )),
            "the error starts its own line: {screen:?}"
        );
        assert!(env.emu().write_history().is_empty(), "nothing reached ARM");
    }
}

#[test]
fn a_saved_plan_without_changes_says_so() {
    let env = TestEnv::demo();
    let file = env.write("principals.yaml", &example());
    let file = file.to_str().unwrap();
    let applied = env.run(&["apply", "-f", file, "--auto-approve"]);
    assert_eq!(applied.code, 0, "{applied:?}");
    let plan = env.run(&["plan", "-f", file, "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let writes = env.emu().write_history().len();
    let run = env.run(&["apply", "plan.json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "No changes: the saved plan `plan.json` has nothing to apply (Azure matched {file} when \
             it was made).\n"
        )
    );
    assert_eq!(env.emu().write_history().len(), writes, "nothing written");
}
