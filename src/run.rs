//! One function per command.

use crate::cli::{Cli, Command};
use crate::error::{Error, Result};

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> Result<i32> {
    match cli.command {
        Command::Validate(_) => {
            crate::config::load(&cli.global.file)?;
            Ok(0)
        }
        Command::Plan(_) | Command::Apply(_) => Err(Error::Usage("not yet".into())),
        Command::Emulator(args) => {
            let rt = tokio::runtime::Runtime::new().map_err(anyhow::Error::from)?;
            rt.block_on(crate::emulator::serve(&args))?;
            Ok(0)
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
