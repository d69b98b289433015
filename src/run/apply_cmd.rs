//! `apply -f FILE`: plan, show, confirm, write. `apply PLAN.json` is in `saved_cmd` and shares the
//! showing, the safety refusal and the writing from here.

use std::io::{IsTerminal, Write};
use tokio_util::sync::CancellationToken;

use super::plan_cmd::{make_plan, scope_errors};
use super::style;
use crate::apply::ApplyOptions;
use crate::arm::ArmClient;
use crate::cli::{ApplyArgs, GlobalArgs, ReportFormat};
use crate::error::{Error, Result};
use crate::plan::Plan;
use crate::render::{OutputFormat, Style, write_plan, write_report_text};

pub(super) async fn apply_command(g: &GlobalArgs, args: &ApplyArgs) -> Result<i32> {
    if let Some(path) = &args.plan {
        return super::saved_cmd::apply_saved(g, args, path).await;
    }
    let (plan, file, session) = make_plan(g, &args.target).await?;
    show_plan_for_apply(g, args, &plan, &file)?;
    if plan.has_errors() {
        return Err(scope_errors(&plan));
    }
    if !plan.summary().has_changes() {
        return Ok(0);
    }
    refuse_if_unsafe(&plan, args)?;
    if !args.auto_approve && !confirm()? {
        return Err(Error::Refused(
            "apply cancelled; nothing was changed".into(),
        ));
    }
    execute(g, args, &plan, &session.client).await
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

/// Runs the writes of a plan and prints the report.
pub(super) async fn execute(
    g: &GlobalArgs,
    args: &ApplyArgs,
    plan: &Plan,
    client: &ArmClient,
) -> Result<i32> {
    let cancel = CancellationToken::new();
    watch_ctrl_c(cancel.clone());
    let progress = crate::progress::for_stderr(
        plan.write_count(),
        std::io::stderr().is_terminal(),
        !g.no_progress && !g.quiet,
    );
    let options = ApplyOptions {
        parallelism: g.parallelism as usize,
        cancel: cancel.clone(),
        progress: progress.as_ref(),
    };
    let report = crate::apply::apply(plan, client, &options).await;
    let mut out = std::io::stdout().lock();
    match args.format {
        ReportFormat::Text => {
            writeln!(out).map_err(anyhow::Error::from)?;
            write_report_text(&report, style(g), &mut out).map_err(anyhow::Error::from)?;
        }
        ReportFormat::Json => {
            let json = serde_json::to_string_pretty(&report).map_err(anyhow::Error::from)?;
            writeln!(out, "{}", crate::render::inert::json(&json)).map_err(anyhow::Error::from)?;
        }
    }
    out.flush().map_err(anyhow::Error::from)?;
    if cancel.is_cancelled() {
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

/// First Ctrl-C: no new writes start, running operations finish, the report is printed. Second:
/// abandon at once.
fn watch_ctrl_c(cancel: CancellationToken) {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        eprintln!(
            "\ninterrupted: letting running operations finish, starting no new ones (Ctrl-C again to abandon them)"
        );
        cancel.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!(
                "abandoned: operations already sent to ARM may still complete; rerun plan to see where things stand"
            );
            std::process::exit(130);
        }
    });
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
    std::io::stdin()
        .read_line(&mut line)
        .map_err(anyhow::Error::from)?;
    Ok(line.trim() == "yes")
}
