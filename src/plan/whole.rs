//! The whole plan: every scope's plan, sorted by scope, the safety verdict over them, and the
//! desired-state file it was made from (as the user named it).

use crate::model::Scope;

use super::action::{Change, ScopePlan, Summary};
use super::safety::SafetyVerdict;
use super::scope_error::UnreadableScopes;

/// The whole plan, sorted by scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub scopes: Vec<ScopePlan>,
    pub safety: SafetyVerdict,
    /// The desired-state file, as given on the command line (or recorded in a saved plan).
    pub file: String,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        Summary::of(&self.scopes)
    }

    /// True when some scope could not be read.
    pub fn has_errors(&self) -> bool {
        self.scopes.iter().any(|s| s.error.is_some())
    }

    /// The scopes that could not be read, as the command's closing error; `None` when all were.
    pub fn unreadable(&self) -> Option<UnreadableScopes> {
        let scopes: Vec<_> = self
            .scopes
            .iter()
            .filter_map(|s| s.error.clone().map(|e| (s.scope.to_string(), e)))
            .collect();
        (!scopes.is_empty()).then_some(UnreadableScopes {
            total: self.scopes.len(),
            scopes,
        })
    }

    /// The scopes not checked because their cluster is not Running, with the reason.
    pub fn not_checked(&self) -> impl Iterator<Item = (&Scope, &str)> {
        self.scopes
            .iter()
            .filter_map(|s| s.not_checked.as_deref().map(|r| (&s.scope, r)))
    }

    /// All changes that write (no no-ops), with their scope.
    pub fn actions(&self) -> impl Iterator<Item = &Change> {
        self.scopes
            .iter()
            .flat_map(|s| s.changes.iter())
            .filter(|c| !c.is_noop())
    }

    /// How many ARM writes applying the plan takes: a replace is a create and a delete.
    pub fn write_count(&self) -> usize {
        self.actions()
            .map(|c| match c {
                Change::Replace { .. } => 2,
                Change::Create { .. } | Change::Delete { .. } | Change::NoOp { .. } => 1,
            })
            .sum()
    }
}
