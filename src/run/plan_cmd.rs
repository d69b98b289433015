//! `plan`, and the planning that `apply -f FILE` shares.

use std::io::Write;

use futures::StreamExt;

use super::session::{Session, connect};
use super::{load_desired, style};
use crate::cli::{GlobalArgs, PlanArgs};
use crate::error::{Error, Result};
use crate::model::{DesiredState, Scope, ScopeKind};
use crate::plan::{Plan, SavedPlan, finish, plan_scope, planfile};
use crate::render::{OutputFormat, write_plan};

/// Why a scope that ARM says does not exist could not be planned.
fn not_found_message(scope: &Scope, e: &crate::arm::ArmError) -> String {
    let c = &scope.cluster;
    let what = match (e.code.as_deref(), scope.kind()) {
        (Some("SubscriptionNotFound"), _) => format!("subscription `{}` not found", c.subscription),
        (Some("ResourceGroupNotFound"), _) => format!(
            "resource group `{}` not found in subscription `{}`",
            c.resource_group, c.subscription
        ),
        (_, kind) => not_found_what(scope, kind),
    };
    format!("{what} ({})", e.message)
}

fn not_found_what(scope: &Scope, kind: ScopeKind) -> String {
    match kind {
        ScopeKind::Cluster => format!(
            "cluster `{}` not found in resource group `{}` of subscription `{}`",
            scope.cluster.cluster, scope.cluster.resource_group, scope.cluster.subscription
        ),
        ScopeKind::Database => format!(
            "database `{}` not found in cluster `{}`",
            scope.database_name().unwrap_or_default(),
            scope.cluster.cluster
        ),
    }
}

/// Lists every managed scope, `parallelism` at a time, and plans each one as its listing arrives,
/// so that a fleet-wide plan never holds every listing at once: a scope with nothing to write keeps
/// only its counts. A scope that does not exist becomes an error of that scope (the plan still
/// shows the rest); any other failure fails the command.
pub(super) async fn make_plan(
    g: &GlobalArgs,
    targets: &[String],
) -> Result<(Plan, String, Session)> {
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
    while let Some((ds, listed)) = listings.next().await {
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
        .filter(|sp| sp.scope.kind() == ScopeKind::Cluster)
        .filter(|sp| {
            sp.error
                .as_ref()
                .is_some_and(|e| e.starts_with("cluster `"))
        })
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
    super::not_found::explain(client, &mut planned).await;
    Ok((finish(planned, &safety), file, session))
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
    let (plan, file, _session) = make_plan(g, &args.target).await?;
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
