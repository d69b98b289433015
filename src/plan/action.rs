//! Typed changes, modelled on Terraform's `plans.Action`. Each variant carries exactly the sides it
//! has, so a renderer or the applier cannot read a `before` that does not exist.

use serde::{Deserialize, Serialize};

use crate::model::{AssignmentKey, CurrentAssignment, DesiredGrant, Follower, Scope};

use super::scope_error::ScopeError;

/// One change to one grant.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// The grant is missing: PUT it.
    Create { after: DesiredGrant },
    /// The assignment is not wanted: DELETE it.
    Delete { before: CurrentAssignment },
    /// The principal's role or type changes: create the new grant, then delete the old one, so that
    /// there is never a window without access.
    Replace {
        before: CurrentAssignment,
        after: DesiredGrant,
    },
    /// Present and wanted (adopted under whatever name it has). Hidden by renderers.
    NoOp {
        before: CurrentAssignment,
        after: DesiredGrant,
    },
}

impl Change {
    /// The key the change is filed under: the desired key where there is one.
    pub fn key(&self) -> &AssignmentKey {
        match self {
            Change::Create { after }
            | Change::Replace { after, .. }
            | Change::NoOp { after, .. } => &after.key,
            Change::Delete { before } => &before.key,
        }
    }

    pub fn is_noop(&self) -> bool {
        match self {
            Change::NoOp { .. } => true,
            Change::Create { .. } | Change::Delete { .. } | Change::Replace { .. } => false,
        }
    }
}

/// Everything planned at one scope.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopePlan {
    pub scope: Scope,
    /// Sorted by key; includes no-ops.
    pub changes: Vec<Change>,
    /// In Azure, not in the file, left alone because the scope's policy is `keep`.
    pub kept: Vec<CurrentAssignment>,
    /// How many assignments ARM listed at this scope (ignored ones excluded).
    pub existing: usize,
    /// Assignments matched by an `ignore` rule: never touched, never reported, but they still count
    /// for the safety verdict (an ignored admin is still an admin).
    pub ignored: Vec<CurrentAssignment>,
    /// Set when the scope could not be read (e.g. it does not exist); it then has no changes.
    pub error: Option<ScopeError>,
    /// `fingerprint` of everything ARM listed at the scope (ignored ones included), recorded in a
    /// saved plan so that `apply PLAN.json` can tell whether Azure changed since; `None` when the
    /// scope could not be read.
    pub fingerprint: Option<String>,
    /// Listed assignments the plan does not act on yet: ones not `Succeeded` (in progress), and
    /// ones whose delete waits for an in-progress grant that replaces them. Neither counts as held.
    pub pending: Vec<Pending>,
    /// No-ops dropped by `compact` (a scope with nothing to write keeps only their count, so that a
    /// fleet-wide plan does not hold every adopted assignment).
    pub unchanged_compacted: usize,
    /// Set when the scope was not checked because its cluster is not Running (`cluster is Stopped`):
    /// it has no changes and is not an error (auto-stop is routine); nothing is written there.
    pub not_checked: Option<String>,
    /// Set for a follower database: the leader it follows and how principals combine.
    pub follows: Option<Follower>,
}

impl ScopePlan {
    /// A scope with nothing planned yet.
    pub fn new(scope: Scope) -> Self {
        ScopePlan {
            scope,
            changes: Vec::new(),
            kept: Vec::new(),
            existing: 0,
            ignored: Vec::new(),
            error: None,
            fingerprint: None,
            pending: Vec::new(),
            unchanged_compacted: 0,
            not_checked: None,
            follows: None,
        }
    }

    /// True when the scope has a change that writes (not only no-ops).
    pub fn is_touched(&self) -> bool {
        self.changes.iter().any(|c| !c.is_noop())
    }

    /// Drops the details of a scope with nothing to write, keeping the counts: its no-ops and
    /// ignored assignments matter to nothing but the summary once the safety verdict cannot fail
    /// for it (no write, so nothing is lost). A touched scope is left whole.
    pub fn compact(&mut self) {
        if self.is_touched() {
            return;
        }
        self.unchanged_compacted += self.changes.len();
        self.changes = Vec::new();
        self.ignored = Vec::new();
    }

    /// Everything ARM listed at the scope: every `before`, the kept and the ignored assignments.
    pub fn listed(&self) -> Vec<&CurrentAssignment> {
        let befores = self.changes.iter().filter_map(|c| match c {
            Change::Delete { before }
            | Change::Replace { before, .. }
            | Change::NoOp { before, .. } => Some(before),
            Change::Create { .. } => None,
        });
        let pending = self.pending.iter().map(|p| &p.assignment);
        befores
            .chain(&self.kept)
            .chain(&self.ignored)
            .chain(pending)
            .collect()
    }
}

/// A listed assignment the plan leaves for a later run.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub assignment: CurrentAssignment,
    /// `None`: the assignment itself is in progress (see its `provisioning`). `Some(name)`: it is
    /// in force, and would be deleted as the old half of a replace, but the assignment `name` that
    /// replaces it is still in progress; it is deleted by the run after that one succeeds.
    pub waits_for: Option<String>,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub create: usize,
    pub replace: usize,
    pub delete: usize,
    pub unchanged: usize,
    pub unmanaged: usize,
    /// Listed assignments left for a later run (`ScopePlan::pending`).
    #[serde(default)]
    pub pending: usize,
}

impl Summary {
    /// The counts over some scopes of a plan.
    pub fn of<'a>(scopes: impl IntoIterator<Item = &'a ScopePlan>) -> Summary {
        let mut s = Summary::default();
        for sp in scopes {
            s.unmanaged += sp.kept.len();
            s.pending += sp.pending.len();
            s.unchanged += sp.unchanged_compacted;
            for c in &sp.changes {
                match c {
                    Change::Create { .. } => s.create += 1,
                    Change::Delete { .. } => s.delete += 1,
                    Change::Replace { .. } => s.replace += 1,
                    Change::NoOp { .. } => s.unchanged += 1,
                }
            }
        }
        s
    }

    pub fn has_changes(&self) -> bool {
        self.create + self.replace + self.delete > 0
    }
}
