//! The command line, parsed by clap into one `Cli` value. No behaviour lives here.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use crate::arm::{AuthMethod, Cloud};
pub use crate::config::outcome::ValidateFormat;
use crate::render::OutputFormat;

/// Keep Azure Data Explorer (Kusto) principal assignments in Git.
///
/// A YAML file lists who may do what on each cluster and database; `plan` shows how Azure differs
/// from it and `apply` makes Azure match.
#[derive(Debug, Parser)]
#[command(name = "kusto-principals", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub output: OutputArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// What every command accepts: how much to say on stderr and how. Shown under its own heading so a
/// subcommand's `--help` lists that command's own options first.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct OutputArgs {
    /// More logging on stderr (-v info, -vv debug, -vvv trace with every HTTP request and answer).
    #[arg(short = 'v', long = "verbose", global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short = 'q', long = "quiet", global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Colour in terminal output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// No progress bars, even on a terminal.
    #[arg(long, global = true)]
    pub no_progress: bool,
}

/// The desired-state file, for the commands that read one.
#[derive(Debug, Clone, Args)]
pub struct FileArg {
    /// The desired-state file.
    #[arg(
        short = 'f',
        long = "file",
        env = "KUSTO_PRINCIPALS_FILE",
        default_value = "principals.yaml"
    )]
    pub file: PathBuf,

    /// True when `-f` (or `KUSTO_PRINCIPALS_FILE`) was given rather than defaulted (set by `parse`:
    /// clap's derive cannot tell a default from a value). `apply PLAN.json -f FILE` then re-plans
    /// from FILE and applies only if it plans exactly the saved changes.
    #[arg(skip)]
    pub given: bool,
}

/// How to reach Azure, for the commands that call it (`plan`, `apply`, `export`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Azure options")]
pub struct AzureArgs {
    /// The Azure cloud: sets the ARM endpoint, token scope and authority.
    #[arg(long, value_enum, default_value_t = Cloud::Public)]
    pub cloud: Cloud,

    /// The ARM endpoint, overriding the cloud's (e.g. the emulator's).
    #[arg(long, env = "KUSTO_PRINCIPALS_ARM_ENDPOINT")]
    pub arm_endpoint: Option<String>,

    /// How to get a token.
    #[arg(long, value_enum, default_value_t = AuthMethod::Auto)]
    pub auth: AuthMethod,

    /// A PEM file of extra trusted root certificates, for ARM and token calls (the emulator's CA, a
    /// TLS-inspecting proxy).
    #[arg(long, env = "KUSTO_PRINCIPALS_CA_CERT")]
    pub ca_cert: Option<PathBuf>,

    /// The ARM api-version of Microsoft.Kusto.
    #[arg(long, default_value = "2024-04-13")]
    pub api_version: String,

    /// How many clusters to read or write at once.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub parallelism: u16,

    /// How long one long-running ARM operation may take before it counts as failed (e.g. 90s, 30m).
    #[arg(long, default_value = "30m", value_parser = humantime::parse_duration)]
    pub operation_timeout: std::time::Duration,

    /// How long one HTTP attempt (to ARM or the token endpoint) may take, from connecting until the
    /// whole answer is read (e.g. 30s); a slower attempt counts as failed and is retried within
    /// --operation-timeout.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub request_timeout: std::time::Duration,

    /// How long to keep retrying an identity that Entra ID does not show Kusto yet (a new app or
    /// managed identity), e.g. 5m; 0s turns this off.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    pub principal_wait: std::time::Duration,

    /// Resolve the file's users, groups and apps through Microsoft Graph to their object ids, so that
    /// any spelling matches and a principal that does not exist is an error at plan time. Needs Graph
    /// permissions (see the README).
    #[arg(
        long,
        value_enum,
        env = "KUSTO_PRINCIPALS_RESOLVE_PRINCIPALS",
        default_value_t = ResolvePrincipals::Off
    )]
    pub resolve_principals: ResolvePrincipals,

    /// The Microsoft Graph endpoint, overriding the cloud's (e.g. a stand-in).
    #[arg(long, env = "KUSTO_PRINCIPALS_GRAPH_ENDPOINT")]
    pub graph_endpoint: Option<String>,

    /// What a cluster that is not Running (auto-stopped) means for plan and apply: `skip` plans the
    /// rest and reports its scopes as not checked; `error` fails.
    #[arg(
        long,
        value_enum,
        env = "KUSTO_PRINCIPALS_STOPPED_CLUSTERS",
        default_value_t = StoppedClusters::Skip
    )]
    pub stopped_clusters: StoppedClusters,

    /// Run against an in-process emulator seeded from STATE.yaml, or from the built-in demo state when
    /// no file is given. No Azure account needed.
    /// Give a file as `--emulator=STATE.yaml`.
    #[arg(long, value_name = "STATE.yaml", num_args = 0..=1, require_equals = true)]
    pub emulator: Option<Option<PathBuf>>,
}

impl Default for AzureArgs {
    /// The defaults clap would give, for commands that do not call Azure.
    fn default() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            azure: AzureArgs,
        }
        Only::parse_from(["kusto-principals"]).azure
    }
}

/// Parses the process's command line (exits with clap's message on a bad one), noting whether the
/// command's `-f` was given or defaulted.
pub fn parse() -> Cli {
    let matches = <Cli as clap::CommandFactory>::command().get_matches();
    let mut cli =
        <Cli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let given = matches.subcommand().is_some_and(|(_, m)| {
        matches!(
            m.try_get_raw("file")
                .ok()
                .flatten()
                .and_then(|_| m.value_source("file")),
            Some(clap::parser::ValueSource::CommandLine | clap::parser::ValueSource::EnvVariable)
        )
    });
    match &mut cli.command {
        Command::Validate(a) => a.file.given = given,
        Command::Plan(a) => a.file.given = given,
        Command::Apply(a) => a.file.given = given,
        _ => {}
    }
    cli
}

/// `--resolve-principals`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResolvePrincipals {
    /// Match principals by what ARM lists (principalId, aadObjectId, the UPN in principalName).
    Off,
    /// Also resolve them through Microsoft Graph.
    Graph,
}

/// `--stopped-clusters`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StoppedClusters {
    /// Plan the rest; the cluster's scopes are "not checked" and nothing is written there.
    Skip,
    /// A cluster that is not Running is an error of its scopes.
    Error,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the desired-state file; makes no Azure call.
    Validate(ValidateArgs),
    /// Show what apply would change.
    Plan(PlanArgs),
    /// Make Azure match the file (or a saved plan).
    Apply(ApplyArgs),
    /// Write a desired-state file of what Azure has now.
    // clap would otherwise list options given through the environment as if they were required.
    #[command(override_usage = "kusto-principals export --subscription <SUBSCRIPTION> [OPTIONS]")]
    Export(ExportArgs),
    /// Print the JSON Schema of the desired-state file (for editors and CI).
    Schema,
    /// Run the local ARM + Entra ID emulator.
    Emulator(kusto_emulator::EmulatorArgs),
    /// Print a shell completion script (e.g. `kusto-principals completions bash > /etc/bash_completion.d/kusto-principals`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub file: FileArg,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Text)]
    pub format: ValidateFormat,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub file: FileArg,

    /// Exit 2 when there are changes, 0 when there are none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,

    /// How to print the plan on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,

    /// Also save the plan to this file, for `apply PLAN.json`.
    #[arg(long, value_name = "PLAN.json")]
    pub out: Option<PathBuf>,

    /// Only these scopes: CLUSTER or CLUSTER/DATABASE. Repeatable.
    #[arg(long, value_name = "CLUSTER[/DATABASE]")]
    pub target: Vec<String>,

    #[command(flatten)]
    pub azure: AzureArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub file: FileArg,

    /// A plan saved by `plan --out`: apply exactly it, or refuse (exit 3) if Azure changed since.
    /// With `-f FILE`, re-plan from FILE and apply only if that plans exactly the saved changes
    /// (exit 3 otherwise); a plan already applied exits 0.
    #[arg(value_name = "PLAN.json")]
    pub plan: Option<PathBuf>,

    /// Apply without asking for confirmation (required without a terminal).
    #[arg(long)]
    pub auto_approve: bool,

    /// Apply even when the plan's safety verdict is unsafe.
    #[arg(long)]
    pub force: bool,

    /// The report's format on stdout; with `json` the plan goes to stderr.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,

    /// Only these scopes: CLUSTER or CLUSTER/DATABASE. Repeatable. Not with PLAN.json (a saved
    /// plan keeps the targets it was made with): exit 1.
    #[arg(long, value_name = "CLUSTER[/DATABASE]")]
    pub target: Vec<String>,

    #[command(flatten)]
    pub azure: AzureArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The subscription to export.
    #[arg(long)]
    pub subscription: String,

    /// Only this resource group.
    #[arg(long)]
    pub resource_group: Option<String>,

    /// Only these clusters (repeatable).
    #[arg(long = "cluster", value_name = "NAME")]
    pub clusters: Vec<String>,

    /// Write the file here instead of stdout.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,

    #[command(flatten)]
    pub azure: AzureArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
