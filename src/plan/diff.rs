//! `diff`: desired vs current → plan. Pure: no I/O, no clock, no randomness.
//!
//! Rules (DESIGN.md §4), per managed scope:
//!
//! | current \ desired                               | result                                      |
//! |-------------------------------------------------|---------------------------------------------|
//! | same key, any name                              | NoOp (adopted)                              |
//! | same key twice (two names)                      | NoOp for one, Delete for the others         |
//! | none                                            | Create (`name` from the file or `kp-…`)     |
//! | same principal, other role/type, policy delete  | Replace (create new, then delete old)       |
//! | same principal, other role/type, policy keep    | Create; the old grant is kept (unmanaged)   |
//! | not desired, not ignored, policy delete         | Delete                                      |
//! | not desired, not ignored, policy keep           | kept (reported as unmanaged)                |
//! | matched by an `ignore` rule                     | never touched, never reported               |
//! | scope could not be read                         | no changes; the scope carries its error     |
//!
//! A key matches when the principal type and role are equal, the principal id equals the current
//! `principalId` or `aadObjectId` ignoring case, and the tenants agree where the file sets one.
//! Details that keep a plan convergent:
//!
//! - Of duplicates, the one kept is: an ignored one (it cannot be deleted), else the one under the
//!   file's `name`, else one whose `principalId` is spelled as in the file, else the first by name.
//! - A grant whose only match was already adopted by another grant of the file (the same principal
//!   by UPN and by object id) is a NoOp too: Azure holds one assignment per principal and role.
//! - The same key twice in the file is one grant (the first); `config` reports it as an error.
//! - A create never PUTs a name already listed at the scope or claimed by another create (`names`).

use std::collections::HashMap;

use crate::model::{
    CurrentAssignment, CurrentState, DesiredGrant, DesiredScope, DesiredState, IgnoreRule,
    PrincipalType, Role, Unmanaged,
};

use super::action::{Change, Plan, ScopePlan};
use super::fingerprint::fingerprint;
use super::names::Names;
use super::safety::safety_verdict;

/// Plans every scope of `desired` against `current`.
pub fn diff(desired: &DesiredState, current: &CurrentState) -> Plan {
    let scopes: Vec<ScopePlan> = desired
        .scopes
        .iter()
        .map(|ds| diff_scope(ds, current, &desired.ignore))
        .collect();
    let safety = safety_verdict(&scopes, &desired.safety);
    Plan { scopes, safety }
}

type IndexKey = (PrincipalType, Role, String);

/// The current assignments of one scope, sorted, with what the rules need to know about each.
struct Listed<'a> {
    items: Vec<&'a CurrentAssignment>,
    ignored: Vec<bool>,
    used: Vec<bool>,
    /// (type, role, lowercased id) → indexes, by `principalId` and by `aadObjectId`.
    index: HashMap<IndexKey, Vec<usize>>,
}

impl<'a> Listed<'a> {
    fn new(listed: &'a [CurrentAssignment], ignore: &[IgnoreRule]) -> Self {
        let mut items: Vec<&CurrentAssignment> = listed.iter().collect();
        items.sort_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then_with(|| {
                    a.name
                        .to_ascii_lowercase()
                        .cmp(&b.name.to_ascii_lowercase())
                })
                .then_with(|| a.name.cmp(&b.name))
        });
        let ignored = items
            .iter()
            .map(|a| ignore.iter().any(|r| r.matches(a)))
            .collect();
        let mut index: HashMap<IndexKey, Vec<usize>> = HashMap::new();
        for (i, a) in items.iter().enumerate() {
            let k = &a.key;
            let ids = std::iter::once(k.principal_id.as_str()).chain(a.aad_object_id.as_deref());
            for id in ids {
                let entry = index
                    .entry((k.principal_type, k.role, id.to_ascii_lowercase()))
                    .or_default();
                if !entry.contains(&i) {
                    entry.push(i);
                }
            }
        }
        let used = vec![false; items.len()];
        Listed {
            items,
            ignored,
            used,
            index,
        }
    }

    /// Indexes of the assignments holding `g`'s key, in sorted order.
    fn holding(&self, g: &DesiredGrant) -> Vec<usize> {
        let k = &g.key;
        let id = (
            k.principal_type,
            k.role,
            k.principal_id.as_str().to_ascii_lowercase(),
        );
        let mut found: Vec<usize> = self
            .index
            .get(&id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| tenant_ok(g, self.items[i]))
            .collect();
        found.sort_unstable();
        found
    }

    /// Of duplicates holding `g`, the one to keep (see the module docs).
    fn keeper(&self, g: &DesiredGrant, fresh: &[usize]) -> usize {
        let by_file_name = |i: usize| {
            g.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(&self.items[i].name))
        };
        let spelled_alike = |i: usize| g.key.principal_id == self.items[i].key.principal_id;
        *fresh
            .iter()
            .min_by_key(|&&i| (!self.ignored[i], !by_file_name(i), !spelled_alike(i), i))
            .expect("at least one match")
    }

    /// The first unused, managed assignment of the same principal as `g` (another role or type).
    fn replaceable(&self, g: &DesiredGrant) -> Option<usize> {
        (0..self.items.len()).find(|&i| {
            let a = self.items[i];
            !self.used[i] && !self.ignored[i] && id_matches(g, a) && tenant_ok(g, a)
        })
    }
}

fn diff_scope(ds: &DesiredScope, current: &CurrentState, ignore: &[IgnoreRule]) -> ScopePlan {
    let mut plan = ScopePlan {
        scope: ds.scope.clone(),
        changes: Vec::new(),
        kept: Vec::new(),
        existing: 0,
        ignored: Vec::new(),
        error: current.errors.get(&ds.scope).cloned(),
        fingerprint: None,
    };
    if plan.error.is_some() {
        return plan;
    }
    let listed = current
        .scopes
        .get(&ds.scope)
        .map(Vec::as_slice)
        .unwrap_or_default();
    plan.fingerprint = Some(fingerprint(listed));
    let mut cur = Listed::new(listed, ignore);
    plan.existing = cur.ignored.iter().filter(|&&ig| !ig).count();

    let mut grants: Vec<&DesiredGrant> = ds.grants.iter().collect();
    grants.sort_by(|a, b| a.key.cmp(&b.key));
    grants.dedup_by(|b, a| a.key == b.key);

    let mut missing: Vec<&DesiredGrant> = Vec::new();
    for g in grants {
        let holding = cur.holding(g);
        let fresh: Vec<usize> = holding.iter().copied().filter(|&i| !cur.used[i]).collect();
        if fresh.is_empty() {
            match holding.first() {
                Some(&i) => plan.changes.push(Change::NoOp {
                    before: cur.items[i].clone(),
                    after: g.clone(),
                }),
                None => missing.push(g),
            }
            continue;
        }
        let keep = cur.keeper(g, &fresh);
        for i in fresh {
            cur.used[i] = true;
            let before = cur.items[i].clone();
            if i == keep {
                plan.changes.push(Change::NoOp {
                    before,
                    after: g.clone(),
                });
            } else if cur.ignored[i] {
                plan.ignored.push(before);
            } else {
                plan.changes.push(Change::Delete { before });
            }
        }
    }

    let mut names = Names::new(listed);
    for g in missing {
        let after = names.claim(g);
        // A role or type change of a principal is one Replace, when the old grant would go anyway.
        let replaced = match ds.unmanaged {
            Unmanaged::Delete => cur.replaceable(g),
            Unmanaged::Keep => None,
        };
        plan.changes.push(match replaced {
            Some(i) => {
                cur.used[i] = true;
                Change::Replace {
                    before: cur.items[i].clone(),
                    after,
                }
            }
            None => Change::Create { after },
        });
    }

    for (i, a) in cur.items.iter().enumerate() {
        if cur.used[i] {
            continue;
        }
        let a = (*a).clone();
        match (cur.ignored[i], ds.unmanaged) {
            (true, _) => plan.ignored.push(a),
            (false, Unmanaged::Delete) => plan.changes.push(Change::Delete { before: a }),
            (false, Unmanaged::Keep) => plan.kept.push(a),
        }
    }
    plan.changes.sort_by(|a, b| {
        a.key()
            .cmp(b.key())
            .then_with(|| order(a).cmp(&order(b)))
            .then_with(|| name(a).cmp(&name(b)))
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

fn name(c: &Change) -> String {
    match c {
        Change::Delete { before }
        | Change::Replace { before, .. }
        | Change::NoOp { before, .. } => before.name.clone(),
        Change::Create { after } => after.create_name(),
    }
}

fn id_matches(g: &DesiredGrant, a: &CurrentAssignment) -> bool {
    g.key.principal_id == a.key.principal_id
        || a.aad_object_id
            .as_deref()
            .is_some_and(|oid| g.key.principal_id.matches(oid))
}

/// A tenant is compared only where the file states one (and ARM reports one).
fn tenant_ok(g: &DesiredGrant, a: &CurrentAssignment) -> bool {
    match (&g.tenant, &a.tenant_id) {
        (Some(want), Some(have)) => want.eq_ignore_ascii_case(have),
        (Some(_), None) | (None, Some(_)) | (None, None) => true,
    }
}

#[cfg(test)]
mod prop;
#[cfg(test)]
mod tests;
