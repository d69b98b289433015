//! One function per command: the glue between the stages. Output goes to stdout; logs, progress and
//! errors to stderr.
//!
//! | file         | commands                                              |
//! |--------------|-------------------------------------------------------|
//! | `mod`        | dispatch, logging, `validate`, `schema`, `completions` |
//! | `session`    | connecting to ARM, or to the in-process emulator        |
//! | `plan_cmd`   | `plan`, and the planning that `apply -f` shares          |
//! | `apply_cmd`  | `apply -f FILE`, `apply PLAN.json`                       |
//! | `export_cmd` | `export`                                                 |

mod apply_cmd;
mod export_cmd;
mod plan_cmd;
mod session;

use std::io::IsTerminal;

use crate::cli::{Cli, ColorChoice, Command, GlobalArgs, ValidateArgs, ValidateFormat};
use crate::error::{Error, Result};
use crate::model::DesiredState;
use crate::render::Style;

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32> {
    init_tracing(&cli.global);
    let g = &cli.global;
    match &cli.command {
        Command::Validate(args) => validate(g, args),
        Command::Plan(args) => runtime()?.block_on(plan_cmd::plan_command(g, args)),
        Command::Apply(args) => runtime()?.block_on(apply_cmd::apply_command(g, args)),
        Command::Export(args) => runtime()?.block_on(export_cmd::export_command(g, args)),
        Command::Schema => {
            println!("{}", crate::config::schema_json().trim_end());
            Ok(0)
        }
        Command::Emulator(args) => {
            runtime()?.block_on(kusto_emulator::serve(args))?;
            Ok(0)
        }
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "kusto-principals", &mut std::io::stdout());
            Ok(0)
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)?)
}

fn init_tracing(g: &GlobalArgs) {
    // Only this crate gets chatty: HTTP and identity libraries stay at warn, so nothing they might
    // print about requests can reach the terminal.
    let ours = match (g.quiet, g.verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::new(format!("warn,kusto_principals={ours}"));
    // Escape codes only on a terminal: CI logs and captured stderr stay plain text.
    let ansi = match g.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

fn style(g: &GlobalArgs) -> Style {
    let color = match g.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
        }
    };
    Style { color }
}

fn load_desired(g: &GlobalArgs, targets: &[String]) -> Result<DesiredState> {
    let mut desired = crate::config::load(&g.file)?;
    // A mistyped target must not silently narrow the plan to the other targets.
    let unmatched: Vec<&str> = targets
        .iter()
        .filter(|t| !desired.scopes.iter().any(|s| s.scope.matches_target(t)))
        .map(String::as_str)
        .collect();
    if !unmatched.is_empty() {
        return Err(Error::Usage(format!(
            "no cluster or database in {} matches --target {}",
            desired.file,
            unmatched.join(", ")
        )));
    }
    desired.retain_targets(targets);
    Ok(desired)
}

fn validate(g: &GlobalArgs, args: &ValidateArgs) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    match (crate::config::load(&g.file), args.format) {
        (Ok(desired), format) => {
            crate::config::report::write_ok(&desired, format, &mut out)
                .map_err(anyhow::Error::from)?;
            Ok(0)
        }
        // Text problems go to stderr through the one error printer.
        (Err(e), ValidateFormat::Text) => Err(e.into()),
        (Err(e), format) => {
            crate::config::report::write_problems(&e, format, &mut out)
                .map_err(anyhow::Error::from)?;
            Err(Error::Invalid {
                file: e.file.clone(),
                count: e.problems.len(),
            })
        }
    }
}

/// `error: …` and the cause chain.
pub fn format_error(err: &Error) -> String {
    let mut out = format!("error: {err}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        out.push_str(&format!("\n  caused by: {s}"));
        source = s.source();
    }
    out
}
