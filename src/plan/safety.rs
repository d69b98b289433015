//! The safety verdict (docs/DESIGN.md §4): computed at plan time, shown in every plan, never failing `plan`
//! itself; `apply` refuses an unsafe plan without `--force`.
//!
//! | rule                                                             | config key              |
//! |------------------------------------------------------------------|-------------------------|
//! | a scope with ≥ `min_existing` assignments loses > `max_delete_fraction` of them | `max_delete_fraction`, `min_existing` |
//! | a cluster that has an `AllDatabasesAdmin` would be left with none | `require_cluster_admin` |
//!
//! Only assignments ARM reports `Succeeded` count as held, on both sides: one still in progress
//! may never take effect.

use serde::{Deserialize, Serialize};

use crate::model::{CurrentAssignment, Role, SafetyConfig, ScopeKind};

use super::action::{Change, ScopePlan};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafetyVerdict {
    pub ok: bool,
    pub reasons: Vec<String>,
}

pub fn safety_verdict(scopes: &[ScopePlan], cfg: &SafetyConfig) -> SafetyVerdict {
    let mut reasons = Vec::new();
    for sp in scopes {
        // Only a held (`Succeeded`) assignment is access that a delete takes away.
        let deletes = sp
            .changes
            .iter()
            .filter(|c| matches!(c, Change::Delete { before } if before.is_held()))
            .count();
        if sp.existing >= cfg.min_existing
            && sp.existing > 0
            && deletes as f64 / sp.existing as f64 > cfg.max_delete_fraction
        {
            reasons.push(format!(
                "`{}` would lose {deletes} of its {} assignments ({:.0}%, more than the {:.0}% allowed by safety.max_delete_fraction)",
                sp.scope,
                sp.existing,
                100.0 * deletes as f64 / sp.existing as f64,
                100.0 * cfg.max_delete_fraction
            ));
        }
        if cfg.require_cluster_admin && sp.scope.kind() == ScopeKind::Cluster {
            let (before, after) = admin_counts(sp);
            if before > 0 && after == 0 {
                reasons.push(format!(
                    "`{}` would be left with no AllDatabasesAdmin (it has {before} now)",
                    sp.scope
                ));
            }
        }
    }
    SafetyVerdict {
        ok: reasons.is_empty(),
        reasons,
    }
}

/// `AllDatabasesAdmin` grants in force before and after the plan, counting kept, ignored and
/// waiting ones. An admin that is not `Succeeded` counts on neither side: a cluster whose only
/// admin is still `Creating` has none yet. A create counts after: `apply` confirms it succeeded
/// before it deletes what depends on it.
fn admin_counts(sp: &ScopePlan) -> (usize, usize) {
    let admin = |r: Role| (r == Role::AllDatabasesAdmin) as usize;
    let held = |a: &CurrentAssignment| admin(a.key.role) * a.is_held() as usize;
    let mut before = 0;
    let mut after = 0;
    for c in &sp.changes {
        match c {
            Change::Create { after: a } => after += admin(a.key.role),
            Change::Delete { before: b } => before += held(b),
            Change::Replace {
                before: b,
                after: a,
            } => {
                before += held(b);
                after += admin(a.key.role);
            }
            Change::NoOp {
                before: b,
                after: a,
            } => {
                before += held(b);
                after += admin(a.key.role) * b.is_held() as usize;
            }
        }
    }
    let waiting = sp.pending.iter().map(|p| &p.assignment);
    for a in sp.kept.iter().chain(sp.ignored.iter()).chain(waiting) {
        before += held(a);
        after += held(a);
    }
    (before, after)
}
