//! `diff`: desired vs current → plan. Pure: no I/O, no clock, no randomness.
//!
//! Rules (DESIGN.md §4), per managed scope:
//!
//! | current \ desired                          | result                                  |
//! |--------------------------------------------|-----------------------------------------|
//! | same key, any name                         | NoOp (adopted)                          |
//! | same key twice (two names)                 | NoOp for one, Delete for the others     |
//! | none                                       | Create (`name` from the file or `kp-…`) |
//! | same principal, other role/type, policy delete | Replace (create new, then delete old) |
//! | not desired, not ignored, policy delete    | Delete                                  |
//! | not desired, not ignored, policy keep      | kept (reported as unmanaged)            |
//! | matched by an `ignore` rule                | never touched, never reported           |
//!
//! A key matches when the principal type and role are equal and the principal id equals the current
//! `principalId` or `aadObjectId`, ignoring case. A tenant is compared only where the file sets one.

use std::collections::HashMap;

use crate::model::{
    CurrentAssignment, CurrentState, DesiredGrant, DesiredScope, DesiredState, PrincipalType, Role,
    Unmanaged,
};

use super::action::{Change, Plan, ScopePlan};
use super::safety::safety_verdict;

/// Plans every scope of `desired` against `current`.
pub fn diff(desired: &DesiredState, current: &CurrentState) -> Plan {
    let scopes: Vec<ScopePlan> = desired
        .scopes
        .iter()
        .map(|ds| diff_scope(ds, current, desired))
        .collect();
    let safety = safety_verdict(&scopes, &desired.safety);
    Plan { scopes, safety }
}

type IndexKey = (PrincipalType, Role, String);

fn diff_scope(ds: &DesiredScope, current: &CurrentState, desired: &DesiredState) -> ScopePlan {
    let mut plan = ScopePlan {
        scope: ds.scope.clone(),
        changes: Vec::new(),
        kept: Vec::new(),
        existing: 0,
        ignored: Vec::new(),
        error: current.errors.get(&ds.scope).cloned(),
    };
    if plan.error.is_some() {
        return plan;
    }
    let listed = current
        .scopes
        .get(&ds.scope)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let (ignored, mut existing): (Vec<&CurrentAssignment>, Vec<&CurrentAssignment>) = listed
        .iter()
        .partition(|a| desired.ignore.iter().any(|r| r.matches(a)));
    plan.ignored = ignored.into_iter().cloned().collect();
    existing.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.name.cmp(&b.name)));
    plan.existing = existing.len();

    // Index current assignments by (type, role, id) and (type, role, object id).
    let mut index: HashMap<IndexKey, Vec<usize>> = HashMap::new();
    for (i, a) in existing.iter().enumerate() {
        let k = &a.key;
        index
            .entry((
                k.principal_type,
                k.role,
                k.principal_id.as_str().to_ascii_lowercase(),
            ))
            .or_default()
            .push(i);
        if let Some(oid) = &a.aad_object_id {
            index
                .entry((k.principal_type, k.role, oid.to_ascii_lowercase()))
                .or_default()
                .push(i);
        }
    }
    let mut used = vec![false; existing.len()];
    let mut grants: Vec<&DesiredGrant> = ds.grants.iter().collect();
    grants.sort_by(|a, b| a.key.cmp(&b.key));

    let mut missing: Vec<&DesiredGrant> = Vec::new();
    for g in grants {
        let k = &g.key;
        let id = (
            k.principal_type,
            k.role,
            k.principal_id.as_str().to_ascii_lowercase(),
        );
        let mut matches: Vec<usize> = index
            .get(&id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| !used[i] && tenant_ok(g, existing[i]))
            .collect();
        matches.sort_unstable();
        matches.dedup();
        if matches.is_empty() {
            missing.push(g);
            continue;
        }
        // Keep the one under the file's name if there is one, else the first by name.
        let keep = matches
            .iter()
            .copied()
            .find(|&i| {
                g.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(&existing[i].name))
            })
            .unwrap_or(matches[0]);
        for i in matches {
            used[i] = true;
            let before = existing[i].clone();
            plan.changes.push(if i == keep {
                Change::NoOp {
                    before,
                    after: g.clone(),
                }
            } else {
                Change::Delete { before }
            });
        }
    }

    for g in missing {
        // A role or type change of a principal is one Replace, when the old grant would go anyway.
        let replaced = match ds.unmanaged {
            Unmanaged::Delete => (0..existing.len())
                .find(|&i| !used[i] && same_principal(g, existing[i]) && tenant_ok(g, existing[i])),
            Unmanaged::Keep => None,
        };
        plan.changes.push(match replaced {
            Some(i) => {
                used[i] = true;
                Change::Replace {
                    before: existing[i].clone(),
                    after: g.clone(),
                }
            }
            None => Change::Create { after: g.clone() },
        });
    }

    for (i, a) in existing.iter().enumerate() {
        if used[i] {
            continue;
        }
        match ds.unmanaged {
            Unmanaged::Delete => plan.changes.push(Change::Delete {
                before: (*a).clone(),
            }),
            Unmanaged::Keep => plan.kept.push((*a).clone()),
        }
    }
    plan.changes.sort_by(|a, b| {
        a.key()
            .cmp(b.key())
            .then_with(|| order(a).cmp(&order(b)))
            .then_with(|| name(a).cmp(name(b)))
    });
    plan
}

fn order(c: &Change) -> u8 {
    match c {
        Change::NoOp { .. } => 0,
        Change::Create { .. } => 1,
        Change::Replace { .. } => 2,
        Change::Delete { .. } => 3,
    }
}

fn name(c: &Change) -> &str {
    match c {
        Change::Delete { before }
        | Change::Replace { before, .. }
        | Change::NoOp { before, .. } => &before.name,
        Change::Create { after } => after.name.as_deref().unwrap_or(""),
    }
}

fn id_matches(g: &DesiredGrant, a: &CurrentAssignment) -> bool {
    g.key.principal_id == a.key.principal_id
        || a.aad_object_id
            .as_deref()
            .is_some_and(|oid| g.key.principal_id.matches(oid))
}

fn same_principal(g: &DesiredGrant, a: &CurrentAssignment) -> bool {
    id_matches(g, a)
}

/// A tenant is compared only where the file states one (and ARM reports one).
fn tenant_ok(g: &DesiredGrant, a: &CurrentAssignment) -> bool {
    match (&g.tenant, &a.tenant_id) {
        (Some(want), Some(have)) => want.eq_ignore_ascii_case(have),
        _ => true,
    }
}

#[cfg(test)]
mod tests;
