//! `plan`, and the planning that `apply -f FILE` and `apply PLAN.json -f FILE` share.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use super::session::{Session, connect};
use super::settings::Settings;
use crate::apply::Guard;
use crate::cli::PlanArgs;
use crate::error::{Error, Result};
use crate::model::{DesiredScope, DesiredState, Scope};
use crate::plan::{Plan, SavedPlan, SpellingNote, finish, planfile};
use crate::render::inert::text;
use crate::render::{OutputFormat, write_plan};
use crate::resolve::resolve_principals;
use crate::survey::survey;

/// A plan, and the guard apply uses to plan its touched scopes again just before writing.
pub(super) struct Planned {
    pub plan: Plan,
    pub guard: Guard,
}

pub(super) async fn plan_command(settings: &Settings, args: &PlanArgs) -> Result<i32> {
    let desired = load_desired(settings, &args.target)?;
    let session = connect(&settings.azure, &settings.azure.api_version).await?;
    let Planned { plan, .. } = plan(settings, desired, &session).await?;
    print_plan(settings, &plan, args.format)?;
    if let Some(unreadable) = plan.unreadable() {
        return Err(unreadable.into());
    }
    if let Some(path) = &args.out {
        let sha = planfile::file_sha256(&settings.file).map_err(|e| {
            Error::io_at(
                format!(
                    "cannot read `{}` again to record its SHA-256",
                    settings.file.display()
                ),
                e,
            )
        })?;
        let saved = SavedPlan::new(
            &plan,
            &plan.file,
            sha,
            &args.target,
            &settings.azure.api_version,
        );
        planfile::write(path, &saved)?;
        tracing::info!("saved the plan to {}", path.display());
    }
    Ok(if args.detailed_exitcode && plan.summary().has_changes() {
        2
    } else {
        0
    })
}

/// The desired-state file, narrowed to `targets`. A mistyped target must not silently narrow the
/// plan to the other targets: one that matches nothing is an error.
pub(super) fn load_desired(settings: &Settings, targets: &[String]) -> Result<DesiredState> {
    let mut desired = crate::config::load(&settings.file)?;
    let unmatched: Vec<String> = targets
        .iter()
        .filter(|t| !desired.scopes.iter().any(|s| s.scope.matches_target(t)))
        .cloned()
        .collect();
    if !unmatched.is_empty() {
        return Err(Error::UnmatchedTargets {
            file: desired.file,
            targets: unmatched,
        });
    }
    desired.retain_targets(targets);
    Ok(desired)
}

/// Plans `desired` against what `session` lists: the file's principals resolved (with
/// `--resolve-principals graph`), every managed scope listed `parallelism` at a time and planned as
/// its listing arrives (`survey`), the safety verdict. A scope that does not exist, or that cannot
/// take grants, is an error of that scope, and one of a cluster that is not Running is "not checked"
/// (the plan still shows the rest); any other failure fails the command. The desired scopes the plan
/// writes to are kept for apply's guard (`apply::Guard`).
pub(super) async fn plan(
    settings: &Settings,
    mut desired: DesiredState,
    session: &Session,
) -> Result<Planned> {
    if let Some(graph) = &session.graph {
        resolve_principals(graph, &mut desired).await?;
    }
    let DesiredState {
        file,
        scopes,
        ignore,
        safety,
    } = desired;
    let mut desired_scopes: BTreeMap<Scope, DesiredScope> = scopes
        .iter()
        .map(|ds| (ds.scope.clone(), ds.clone()))
        .collect();
    let survey = survey(
        &session.client,
        scopes,
        &ignore,
        settings.azure.parallelism,
        settings.azure.stopped_are_errors,
    )
    .await?;
    report_spellings(&survey.spellings);
    let plan = finish(survey.scopes, &safety, &file);
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
    Ok(Planned { plan, guard })
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

fn print_plan(settings: &Settings, plan: &Plan, format: OutputFormat) -> Result<()> {
    let mut out = std::io::stdout().lock();
    write_plan(format, plan, &plan.file, settings.output.stdout, &mut out)?;
    out.flush()?;
    Ok(())
}
