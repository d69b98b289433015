//! `kusto-principals emulator`: the standalone emulator, its flags (one per knob) and its loop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{Emulator, EmulatorOptions, EmulatorState, demo_state};

/// Run a local, faithful stand-in for Azure Resource Manager (Kusto principal assignments) and the
/// Entra ID token endpoint, over HTTPS with a certificate made at start.
///
/// Point the CLI at it with the variables `--print-env` prints. Every random choice comes from
/// `--seed`, so a run with the same requests and flags is reproducible.
///
/// Besides principal assignments it serves the databases' data-plane principals (`listPrincipals`,
/// `addPrincipals`, `removePrincipals`) and database create and delete; a database create makes the
/// token's client an `Admin` of the new database, as Azure does, unless the PUT says
/// `callerRole=None`.
#[derive(Debug, Clone, clap::Args)]
pub struct EmulatorArgs {
    /// Seed the emulator from this state file (default: the built-in demo state).
    #[arg(long, value_name = "STATE.yaml")]
    pub state: Option<PathBuf>,

    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,

    /// Print `export NAME=value` lines that point the CLI at this emulator, then keep serving.
    #[arg(long)]
    pub print_env: bool,

    /// Seed of the random number generator behind --fault-rate.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub seed: u64,

    /// Delay added to every ARM and token response, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    pub latency_ms: u64,

    /// Polls of a long-running operation that answer `Running` before it completes
    /// (0: complete at once, as the real service mostly appears to).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub lro_polls: u32,

    /// Items per page of list results, linked with `nextLink` (default: one page).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub page_size: Option<u64>,

    /// Enforce ARM throttling: token buckets per subscription of reads 250 + 25/s, writes 200 +
    /// 10/s and deletes 200 + 10/s, all multiplied by SCALE (1 = Azure's limits, 0.1 = a tenth).
    /// Throttled requests get 429 `TooManyRequests` with `Retry-After`.
    #[arg(long, value_name = "SCALE")]
    pub throttle: Option<f64>,

    /// Probability (0-1) that an ARM request fails: 429 + Retry-After (30%), 500 (20%), 503 (20%),
    /// a reset connection (15%), or a create/delete whose operation then fails (15%).
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub fault_rate: f64,

    /// Entra ID replication lag: directory principals that no seeded assignment uses resolve only
    /// this many seconds after start; assigning them earlier fails the operation with
    /// "AAD principal was not found", as in Azure.
    #[arg(long, default_value_t = 0, value_name = "SECS")]
    pub aad_lag_secs: u64,

    /// Accept a write to a cluster while another operation on it still runs (by default it gets 409
    /// `Conflict`, as Kusto answers during an operation).
    #[arg(long)]
    pub no_write_conflicts: bool,

    /// Mirror data-plane principal writes into ARM: `addPrincipals` also creates a (GUID-named)
    /// principal assignment and `removePrincipals` deletes the matching ones. By default the two
    /// stores stay apart, except that assignments always show up in `listPrincipals`.
    #[arg(long)]
    pub mirror_data_plane: bool,

    /// Check duplicate grants (one principal holding one role twice in a scope) by comparing the
    /// `principalId` strings as sent, instead of the principals they resolve to (a user sent by
    /// UPN and by object id). Which one Azure compares is not known.
    #[arg(long)]
    pub duplicates_by_principal_id: bool,

    /// The first N operations of principal-assignment writes (create, in-place change, delete) are
    /// accepted and then fail with `ServiceIsInMaintenance`, as Kusto's do during maintenance.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub maintenance_failures: u32,

    /// After --maintenance-failures, each write operation fails in maintenance with probability P
    /// (0-1), drawn from --seed.
    #[arg(long, default_value_t = 0.0, value_name = "P")]
    pub maintenance_rate: f64,

    /// Refuse principal-assignment writes to follower databases whose principalsModificationKind
    /// is None, with 400 `CannotAlterFollowerDatabase` (by default they are accepted and have no
    /// effect on the engine; what Azure answers is not known).
    #[arg(long)]
    pub refuse_none_follower_writes: bool,

    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 3600, value_name = "SECS")]
    pub token_lifetime_secs: u64,
}

impl EmulatorArgs {
    /// The knobs as options.
    pub fn options(&self) -> EmulatorOptions {
        let mut o = EmulatorOptions::default()
            .listen(self.listen)
            .seed(self.seed)
            .latency_ms(self.latency_ms)
            .lro_polls(self.lro_polls)
            .fault_rate(self.fault_rate)
            .aad_lag_secs(self.aad_lag_secs)
            .write_conflicts(!self.no_write_conflicts)
            .mirror_data_plane(self.mirror_data_plane)
            .raw_duplicates(self.duplicates_by_principal_id)
            .maintenance(self.maintenance_failures, self.maintenance_rate)
            .refuse_none_follower_writes(self.refuse_none_follower_writes)
            .token_lifetime(Duration::from_secs(self.token_lifetime_secs));
        if let Some(n) = self.page_size {
            o = o.page_size(usize::try_from(n).unwrap_or(usize::MAX));
        }
        if let Some(s) = self.throttle {
            o = o.throttle(s);
        }
        o
    }

    /// The state to serve.
    pub fn load_state(&self) -> anyhow::Result<EmulatorState> {
        match &self.state {
            Some(path) => EmulatorState::load(path),
            None => Ok(demo_state()),
        }
    }
}

/// `export` lines for a POSIX shell.
pub fn export_lines(emulator: &Emulator) -> String {
    emulator
        .env()
        .into_iter()
        .map(|(k, v)| format!("export {k}={}\n", shell_quote(&v)))
        .collect()
}

fn shell_quote(v: &str) -> String {
    if v.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./:@%+=,".contains(&b))
    {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', r"'\''"))
    }
}

/// Runs the standalone emulator until Ctrl-C.
pub async fn serve(args: &EmulatorArgs) -> anyhow::Result<()> {
    // Listen for the stop signals before anything is printed: whoever reads `--print-env` may send
    // SIGTERM at once.
    let stop = stop_signals()?;
    let state = args.load_state()?;
    let emulator = Emulator::start(state, args.options()).await?;
    if args.print_env {
        print!("{}", export_lines(&emulator));
        use std::io::Write;
        std::io::stdout().flush()?;
    }
    eprintln!(
        "emulator listening on {} (CA: {}); Ctrl-C to stop",
        emulator.endpoint(),
        emulator.ca_cert_path().display()
    );
    stop.await;
    // Shutting down drops the temporary folder of the CA certificate.
    emulator.shutdown().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM (`kill`, a service manager, a CI job ending): both stop the emulator the same
/// way, so neither leaves its temporary CA folder behind. The handlers are installed here, at once.
fn stop_signals() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_only_when_needed() {
        assert_eq!(
            shell_quote("https://127.0.0.1:8443"),
            "https://127.0.0.1:8443"
        );
        assert_eq!(shell_quote("/tmp/a b/ca.pem"), "'/tmp/a b/ca.pem'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
