//! `plan`, and the planning that `apply -f FILE` shares.

use std::collections::BTreeMap;
use std::io::Write;

use futures::StreamExt;

use super::session::{Session, connect};
use super::{load_desired, style};
use crate::apply::Guard;
use crate::cli::{GlobalArgs, PlanArgs};
use crate::error::{Error, Result};
use crate::model::{DesiredState, Scope, ScopeKind};
use crate::plan::{Plan, SavedPlan, finish, plan_scope, planfile};
use crate::render::{OutputFormat, write_plan};

/// Why a scope that ARM says does not exist could not be planned.
fn not_found_message(scope: &Scope, e: &crate::arm::ArmError) -> String {
    let what = match scope.kind() {
        ScopeKind::Cluster => format!(
            "cluster `{}` not found in resource group `{}` of subscription `{}`",
            scope.cluster.cluster, scope.cluster.resource_group, scope.cluster.subscription
        ),
        ScopeKind::Database => format!(
            "database `{}` not found in cluster `{}`",
            scope.database_name().unwrap_or_default(),
            scope.cluster.cluster
        ),
    };
    format!("{what} ({})", e.message)
}

/// Lists every managed scope, `parallelism` at a time, and plans each one as its listing arrives,
/// so that a fleet-wide plan never holds every listing at once: a scope with nothing to write keeps
/// only its counts. A scope that does not exist becomes an error of that scope (the plan still
/// shows the rest); any other failure fails the command. The desired scopes the plan writes to are
/// kept for apply's guard, which plans each of them again just before writing (`apply::Guard`).
pub(super) async fn make_plan(
    g: &GlobalArgs,
    targets: &[String],
) -> Result<(Plan, String, Session, Guard)> {
    let desired = load_desired(g, targets)?;
    let session = connect(g).await?;
    let client = &session.client;
    let DesiredState {
        file,
        scopes,
        ignore,
        safety,
    } = desired;
    let mut planned = Vec::with_capacity(scopes.len());
    let mut listings = futures::stream::iter(scopes)
        .map(|ds| async move {
            let listed = client.list_assignments(&ds.scope).await;
            (ds, listed)
        })
        .buffered(g.parallelism as usize);
    let mut first_error = None;
    let mut touched = BTreeMap::new();
    while let Some((ds, listed)) = listings.next().await {
        let desired = ds.clone();
        let mut sp = match listed {
            Ok(items) => plan_scope(ds, items, None, &ignore),
            Err(e) if e.is_not_found() => {
                let message = not_found_message(&ds.scope, &e);
                plan_scope(ds, Vec::new(), Some(message), &ignore)
            }
            Err(e) => {
                first_error.get_or_insert(e);
                continue;
            }
        };
        if sp.is_touched() {
            touched.insert(desired.scope.clone(), desired);
        }
        sp.compact();
        planned.push(sp);
    }
    drop(listings);
    if let Some(e) = first_error {
        return Err(e.into());
    }
    // A missing cluster makes every one of its databases "not found" too: say why, once.
    let missing: Vec<crate::model::ClusterRef> = planned
        .iter()
        .filter(|sp| sp.error.is_some() && sp.scope.kind() == ScopeKind::Cluster)
        .map(|sp| sp.scope.cluster.clone())
        .collect();
    for sp in &mut planned {
        if sp.error.is_some()
            && sp.scope.kind() == ScopeKind::Database
            && missing.contains(&sp.scope.cluster)
        {
            sp.error = Some(format!(
                "its cluster `{}` was not found in resource group `{}` of subscription `{}`",
                sp.scope.cluster.cluster,
                sp.scope.cluster.resource_group,
                sp.scope.cluster.subscription
            ));
        }
    }
    let guard = Guard::Replan {
        scopes: touched,
        ignore,
    };
    Ok((finish(planned, &safety), file, session, guard))
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
    Error::Usage(format!(
        "{} scope(s) in the file could not be read:{}",
        failed.len(),
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
        planfile::write(path, &SavedPlan::new(&plan, &file, &g.api_version))?;
        tracing::info!("saved the plan to {}", path.display());
    }
    Ok(if args.detailed_exitcode && plan.summary().has_changes() {
        2
    } else {
        0
    })
}
