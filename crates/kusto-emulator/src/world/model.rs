//! What the store holds besides the world itself: clusters, databases, stored assignments with their
//! provisioning state, and the index of a scope.

use crate::service_state::ClusterPowerState;
use crate::state::{AssignmentState, DataPrincipalState, FollowerState};
use crate::vocab::ScopeKind;

/// Where an assignment's provisioning stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provisioning {
    Creating,
    /// An in-place change whose operation runs.
    Accepted,
    Succeeded,
    Deleting,
}

impl Provisioning {
    pub fn as_str(self) -> &'static str {
        match self {
            Provisioning::Creating => "Creating",
            Provisioning::Accepted => "Accepted",
            Provisioning::Succeeded => "Succeeded",
            Provisioning::Deleting => "Deleting",
        }
    }
}

/// A stored principal assignment.
#[derive(Debug, Clone)]
pub struct Stored {
    pub spec: AssignmentState,
    pub provisioning: Provisioning,
}

#[derive(Debug, Clone)]
pub struct Database {
    pub name: String,
    pub principals: Vec<Stored>,
    /// The engine's principals (`listPrincipals`), which ARM assignments are pushed into.
    pub engine: Vec<DataPrincipalState>,
    pub provisioning: Provisioning,
    /// Deleted databases stay as tombstones so that running operations keep their indices.
    pub deleted: bool,
    /// As sent when the database was created (seeded databases show Kusto's defaults).
    pub soft_delete_period: Option<String>,
    pub hot_cache_period: Option<String>,
    /// A follower database's attachment (kind `ReadOnlyFollowing`).
    pub follower: Option<FollowerState>,
}

impl Database {
    /// A database as a seed or a create makes it (provisioned, no retention periods set).
    pub fn new(name: &str, principals: Vec<Stored>, engine: Vec<DataPrincipalState>) -> Database {
        Database {
            name: name.to_string(),
            principals,
            engine,
            provisioning: Provisioning::Succeeded,
            deleted: false,
            soft_delete_period: None,
            hot_cache_period: None,
            follower: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Cluster {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub principals: Vec<Stored>,
    pub databases: Vec<Database>,
    /// `properties.state`: only a running (or updating) cluster serves principals and databases.
    pub state: ClusterPowerState,
}

/// A cluster, or one database of it, by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScopeIdx {
    pub cluster: usize,
    pub database: Option<usize>,
}

impl ScopeIdx {
    pub fn kind(self) -> ScopeKind {
        match self.database {
            None => ScopeKind::Cluster,
            Some(_) => ScopeKind::Database,
        }
    }
}
