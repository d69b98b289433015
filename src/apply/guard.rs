//! The per-scope guard: one listing of each touched scope just before its cluster's writes start,
//! which decides what of the plan still needs writing there (issue 15). It replaces a GET before
//! every delete and a read-back after every write.
//!
//! | mode                  | listing                                              | writes                                   |
//! |-----------------------|------------------------------------------------------|------------------------------------------|
//! | `apply -f FILE`       | listed now                                           | the plan ∩ a re-plan of the scope (`plan_scope`) from that listing |
//! | `apply PLAN.json`     | the staleness check's, when under `PRELISTED_FRESH_FOR` old; else listed now | the plan, if the listing still has the plan's fingerprint; else none |
//!
//! The intersection never writes more than the plan: a create runs when the re-plan still creates the
//! grant (under the name the re-plan picks, so a name taken since is never overwritten) and counts as
//! done when the re-plan holds it; a delete runs only when the re-plan deletes the same name holding
//! the same grant. What the re-plan adds beyond the plan is not written (a warning says to plan again).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::arm::{ArmClient, ArmError};
use crate::model::{CurrentAssignment, DesiredGrant, DesiredScope, IgnoreRule, Scope};
use crate::plan::{Change, ScopePlan, fingerprint, plan_scope};

use super::hold::Admins;
use super::{ActionReport, Outcome, WriteKind, failed};

/// How long the staleness check's listing of a saved plan stands in for the guard's: a cluster whose
/// turn comes later is listed again. Short, because it is a window in which a change made by
/// someone else would go unseen.
pub const PRELISTED_FRESH_FOR: Duration = Duration::from_secs(10);

/// What the guard compares a fresh listing against.
pub enum Guard {
    /// `apply -f FILE`: the desired scopes the plan touches, to plan them again.
    Replan {
        scopes: BTreeMap<Scope, DesiredScope>,
        ignore: Vec<IgnoreRule>,
    },
    /// `apply PLAN.json`: the plan's fingerprints, and the listings its staleness check made.
    Saved(Option<Prelisted>),
}

/// Listings made just before the apply began.
pub struct Prelisted {
    pub at: Instant,
    pub listings: BTreeMap<Scope, Vec<CurrentAssignment>>,
}

/// What one scope writes after the guard, and what the guard already decided.
pub(super) struct ScopeWrites {
    pub scope: Scope,
    pub creates: Vec<DesiredGrant>,
    pub deletes: Vec<CurrentAssignment>,
    pub decided: Vec<ActionReport>,
    pub admins: Admins,
}

/// The creates and deletes a scope plan writes, in its order (a replace is both).
pub(super) fn planned_writes(sp: &ScopePlan) -> (Vec<&DesiredGrant>, Vec<&CurrentAssignment>) {
    let mut creates = Vec::new();
    let mut deletes = Vec::new();
    for c in &sp.changes {
        match c {
            Change::Create { after } => creates.push(after),
            Change::Delete { before } => deletes.push(before),
            Change::Replace { before, after } => {
                creates.push(after);
                deletes.push(before);
            }
            Change::NoOp { .. } => {}
        }
    }
    (creates, deletes)
}

pub(super) fn create_report(g: &DesiredGrant, name: String, outcome: Outcome) -> ActionReport {
    ActionReport {
        action: WriteKind::Create,
        key: g.key.clone(),
        name,
        outcome,
    }
}

pub(super) fn delete_report(d: &CurrentAssignment, outcome: Outcome) -> ActionReport {
    ActionReport {
        action: WriteKind::Delete,
        key: d.key.clone(),
        name: d.name.clone(),
        outcome,
    }
}

impl ScopeWrites {
    /// Every write of `sp` decided at once with `outcome`.
    pub(super) fn all(sp: &ScopePlan, outcome: &Outcome) -> Self {
        let (creates, deletes) = planned_writes(sp);
        let decided = creates
            .iter()
            .map(|g| create_report(g, g.create_name(), outcome.clone()))
            .chain(deletes.iter().map(|d| delete_report(d, outcome.clone())))
            .collect();
        ScopeWrites {
            scope: sp.scope.clone(),
            creates: Vec::new(),
            deletes: Vec::new(),
            decided,
            admins: Admins::default(),
        }
    }
}

/// Lists the scope (or takes the saved plan's fresh listing) and decides its writes.
pub(super) async fn prepare(sp: &ScopePlan, guard: &Guard, client: &ArmClient) -> ScopeWrites {
    let listing = match listing(sp, guard, client).await {
        Ok(listing) => listing,
        Err(e) => {
            let mut outcome = failed(e);
            if let Outcome::Failed { message, .. } = &mut outcome {
                *message = format!(
                    "could not list `{}` before writing to it: {message}",
                    sp.scope
                );
            }
            return ScopeWrites::all(sp, &outcome);
        }
    };
    match guard {
        Guard::Replan { scopes, ignore } => match scopes.get(&sp.scope) {
            Some(ds) => replanned(sp, ds, ignore, listing),
            None => by_fingerprint(sp, listing),
        },
        Guard::Saved(_) => by_fingerprint(sp, listing),
    }
}

async fn listing(
    sp: &ScopePlan,
    guard: &Guard,
    client: &ArmClient,
) -> Result<Vec<CurrentAssignment>, ArmError> {
    if let Guard::Saved(Some(pre)) = guard
        && pre.at.elapsed() < PRELISTED_FRESH_FOR
        && let Some(l) = pre.listings.get(&sp.scope)
    {
        return Ok(l.clone());
    }
    client.list_assignments(&sp.scope).await
}

/// A saved plan carries no desired state to plan again with: its writes stand only while the scope
/// is exactly as the plan saw it.
fn by_fingerprint(sp: &ScopePlan, listing: Vec<CurrentAssignment>) -> ScopeWrites {
    if sp.fingerprint.as_deref() != Some(fingerprint(&listing).as_str()) {
        return ScopeWrites::all(
            sp,
            &Outcome::Skipped {
                reason: format!(
                    "`{}` changed in Azure since the plan was made; make a new plan",
                    sp.scope
                ),
            },
        );
    }
    let (creates, deletes) = planned_writes(sp);
    let listed: Vec<&CurrentAssignment> = listing.iter().collect();
    ScopeWrites {
        scope: sp.scope.clone(),
        admins: Admins::new(&sp.scope, &listed, &listed, &creates, &deletes),
        creates: creates.into_iter().cloned().collect(),
        deletes: deletes.into_iter().cloned().collect(),
        decided: Vec::new(),
    }
}

/// The plan's writes that a re-plan of the scope from `listing` still makes.
fn replanned(
    sp: &ScopePlan,
    ds: &DesiredScope,
    ignore: &[IgnoreRule],
    listing: Vec<CurrentAssignment>,
) -> ScopeWrites {
    let fresh = plan_scope(ds.clone(), listing, None, ignore);
    let (creates, deletes) = planned_writes(sp);
    let (fresh_creates, fresh_deletes) = planned_writes(&fresh);
    let now = fresh.listed();
    let mut out = ScopeWrites {
        scope: sp.scope.clone(),
        admins: Admins::new(&sp.scope, &sp.listed(), &now, &creates, &deletes),
        creates: Vec::new(),
        deletes: Vec::new(),
        decided: Vec::new(),
    };
    for g in &creates {
        match fresh_creates.iter().find(|f| f.key == g.key) {
            Some(f) => out.creates.push((*f).clone()),
            None => {
                tracing::info!("{} is already present", g.key);
                out.decided
                    .push(create_report(g, g.create_name(), Outcome::Applied));
            }
        }
    }
    for d in &deletes {
        let same = |f: &&CurrentAssignment| f.key == d.key && f.name.eq_ignore_ascii_case(&d.name);
        if fresh_deletes.iter().any(same) {
            out.deletes.push((*d).clone());
            continue;
        }
        out.decided
            .push(delete_report(d, not_deleted(&sp.scope, d, &now)));
    }
    let extra = fresh_creates.len() + fresh_deletes.len()
        - out.creates.len().min(fresh_creates.len())
        - out.deletes.len().min(fresh_deletes.len());
    if extra > 0 {
        tracing::warn!(
            "`{}` changed since the plan: {extra} more change(s) are needed there that this plan does not have; they are not applied (run plan again)",
            sp.scope
        );
    }
    out
}

/// The outcome of a planned delete of `d` that the re-plan of `scope` from the listing `now` does
/// not make: done when the name is gone, skipped when it holds another grant or is kept now.
fn not_deleted(scope: &Scope, d: &CurrentAssignment, now: &[&CurrentAssignment]) -> Outcome {
    match now.iter().find(|a| a.name.eq_ignore_ascii_case(&d.name)) {
        None => {
            tracing::info!("{} [{}] is already gone", d.key, d.name);
            Outcome::Applied
        }
        Some(a) if a.key != d.key => Outcome::Skipped {
            reason: format!(
                "`{}` now holds {} (changed since the plan); not deleting it",
                d.name, a.key
            ),
        },
        Some(_) => Outcome::Skipped {
            reason: format!(
                "`{}` changed since the plan and a fresh plan keeps `{}`; not deleting it",
                scope, d.name
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::diff;
    use crate::plan::fixtures::scenario;

    const ADMIN: &str = "87654321-1234-1234-1234-123456789123";

    /// The plan of `c1` (create alice, delete bob), its desired scope, and the listing `current`
    /// gives when the cluster's turn comes.
    fn case(current: &str) -> (ScopePlan, DesiredScope, Vec<CurrentAssignment>) {
        let desired = format!(
            "    desired:\n      - {{app: {ADMIN}, role: AllDatabasesAdmin}}\n      - {{user: alice@contoso.com, role: AllDatabasesViewer}}\n"
        );
        let planned = format!(
            "scopes:\n  - scope: c1\n{desired}    current:\n      - {{name: admin, app: {ADMIN}, role: AllDatabasesAdmin}}\n      - {{name: bob, user: bob@contoso.com, role: AllDatabasesViewer}}\n"
        );
        let (d, c) = scenario(&planned);
        let mut plan = diff(&d, &c);
        let (_, now) = scenario(&format!(
            "scopes:\n  - scope: c1\n{desired}    current:\n{current}"
        ));
        let listing = now.scopes.into_values().next().unwrap_or_default();
        (plan.scopes.remove(0), d.scopes[0].clone(), listing)
    }

    fn outcomes(w: &ScopeWrites) -> Vec<(WriteKind, &str, &Outcome)> {
        w.decided
            .iter()
            .map(|r| (r.action, r.name.as_str(), &r.outcome))
            .collect()
    }

    #[test]
    fn an_unchanged_scope_writes_the_plan() {
        let (sp, ds, now) = case(&format!(
            "      - {{name: admin, app: {ADMIN}, role: AllDatabasesAdmin}}\n      - {{name: bob, user: bob@contoso.com, role: AllDatabasesViewer}}\n"
        ));
        let w = replanned(&sp, &ds, &[], now);
        assert_eq!(w.creates.len(), 1);
        assert_eq!(w.creates[0].key.principal_id.as_str(), "alice@contoso.com");
        assert_eq!(w.deletes.len(), 1);
        assert_eq!(w.deletes[0].name, "bob");
        assert!(w.decided.is_empty());
        assert_eq!(w.admins, Admins { now: 1, planned: 1 });
    }

    #[test]
    fn a_grant_made_since_counts_as_done_and_a_name_that_changed_is_not_deleted() {
        // Someone granted alice in the portal and reused the name `bob` for carol.
        let (sp, ds, now) = case(&format!(
            "      - {{name: admin, app: {ADMIN}, role: AllDatabasesAdmin}}\n      - {{name: portal-alice, user: alice@contoso.com, role: AllDatabasesViewer}}\n      - {{name: bob, user: carol@contoso.com, role: AllDatabasesViewer}}\n"
        ));
        let w = replanned(&sp, &ds, &[], now);
        assert!(w.creates.is_empty() && w.deletes.is_empty());
        let got = outcomes(&w);
        assert_eq!(got[0].0, WriteKind::Create);
        assert_eq!(got[0].2, &Outcome::Applied);
        assert_eq!(got[1].0, WriteKind::Delete);
        assert!(
            matches!(got[1].2, Outcome::Skipped { reason } if reason.contains("`bob` now holds c1 user:carol@contoso.com")),
            "{got:?}"
        );
    }

    #[test]
    fn a_name_gone_since_counts_as_deleted_and_a_taken_name_is_not_overwritten() {
        let (sp, ds, now) = case(&format!(
            "      - {{name: admin, app: {ADMIN}, role: AllDatabasesAdmin}}\n      - {{name: {}, user: dave@contoso.com, role: AllDatabasesMonitor}}\n",
            sp_create_name()
        ));
        let w = replanned(&sp, &ds, &[], now);
        assert_eq!(
            outcomes(&w),
            [(WriteKind::Delete, "bob", &Outcome::Applied)]
        );
        assert_eq!(w.creates.len(), 1);
        assert_ne!(
            w.creates[0].create_name(),
            sp_create_name(),
            "the name someone took since the plan is not PUT over"
        );
    }

    /// The name the plan's create of alice PUTs.
    fn sp_create_name() -> String {
        let (sp, _, _) = case("      []\n");
        planned_writes(&sp).0[0].create_name()
    }

    #[test]
    fn a_saved_plan_writes_a_scope_only_while_its_fingerprint_holds() {
        let (sp, _, now) = case(&format!(
            "      - {{name: admin, app: {ADMIN}, role: AllDatabasesAdmin}}\n      - {{name: bob, user: bob@contoso.com, role: AllDatabasesViewer}}\n"
        ));
        let w = by_fingerprint(&sp, now.clone());
        assert_eq!((w.creates.len(), w.deletes.len()), (1, 1));
        let w = by_fingerprint(&sp, now[..1].to_vec());
        assert!(w.creates.is_empty() && w.deletes.is_empty());
        assert_eq!(w.decided.len(), 2);
        assert!(w
            .decided
            .iter()
            .all(|r| matches!(&r.outcome, Outcome::Skipped { reason } if reason.contains("changed in Azure since the plan"))));
    }
}
