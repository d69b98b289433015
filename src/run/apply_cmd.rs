//! `apply -f FILE`: plan, show, confirm, write. `apply PLAN.json` is in `saved_cmd` and shares the
//! showing, the safety refusal and the writing from here.

use std::io::{IsTerminal, Write};
use std::path::Path;

use tokio_util::sync::CancellationToken;

use super::plan_cmd::{make_plan, scope_errors};
use super::style;
use crate::apply::{ApplyOptions, Guard};
use crate::arm::ArmClient;
use crate::cli::{ApplyArgs, GlobalArgs, ReportFormat};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::render::{
    OutputFormat, ReportContext, Style, write_plan, write_report_json, write_report_text,
};

pub(super) async fn apply_command(g: &GlobalArgs, args: &ApplyArgs) -> Result<i32> {
    if let Some(path) = &args.plan {
        return super::saved_cmd::apply_saved(g, args, path).await;
    }
    let (plan, file, session, guard) = make_plan(g, &args.target).await?;
    show_plan_for_apply(g, args, &plan, &file)?;
    if plan.has_errors() {
        return Err(scope_errors(&plan));
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
    execute(g, args, &plan, &session.client, &guard).await
}

/// With `--format json` stdout carries only the report, so the plan shows on stderr.
pub(super) fn show_plan_for_apply(
    g: &GlobalArgs,
    args: &ApplyArgs,
    plan: &Plan,
    file: &str,
) -> Result<()> {
    match args.format {
        ReportFormat::Text => write_plan(
            OutputFormat::Text,
            plan,
            file,
            style(g),
            &mut std::io::stdout().lock(),
        ),
        ReportFormat::Json => write_plan(
            OutputFormat::Text,
            plan,
            file,
            Style::PLAIN,
            &mut std::io::stderr().lock(),
        ),
    }
    .map_err(anyhow::Error::from)?;
    Ok(())
}

pub(super) fn refuse_if_unsafe(plan: &Plan, args: &ApplyArgs) -> Result<()> {
    if plan.safety.ok || args.force {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "the plan is unsafe ({}); nothing was changed. Review it, then rerun with --force to apply it anyway",
        plan.safety.reasons.join("; ")
    )))
}

/// `apply principals.yaml` (the `-f` forgotten): a desired-state file is not a plan, and saying so
/// beats a JSON parse error at line 1 column 1.
pub(super) fn refuse_desired_state_as_plan(path: &Path) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(()); // planfile::read reports the I/O error
    };
    if text.trim_start().starts_with('{') {
        return Ok(());
    }
    let yaml: Option<serde_yaml::Mapping> = serde_yaml::from_str(&text).ok();
    let looks_desired =
        yaml.is_some_and(|m| m.contains_key("clusters") || m.contains_key("version"));
    if looks_desired {
        return Err(Error::Usage(format!(
            "`{p}` is not a saved plan: this looks like a desired-state file; did you mean `apply -f {p}`?",
            p = path.display()
        )));
    }
    Ok(())
}

/// The JSON report of an apply with nothing to do: `complete`, zero counts, no actions.
pub(super) fn write_empty_report(plan: &Plan) -> Result<()> {
    write_report_json(
        &crate::apply::ApplyReport::default(),
        &ReportContext::new(plan, false),
        &mut std::io::stdout().lock(),
    )
    .map_err(|e| Error::Other(e.into()))
}

/// Runs the writes of a plan and prints the report.
pub(super) async fn execute(
    g: &GlobalArgs,
    args: &ApplyArgs,
    plan: &Plan,
    client: &ArmClient,
    guard: &Guard,
) -> Result<i32> {
    let cancel = CancellationToken::new();
    watch_signals(cancel.clone());
    let progress = crate::progress::for_stderr(
        plan.write_count(),
        std::io::stderr().is_terminal(),
        !g.no_progress && !g.quiet,
    );
    let options = ApplyOptions {
        parallelism: g.parallelism as usize,
        cancel: cancel.clone(),
        progress: progress.as_ref(),
        guard,
    };
    let report = crate::apply::apply(plan, client, &options).await;
    let cx = ReportContext::new(plan, cancel.is_cancelled());
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Text => {
            writeln!(out).and_then(|()| write_report_text(&report, &cx, style(g), &mut out))
        }
        ReportFormat::Json => write_report_json(&report, &cx, &mut out),
    }
    .and_then(|()| out.flush())
    .map_err(anyhow::Error::from)?;
    if cx.interrupted {
        return Err(Error::Interrupted);
    }
    let failed = report.failed();
    if failed > 0 {
        return Err(Error::ApplyFailed {
            failed,
            total: report.actions.len(),
        });
    }
    Ok(0)
}

/// First Ctrl-C or SIGTERM (what CI sends when a job is cancelled): no new writes start, running
/// operations finish, the report is printed. A second one: abandon at once.
fn watch_signals(cancel: CancellationToken) {
    tokio::spawn(async move {
        let Some(mut signals) = Signals::new() else {
            return;
        };
        let Some(first) = signals.next().await else {
            return;
        };
        eprintln!(
            "\ninterrupted ({first}): letting running operations finish, starting no new ones (Ctrl-C again to abandon them)"
        );
        cancel.cancel();
        if signals.next().await.is_some() {
            eprintln!(
                "abandoned: operations already sent to ARM may still complete; rerun plan to see where things stand"
            );
            std::process::exit(130);
        }
    });
}

/// Ctrl-C, and on Unix SIGTERM.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> Option<Self> {
        Some(Signals {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok()?,
        })
    }

    /// The next signal's name; `None` when signals can no longer be received.
    async fn next(&mut self) -> Option<&'static str> {
        #[cfg(unix)]
        {
            tokio::select! {
                r = tokio::signal::ctrl_c() => r.ok().map(|()| "Ctrl-C"),
                r = self.term.recv() => r.map(|()| "SIGTERM"),
            }
        }
        #[cfg(not(unix))]
        {
            tokio::signal::ctrl_c().await.ok().map(|()| "Ctrl-C")
        }
    }
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
    let read = std::io::stdin()
        .read_line(&mut line)
        .map_err(anyhow::Error::from)?;
    if read == 0 {
        // Ctrl-D: end the prompt's line, so the error that follows starts on its own.
        eprintln!();
    }
    Ok(line.trim() == "yes")
}
