//! Reading the estate for a plan: what ARM has at every managed scope, planned scope by scope as the
//! listings arrive (a fleet-wide plan never holds every listing at once).
//!
//! | what ARM says                                   | the scope's plan                               |
//! |-------------------------------------------------|------------------------------------------------|
//! | the listing                                     | `plan_scope` (the pure diff)                   |
//! | the cluster or database does not exist          | an error of that scope, named once per cluster |
//! | a read fails and the cluster is not Running     | not checked (`cluster is Stopped`), or an error with `stopped_are_errors` |
//! | the database follows a leader                   | planned, and marked as a follower              |
//! | … with `principalsModificationKind` None        | an error of that scope when the file grants there |
//! | any other failure                               | the command fails                              |
//!
//! A cluster whose databases the file manages is read with one database list (their kinds, and
//! whether they exist); a cluster's state is read only when one of its reads failed, and then once.
//! Decisions are made on `properties.state`, `kind` and HTTP status, never on message text.
//!
//! | file        | owns                                                                     |
//! |-------------|--------------------------------------------------------------------------|
//! | `mod`       | the listings, the cluster facts, the stopped-cluster decision            |
//! | `cluster_state` | whether a failed read is explained by the cluster not Running (its GET, when worth it) |
//! | `saved`     | the scopes of a saved plan, listed again for `plan::stale`               |
//! | `not_found` | a scope ARM says does not exist: which level, and a "did you mean" from the subscription's cluster list and the cluster's database list |

mod cluster_state;
mod not_found;
mod saved;

pub use saved::list_saved;

use std::collections::HashMap;

use futures::StreamExt;

use crate::arm::{ArmClient, ArmError};
use crate::model::{ClusterRef, DatabaseInfo, DesiredScope, IgnoreRule, ScopeKind, names};
use crate::plan::{
    ScopeError, ScopePlan, SpellingNote, follower_problem, not_checked, plan_scope, spelling_notes,
};
use cluster_state::States;
pub(crate) use cluster_state::state_of;
use not_found::{explain, name_missing_clusters_once, not_found};

/// Every managed scope's plan, and the grants that name their principal otherwise than Azure.
pub struct Survey {
    pub scopes: Vec<ScopePlan>,
    pub spellings: Vec<SpellingNote>,
}

/// What is known about a cluster before its scopes are listed.
enum Cluster {
    Databases(Vec<DatabaseInfo>),
    NotFound(ScopeError),
    NotRunning(String),
}

/// Reads and plans `scopes`, `parallelism` requests at a time.
pub async fn survey(
    client: &ArmClient,
    scopes: Vec<DesiredScope>,
    ignore: &[IgnoreRule],
    parallelism: usize,
    stopped_are_errors: bool,
) -> Result<Survey, ArmError> {
    let clusters = read_clusters(client, &scopes, parallelism).await?;
    let mut planned = Vec::with_capacity(scopes.len());
    let mut spellings = Vec::new();
    let mut failed: Vec<(DesiredScope, ArmError)> = Vec::new();
    let mut to_list = Vec::new();
    for ds in scopes {
        let facts = clusters.get(&ds.scope.cluster);
        match decide_before_listing(ds, facts) {
            Ok(sp) => planned.push(sp),
            Err(ds) => to_list.push(ds),
        }
    }
    let mut listings = futures::stream::iter(to_list)
        .map(|(ds, follows)| async move {
            let listed = client.list_assignments(&ds.scope).await;
            (ds, follows, listed)
        })
        .buffered(parallelism.max(1));
    while let Some((ds, follows, listed)) = listings.next().await {
        let mut sp = match listed {
            Ok(items) => plan_scope(ds, items, None, ignore),
            Err(e) if e.is_not_found() => {
                let error = not_found(&ds.scope.cluster, ds.scope.database_name(), &e);
                plan_scope(ds, Vec::new(), Some(error), ignore)
            }
            Err(e) => {
                failed.push((ds, e));
                continue;
            }
        };
        sp.follows = follows;
        spellings.extend(spelling_notes(&sp));
        sp.compact();
        planned.push(sp);
    }
    drop(listings);
    planned.extend(explain_failures(client, failed).await?);
    if stopped_are_errors {
        for sp in &mut planned {
            if let Some(reason) = sp.not_checked.take() {
                sp.error = Some(ScopeError::NotRunning(reason));
            }
        }
    }
    name_missing_clusters_once(&mut planned);
    planned.sort_by(|a, b| a.scope.cmp(&b.scope));
    explain(client, &mut planned).await;
    Ok(Survey {
        scopes: planned,
        spellings,
    })
}

/// Plans a scope without listing it when what is known of its cluster decides it; otherwise hands
/// it back to be listed, with its follower details.
fn decide_before_listing(
    ds: DesiredScope,
    cluster: Option<&Cluster>,
) -> Result<ScopePlan, (DesiredScope, Option<crate::model::Follower>)> {
    match cluster {
        Some(Cluster::NotRunning(state)) => Ok(not_checked(ds, state)),
        Some(Cluster::NotFound(error)) => {
            let error = error.clone();
            Ok(plan_scope(ds, Vec::new(), Some(error), &[]))
        }
        Some(Cluster::Databases(dbs)) if ds.scope.kind() == ScopeKind::Database => {
            let name = ds.scope.database_name().unwrap_or_default();
            match dbs.iter().find(|d| names::same(&d.name, name)) {
                // Not in the list: its own listing says whether it exists (ARM's answer, not ours).
                None => Err((ds, None)),
                Some(DatabaseInfo {
                    follower: Some(f), ..
                }) => match follower_problem(&ds, f) {
                    Some(problem) => {
                        let mut sp = plan_scope(ds, Vec::new(), Some(problem), &[]);
                        sp.follows = Some(f.clone());
                        Ok(sp)
                    }
                    None => Err((ds, Some(f.clone()))),
                },
                Some(DatabaseInfo { follower: None, .. }) => Err((ds, None)),
            }
        }
        Some(Cluster::Databases(_)) | None => Err((ds, None)),
    }
}

/// One database list per cluster whose databases the file manages.
async fn read_clusters(
    client: &ArmClient,
    scopes: &[DesiredScope],
    parallelism: usize,
) -> Result<HashMap<ClusterRef, Cluster>, ArmError> {
    let mut wanted: Vec<ClusterRef> = scopes
        .iter()
        .filter(|ds| ds.scope.kind() == ScopeKind::Database)
        .map(|ds| ds.scope.cluster.clone())
        .collect();
    wanted.dedup();
    let mut lists = futures::stream::iter(wanted)
        .map(|c| async move {
            let r = client.list_database_infos(&c).await;
            (c, r)
        })
        .buffered(parallelism.max(1));
    let mut out = HashMap::new();
    while let Some((c, r)) = lists.next().await {
        let facts = match r {
            Ok(dbs) => Cluster::Databases(dbs),
            Err(e) if e.is_not_found() => Cluster::NotFound(not_found(&c, None, &e)),
            Err(e) => match state_of(client, &c, &e).await {
                Some(state) => Cluster::NotRunning(state),
                None => return Err(e),
            },
        };
        out.insert(c, facts);
    }
    Ok(out)
}

/// Scopes whose listing failed: not checked when their cluster is not Running (its state read once
/// per cluster), else the command fails with the first error.
async fn explain_failures(
    client: &ArmClient,
    failed: Vec<(DesiredScope, ArmError)>,
) -> Result<Vec<ScopePlan>, ArmError> {
    let mut states = States::default();
    let mut out = Vec::new();
    for (ds, e) in failed {
        match states.not_running(client, &ds.scope.cluster, &e).await {
            Some(state) => out.push(not_checked(ds, &state)),
            None => return Err(e),
        }
    }
    Ok(out)
}
