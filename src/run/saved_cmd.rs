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

use super::plan_cmd::{Planned, load_desired, plan};
use super::session::{Session, connect};
use super::settings::Settings;
use super::write::{execute, refuse_if_unsafe, show_plan, write_empty_report};
use crate::apply::{Guard, Prelisted};
use crate::cli::{ApplyArgs, ReportFormat};
use crate::error::{Error, Result};
use crate::model::{SafetyConfig, Scope};
use crate::plan::stale::{self, Listed, Verdict};
use crate::plan::{Plan, SavedPlan, planfile};
use crate::survey::list_saved;

pub(super) async fn apply_saved(settings: &Settings, args: &ApplyArgs, path: &Path) -> Result<i32> {
    if !args.target.is_empty() {
        return Err(Error::Usage(format!(
            "--target cannot be used with a saved plan (`{}`): the plan applies the targets it was made with; nothing was changed",
            path.display()
        )));
    }
    let saved = planfile::read(path)?;
    // A saved plan is applied with the api-version it was made with.
    let session = connect(&settings.azure, &saved.api_version).await?;
    let scopes = saved.scopes.iter().map(|s| Scope::from(&s.scope)).collect();
    let (now, not_running) =
        list_saved(&session.client, scopes, settings.azure.parallelism).await?;
    let listed_at = Instant::now();
    // A cluster that is not Running is never written to: its scopes are set aside and said so.
    let (saved, aside) = stale::set_aside(&saved, &not_running);
    if !aside.is_empty() {
        set_aside_or_refuse(settings, path, &not_running, aside.len())?;
    }
    let Some((mut plan, guard)) = judge(settings, &saved, path, &now, listed_at, &session).await?
    else {
        return already_applied(args, path);
    };
    let all_aside = !aside.is_empty() && !plan.summary().has_changes();
    plan.scopes.extend(aside);
    plan.scopes.sort_by(|a, b| a.scope.cmp(&b.scope));
    if all_aside || !plan.summary().has_changes() {
        return nothing_to_apply(args, path, &saved, &plan, all_aside);
    }
    show_plan(settings, args, &plan)?;
    if !settings.file_given && !plan.safety.ok && !args.force {
        return Err(Error::Refused(format!(
            "the plan is unsafe ({}); nothing was changed. The verdict was computed again with the default safety rules (a plan file cannot say which rules its file set): rerun with -f FILE to use the file's, or with --force to apply it anyway",
            plan.safety.reasons.join("; ")
        )));
    }
    refuse_if_unsafe(&plan, args)?;
    // The saved plan was reviewed; it is applied without another question.
    execute(settings, args, &plan, &session.client, &guard).await
}

/// With `--stopped-clusters error` a saved plan that writes to a cluster that is not Running is
/// refused; otherwise those scopes are set aside, and said so.
fn set_aside_or_refuse(
    settings: &Settings,
    path: &Path,
    not_running: &BTreeMap<Scope, String>,
    aside: usize,
) -> Result<()> {
    if settings.azure.stopped_are_errors {
        return Err(Error::Refused(format!(
            "the saved plan `{}` writes to a cluster that is not Running ({}), and --stopped-clusters error \
             is set; nothing was written",
            path.display(),
            not_running.values().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    tracing::warn!(
        "{aside} scope(s) of the saved plan are not applied because their cluster is not Running ({}); \
         plan again once it runs",
        not_running
            .iter()
            .map(|(s, r)| format!("`{s}`: {r}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}

/// `plan::stale`'s verdict on the listings made now, acted on: the plan to apply and its guard, or
/// `None` when it is already applied. Without `-f` a stale plan is refused; with `-f FILE` the
/// file is planned again and must give exactly the saved changes.
async fn judge(
    settings: &Settings,
    saved: &SavedPlan,
    path: &Path,
    now: &[Listed],
    listed_at: Instant,
    session: &Session,
) -> Result<Option<(Plan, Guard)>> {
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
    Ok(Some(
        match stale::check(saved, now, &SafetyConfig::default()) {
            Verdict::AlreadyApplied => return Ok(None),
            Verdict::Current(plan) if !settings.file_given => (plan, prelisted()),
            Verdict::Stale(what) if !settings.file_given => {
                return Err(Error::Refused(format!(
                    "the saved plan `{}` is stale: Azure changed after it was made, so nothing was written.\n  {}\n  hint: make a new plan and review it",
                    path.display(),
                    what.join("\n  ")
                )));
            }
            Verdict::Current(_) | Verdict::Stale(_) => {
                replan_matching(settings, saved, path, session).await?
            }
        },
    ))
}

/// What a saved plan with nothing left to write prints: every change in a stopped cluster, or none
/// at all (a JSON reader still gets its empty report).
fn nothing_to_apply(
    args: &ApplyArgs,
    path: &Path,
    saved: &SavedPlan,
    plan: &Plan,
    all_aside: bool,
) -> Result<i32> {
    let text = if all_aside {
        format!(
            "Nothing applied: every change of the saved plan `{}` is in a cluster that is not Running. Plan again once it runs.\n",
            path.display()
        )
    } else {
        // A saved plan keeps only the scopes it writes to, so there is no count of matching grants.
        format!(
            "No changes: the saved plan `{}` has nothing to apply (Azure matched {} when it was made).\n",
            path.display(),
            saved.document.file
        )
    };
    match args.format {
        ReportFormat::Text => super::write_stdout(text.as_bytes()),
        ReportFormat::Json => write_empty_report(plan),
    }
    .map(|()| 0)
}

/// `-f FILE`: plans FILE again (with the plan's targets) and returns that plan only if it writes
/// exactly the saved changes.
async fn replan_matching(
    settings: &Settings,
    saved: &SavedPlan,
    path: &Path,
    session: &Session,
) -> Result<(Plan, Guard)> {
    let refused = |why: String| {
        Error::Refused(format!(
            "the saved plan `{}` does not match `{}`, so nothing was written: {why}\n  hint: make a new plan from the file and review it",
            path.display(),
            settings.file.display()
        ))
    };
    let desired = match load_desired(settings, &saved.targets) {
        Err(e @ Error::UnmatchedTargets { .. }) => return Err(refused(e.to_string())),
        other => other?,
    };
    let Planned { plan, guard } = plan(settings, desired, session).await?;
    if let Some(unreadable) = plan.unreadable() {
        return Err(unreadable.into());
    }
    let differences = stale::differences(saved, &plan);
    if !differences.is_empty() {
        return Err(refused(format!(
            "planning from it now gives other changes.\n  {}",
            differences.join("\n  ")
        )));
    }
    if planfile::file_sha256(&settings.file).ok().as_deref() != Some(saved.file_sha256.as_str()) {
        tracing::warn!(
            "`{}` is not byte-identical to the file the plan was made from, but it plans exactly the saved changes",
            settings.file.display()
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
    }?;
    Ok(0)
}
