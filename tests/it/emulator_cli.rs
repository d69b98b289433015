//! `kusto-principals emulator` as a user runs it: `--help` documents every knob, and `--print-env`
//! prints variables naming the real port, which then work.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_kusto-principals");

/// Fails the test instead of hanging.
async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

#[test]
fn help_documents_every_knob() {
    let out = Command::new(BIN)
        .args(["emulator", "--help"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--state",
        "--listen",
        "--print-env",
        "--seed",
        "--latency-ms",
        "--lro-polls",
        "--page-size",
        "--throttle",
        "--fault-rate",
        "--aad-lag-secs",
        "--no-write-conflicts",
        "--mirror-data-plane",
        "--token-lifetime-secs",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    assert!(
        help.contains("Retry-After") && help.contains("250"),
        "{help}"
    );
}

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn print_env_names_the_real_port_and_the_variables_work() {
    let mut child = Command::new(BIN)
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--print-env",
            "--lro-polls",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("stdout");
    let _running = Running(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok).take(7) {
            let _ = tx.send(line);
        }
    });
    let mut vars = std::collections::HashMap::new();
    for _ in 0..7 {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("an export line in time");
        let (name, value) = line
            .strip_prefix("export ")
            .and_then(|l| l.split_once('='))
            .expect("export NAME=value");
        vars.insert(name.to_string(), value.trim_matches('\'').to_string());
    }
    let endpoint = &vars["KUSTO_PRINCIPALS_ARM_ENDPOINT"];
    assert!(
        endpoint.starts_with("https://127.0.0.1:") && !endpoint.ends_with(":0"),
        "{endpoint}"
    );
    assert_eq!(&vars["AZURE_AUTHORITY_HOST"], endpoint);
    let pem = std::fs::read(&vars["KUSTO_PRINCIPALS_CA_CERT"]).expect("CA file");
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("pem")])
        .build()
        .expect("client");
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}&scope={endpoint}/.default",
        vars["AZURE_CLIENT_ID"], vars["AZURE_CLIENT_SECRET"]
    );
    let url = format!("{endpoint}/{}/oauth2/v2.0/token", vars["AZURE_TENANT_ID"]);
    let req = http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    let resp = within("token", req.send()).await.expect("token request");
    assert_eq!(resp.status(), 200);
}

#[test]
fn sigterm_stops_the_emulator_and_removes_its_ca_folder() {
    let mut child = Command::new(BIN)
        .args(["emulator", "--listen", "127.0.0.1:0", "--print-env"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("stdout");
    let pid = child.id();
    let running = Running(child);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let ca = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("--print-env lines");
        if let Some(path) = line.strip_prefix("export KUSTO_PRINCIPALS_CA_CERT=") {
            break std::path::PathBuf::from(path.trim_matches('\''));
        }
    };
    let dir = ca.parent().expect("the CA's folder").to_path_buf();
    assert!(ca.is_file(), "{}", ca.display());
    // SAFETY: kill(2) on our own child's pid, which has not been waited for.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    let mut child = running;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.0.try_wait().expect("wait") {
            break s;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the emulator ignores SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(!dir.exists(), "{} left behind", dir.display());
}
