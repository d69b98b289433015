//! The command line resolved once into what the commands read: the desired-state file, how to reach
//! Azure, and how to speak. Colour is decided here, once for stdout and once for stderr; nothing
//! past this file reads clap's option groups or the environment's `NO_COLOR`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use crate::arm::{AuthMethod, Cloud};
use crate::cli::{AzureArgs, Cli, ColorChoice, Command, FileArg, OutputArgs};
use crate::cli::{ResolvePrincipals, StoppedClusters};
use crate::render::Style;

/// What a command's run needs, gathered from the option groups that command accepts (the others
/// keep their defaults and are never read).
#[derive(Debug, Clone)]
pub(super) struct Settings {
    /// The desired-state file.
    pub file: PathBuf,
    /// `-f` (or `KUSTO_PRINCIPALS_FILE`) was given rather than defaulted: `apply PLAN.json -f FILE`
    /// then re-plans from FILE.
    pub file_given: bool,
    pub azure: Azure,
    pub output: Output,
}

/// How to reach Azure, and how hard to push.
#[derive(Debug, Clone)]
pub(super) struct Azure {
    pub cloud: Cloud,
    pub arm_endpoint: Option<String>,
    pub auth: AuthMethod,
    pub ca_cert: Option<PathBuf>,
    pub api_version: String,
    /// Requests (and clusters written) at once; at least 1.
    pub parallelism: usize,
    pub operation_timeout: Duration,
    pub request_timeout: Duration,
    pub principal_wait: Duration,
    /// `--resolve-principals graph`.
    pub resolve_through_graph: bool,
    pub graph_endpoint: Option<String>,
    /// `--stopped-clusters error`: a cluster that is not Running fails the command.
    pub stopped_are_errors: bool,
    /// `--emulator[=STATE.yaml]`.
    pub emulator: Option<Option<PathBuf>>,
}

/// How to speak on stdout and stderr.
#[derive(Debug, Clone, Copy)]
pub(super) struct Output {
    /// The plan's and the report's colours on stdout.
    pub stdout: Style,
    /// Escape codes in the log lines on stderr.
    pub stderr_color: bool,
    /// The level of this crate's log lines (`-q`, none, `-v`, `-vv`, `-vvv`).
    pub log_level: &'static str,
    /// Apply progress on stderr (off with `--no-progress` or `-q`).
    pub progress: bool,
    /// Status lines on stderr (export's per-cluster lines, `wrote FILE`); off with `-q`.
    pub status: bool,
}

impl Settings {
    pub fn new(cli: &Cli) -> Self {
        let (file, azure) = match &cli.command {
            Command::Validate(a) => (Some(&a.file), None),
            Command::Plan(a) => (Some(&a.file), Some(&a.azure)),
            Command::Apply(a) => (Some(&a.file), Some(&a.azure)),
            Command::Export(a) => (None, Some(&a.azure)),
            Command::Schema | Command::Emulator(_) | Command::Completions { .. } => (None, None),
        };
        Settings::from_groups(&cli.output, file, azure)
    }

    fn from_groups(output: &OutputArgs, file: Option<&FileArg>, azure: Option<&AzureArgs>) -> Self {
        let azure = azure.cloned().unwrap_or_default();
        Settings {
            file: file.map_or_else(|| PathBuf::from("principals.yaml"), |f| f.file.clone()),
            file_given: file.is_some_and(|f| f.given),
            azure: Azure {
                cloud: azure.cloud,
                arm_endpoint: azure.arm_endpoint,
                auth: azure.auth,
                ca_cert: azure.ca_cert,
                api_version: azure.api_version,
                parallelism: usize::from(azure.parallelism).max(1),
                operation_timeout: azure.operation_timeout,
                request_timeout: azure.request_timeout,
                principal_wait: azure.principal_wait,
                resolve_through_graph: azure.resolve_principals == ResolvePrincipals::Graph,
                graph_endpoint: azure.graph_endpoint,
                stopped_are_errors: azure.stopped_clusters == StoppedClusters::Error,
                emulator: azure.emulator,
            },
            output: Output::new(output),
        }
    }
}

impl Output {
    fn new(args: &OutputArgs) -> Self {
        let no_color_env = std::env::var_os("NO_COLOR").is_some();
        let color = |terminal: bool| match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color_env && terminal,
        };
        Output {
            stdout: Style {
                color: color(std::io::stdout().is_terminal()),
            },
            stderr_color: color(std::io::stderr().is_terminal()),
            log_level: match (args.quiet, args.verbose) {
                (true, _) => "error",
                (false, 0) => "warn",
                (false, 1) => "info",
                (false, 2) => "debug",
                (false, _) => "trace",
            },
            progress: !args.no_progress && !args.quiet,
            status: !args.quiet,
        }
    }
}
