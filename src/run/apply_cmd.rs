//! `apply -f FILE`: plan, show, confirm, write. `apply PLAN.json` is `saved_cmd`; both write
//! through `write`.

use std::io::{IsTerminal, Write};

use super::plan_cmd::{Planned, load_desired, plan};
use super::session::connect;
use super::settings::Settings;
use super::write::{execute, refuse_if_unsafe, show_plan, write_empty_report};
use crate::cli::{ApplyArgs, ReportFormat};
use crate::error::{Error, Result};

pub(super) async fn apply_command(settings: &Settings, args: &ApplyArgs) -> Result<i32> {
    let desired = load_desired(settings, &args.target)?;
    let session = connect(&settings.azure, &settings.azure.api_version).await?;
    let Planned { plan, guard } = plan(settings, desired, &session).await?;
    show_plan(settings, args, &plan)?;
    if let Some(unreadable) = plan.unreadable() {
        return Err(unreadable.into());
    }
    if !plan.summary().has_changes() {
        // The text plan already said "No changes."; a JSON reader still gets its document.
        if args.format == ReportFormat::Json {
            write_empty_report(&plan)?;
        }
        return Ok(0);
    }
    refuse_if_unsafe(&plan, args)?;
    if !args.auto_approve && !confirm()? {
        return Err(Error::Refused(
            "apply cancelled: the answer was not `yes`; nothing was changed".into(),
        ));
    }
    execute(settings, args, &plan, &session.client, &guard).await
}

/// Asks for `yes` on a terminal; without one, `--auto-approve` is required.
fn confirm() -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "apply needs --auto-approve when stdin is not a terminal; nothing was changed".into(),
        ));
    }
    eprint!("\nApply these changes? Only `yes` is accepted: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line)?;
    if read == 0 {
        // Ctrl-D: end the prompt's line, so the error that follows starts on its own.
        eprintln!();
    }
    Ok(line.trim() == "yes")
}
