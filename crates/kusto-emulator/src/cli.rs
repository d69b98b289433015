//! `kusto-principals emulator`: the standalone emulator, its flags (the knobs, see `knobs`) and its
//! loop.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::{Emulator, EmulatorOptions, EmulatorState, Knobs, demo_state};

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

    /// The knobs; the state file's `knobs:` section sets them too, and a flag wins over it.
    #[command(flatten)]
    pub knobs: Knobs,
}

impl EmulatorArgs {
    /// The options for serving `state`: its `knobs:` section, with the flags over it.
    pub fn options_for(&self, state: &EmulatorState) -> EmulatorOptions {
        self.knobs
            .over(&state.knobs)
            .apply(EmulatorOptions::default().listen(self.listen))
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
    let options = args.options_for(&state);
    let emulator = Emulator::start(state, options).await?;
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

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: EmulatorArgs,
    }

    #[test]
    fn the_state_files_knobs_apply_and_flags_win() {
        use clap::Parser;
        let mut state = demo_state();
        state.knobs = serde_yaml::from_str("page_size: 2\nthrottle: 0.5\nlro_polls: 3\n").unwrap();
        let cli = Cli::parse_from(["emulator", "--throttle", "2", "--listen", "127.0.0.1:0"]);
        let o = cli.args.options_for(&state);
        assert_eq!(
            (o.page_size, o.throttle, o.lro_polls),
            (Some(2), Some(2.0), 3)
        );
        assert_eq!(o.listen.port(), 0);
    }

    #[test]
    fn the_state_and_identity_flags_reach_the_options() {
        use clap::Parser;
        let cli = Cli::parse_from([
            "emulator",
            "--maintenance-failures",
            "2",
            "--maintenance-rate",
            "0.25",
            "--duplicates-by-principal-id",
            "--refuse-none-follower-writes",
        ]);
        let o = cli.args.options_for(&demo_state());
        assert_eq!((o.maintenance.first, o.maintenance.rate), (2, 0.25));
        assert!(o.raw_duplicates && o.refuse_none_follower_writes);
    }

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
