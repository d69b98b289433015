//! A plan → ordered ARM calls → a report.
//!
//! | file    | owns                                                                          |
//! |---------|-------------------------------------------------------------------------------|
//! | `mod`   | the order of the writes and the report                                        |
//! | `guard` | one listing per touched scope just before its cluster's writes: what still needs writing |
//! | `hold`  | which deletes a create that did not succeed holds back                        |
//!
//! Order (docs/DESIGN.md §5): writes to one cluster run one at a time (Kusto rejects concurrent operations
//! on a cluster); clusters run in parallel up to `parallelism`. A cluster's turn starts with the
//! guard's listing of each scope it writes to; then every create (and the create half of each
//! replace) runs, then the deletes. A create that did not succeed holds back only the deletes that
//! depend on it (`hold`), so a failure never leaves a principal with less access than planned, nor a
//! scope with fewer admins. A write is its PUT or DELETE and its operation's polls: the operation's
//! terminal status is the result; a rerun converges.
//!
//! What keeps a delete from removing a grant the plan did not mean to remove:
//!
//! | situation                                               | what happens                       |
//! |---------------------------------------------------------|------------------------------------|
//! | the name to delete holds another grant when the cluster's turn comes | the delete is skipped (`guard`) |
//! | a create is refused because the same principal and role is held by an assignment this plan deletes (a tenant change) | the create fails, so that principal's deletes wait |

use serde::Serialize;
use std::collections::BTreeMap;

use futures::StreamExt;
use tokio_util::sync::CancellationToken;

use crate::arm::{ArmClient, ArmError, OPERATION_NOT_FINISHED};
use crate::model::{AssignmentKey, ClusterRef, CurrentAssignment, DesiredGrant, Role, Scope};
use crate::plan::{Plan, ScopePlan};

mod guard;
mod hold;

pub use guard::{Guard, PRELISTED_FRESH_FOR, Prelisted};

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

/// What a write does: a PUT that creates an assignment, or a DELETE (a replace is both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    Create,
    Delete,
}

impl WriteKind {
    /// The word the report, the progress lines and messages print: `create` or `delete`.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteKind::Create => "create",
            WriteKind::Delete => "delete",
        }
    }
}

/// One write of the apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionReport {
    /// A replace shows as both.
    pub action: WriteKind,
    pub key: AssignmentKey,
    /// The assignment name written.
    pub name: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

/// Sees each write start and end (progress bars, log lines).
pub trait Progress: Send + Sync {
    fn begin(&self, action: WriteKind, key: &AssignmentKey, name: &str);
    fn end(&self, report: &ActionReport);
}

/// How to apply.
pub struct ApplyOptions<'a> {
    /// Clusters written at once.
    pub parallelism: usize,
    /// Once cancelled (Ctrl-C, SIGTERM), no new write starts; running operations finish.
    pub cancel: CancellationToken,
    pub progress: &'a dyn Progress,
    /// What each touched scope's fresh listing is checked against.
    pub guard: &'a Guard,
}

/// Applies every change of `plan` through `client`.
pub async fn apply(plan: &Plan, client: &ArmClient, options: &ApplyOptions<'_>) -> ApplyReport {
    let mut clusters: BTreeMap<&ClusterRef, Vec<&ScopePlan>> = BTreeMap::new();
    for sp in plan.scopes.iter().filter(|sp| sp.is_touched()) {
        clusters.entry(&sp.scope.cluster).or_default().push(sp);
    }
    let mut per_cluster: Vec<(usize, Vec<ActionReport>)> =
        futures::stream::iter(clusters.into_values().enumerate())
            .map(|(i, scopes)| async move { (i, apply_cluster(&scopes, client, options).await) })
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
        reason: "interrupted (Ctrl-C or SIGTERM) before it started".to_string(),
    }
}

/// One cluster's turn: the guard's listings, then its creates, then its deletes, one at a time.
async fn apply_cluster(
    scopes: &[&ScopePlan],
    client: &ArmClient,
    options: &ApplyOptions<'_>,
) -> Vec<ActionReport> {
    let mut turn = Turn {
        client,
        options,
        reports: Vec::new(),
        not_created: Vec::new(),
        created: Vec::new(),
        busy: None,
    };
    if options.cancel.is_cancelled() {
        for sp in scopes {
            for r in guard::ScopeWrites::all(sp, &interrupted()).decided {
                turn.end(r);
            }
        }
        return turn.reports;
    }
    let mut prepared: Vec<guard::ScopeWrites> = futures::stream::iter(scopes)
        .map(|sp| guard::prepare(sp, options.guard, client))
        .buffered(options.parallelism.max(1))
        .collect()
        .await;
    for sw in &mut prepared {
        for r in std::mem::take(&mut sw.decided) {
            // A create the guard did not let through (a listing failed, the saved plan is stale
            // there) holds its principal's deletes as a failed create does.
            if r.action == WriteKind::Create && !matches!(r.outcome, Outcome::Applied) {
                turn.not_created.push((r.key.clone(), r.name.clone()));
            }
            turn.end(r);
        }
    }
    turn.creates(&prepared).await;
    turn.deletes(&mut prepared).await;
    turn.reports
}

/// What one cluster's turn has done so far.
struct Turn<'a, 'o> {
    client: &'a ArmClient,
    options: &'a ApplyOptions<'o>,
    reports: Vec<ActionReport>,
    /// Creates that did not succeed, with the name they were to have.
    not_created: Vec<(AssignmentKey, String)>,
    /// Creates whose PUT went through: (scope, role).
    created: Vec<(Scope, Role)>,
    /// Set when an operation did not finish in time: the cluster may still be running it, and Kusto
    /// refuses a second operation on a busy cluster, so the cluster's other writes wait.
    busy: Option<WriteKind>,
}

impl Turn<'_, '_> {
    fn end(&mut self, report: ActionReport) {
        self.options.progress.end(&report);
        self.reports.push(report);
    }

    async fn creates(&mut self, prepared: &[guard::ScopeWrites]) {
        let deleting: Vec<&CurrentAssignment> =
            prepared.iter().flat_map(|sw| &sw.deletes).collect();
        for sw in prepared {
            for grant in &sw.creates {
                let (outcome, wrote) = if self.options.cancel.is_cancelled() {
                    (interrupted(), false)
                } else if let Some(what) = self.busy {
                    (still_running(&sw.scope, what), false)
                } else {
                    create(self.client, grant, &deleting, self.options).await
                };
                if not_finished(&outcome) {
                    self.busy = Some(WriteKind::Create);
                }
                if wrote {
                    self.created.push((sw.scope.clone(), grant.key.role));
                }
                if !matches!(outcome, Outcome::Applied) {
                    self.not_created
                        .push((grant.key.clone(), grant.create_name()));
                }
                self.end(guard::create_report(grant, grant.create_name(), outcome));
            }
        }
    }

    async fn deletes(&mut self, prepared: &mut [guard::ScopeWrites]) {
        for sw in prepared {
            let scope = sw.scope.clone();
            for (s, role) in self.created.iter().filter(|(s, _)| *s == scope) {
                sw.admins.created(s, *role);
            }
            for before in std::mem::take(&mut sw.deletes) {
                let held =
                    hold::waits_for(&self.not_created, &before).or_else(|| sw.admins.hold(&before));
                let outcome = if self.options.cancel.is_cancelled() {
                    interrupted()
                } else if let Some(what) = self.busy {
                    still_running(&scope, what)
                } else if let Some(reason) = held {
                    Outcome::Skipped { reason }
                } else {
                    self.options
                        .progress
                        .begin(WriteKind::Delete, &before.key, &before.name);
                    match self.client.delete_assignment(&scope, &before.name).await {
                        Ok(()) => {
                            sw.admins.deleted(&scope, before.key.role);
                            Outcome::Applied
                        }
                        Err(e) => failed(e),
                    }
                };
                if not_finished(&outcome) {
                    self.busy = Some(WriteKind::Delete);
                }
                self.end(guard::delete_report(&before, outcome));
            }
        }
    }
}

fn not_finished(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Failed { code: Some(c), .. } if c == OPERATION_NOT_FINISHED)
}

/// A write held back because an earlier `what` of the cluster may still be running.
fn still_running(scope: &Scope, what: WriteKind) -> Outcome {
    Outcome::Skipped {
        reason: format!(
            "a {} on cluster `{}` did not finish within --operation-timeout and may still be running there, so it did not succeed; its deletes wait for a rerun, as does this write",
            what.as_str(),
            scope.cluster
        ),
    }
}

/// PUTs `grant`; the flag says whether the PUT itself went through (not only found done).
async fn create(
    client: &ArmClient,
    grant: &DesiredGrant,
    deleting: &[&CurrentAssignment],
    options: &ApplyOptions<'_>,
) -> (Outcome, bool) {
    let name = grant.create_name();
    options.progress.begin(WriteKind::Create, &grant.key, &name);
    let e = match client
        .put_assignment(&grant.key, &name, grant.tenant.as_deref())
        .await
    {
        Ok(()) => return (Outcome::Applied, true),
        Err(e) => e,
    };
    match already_held_by(&e) {
        // The holder is what this plan deletes (say, the same principal and role with another
        // tenant): the grant is not there as asked, and deleting the holder would leave the
        // principal with nothing.
        Some(holder)
            if deleting.iter().any(|d| {
                d.key.scope == grant.key.scope && d.name.eq_ignore_ascii_case(&holder)
            }) =>
        {
            let mut e = e;
            e.message = format!(
                "{}; `{holder}` is to be deleted by this plan, so the new grant cannot be created while it exists (did the tenant change?)",
                e.message
            );
            (failed(e), false)
        }
        Some(_) => {
            tracing::info!("{} is already present under another name", grant.key);
            (Outcome::Applied, false)
        }
        None => (failed(e), false),
    }
}

pub(crate) fn failed(e: ArmError) -> Outcome {
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
