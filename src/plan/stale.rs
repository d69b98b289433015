//! Whether a saved plan may still be applied, decided from what ARM lists now. Pure: the caller
//! lists the scopes, this module judges.
//!
//! | question                                    | answer                                                 |
//! |---------------------------------------------|--------------------------------------------------------|
//! | every saved scope lists as fingerprinted?   | `Current`: the plan, its safety verdict recomputed     |
//! | otherwise, is every change already in Azure? | `AlreadyApplied` (a CI retry after a successful apply) |
//! | otherwise                                    | `Stale`: what was added or removed, per scope          |
//! | `apply PLAN.json -f FILE`: same changes?     | `differences` of the re-plan from the saved changes    |
//!
//! The verdict a saved plan carries is never used: `recheck_safety` computes it again from the
//! saved changes and the fresh listings, so editing `safety.ok` in the file changes nothing.

use crate::model::{CurrentAssignment, SafetyConfig, Scope};

use super::action::Change;
use super::document::{PlanDocument, WireChange, WireGrant};
use super::fingerprint::{fingerprint, listing, listing_changes};
use super::planfile::SavedPlan;
use super::safety::safety_verdict;
use super::whole::Plan;

/// What ARM lists now at one saved scope; `None` when the scope no longer exists.
pub type Listed = (Scope, Option<Vec<CurrentAssignment>>);

/// The saved plan without the scopes of clusters that are not Running now (`not_running`: scope →
/// `cluster is Stopped`): nothing is written there, so neither their fingerprints nor their changes
/// are judged. Returns the rest and a `ScopePlan` per set-aside scope that says why, for the plan
/// shown and reported; a later plan, once the cluster runs, picks their changes up again.
pub fn set_aside(
    saved: &SavedPlan,
    not_running: &std::collections::BTreeMap<Scope, String>,
) -> (SavedPlan, Vec<super::action::ScopePlan>) {
    let mut rest = saved.clone();
    let stopped = |w: &super::document::WireScope| not_running.contains_key(&Scope::from(w));
    rest.scopes.retain(|s| !stopped(&s.scope));
    rest.document.changes.retain(|c| {
        let scope = match c {
            WireChange::Create(g) | WireChange::Delete(g) => &g.scope,
            WireChange::Replace(r) => &r.grant.scope,
        };
        !stopped(scope)
    });
    let aside = not_running
        .iter()
        .map(|(scope, reason)| {
            let mut sp = super::action::ScopePlan::new(scope.clone());
            sp.not_checked = Some(reason.clone());
            sp
        })
        .collect();
    (rest, aside)
}

#[derive(Debug)]
pub enum Verdict {
    /// Azure is as it was: apply this plan (safety recomputed).
    Current(Plan),
    /// Every change of the plan is already in Azure; nothing to write.
    AlreadyApplied,
    /// Azure changed: one description per changed scope.
    Stale(Vec<String>),
}

/// Judges `saved` against `now` (one entry per `saved.scopes`), with the safety rules `safety`.
pub fn check(saved: &SavedPlan, now: &[Listed], safety: &SafetyConfig) -> Verdict {
    let mut stale = Vec::new();
    for s in &saved.scopes {
        let scope = Scope::from(&s.scope);
        match listed_at(now, &scope) {
            None => stale.push(format!("{scope}: no longer exists")),
            Some(items) if fingerprint(items) == s.fingerprint => {}
            Some(items) => {
                let (added, removed) = listing_changes(&s.listed, &listing(items));
                let mut what = format!("{scope}: changed since the plan");
                for a in added {
                    what.push_str(&format!("\n    + {a}"));
                }
                for r in removed {
                    what.push_str(&format!("\n    - {r}"));
                }
                stale.push(what);
            }
        }
    }
    let plan = saved.to_plan();
    if stale.is_empty() {
        return Verdict::Current(recheck_safety(plan, now, safety));
    }
    if plan.actions().next().is_some() && plan.actions().all(|c| applied(c, now)) {
        return Verdict::AlreadyApplied;
    }
    Verdict::Stale(stale)
}

fn listed_at<'a>(now: &'a [Listed], scope: &Scope) -> Option<&'a [CurrentAssignment]> {
    now.iter()
        .find(|(s, _)| s == scope)
        .and_then(|(_, items)| items.as_deref())
}

/// True when Azure already shows the change's outcome: the new grant listed, the old one gone.
fn applied(c: &Change, now: &[Listed]) -> bool {
    let Some(items) = listed_at(now, &c.key().scope) else {
        return false;
    };
    // Only a succeeded grant is in force: a create still `Creating` is not applied yet.
    let present =
        |key: &crate::model::AssignmentKey| items.iter().any(|a| &a.key == key && a.is_held());
    let gone = |b: &CurrentAssignment| {
        !items
            .iter()
            .any(|a| a.key == b.key && a.name.eq_ignore_ascii_case(&b.name))
    };
    match c {
        Change::Create { after } => present(&after.key),
        Change::Delete { before } => gone(before),
        Change::Replace { before, after } => present(&after.key) && gone(before),
        Change::NoOp { .. } => true,
    }
}

/// The plan with what a saved plan does not carry filled in from the fresh listings, and its
/// safety verdict computed from them. Every assignment the verdict counts is ARM's, with ARM's
/// provisioning state: a change's old grant, the kept and waiting ones, and everything else listed
/// (untouched: an ignored admin is still an admin). A kept or waiting entry of the file that ARM
/// does not list is dropped, so an edited plan cannot invent an admin to pass the check.
pub fn recheck_safety(mut plan: Plan, now: &[Listed], safety: &SafetyConfig) -> Plan {
    for sp in &mut plan.scopes {
        let Some(items) = listed_at(now, &sp.scope) else {
            continue;
        };
        let fresh = |a: &CurrentAssignment| {
            items
                .iter()
                .find(|x| x.name.eq_ignore_ascii_case(&a.name))
                .cloned()
        };
        for c in &mut sp.changes {
            if let Change::Delete { before } | Change::Replace { before, .. } = c
                && let Some(listed) = fresh(before)
            {
                *before = listed;
            }
        }
        sp.kept = sp.kept.iter().filter_map(fresh).collect();
        sp.pending.retain_mut(|p| match fresh(&p.assignment) {
            Some(listed) => {
                p.assignment = listed;
                true
            }
            None => false,
        });
        let counted: Vec<CurrentAssignment> = sp.listed().into_iter().cloned().collect();
        let named =
            |a: &CurrentAssignment| counted.iter().any(|x| x.name.eq_ignore_ascii_case(&a.name));
        sp.ignored = items.iter().filter(|a| !named(a)).cloned().collect();
        sp.existing = items.len();
    }
    plan.safety = safety_verdict(&plan.scopes, safety);
    plan
}

/// How the changes of a re-plan differ from the saved ones, one line each; empty when the same
/// changes would be written. Names, principal ids and tenants compare without case, as ARM's do;
/// display fields are not compared.
pub fn differences(saved: &SavedPlan, replan: &Plan) -> Vec<String> {
    let ours: Vec<String> = saved.document.changes.iter().map(describe).collect();
    let theirs: Vec<String> = PlanDocument::new(replan, &saved.document.file)
        .changes
        .iter()
        .map(describe)
        .collect();
    let has = |list: &[String], l: &String| list.iter().any(|x| x.eq_ignore_ascii_case(l));
    let mut out: Vec<String> = ours
        .iter()
        .filter(|l| !has(&theirs, l))
        .map(|l| format!("reviewed, not planned from the file now: {l}"))
        .collect();
    out.extend(
        theirs
            .iter()
            .filter(|l| !has(&ours, l))
            .map(|l| format!("planned from the file now, not reviewed: {l}")),
    );
    out
}

/// One change as a line: what it writes, with every field that changes what ARM receives.
fn describe(c: &WireChange) -> String {
    let grant = |g: &WireGrant| {
        let mut s = format!(
            "{} {}:{} {} name={}",
            scope_label(g),
            g.principal_type.file_key(),
            g.principal_id,
            g.role,
            g.name
        );
        if let Some(t) = &g.tenant {
            s.push_str(&format!(" tenant={t}"));
        }
        s
    };
    match c {
        WireChange::Create(g) => format!("create {}", grant(g)),
        WireChange::Delete(g) => format!("delete {}", grant(g)),
        WireChange::Replace(r) => format!(
            "replace {} (was {}:{} {} name={}{})",
            grant(&r.grant),
            r.before.principal_type.file_key(),
            r.before.principal_id,
            r.before.role,
            r.before.name,
            r.before
                .tenant
                .as_ref()
                .map(|t| format!(" tenant={t}"))
                .unwrap_or_default()
        ),
    }
}

fn scope_label(g: &WireGrant) -> String {
    let s = &g.scope;
    let mut label = format!("{}/{}/{}", s.subscription, s.resource_group, s.cluster);
    if let Some(db) = &s.database {
        label.push('/');
        label.push_str(db);
    }
    label
}

#[cfg(test)]
mod tests;
