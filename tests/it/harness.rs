//! A builder that starts an emulator in-process and runs the real binary against it.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use kusto_emulator::{Emulator, EmulatorOptions, EmulatorState};

/// Every command and every await gets a bound, so nothing hangs.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// Variables that would change how the binary authenticates or where it points; cleared for every run.
const SCRUBBED: &[&str] = &[
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_AUTHORITY_HOST",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "SYSTEM_OIDCREQUESTURI",
    "IDENTITY_ENDPOINT",
    "KUSTO_PRINCIPALS_FILE",
    "KUSTO_PRINCIPALS_ARM_ENDPOINT",
    "KUSTO_PRINCIPALS_GRAPH_ENDPOINT",
    "KUSTO_PRINCIPALS_RESOLVE_PRINCIPALS",
    "KUSTO_PRINCIPALS_STOPPED_CLUSTERS",
    "KUSTO_PRINCIPALS_CA_CERT",
    "NO_COLOR",
];

pub struct TestEnv {
    pub rt: tokio::runtime::Runtime,
    pub emu: Option<Emulator>,
    pub dir: tempfile::TempDir,
}

/// The result of one run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl TestEnv {
    /// Starts an emulator seeded with `state`.
    pub fn with_state(state: EmulatorState) -> Self {
        Self::with_options(state, EmulatorOptions::default())
    }

    pub fn with_options(state: EmulatorState, options: EmulatorOptions) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let emu = rt
            .block_on(async {
                tokio::time::timeout(TIMEOUT, Emulator::start(state, options)).await
            })
            .expect("the emulator starts in time")
            .expect("the emulator starts");
        TestEnv {
            rt,
            emu: Some(emu),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn demo() -> Self {
        Self::with_state(kusto_emulator::demo_state())
    }

    pub fn emu(&self) -> &Emulator {
        self.emu.as_ref().expect("emulator running")
    }

    /// Writes a file into the test's temp dir and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).expect("write file");
        p
    }

    /// Runs the binary with the emulator's environment.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[], &[])
    }

    /// Runs the binary with the emulator's environment, then `set` (overriding) and without `unset`.
    pub fn run_with(&self, args: &[&str], set: &[(&str, &str)], unset: &[&str]) -> Run {
        let mut cmd = bare_command();
        for (k, v) in self.emu().env() {
            if !unset.contains(&k.as_str()) {
                cmd.env(k, v);
            }
        }
        for (k, v) in set {
            cmd.env(k, v);
        }
        cmd.current_dir(self.dir.path());
        cmd.args(args);
        cmd.output().expect("run the binary").into()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        if let Some(emu) = self.emu.take() {
            let _ = self
                .rt
                .block_on(async { tokio::time::timeout(TIMEOUT, emu.shutdown()).await });
        }
    }
}

/// The binary with a scrubbed environment and a timeout.
pub fn bare_command() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("kusto-principals").expect("binary built");
    for k in SCRUBBED {
        cmd.env_remove(k);
    }
    cmd.timeout(TIMEOUT);
    cmd
}

/// A file of the repository (examples, fixtures).
pub fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}
