//! `apply PLAN.json [-f FILE]`: read and check the saved plan (`plan::planfile`), list its scopes
//! again, let `plan::stale` judge, and write exactly the reviewed changes or refuse before any write.
//!
//! | given                 | applies                                   | refuses (exit 3, nothing written) |
//! |-----------------------|-------------------------------------------|-----------------------------------|
//! | `PLAN.json`           | the saved changes, if every fingerprint holds | a scope changed since the plan |
//! | `PLAN.json -f FILE`   | the re-plan of FILE, if its changes are the saved ones | the changes differ       |
//! | either, all in Azure  | nothing: "already applied", exit 0        |                                   |
//!
//! Without `-f` the safety verdict is recomputed with the default rules (the plan file cannot say
//! which rules the desired file set); with `-f` it is the re-plan's, under the file's rules.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use futures::StreamExt;

use super::apply_cmd::{execute, refuse_if_unsafe, show_plan_for_apply};
use super::plan_cmd::plan_desired;
use super::session::{Session, connect_with_api};
use crate::apply::{Guard, Prelisted};
use crate::arm::ArmClient;
use crate::cli::{ApplyArgs, GlobalArgs, ReportFormat};
use crate::error::{Error, Result};
use crate::model::{SafetyConfig, Scope};
use crate::plan::stale::{self, Listed, Verdict};
use crate::plan::{Plan, SavedPlan, planfile};

pub(super) async fn apply_saved(g: &GlobalArgs, args: &ApplyArgs, path: &Path) -> Result<i32> {
    if !args.target.is_empty() {
        return Err(Error::Usage(format!(
            "--target cannot be used with a saved plan (`{}`): the plan applies the targets it was made with; nothing was changed",
            path.display()
        )));
    }
    super::apply_cmd::refuse_desired_state_as_plan(path)?;
    let saved = planfile::read(path)?;
    let session = connect_with_api(g, &saved.api_version).await?;
    let client = &session.client;
    let (now, not_running) = list_saved_scopes(g, &saved, client).await?;
    let listed_at = Instant::now();
    // A cluster that is not Running is never written to: its scopes are set aside and said so.
    let (saved, aside) = stale::set_aside(&saved, &not_running);
    if !aside.is_empty() && g.stopped_clusters == crate::cli::StoppedClusters::Error {
        return Err(Error::Refused(format!(
            "the saved plan `{}` writes to a cluster that is not Running ({}), and --stopped-clusters error \
             is set; nothing was written",
            path.display(),
            not_running.values().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    if !aside.is_empty() {
        tracing::warn!(
            "{} scope(s) of the saved plan are not applied because their cluster is not Running ({}); \
             plan again once it runs",
            aside.len(),
            not_running
                .iter()
                .map(|(s, r)| format!("`{s}`: {r}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    // The staleness check's listings serve as the guard's for the clusters whose turn comes soon
    // (`apply::guard`); with `-f FILE`, the re-plan's desired scopes are the guard.
    let prelisted = || {
        Guard::Saved(Some(Prelisted {
            at: listed_at,
            listings: now
                .iter()
                .filter_map(|(scope, items)| items.clone().map(|i| (scope.clone(), i)))
                .collect(),
        }))
    };
    let (mut plan, guard) = match stale::check(&saved, &now, &SafetyConfig::default()) {
        Verdict::AlreadyApplied => return already_applied(args, path),
        Verdict::Current(plan) if !g.file_given => (plan, prelisted()),
        Verdict::Stale(what) if !g.file_given => {
            return Err(Error::Refused(format!(
                "the saved plan `{}` is stale: Azure changed after it was made, so nothing was written.\n  {}\n  hint: make a new plan and review it",
                path.display(),
                what.join("\n  ")
            )));
        }
        Verdict::Current(_) | Verdict::Stale(_) => {
            replan_matching(g, &saved, path, &session).await?
        }
    };
    let all_aside = !aside.is_empty() && !plan.summary().has_changes();
    plan.scopes.extend(aside);
    plan.scopes.sort_by(|a, b| a.scope.cmp(&b.scope));
    if all_aside {
        let text = format!(
            "Nothing applied: every change of the saved plan `{}` is in a cluster that is not Running. Plan again once it runs.\n",
            path.display()
        );
        return match args.format {
            ReportFormat::Text => super::write_stdout(text.as_bytes()),
            ReportFormat::Json => super::apply_cmd::write_empty_report(&plan),
        }
        .map(|()| 0);
    }
    if !plan.summary().has_changes() {
        // A saved plan keeps only the scopes it writes to, so there is no count of matching grants.
        let text = format!(
            "No changes: the saved plan `{}` has nothing to apply (Azure matched {} when it was made).\n",
            path.display(),
            saved.document.file
        );
        return match args.format {
            ReportFormat::Text => super::write_stdout(text.as_bytes()),
            ReportFormat::Json => super::apply_cmd::write_empty_report(&plan),
        }
        .map(|()| 0);
    }
    show_plan_for_apply(g, args, &plan, &saved.document.file)?;
    if !g.file_given && !plan.safety.ok && !args.force {
        return Err(Error::Refused(format!(
            "the plan is unsafe ({}); nothing was changed. The verdict was computed again with the default safety rules (a plan file cannot say which rules its file set): rerun with -f FILE to use the file's, or with --force to apply it anyway",
            plan.safety.reasons.join("; ")
        )));
    }
    refuse_if_unsafe(&plan, args)?;
    // The saved plan was reviewed; it is applied without another question.
    execute(g, args, &plan, client, &guard).await
}

/// Lists every scope the saved plan writes to, `parallelism` at a time; a scope that no longer
/// exists is `None`, one whose cluster is not Running is returned apart with the reason (decided on
/// the cluster's state, read once per cluster), any other failure fails the command.
async fn list_saved_scopes(
    g: &GlobalArgs,
    saved: &SavedPlan,
    client: &ArmClient,
) -> Result<(Vec<Listed>, BTreeMap<Scope, String>)> {
    let listed: Vec<_> = futures::stream::iter(saved.scopes.iter())
        .map(|s| async move {
            let scope = Scope::from(&s.scope);
            let now = client.list_assignments(&scope).await;
            (scope, now)
        })
        .buffered(g.parallelism as usize)
        .collect()
        .await;
    let mut out = Vec::with_capacity(listed.len());
    let mut not_running = BTreeMap::new();
    let mut states: BTreeMap<crate::model::ClusterRef, Option<String>> = BTreeMap::new();
    for (scope, now) in listed {
        match now {
            Ok(items) => out.push((scope, Some(items))),
            Err(e) if e.is_not_found() => out.push((scope, None)),
            Err(e) => {
                let cluster = scope.cluster.clone();
                if !states.contains_key(&cluster) {
                    let state = crate::survey::state_of(client, &cluster, &e).await;
                    states.insert(cluster.clone(), state);
                }
                match &states[&cluster] {
                    Some(state) => {
                        not_running.insert(scope, format!("cluster is {state}"));
                    }
                    None => return Err(e.into()),
                }
            }
        }
    }
    Ok((out, not_running))
}

/// `-f FILE`: plans FILE again (with the plan's targets) and returns that plan only if it writes
/// exactly the saved changes.
async fn replan_matching(
    g: &GlobalArgs,
    saved: &SavedPlan,
    path: &Path,
    session: &Session,
) -> Result<(Plan, Guard)> {
    let refused = |why: String| {
        Error::Refused(format!(
            "the saved plan `{}` does not match `{}`, so nothing was written: {why}\n  hint: make a new plan from the file and review it",
            path.display(),
            g.file.display()
        ))
    };
    let desired = match super::load_desired(g, &saved.targets) {
        Err(Error::Usage(m)) => return Err(refused(m)),
        other => other?,
    };
    let (plan, _, guard) = plan_desired(g, desired, session).await?;
    if plan.has_errors() {
        return Err(super::plan_cmd::scope_errors(&plan));
    }
    let differences = stale::differences(saved, &plan);
    if !differences.is_empty() {
        return Err(refused(format!(
            "planning from it now gives other changes.\n  {}",
            differences.join("\n  ")
        )));
    }
    if planfile::file_sha256(&g.file).ok().as_deref() != Some(saved.file_sha256.as_str()) {
        tracing::warn!(
            "`{}` is not byte-identical to the file the plan was made from, but it plans exactly the saved changes",
            g.file.display()
        );
    }
    Ok((plan, guard))
}

fn already_applied(args: &ApplyArgs, path: &Path) -> Result<i32> {
    let message = format!(
        "The saved plan `{}` is already applied: every change it holds is in Azure. Nothing was written.",
        path.display()
    );
    match args.format {
        ReportFormat::Text => writeln!(std::io::stdout(), "{message}"),
        ReportFormat::Json => writeln!(std::io::stderr(), "{message}"),
    }
    .map_err(anyhow::Error::from)?;
    Ok(0)
}
