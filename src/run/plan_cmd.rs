//! `plan`, and the planning that `apply -f FILE` shares.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use super::session::{Session, connect};
use super::{load_desired, style};
use crate::apply::Guard;
use crate::cli::{GlobalArgs, PlanArgs, StoppedClusters};
use crate::error::{Error, Result};
use crate::model::{DesiredScope, DesiredState, Scope};
use crate::plan::{Plan, SavedPlan, SpellingNote, finish, planfile};
use crate::render::inert::text;
use crate::render::{OutputFormat, write_plan};
use crate::resolve::resolve_principals;
use crate::survey::survey;

/// Lists every managed scope, `parallelism` at a time, and plans each one as its listing arrives
/// (`survey`). A scope that does not exist, or that cannot take grants, becomes an error of that
/// scope and one of a cluster that is not Running is "not checked" (the plan still shows the rest);
/// any other failure fails the command. The desired scopes the plan writes to are kept for apply's
/// guard, which plans each of them again just before writing (`apply::Guard`).
pub(super) async fn make_plan(
    g: &GlobalArgs,
    targets: &[String],
) -> Result<(Plan, String, Session, Guard)> {
    let desired = load_desired(g, targets)?;
    let session = connect(g).await?;
    let (plan, file, guard) = plan_desired(g, desired, &session).await?;
    Ok((plan, file, session, guard))
}

/// Plans `desired` against what `session` lists (`make_plan` without loading or connecting).
pub(super) async fn plan_desired(
    g: &GlobalArgs,
    mut desired: DesiredState,
    session: &Session,
) -> Result<(Plan, String, Guard)> {
    if let Some(graph) = &session.graph {
        resolve_principals(graph, &mut desired).await?;
    }
    let DesiredState {
        file,
        scopes,
        ignore,
        safety,
    } = desired;
    let stopped_are_errors = g.stopped_clusters == StoppedClusters::Error;
    let mut desired_scopes: BTreeMap<Scope, DesiredScope> = scopes
        .iter()
        .map(|ds| (ds.scope.clone(), ds.clone()))
        .collect();
    let survey = survey(
        &session.client,
        scopes,
        &ignore,
        g.parallelism as usize,
        stopped_are_errors,
    )
    .await?;
    report_spellings(&survey.spellings);
    let mut scopes = survey.scopes;
    super::not_found::explain(&session.client, &mut scopes).await;
    let plan = finish(scopes, &safety);
    report_not_checked(&plan);
    let touched: BTreeSet<&Scope> = plan
        .scopes
        .iter()
        .filter(|sp| sp.is_touched())
        .map(|sp| &sp.scope)
        .collect();
    desired_scopes.retain(|scope, _| touched.contains(scope));
    let guard = Guard::Replan {
        scopes: desired_scopes,
        ignore,
    };
    Ok((plan, file, guard))
}

/// Warns, on stderr, about the scopes that were not checked because their cluster is not Running:
/// the plan goes on without them, and `--detailed-exitcode` counts them as unchanged.
fn report_not_checked(plan: &Plan) {
    let skipped: Vec<(&Scope, &str)> = plan.not_checked().collect();
    if skipped.is_empty() {
        return;
    }
    let mut clusters: Vec<String> = skipped
        .iter()
        .map(|(s, r)| format!("`{}` ({r})", s.cluster.cluster))
        .collect();
    clusters.dedup();
    tracing::warn!(
        "{} scope(s) not checked because their cluster is not Running: {}; start the cluster to plan \
         them, or pass --stopped-clusters error to fail instead",
        skipped.len(),
        clusters.join(", ")
    );
}

/// Says, once, that some grants name their principal otherwise than Azure stores it (adopted, no
/// change), and at `-v` which ones: a user written as a UPN is stored as the user's mail.
fn report_spellings(notes: &[SpellingNote]) {
    if notes.is_empty() {
        return;
    }
    tracing::warn!(
        "{} grant(s) name a principal otherwise than Azure stores it; they match, so nothing changes \
         (-v lists them; `export` writes the stored form)",
        notes.len()
    );
    for n in notes {
        let shown = n
            .display
            .as_deref()
            .map(|d| format!(" ({})", text(d)))
            .unwrap_or_default();
        tracing::info!(
            "note: {} at `{}` is held in Azure as `{}`{shown}: the spellings differ, no change",
            text(&n.desired),
            n.scope,
            text(&n.stored)
        );
    }
}

fn print_plan(g: &GlobalArgs, plan: &Plan, file: &str, format: OutputFormat) -> Result<()> {
    let mut out = std::io::stdout().lock();
    write_plan(format, plan, file, style(g), &mut out).map_err(anyhow::Error::from)?;
    out.flush().map_err(anyhow::Error::from)?;
    Ok(())
}

/// Names every scope that could not be read, whatever format the plan was printed in.
pub(super) fn scope_errors(plan: &Plan) -> Error {
    let failed: Vec<String> = plan
        .scopes
        .iter()
        .filter_map(|s| s.error.as_ref().map(|e| format!("\n  `{}`: {e}", s.scope)))
        .collect();
    let total = plan.scopes.len();
    Error::Usage(format!(
        "{} of the {total} scope{} in the file could not be read:{}",
        failed.len(),
        if total == 1 { "" } else { "s" },
        failed.concat()
    ))
}

pub(super) async fn plan_command(g: &GlobalArgs, args: &PlanArgs) -> Result<i32> {
    let (plan, file, _session, _) = make_plan(g, &args.target).await?;
    print_plan(g, &plan, &file, args.format)?;
    if plan.has_errors() {
        return Err(scope_errors(&plan));
    }
    if let Some(path) = &args.out {
        let sha = planfile::file_sha256(&g.file).map_err(|e| {
            Error::Usage(format!(
                "cannot read `{}` again to record its SHA-256: {e}",
                g.file.display()
            ))
        })?;
        let saved = SavedPlan::new(&plan, &file, sha, &args.target, &g.api_version);
        planfile::write(path, &saved)?;
        tracing::info!("saved the plan to {}", path.display());
    }
    Ok(if args.detailed_exitcode && plan.summary().has_changes() {
        2
    } else {
        0
    })
}
