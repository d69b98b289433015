//! A plan → ordered ARM calls → a report.
//!
//! Order (docs/DESIGN.md §5): writes to one cluster run one at a time (Kusto rejects concurrent operations
//! on a cluster); clusters run in parallel up to `parallelism`. Within a cluster every create (and the
//! create half of each replace) comes first, then the deletes; if any create of a cluster failed, its
//! deletes are skipped, so a failure never leaves a principal with less access than planned. Every
//! write waits for its operation and reads the result back; a rerun converges.
//!
//! Two guards keep a delete from removing a grant the plan did not mean to remove:
//!
//! | situation                                               | what happens                       |
//! |---------------------------------------------------------|------------------------------------|
//! | the name to delete now holds another grant (a create of this apply reused the name, or someone changed it) | the delete is skipped |
//! | a create is refused because the same principal and role is held by an assignment this plan deletes (a tenant change) | the create fails, so the cluster's deletes wait |

use std::collections::BTreeMap;

use futures::StreamExt;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::arm::{ArmClient, ArmError};
use crate::model::{AssignmentKey, ClusterRef, CurrentAssignment, DesiredGrant};
use crate::plan::{Change, Plan};

/// What one write did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "lowercase")]
pub enum Outcome {
    Applied,
    Failed {
        message: String,
        code: Option<String>,
        request_id: Option<String>,
    },
    Skipped {
        reason: String,
    },
}

/// One write of the apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActionReport {
    /// `create` or `delete` (a replace shows as both).
    pub action: &'static str,
    pub key: AssignmentKey,
    /// The assignment name written.
    pub name: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub actions: Vec<ActionReport>,
}

impl ApplyReport {
    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.actions.iter().filter(|a| f(&a.outcome)).count()
    }
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed { .. }))
    }
}

/// The writes of one cluster, in the order they run.
#[derive(Debug, Default)]
struct ClusterWork<'a> {
    creates: Vec<&'a DesiredGrant>,
    /// Deletes, including the second half of each replace; they run only when every create succeeded.
    deletes: Vec<&'a CurrentAssignment>,
}

/// Sees each write start and end (progress bars, log lines).
pub trait Progress: Send + Sync {
    fn begin(&self, action: &'static str, key: &AssignmentKey, name: &str);
    fn end(&self, report: &ActionReport);
}

/// How to apply.
pub struct ApplyOptions<'a> {
    /// Clusters written at once.
    pub parallelism: usize,
    /// Once cancelled (Ctrl-C), no new write starts; running operations finish.
    pub cancel: CancellationToken,
    pub progress: &'a dyn Progress,
}

/// Applies every change of `plan` through `client`.
pub async fn apply(plan: &Plan, client: &ArmClient, options: &ApplyOptions<'_>) -> ApplyReport {
    let mut work: BTreeMap<&ClusterRef, ClusterWork> = BTreeMap::new();
    for change in plan.actions() {
        let w = work.entry(&change.key().scope.cluster).or_default();
        match change {
            Change::Create { after } => w.creates.push(after),
            Change::Delete { before } => w.deletes.push(before),
            Change::Replace { before, after } => {
                w.creates.push(after);
                w.deletes.push(before);
            }
            Change::NoOp { .. } => {}
        }
    }
    let mut per_cluster: Vec<(usize, Vec<ActionReport>)> =
        futures::stream::iter(work.into_values().enumerate())
            .map(|(i, w)| async move { (i, apply_cluster(w, client, options).await) })
            .buffer_unordered(options.parallelism.max(1))
            .collect()
            .await;
    per_cluster.sort_by_key(|(i, _)| *i);
    ApplyReport {
        actions: per_cluster.into_iter().flat_map(|(_, r)| r).collect(),
    }
}

fn interrupted() -> Outcome {
    Outcome::Skipped {
        reason: "interrupted (Ctrl-C) before it started".to_string(),
    }
}

async fn apply_cluster(
    work: ClusterWork<'_>,
    client: &ArmClient,
    options: &ApplyOptions<'_>,
) -> Vec<ActionReport> {
    let mut reports = Vec::new();
    for grant in &work.creates {
        let name = grant.create_name();
        let outcome = if options.cancel.is_cancelled() {
            interrupted()
        } else {
            options.progress.begin("create", &grant.key, &name);
            match client
                .put_assignment(&grant.key, &name, grant.tenant.as_deref())
                .await
            {
                Ok(_) => Outcome::Applied,
                Err(e) => match already_held_by(&e) {
                    // The holder is what this plan deletes (say, the same principal and role with
                    // another tenant): the grant is not there as asked, and deleting the holder would
                    // leave the principal with nothing.
                    Some(holder)
                        if work.deletes.iter().any(|d| {
                            d.key.scope == grant.key.scope && d.name.eq_ignore_ascii_case(&holder)
                        }) =>
                    {
                        let mut e = e;
                        e.message = format!(
                            "{}; `{holder}` is to be deleted by this plan, so the new grant cannot be created while it exists (did the tenant change?)",
                            e.message
                        );
                        failed(e)
                    }
                    Some(_) => {
                        tracing::info!("{} is already present under another name", grant.key);
                        Outcome::Applied
                    }
                    None => failed(e),
                },
            }
        };
        let report = ActionReport {
            action: "create",
            key: grant.key.clone(),
            name,
            outcome,
        };
        options.progress.end(&report);
        reports.push(report);
    }
    let failed_creates = reports
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Applied))
        .count();
    for before in &work.deletes {
        let outcome = if options.cancel.is_cancelled() {
            interrupted()
        } else if failed_creates > 0 {
            Outcome::Skipped {
                reason: format!(
                    "{failed_creates} create(s) on cluster `{}` did not succeed; its deletes wait for a rerun",
                    before.key.scope.cluster
                ),
            }
        } else {
            options.progress.begin("delete", &before.key, &before.name);
            delete_checked(client, before).await
        };
        let report = ActionReport {
            action: "delete",
            key: before.key.clone(),
            name: before.name.clone(),
            outcome,
        };
        options.progress.end(&report);
        reports.push(report);
    }
    reports
}

/// Deletes `before` only if its name still holds the grant the plan saw. A create of this apply may
/// have reused the name (a file `name:` whose role changed is a Replace that ARM does in place), or
/// someone may have changed it since the plan; deleting it then would delete a grant nobody planned
/// to delete.
async fn delete_checked(client: &ArmClient, before: &CurrentAssignment) -> Outcome {
    let now = match client.get_assignment(&before.key.scope, &before.name).await {
        Ok(now) => now,
        Err(e) => return failed(e),
    };
    match now {
        None => {
            tracing::info!("{} [{}] is already gone", before.key, before.name);
            Outcome::Applied
        }
        Some(now) if now.key == before.key => {
            match client
                .delete_assignment(&before.key.scope, &before.name)
                .await
            {
                Ok(()) => Outcome::Applied,
                Err(e) => failed(e),
            }
        }
        Some(now) => Outcome::Skipped {
            reason: format!(
                "`{}` now holds {} (changed in place by this apply or since the plan); not deleting it",
                before.name, now.key
            ),
        },
    }
}

fn failed(e: ArmError) -> Outcome {
    Outcome::Failed {
        message: e.to_string(),
        code: e.code,
        request_id: e.request_id,
    }
}

/// Kusto refuses a second assignment of the same principal and role under another name
/// (docs/arm-service.md §2): "... A PrincipalAssignment resource (name: 'X') already exists with the same role and
/// principal id". Returns the holder's name (empty when the message does not say).
fn already_held_by(e: &ArmError) -> Option<String> {
    let m = &e.message;
    if !m
        .to_ascii_lowercase()
        .contains("already exists with the same role and principal id")
    {
        return None;
    }
    let holder = m
        .split_once("(name: '")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(name, _)| name.to_string())
        .unwrap_or_default();
    Some(holder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_of_a_duplicate_grant_is_read_from_the_message() {
        let e = |m: &str| ArmError::new("create principal assignment", "/x", m);
        assert_eq!(
            already_held_by(&e(
                "Cannot add PrincipalAssignment resource 'kp-1'. A PrincipalAssignment resource (name: 'old-one') already exists with the same role and principal id"
            ))
            .as_deref(),
            Some("old-one")
        );
        assert_eq!(
            already_held_by(&e("already exists with the same role and principal id")).as_deref(),
            Some("")
        );
        assert_eq!(already_held_by(&e("AAD principal was not found")), None);
    }
}
