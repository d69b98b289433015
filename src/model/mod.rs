//! The shared vocabulary of every layer: where a grant lives (`Scope`), who gets it (`PrincipalType`,
//! `PrincipalId`), what it allows (`Role`), its identity (`AssignmentKey`), and the naming rules of
//! every name that goes into an ARM URL (`names`).
//!
//! | file        | owns                                                                  |
//! |-------------|-----------------------------------------------------------------------|
//! | `scope`     | `Scope`, `ClusterRef`: a cluster, or a database of a cluster          |
//! | `principal` | `PrincipalType`, `PrincipalId` (compared without case)                |
//! | `role`      | `Role` per scope, as ARM spells them                                  |
//! | `key`       | `AssignmentKey`: scope, principal type, principal id, role            |
//! | `state`     | `DesiredState` and `CurrentState`, what the planner compares          |
//! | `names`     | ARM's naming rules for every name that goes into a URL                |
//!
//! This module owns no I/O and no policy. Everything here compares the way ARM does:
//! subscription, resource group, cluster and database names case-insensitively, principal ids
//! case-insensitively, roles exactly.

mod key;
pub mod names;
mod principal;
mod role;
mod scope;
mod state;

pub use key::AssignmentKey;
pub use principal::{PrincipalId, PrincipalType, is_guid};
pub use role::{Role, ScopeKind};
pub use scope::{ClusterRef, Scope};
pub use state::{
    CurrentAssignment, CurrentState, DatabaseInfo, DesiredGrant, DesiredScope, DesiredState,
    Follower, IgnoreRule, Provisioning, ResolvedPrincipal, SafetyConfig, SourceLocation, Unmanaged,
    is_running, upn_in_display_name,
};
