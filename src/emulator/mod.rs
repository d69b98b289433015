//! A local HTTPS stand-in for Azure Resource Manager (Kusto principal assignments) and the Entra ID
//! token endpoint. (Interface placeholder: the server is being written.)

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The emulator's world, as in `examples/emulator-state.yaml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmulatorState {}

/// The built-in demo state (`examples/emulator-state.yaml`).
pub fn demo_state() -> EmulatorState {
    EmulatorState::default()
}

/// Knobs of a running emulator.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    pub listen: SocketAddr,
}

impl Default for EmulatorOptions {
    fn default() -> Self {
        EmulatorOptions {
            listen: "127.0.0.1:0".parse().expect("valid address"),
        }
    }
}

/// Requests served, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestCounts {
    pub by_kind: BTreeMap<String, u64>,
}

impl RequestCounts {
    pub fn get(&self, kind: &str) -> u64 {
        self.by_kind.get(kind).copied().unwrap_or(0)
    }
    /// ARM requests of any kind (everything but the token endpoint and test hooks).
    pub fn arm_total(&self) -> u64 {
        self.by_kind
            .iter()
            .filter(|(k, _)| k.as_str() != "token")
            .map(|(_, v)| v)
            .sum()
    }
    /// PUT and DELETE of principal assignments.
    pub fn writes(&self) -> u64 {
        self.get("put") + self.get("delete")
    }
}

/// A running emulator; stops when dropped or on `shutdown`.
pub struct Emulator {
    endpoint: String,
    ca_cert_pem: String,
    ca_cert_path: PathBuf,
}

impl Emulator {
    pub async fn start(
        _state: EmulatorState,
        _options: EmulatorOptions,
    ) -> anyhow::Result<Emulator> {
        anyhow::bail!("the emulator is being written")
    }
    /// `https://127.0.0.1:PORT`: both the ARM endpoint and the authority host.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
    pub fn ca_cert_pem(&self) -> &str {
        &self.ca_cert_pem
    }
    pub fn ca_cert_path(&self) -> &Path {
        &self.ca_cert_path
    }
    pub fn tenant_id(&self) -> &str {
        ""
    }
    pub fn client_id(&self) -> &str {
        ""
    }
    pub fn client_secret(&self) -> &str {
        ""
    }
    /// The environment that points the CLI at this emulator.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![]
    }
    pub fn request_counts(&self) -> RequestCounts {
        RequestCounts::default()
    }
    pub fn snapshot(&self) -> EmulatorState {
        EmulatorState::default()
    }
    pub async fn shutdown(self) {}
}

/// `kusto-principals emulator`: its command-line knobs.
#[derive(Debug, Clone, clap::Args)]
pub struct EmulatorArgs {
    /// Seed the emulator from this state file (default: the built-in demo state).
    #[arg(long, value_name = "STATE.yaml")]
    pub state: Option<PathBuf>,

    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,

    /// Print the `export` lines that point the CLI at this emulator.
    #[arg(long)]
    pub print_env: bool,
}

/// Runs the standalone emulator until Ctrl-C.
pub async fn serve(_args: &EmulatorArgs) -> anyhow::Result<()> {
    anyhow::bail!("the emulator is being written")
}
