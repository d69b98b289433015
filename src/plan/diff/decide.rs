//! The decisions of `plan_scope`, one step each: match the file's grants to what holds them,
//! create or replace the missing ones, decide what is left over, then hand every listed assignment
//! to the one place of the plan decided for it.

use crate::model::{CurrentAssignment, DesiredGrant, Unmanaged};

use super::super::action::{Change, ScopePlan};
use super::super::create_names::Names;
use super::super::listing;
use super::listed::Listed;

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

/// What the plan does with each listed assignment, by its index in `Listed::items`.
#[derive(Default)]
pub(super) struct Decisions {
    changes: Vec<Decided>,
    /// Matched by an `ignore` rule: never touched.
    ignored: Vec<usize>,
    /// Not desired, left alone under `unmanaged: keep`.
    kept: Vec<usize>,
}

/// Matches each grant of the file to the listed assignments that hold it: one is kept (a NoOp), the
/// other holders are duplicates to delete (or ignored). Returns the grants nothing holds.
pub(super) fn match_grants(
    cur: &mut Listed,
    mut desired: Vec<DesiredGrant>,
) -> (Decisions, Vec<DesiredGrant>) {
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

    let mut decided = Decisions::default();
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
                Some(i) => decided.changes.push(Decided::NoOp(i, g)),
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
                decided
                    .changes
                    .push(Decided::NoOp(i, g.take().expect("one keeper")));
            } else if cur.ignored[i] {
                decided.ignored.push(i);
            } else {
                decided.changes.push(Decided::Delete(i));
            }
        }
    }
    (decided, missing)
}

/// A grant nothing holds is created under a free name; a role or type change of a principal is one
/// Replace, when the old grant would go anyway (`unmanaged: delete`).
pub(super) fn decide_missing(
    decided: &mut Decisions,
    missing: Vec<DesiredGrant>,
    names: &mut Names,
    unmanaged: Unmanaged,
    cur: &mut Listed,
) {
    for g in missing {
        let after = names.claim(&g);
        let replaced = match unmanaged {
            Unmanaged::Delete => cur.replaceable(&g),
            Unmanaged::Keep => None,
        };
        decided.changes.push(match replaced {
            Some(i) => {
                cur.used[i] = true;
                Decided::Replace(i, after)
            }
            None => Decided::Create(after),
        });
    }
}

/// What no grant of the file claimed: ignored, deleted (`unmanaged: delete`) or kept.
pub(super) fn decide_leftovers(decided: &mut Decisions, unmanaged: Unmanaged, cur: &Listed) {
    for i in 0..cur.items.len() {
        if cur.used[i] {
            continue;
        }
        match (cur.ignored[i], unmanaged) {
            (true, _) => decided.ignored.push(i),
            (false, Unmanaged::Delete) => decided.changes.push(Decided::Delete(i)),
            (false, Unmanaged::Keep) => decided.kept.push(i),
        }
    }
}

/// Moves every listed assignment into the one place of the plan decided for it: a change's
/// `before`, ignored, kept, or pending (with what it waits for).
pub(super) fn hand_out(
    plan: &mut ScopePlan,
    cur: Listed,
    decided: Decisions,
    waiting: Vec<(usize, String)>,
    in_progress: Vec<CurrentAssignment>,
) {
    let mut uses = vec![0; cur.items.len()];
    for d in &decided.changes {
        if let Decided::NoOp(i, _) | Decided::Replace(i, _) | Decided::Delete(i) = d {
            uses[*i] += 1;
        }
    }
    for &i in decided
        .ignored
        .iter()
        .chain(&decided.kept)
        .chain(waiting.iter().map(|(i, _)| i))
    {
        uses[i] += 1;
    }
    let mut out = Handout {
        items: cur.items.into_iter().map(Some).collect(),
        uses,
    };
    plan.changes = decided
        .changes
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
    plan.ignored = decided.ignored.into_iter().map(|i| out.get(i)).collect();
    plan.kept = decided.kept.into_iter().map(|i| out.get(i)).collect();
    let waiting = waiting
        .into_iter()
        .map(|(i, by)| (out.get(i), by))
        .collect();
    plan.pending = listing::pending(in_progress, waiting);
}
