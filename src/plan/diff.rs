//! `diff`: desired vs current → plan. Pure: no I/O, no clock, no randomness.
//!
//! Rules (docs/DESIGN.md §4), per managed scope:
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
//! | held only by one still in progress (`Creating`)   | pending: no write; what it replaces waits   |
//! | not `Succeeded` and not desired                 | pending: left until it settles              |
//! | `Failed`/`Canceled`                             | holds nothing: replaced or deleted          |
//!
//! Before any rule, the listing passes `listing`: one entry per name (ARM names are
//! case-insensitive), a contradictory listing is an error of the scope, in-progress ones set aside.
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
//!
//! `decide` holds the steps of `plan_scope` (match, create or replace, leftovers, hand-out);
//! `listed` holds the scope's listing as the matching reads it: who holds a grant, directly or
//! through another spelling, and which assignment of duplicates is kept.

use crate::model::{
    CurrentAssignment, CurrentState, DesiredGrant, DesiredScope, DesiredState, Follower,
    IgnoreRule, Unmanaged,
};

use super::action::{Change, ScopePlan};
use super::create_names::Names;
use super::fingerprint::fingerprint;
use super::listing;
use super::safety::safety_verdict;
use super::scope_error::ScopeError;
use super::whole::Plan;
use decide::{decide_leftovers, decide_missing, hand_out, match_grants};
use listed::Listed;

/// Plans every scope of `desired` against `current`. The CLI plans scope by scope as listings
/// arrive (`plan_scope`, then `finish`); this is the same over states already in memory.
pub fn diff(desired: &DesiredState, current: &CurrentState) -> Plan {
    let scopes = desired
        .scopes
        .iter()
        .map(|ds| {
            let listed = current.scopes.get(&ds.scope).cloned().unwrap_or_default();
            let error = current.errors.get(&ds.scope).cloned();
            plan_scope(
                ds.clone(),
                listed,
                error.map(ScopeError::Described),
                &desired.ignore,
            )
        })
        .collect();
    finish(scopes, &desired.safety, &desired.file)
}

/// The plan of scopes planned one by one from `file`, with its safety verdict.
pub fn finish(scopes: Vec<ScopePlan>, safety: &crate::model::SafetyConfig, file: &str) -> Plan {
    let safety = safety_verdict(&scopes, safety);
    Plan {
        scopes,
        safety,
        file: file.to_string(),
    }
}

/// Plans one scope from what ARM listed there (moved into the plan, not copied), or from the error
/// that kept it from being read. The steps: make the listing fit to plan on (`listing`), set aside
/// the grants still in flight, match each grant of the file to what holds it, create or replace the
/// missing ones, decide what is left over, and hand every listed assignment to exactly one place.
pub fn plan_scope(
    ds: DesiredScope,
    listed: Vec<CurrentAssignment>,
    error: Option<ScopeError>,
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
    let fingerprint = fingerprint(&listed);
    let listed = match listing::dedupe(listed) {
        Ok(l) => l,
        Err(e) => {
            plan.error = Some(ScopeError::Listing(e));
            return plan;
        }
    };
    plan.fingerprint = Some(fingerprint);
    // Every listed name is taken, in progress or not: a PUT to it would overwrite it.
    let mut names = Names::new(&listed);
    let (listed, in_progress) = listing::set_aside(listed, ignore);
    let mut cur = Listed::new(listed, ignore);
    plan.existing = (0..cur.items.len())
        .filter(|&i| !cur.ignored[i] && cur.items[i].is_held())
        .count();

    desired.sort_by(|a, b| a.key.cmp(&b.key));
    desired.dedup_by(|b, a| a.key == b.key);
    // A grant held only by an assignment still in progress is neither created again nor done: it
    // waits, and so does the delete of what it replaces.
    let (in_flight, desired): (Vec<DesiredGrant>, Vec<DesiredGrant>) = desired
        .into_iter()
        .partition(|g| cur.holding(g).is_empty() && in_progress.iter().any(|a| holds(g, a)));

    let (mut decided, missing) = match_grants(&mut cur, desired);
    decide_missing(&mut decided, missing, &mut names, unmanaged, &mut cur);
    let waiting = hold_back(&in_flight, &in_progress, unmanaged, &mut cur);
    decide_leftovers(&mut decided, unmanaged, &cur);
    hand_out(&mut plan, cur, decided, waiting, in_progress);
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
pub fn follower_problem(ds: &DesiredScope, f: &Follower) -> Option<ScopeError> {
    (!f.takes_grants() && !ds.grants.is_empty()).then(|| ScopeError::Follower {
        database: ds.scope.database_name().unwrap_or_default().to_string(),
        leader: f.leader_name().to_string(),
        grants: ds.grants.len(),
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

/// The held assignments whose delete waits: for each grant in flight, the one of the same
/// principal it would replace (under `unmanaged: delete`), with the name of the grant it waits for.
fn hold_back(
    in_flight: &[DesiredGrant],
    in_progress: &[CurrentAssignment],
    unmanaged: Unmanaged,
    cur: &mut Listed,
) -> Vec<(usize, String)> {
    let mut waiting = Vec::new();
    if unmanaged == Unmanaged::Keep {
        return waiting;
    }
    for g in in_flight {
        let Some(i) = cur.replaceable(g) else {
            continue;
        };
        cur.used[i] = true;
        let by = in_progress.iter().find(|a| holds(g, a));
        waiting.push((i, by.map(|a| a.name.clone()).unwrap_or_default()));
    }
    waiting
}

/// True when `a` is an assignment of `g`'s key (whatever its state).
fn holds(g: &DesiredGrant, a: &CurrentAssignment) -> bool {
    g.key.principal_type == a.key.principal_type
        && g.key.role == a.key.role
        && id_matches(g, a)
        && tenant_ok(g, a)
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

mod decide;
mod listed;
#[cfg(test)]
mod prop;
#[cfg(test)]
mod tests;
