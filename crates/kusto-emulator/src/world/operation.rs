//! A long-running operation as the store keeps it: what it does, where, how many polls it still
//! answers `Running` to, and how it will end.

use std::time::Instant;

use time::OffsetDateTime;

use super::model::{Cluster, ScopeIdx};
use crate::reply::ErrorResponse;
use crate::state::AssignmentState;
use crate::vocab::ScopeKind;

/// Adding (or changing in place) or dropping a principal assignment; creating or deleting a
/// database; stopping or starting a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Drop,
    DatabaseCreate,
    DatabaseDelete,
    ClusterStop,
    ClusterStart,
}

impl OpKind {
    /// True for what a PUT starts.
    pub fn is_add(self) -> bool {
        match self {
            OpKind::Add | OpKind::DatabaseCreate | OpKind::ClusterStart => true,
            OpKind::Drop | OpKind::DatabaseDelete | OpKind::ClusterStop => false,
        }
    }

    /// `properties.operationKind`, as the real service names it.
    pub fn operation_kind(self, scope: ScopeKind) -> &'static str {
        match (self, scope) {
            (OpKind::Add, ScopeKind::Cluster) => "ServicePrincipalAssignmentsAdd",
            (OpKind::Drop, ScopeKind::Cluster) => "ServicePrincipalAssignmentsDrop",
            (OpKind::Add, ScopeKind::Database) => "DatabaseAddPrincipals",
            (OpKind::Drop, ScopeKind::Database) => "DatabaseDropPrincipals",
            (OpKind::DatabaseCreate, _) => "DatabaseCreate",
            (OpKind::DatabaseDelete, _) => "DatabaseDelete",
            // Not recorded; named after the actions.
            (OpKind::ClusterStop, _) => "ClusterStop",
            (OpKind::ClusterStart, _) => "ClusterStart",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    pub subscription: String,
    pub location: String,
    pub kind: OpKind,
    pub scope: ScopeIdx,
    pub name: String,
    pub polls_left: u32,
    pub started: Instant,
    pub start_time: OffsetDateTime,
    pub finished: Option<OffsetDateTime>,
    /// How the operation will end (decided when it starts, so runs are reproducible).
    pub error: Option<ErrorResponse>,
    /// Its entry in the world's write history (database operations have none).
    pub history_index: Option<usize>,
    /// A database create that makes this client (app id) the database's `Admin` when done (P6).
    pub caller_admin: Option<String>,
    /// An in-place change of an assignment: what it was before, restored if the operation fails.
    pub previous: Option<AssignmentState>,
}

impl Operation {
    /// An operation on `scope` of `cluster`, started now, that ends after `polls` polls, failing with
    /// `error` when one is given. Not in the write history and making nobody an admin until the
    /// caller says otherwise.
    pub fn begin(
        cluster: &Cluster,
        scope: ScopeIdx,
        name: &str,
        kind: OpKind,
        polls: u32,
        error: Option<ErrorResponse>,
    ) -> Operation {
        Operation {
            id: uuid::Uuid::new_v4().to_string(),
            subscription: cluster.subscription.clone(),
            location: cluster.location.clone(),
            kind,
            scope,
            name: name.to_string(),
            polls_left: polls,
            started: Instant::now(),
            start_time: OffsetDateTime::now_utc(),
            finished: None,
            error,
            history_index: None,
            caller_admin: None,
            previous: None,
        }
    }
}
