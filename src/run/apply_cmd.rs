//! `apply -f FILE` (plan, show, confirm, write) and `apply PLAN.json` (check the saved plan is still
//! current, then write exactly it).

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Instant;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use super::plan_cmd::{make_plan, scope_errors};
use super::session::connect_with_api;
use super::style;
use crate::apply::{ApplyOptions, Guard, Prelisted};
use crate::arm::ArmClient;
use crate::cli::{ApplyArgs, GlobalArgs, ReportFormat};
use crate::error::{Error, Result};
use crate::model::Scope;
use crate::plan::{Plan, planfile};
use crate::render::{
    OutputFormat, ReportContext, Style, write_plan, write_report_json, write_report_text,
};

pub(super) async fn apply_command(g: &GlobalArgs, args: &ApplyArgs) -> Result<i32> {
    if let Some(path) = &args.plan {
        return apply_saved(g, args, path).await;
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
fn show_plan_for_apply(g: &GlobalArgs, args: &ApplyArgs, plan: &Plan, file: &str) -> Result<()> {
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

fn refuse_if_unsafe(plan: &Plan, args: &ApplyArgs) -> Result<()> {
    if plan.safety.ok || args.force {
        return Ok(());
    }
    Err(Error::Refused(format!(
        "the plan is unsafe ({}); nothing was changed. Review it, then rerun with --force to apply it anyway",
        plan.safety.reasons.join("; ")
    )))
}

/// `apply PLAN.json`: list every scope the plan writes to again; if any changed since the plan was
/// made, refuse before any write and say what changed. Otherwise apply exactly the saved changes.
/// These listings serve as the guard's for the clusters whose turn comes within
/// `PRELISTED_FRESH_FOR`; a later cluster's scopes are listed again (`apply::guard`).
async fn apply_saved(g: &GlobalArgs, args: &ApplyArgs, path: &Path) -> Result<i32> {
    refuse_desired_state_as_plan(path)?;
    let saved = planfile::read(path)?;
    let session = connect_with_api(g, &saved.api_version).await?;
    let client = &session.client;
    let checks: Vec<_> = futures::stream::iter(saved.scopes.iter())
        .map(|s| async move {
            let scope = Scope::from(&s.scope);
            let now = client.list_assignments(&scope).await;
            (scope, s, now)
        })
        .buffered(g.parallelism as usize)
        .collect()
        .await;
    let listed_at = Instant::now();
    let mut listings = BTreeMap::new();
    let mut stale = Vec::new();
    for (scope, s, now) in checks {
        let now = match now {
            Ok(items) => items,
            Err(e) if e.is_not_found() => {
                stale.push(format!("  {scope}: no longer exists"));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if crate::plan::fingerprint(&now) == s.fingerprint {
            listings.insert(scope, now);
            continue;
        }
        let (added, removed) = crate::plan::listing_changes(&s.listed, &crate::plan::listing(&now));
        let mut what = format!("  {scope}: changed since the plan");
        for a in added {
            what.push_str(&format!("\n    + {a}"));
        }
        for r in removed {
            what.push_str(&format!("\n    - {r}"));
        }
        stale.push(what);
    }
    if !stale.is_empty() {
        return Err(Error::Refused(format!(
            "the saved plan `{}` is stale: Azure changed after it was made, so nothing was written.\n{}\n  hint: make a new plan and review it",
            path.display(),
            stale.join("\n")
        )));
    }
    let plan = saved.to_plan();
    if !plan.summary().has_changes() {
        // A saved plan keeps only the scopes it writes to, so there is no count of matching grants.
        let text = format!(
            "No changes: the saved plan `{}` has nothing to apply (Azure matched {} when it was made).\n",
            path.display(),
            saved.document.file
        );
        return match args.format {
            ReportFormat::Text => super::write_stdout(text.as_bytes()),
            ReportFormat::Json => write_empty_report(&plan),
        }
        .map(|()| 0);
    }
    show_plan_for_apply(g, args, &plan, &saved.document.file)?;
    refuse_if_unsafe(&plan, args)?;
    // The saved plan was reviewed; it is applied without another question.
    let guard = Guard::Saved(Some(Prelisted {
        at: listed_at,
        listings,
    }));
    execute(g, args, &plan, client, &guard).await
}

/// `apply principals.yaml` (the `-f` forgotten): a desired-state file is not a plan, and saying so
/// beats a JSON parse error at line 1 column 1.
fn refuse_desired_state_as_plan(path: &Path) -> Result<()> {
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
fn write_empty_report(plan: &Plan) -> Result<()> {
    write_report_json(
        &crate::apply::ApplyReport::default(),
        &ReportContext::new(plan, false),
        &mut std::io::stdout().lock(),
    )
    .map_err(|e| Error::Other(e.into()))
}

/// Runs the writes of a plan and prints the report.
async fn execute(
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
