//! What every apply shares, from a file or a saved plan: showing the plan, the safety refusal, the
//! writes under Ctrl-C and SIGTERM, and the report.

use std::io::{IsTerminal, Write};

use tokio_util::sync::CancellationToken;

use super::settings::Settings;
use crate::apply::{ApplyOptions, Guard};
use crate::arm::ArmClient;
use crate::cli::{ApplyArgs, ReportFormat};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::render::{
    OutputFormat, ReportContext, Style, write_plan, write_report_json, write_report_text,
};

/// With `--format json` stdout carries only the report, so the plan shows on stderr.
pub(super) fn show_plan(settings: &Settings, args: &ApplyArgs, plan: &Plan) -> Result<()> {
    match args.format {
        ReportFormat::Text => write_plan(
            OutputFormat::Text,
            plan,
            &plan.file,
            settings.output.stdout,
            &mut std::io::stdout().lock(),
        ),
        ReportFormat::Json => write_plan(
            OutputFormat::Text,
            plan,
            &plan.file,
            Style::PLAIN,
            &mut std::io::stderr().lock(),
        ),
    }?;
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

/// The JSON report of an apply with nothing to do: `complete`, zero counts, no actions.
pub(super) fn write_empty_report(plan: &Plan) -> Result<()> {
    write_report_json(
        &crate::apply::ApplyReport::default(),
        &ReportContext::new(plan, false),
        &mut std::io::stdout().lock(),
    )?;
    Ok(())
}

/// Runs the writes of a plan and prints the report.
pub(super) async fn execute(
    settings: &Settings,
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
        settings.output.progress,
    );
    let options = ApplyOptions {
        parallelism: settings.azure.parallelism,
        cancel: cancel.clone(),
        progress: progress.as_ref(),
        guard,
    };
    let report = crate::apply::apply(plan, client, &options).await;
    let cx = ReportContext::new(plan, cancel.is_cancelled());
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Text => writeln!(out)
            .and_then(|()| write_report_text(&report, &cx, settings.output.stdout, &mut out)),
        ReportFormat::Json => write_report_json(&report, &cx, &mut out),
    }
    .and_then(|()| out.flush())?;
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
