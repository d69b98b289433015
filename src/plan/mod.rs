//! The plan: a pure value computed from the desired and current states.
//!
//! | file      | owns                                                             |
//! |-----------|------------------------------------------------------------------|
//! | `action`  | `Change` (Create, Delete, Replace, NoOp), `ScopePlan`, `Plan`    |
//! | `diff`    | `diff(&DesiredState, &CurrentState) -> Plan`; no I/O, no clock   |
//! | `safety`  | the safety verdict of a plan                                     |
//!
//! Apply order is decided in `apply`, not by how the plan happens to be sorted.

mod action;
mod diff;
mod safety;

pub use action::{Change, Plan, ScopePlan, Summary};
pub use diff::diff;
pub use safety::{SafetyVerdict, safety_verdict};
