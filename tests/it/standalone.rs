//! Issue 2: the standalone `emulator --print-env` in one process, the CLI in another, as a user would
//! run them in two terminals.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

use crate::harness::{Run, TIMEOUT, bare_command, repo_file};

/// Kills the emulator when the test ends, however it ends.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_cycle_works_against_the_standalone_emulator() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kusto-principals"))
        .args(["emulator", "--listen", "127.0.0.1:0", "--print-env"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the emulator");
    let stdout = child.stdout.take().expect("stdout");
    let _guard = Guard(child);

    // Read the export lines on a thread, so that a silent emulator fails the test instead of hanging it.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut vars = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some((k, v)) = line.strip_prefix("export ").and_then(|l| l.split_once('=')) {
                vars.push((k.to_string(), v.to_string()));
                if vars.len() == 7 {
                    let _ = tx.send(vars);
                    return;
                }
            }
        }
    });
    let vars = rx
        .recv_timeout(TIMEOUT)
        .expect("the emulator prints its environment");
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    for want in [
        "KUSTO_PRINCIPALS_ARM_ENDPOINT",
        "KUSTO_PRINCIPALS_GRAPH_ENDPOINT",
        "KUSTO_PRINCIPALS_CA_CERT",
        "AZURE_AUTHORITY_HOST",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let endpoint = &vars
        .iter()
        .find(|(k, _)| k == "KUSTO_PRINCIPALS_ARM_ENDPOINT")
        .unwrap()
        .1;
    assert!(endpoint.starts_with("https://127.0.0.1:"), "{endpoint}");
    assert!(
        !endpoint.ends_with(":0"),
        "the printed port is the real one: {endpoint}"
    );

    let run = |args: &[&str]| -> Run {
        let mut cmd = bare_command();
        cmd.current_dir(repo_file(""));
        for (k, v) in &vars {
            cmd.env(k, v);
        }
        cmd.args(args).output().expect("run").into()
    };
    let file = "principals.example.yaml";
    let plan = run(&["plan", "-f", file, "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    let apply = run(&["apply", "-f", file, "--auto-approve"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    let again = run(&["plan", "-f", file, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("No changes."), "{again:?}");
}
