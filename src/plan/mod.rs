//! The plan: a pure value computed from the desired and current states.
//!
//! | file          | owns                                                                  |
//! |---------------|-----------------------------------------------------------------------|
//! | `action`      | `Change` (Create, Delete, Replace, NoOp), `ScopePlan`, `Summary`      |
//! | `whole`       | `Plan`: every scope's plan, the safety verdict, the file it came from |
//! | `scope_error` | `ScopeError`: why a scope could not be planned, as a value            |
//! | `diff`        | `diff(&DesiredState, &CurrentState) -> Plan`, or scope by scope with  |
//! |               | `plan_scope` + `finish` as listings stream in; no I/O, no clock       |
//! | `listing`     | a listing made fit to plan on: one entry per name, in-progress set aside |
//! | `create_names` | the names creates PUT: never one already taken at the scope          |
//! | `fingerprint` | a digest of what ARM listed at a scope, to detect a stale saved plan  |
//! | `safety`      | the safety verdict of a plan                                          |
//! | `spelling`    | no-ops whose principal the file spells otherwise than Azure stores it |
//! | `document`    | the versioned JSON document of a plan (`--format json`)               |
//! | `planfile`    | the saved plan file: the document, fingerprints, tool and api version, |
//! |               | the desired file's SHA-256; every field checked as it is read          |
//! | `stale`       | whether a saved plan still applies: fingerprints, "already applied",   |
//! |               | safety recomputed, a re-plan's differences from the saved changes      |
//! | `fixtures`    | (tests) estates shared by the golden and table tests                  |
//!
//! Apply order is decided in `apply`, not by how the plan happens to be sorted.

mod action;
mod create_names;
mod diff;
pub mod document;
mod fingerprint;
#[cfg(test)]
pub(crate) mod fixtures;
mod listing;
pub mod planfile;
mod safety;
mod scope_error;
mod spelling;
pub mod stale;
mod whole;

pub use action::{Change, Pending, ScopePlan, Summary};
pub use diff::{diff, finish, follower_problem, not_checked, plan_scope};
pub use document::{FORMAT_VERSION, PlanDocument};
pub use fingerprint::{ListedEntry, fingerprint, fingerprint_entries, listing, listing_changes};
pub use planfile::{PlanFileError, SavedPlan, SavedScope};
pub use safety::{SafetyVerdict, safety_verdict};
pub use scope_error::{Missing, ScopeError, UnreadableScopes};
pub use spelling::{SpellingNote, spelling_notes};
pub use whole::Plan;
