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
//! A key matches when the principal type and role are equal, the principal id equals, ignoring case,
//! one of the assignment's spellings (`principalId`, `aadObjectId`, or a user's UPN inside
//! `principalName`: `CurrentAssignment::principal_ids`), and the tenants agree where the file sets one.
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
    CurrentAssignment, CurrentState, DesiredGrant, DesiredScope, DesiredState, Follower,
    IgnoreRule, PrincipalType, Role, Unmanaged,
};

use super::action::{Change, Plan, ScopePlan};
use super::fingerprint::fingerprint;
use super::names::Names;
use super::safety::safety_verdict;

/// Plans every scope of `desired` against `current`. The CLI plans scope by scope as listings
/// arrive (`plan_scope`, then `finish`); this is the same over states already in memory.
pub fn diff(desired: &DesiredState, current: &CurrentState) -> Plan {
    let scopes = desired
        .scopes
        .iter()
        .map(|ds| {
            let listed = current.scopes.get(&ds.scope).cloned().unwrap_or_default();
            let error = current.errors.get(&ds.scope).cloned();
            plan_scope(ds.clone(), listed, error, &desired.ignore)
        })
        .collect();
    finish(scopes, &desired.safety)
}

/// The plan of scopes planned one by one, with its safety verdict.
pub fn finish(scopes: Vec<ScopePlan>, safety: &crate::model::SafetyConfig) -> Plan {
    let safety = safety_verdict(&scopes, safety);
    Plan { scopes, safety }
}

type IndexKey = (PrincipalType, Role, String);

/// The current assignments of one scope, sorted, with what the rules need to know about each.
struct Listed {
    items: Vec<CurrentAssignment>,
    ignored: Vec<bool>,
    used: Vec<bool>,
    /// (type, role, lowercased id) → indexes, by `principalId` and by `aadObjectId`.
    index: HashMap<IndexKey, Vec<usize>>,
}

impl Listed {
    fn new(mut items: Vec<CurrentAssignment>, ignore: &[IgnoreRule]) -> Self {
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
            for id in a.principal_ids() {
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
        let mut found: Vec<usize> = desired_ids(g)
            .filter_map(|id| {
                self.index
                    .get(&(k.principal_type, k.role, id.to_ascii_lowercase()))
            })
            .flatten()
            .copied()
            .filter(|&i| tenant_ok(g, &self.items[i]))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The assignments holding `g`'s key under `g`'s own spelling of the principal id.
    fn direct(&self, g: &DesiredGrant) -> Vec<usize> {
        self.holding(g)
            .into_iter()
            .filter(|&i| g.key.principal_id == self.items[i].key.principal_id)
            .collect()
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
            let a = &self.items[i];
            !self.used[i] && !self.ignored[i] && id_matches(g, a) && tenant_ok(g, a)
        })
    }
}

/// A change decided on, naming the listed assignment by its index in `Listed::items`.
enum Decided {
    NoOp(usize, DesiredGrant),
    Create(DesiredGrant),
    Replace(usize, DesiredGrant),
    Delete(usize),
}

/// The listed assignments, handed out once each: moved at their last use, copied before that (an
/// assignment adopted by two grants of the file, the same principal by UPN and by object id).
struct Handout {
    items: Vec<Option<CurrentAssignment>>,
    uses: Vec<usize>,
}

impl Handout {
    fn get(&mut self, i: usize) -> CurrentAssignment {
        self.uses[i] -= 1;
        if self.uses[i] == 0 {
            self.items[i].take().expect("handed out once")
        } else {
            self.items[i]
                .clone()
                .expect("handed out before its last use")
        }
    }
}

/// Plans one scope from what ARM listed there (moved into the plan, not copied), or from the error
/// that kept it from being read.
pub fn plan_scope(
    ds: DesiredScope,
    listed: Vec<CurrentAssignment>,
    error: Option<String>,
    ignore: &[IgnoreRule],
) -> ScopePlan {
    let DesiredScope {
        scope,
        unmanaged,
        grants: mut desired,
    } = ds;
    let mut plan = ScopePlan::new(scope);
    plan.error = error;
    if plan.error.is_some() {
        return plan;
    }
    plan.fingerprint = Some(fingerprint(&listed));
    let mut names = Names::new(&listed);
    let mut cur = Listed::new(listed, ignore);
    plan.existing = cur.ignored.iter().filter(|&&ig| !ig).count();

    desired.sort_by(|a, b| a.key.cmp(&b.key));
    desired.dedup_by(|b, a| a.key == b.key);

    // An assignment whose principal id is spelled as a grant of the file spells it belongs to that
    // grant: another grant that reaches it only through its object id may share it, never delete
    // it as a duplicate. Grants with such direct holders are decided first, so that a grant that
    // only shares can find the holder already kept.
    let mut reserved = vec![false; cur.items.len()];
    for g in &desired {
        for i in cur.direct(g) {
            reserved[i] = true;
        }
    }
    desired.sort_by_key(|g| cur.direct(g).is_empty());
    let mut keeper_of = vec![false; cur.items.len()];

    let mut decided: Vec<Decided> = Vec::new();
    let mut ignored: Vec<usize> = Vec::new();
    let mut kept: Vec<usize> = Vec::new();
    let mut missing: Vec<DesiredGrant> = Vec::new();
    for g in desired {
        let holding = cur.holding(&g);
        let direct = cur.direct(&g);
        let fresh: Vec<usize> = holding
            .iter()
            .copied()
            .filter(|&i| !cur.used[i] && (!reserved[i] || direct.contains(&i)))
            .collect();
        if fresh.is_empty() {
            match holding.iter().copied().find(|&i| keeper_of[i]) {
                Some(i) => decided.push(Decided::NoOp(i, g)),
                None => missing.push(g),
            }
            continue;
        }
        let keep = cur.keeper(&g, &fresh);
        keeper_of[keep] = true;
        let mut g = Some(g);
        for i in fresh {
            cur.used[i] = true;
            if i == keep {
                decided.push(Decided::NoOp(i, g.take().expect("one keeper")));
            } else if cur.ignored[i] {
                ignored.push(i);
            } else {
                decided.push(Decided::Delete(i));
            }
        }
    }

    for g in missing {
        let after = names.claim(&g);
        // A role or type change of a principal is one Replace, when the old grant would go anyway.
        let replaced = match unmanaged {
            Unmanaged::Delete => cur.replaceable(&g),
            Unmanaged::Keep => None,
        };
        decided.push(match replaced {
            Some(i) => {
                cur.used[i] = true;
                Decided::Replace(i, after)
            }
            None => Decided::Create(after),
        });
    }

    for i in 0..cur.items.len() {
        if cur.used[i] {
            continue;
        }
        match (cur.ignored[i], unmanaged) {
            (true, _) => ignored.push(i),
            (false, Unmanaged::Delete) => decided.push(Decided::Delete(i)),
            (false, Unmanaged::Keep) => kept.push(i),
        }
    }

    let mut uses = vec![0; cur.items.len()];
    for d in &decided {
        if let Decided::NoOp(i, _) | Decided::Replace(i, _) | Decided::Delete(i) = d {
            uses[*i] += 1;
        }
    }
    for &i in ignored.iter().chain(&kept) {
        uses[i] += 1;
    }
    let mut out = Handout {
        items: cur.items.into_iter().map(Some).collect(),
        uses,
    };
    plan.changes = decided
        .into_iter()
        .map(|d| match d {
            Decided::NoOp(i, after) => Change::NoOp {
                before: out.get(i),
                after,
            },
            Decided::Create(after) => Change::Create { after },
            Decided::Replace(i, after) => Change::Replace {
                before: out.get(i),
                after,
            },
            Decided::Delete(i) => Change::Delete { before: out.get(i) },
        })
        .collect();
    plan.ignored = ignored.into_iter().map(|i| out.get(i)).collect();
    plan.kept = kept.into_iter().map(|i| out.get(i)).collect();
    plan.changes.sort_by(|a, b| {
        a.key()
            .cmp(b.key())
            .then_with(|| order(a).cmp(&order(b)))
            .then_with(|| name(a).cmp(&name(b)))
    });
    plan
}

/// A scope of a cluster that is not Running: not read, not planned, nothing written; the plan says
/// so (`not checked: cluster is Stopped`). Auto-stop after five idle days is routine, so this is not
/// an error unless the user asks (`--stopped-clusters error`).
pub fn not_checked(ds: DesiredScope, state: &str) -> ScopePlan {
    let mut plan = ScopePlan::new(ds.scope);
    plan.not_checked = Some(format!("cluster is {state}"));
    plan
}

/// Why a follower database cannot be planned, when it cannot: with `principalsModificationKind`
/// `None` it takes only its leader's principals, so grants of its own cannot take effect.
pub fn follower_problem(ds: &DesiredScope, f: &Follower) -> Option<String> {
    (!f.takes_grants() && !ds.grants.is_empty()).then(|| {
        format!(
            "database `{}` follows cluster `{}` with principalsModificationKind None: it takes only \
             the leader's principals, so the {} grant(s) in the file cannot take effect here; grant \
             them on the leader database, or remove them from the file",
            ds.scope.database_name().unwrap_or_default(),
            f.leader_name(),
            ds.grants.len()
        )
    })
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
    desired_ids(g).any(|id| a.principal_ids().any(|s| s.eq_ignore_ascii_case(id.trim())))
}

/// The spellings a grant of the file is known by: its own id, and the object id Microsoft Graph
/// resolved it to (`--resolve-principals graph`).
fn desired_ids(g: &DesiredGrant) -> impl Iterator<Item = &str> {
    std::iter::once(g.key.principal_id.as_str())
        .chain(g.resolved.as_ref().map(|r| r.object_id.as_str()))
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
