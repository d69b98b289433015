//! One function per command: the glue between the stages. Output goes to stdout; logs, progress and
//! errors to stderr.
//!
//! Each command connects the layers, calls them and prints; the decisions are in the layers
//! (`plan::stale` judges a saved plan, `survey` words a missing scope, `plan::ScopeError` carries it).
//!
//! | file         | commands                                                 |
//! |--------------|----------------------------------------------------------|
//! | `mod`        | dispatch, logging, `validate`, `schema`, `completions`   |
//! | `settings`   | the command line resolved once (colour decided here)     |
//! | `session`    | connecting to ARM, or to the in-process emulator         |
//! | `plan_cmd`   | `plan`, and the planning that `apply` shares             |
//! | `apply_cmd`  | `apply -f FILE`                                          |
//! | `saved_cmd`  | `apply PLAN.json [-f FILE]` (the judging is `plan::stale`) |
//! | `write`      | what every apply shares: showing, the safety refusal, writing, the report |
//! | `export_cmd` | `export`                                                 |

mod apply_cmd;
mod export_cmd;
mod plan_cmd;
mod saved_cmd;
mod session;
mod settings;
mod write;

use crate::cli::{Cli, Command, ValidateArgs};
use crate::config::outcome::ValidateFormat;
use crate::error::{Error, Result};
use settings::{Output, Settings};

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32> {
    let settings = &Settings::new(&cli);
    init_tracing(&settings.output);
    match &cli.command {
        Command::Validate(args) => validate(settings, args),
        Command::Plan(args) => runtime()?.block_on(plan_cmd::plan_command(settings, args)),
        Command::Apply(args) => match &args.plan {
            Some(path) => runtime()?.block_on(saved_cmd::apply_saved(settings, args, path)),
            None => runtime()?.block_on(apply_cmd::apply_command(settings, args)),
        },
        Command::Export(args) => runtime()?.block_on(export_cmd::export_command(settings, args)),
        Command::Schema => {
            let text = format!("{}\n", crate::config::schema_json().trim_end());
            write_stdout(text.as_bytes())?;
            Ok(0)
        }
        Command::Emulator(args) => {
            runtime()?.block_on(kusto_emulator::serve(args))?;
            Ok(0)
        }
        Command::Completions { shell } => completions(*shell),
    }
}

/// Prints a completion script. clap_complete's bash script names its functions after the binary
/// with `-` turned into `__` but labels its `case` arms with `__subcmd__` inserted at that `-`
/// (`kusto__subcmd__principals__subcmd__plan`), so no arm ever matched and completion offered
/// nothing past the first word; the labels are put back to the names the function computes.
fn completions(shell: clap_complete::Shell) -> Result<i32> {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "kusto-principals", &mut script);
    let mut script = String::from_utf8(script).map_err(anyhow::Error::from)?; // clap writes UTF-8
    if shell == clap_complete::Shell::Bash {
        script = script.replace("kusto__subcmd__principals", "kusto__principals");
    }
    write_stdout(script.as_bytes())?;
    Ok(0)
}

/// Writes to stdout; a reader that closed the pipe (`| head`) ends the program quietly in `main`.
pub(crate) fn write_stdout(bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush())?;
    Ok(())
}

/// True when the error is stdout's reader having gone away (`plan | head`): not a failure of ours,
/// so the program exits 0 and says nothing, as `cat` and `grep` do.
pub fn is_broken_pipe(err: &Error) -> bool {
    let broken = |e: &(dyn std::error::Error + 'static)| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    };
    match err {
        Error::Io { err, .. } => broken(err),
        // `transparent` hides the anyhow root from `source()`, so walk its own chain.
        Error::Other(any) => any.chain().any(broken),
        other => {
            let mut source = std::error::Error::source(other);
            while let Some(e) = source {
                if broken(e) {
                    return true;
                }
                source = e.source();
            }
            false
        }
    }
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn init_tracing(output: &Output) {
    // Only this crate gets chatty: HTTP and identity libraries stay at warn, so nothing they might
    // print about requests can reach the terminal.
    let ours = output.log_level;
    // rustls logs each certificate failure at error level; the error we return already says it,
    // with the host and the fix.
    let filter =
        tracing_subscriber::EnvFilter::new(format!("warn,rustls=off,kusto_principals={ours}"));
    // Escape codes only on a terminal: CI logs and captured stderr stay plain text.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(output.stderr_color)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .try_init();
}

/// Validates the file and prints the outcome in the format asked for; text problems go to stderr
/// through the one error printer.
fn validate(settings: &Settings, args: &ValidateArgs) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    match (crate::config::load(&settings.file), args.format) {
        (Ok(desired), format) => {
            crate::config::outcome::write_ok(&desired, format, &mut out)?;
            Ok(0)
        }
        (Err(e), ValidateFormat::Text) => Err(e.into()),
        (Err(e), format) => {
            crate::config::outcome::write_problems(&e, format, &mut out)?;
            Err(Error::Invalid {
                file: e.file.clone(),
                count: e.problems.len(),
            })
        }
    }
}

/// `error: …` and the cause chain, inert (`render::inert::lines`): errors quote the file and ARM.
pub fn format_error(err: &Error) -> String {
    let mut out = format!("error: {err}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        out.push_str(&format!("\n  caused by: {s}"));
        source = s.source();
    }
    crate::render::inert::lines(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_quoting_arm_or_the_file_are_printed_inert() {
        let err =
            Error::Usage("ARM said: \u{1b}]0;owned\u{7}\u{1b}[2J\r\nerror: fake\u{9b}1m".into());
        let printed = format_error(&err);
        assert!(
            !printed.chars().any(|c| c.is_control() && c != '\n'),
            "{printed:?}"
        );
        // Line breaks stay (messages have several lines); a carriage return cannot rewrite one.
        assert!(
            printed.contains("\\u{1b}[2J\\r\nerror: fake\\u{9b}1m"),
            "{printed:?}"
        );
    }
}
