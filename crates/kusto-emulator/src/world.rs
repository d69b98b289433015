//! The emulator's live world: clusters, databases, principal assignments with their provisioning
//! state, running operations and the write history, behind one lock in the server.
//!
//! This module finds things (with ARM's not-found errors) and applies finished operations. It
//! knows nothing of HTTP beyond the `ArmError` it returns.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use time::OffsetDateTime;

use super::databases;
use super::directory::{Directory, client_entry};
use super::engine;
use super::journal::WriteRecord;
use super::operations::{OpKind, Operation};
use super::reply::ArmError;
use super::route::{ClusterPath, ScopePath};
use super::service_state::{self, ClusterPowerState, principals_refused};
use super::state::{
    AssignmentState, ClusterState, Credentials, DataPrincipalState, DatabaseState, EmulatorState,
    FollowerState,
};
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

pub struct World {
    pub tenant_id: String,
    pub tenant_name: String,
    pub credentials: Credentials,
    pub directory: Directory,
    pub clusters: Vec<Cluster>,
    pub operations: Vec<Operation>,
    pub history: Vec<WriteRecord>,
    pub started: Instant,
    /// Data-plane principal writes also change ARM assignments (P12's opt-in switch).
    pub mirror: bool,
}

fn stored(items: &[AssignmentState]) -> Vec<Stored> {
    items
        .iter()
        .map(|a| Stored {
            spec: a.clone(),
            provisioning: Provisioning::Succeeded,
        })
        .collect()
}

impl World {
    /// `mirror`: the knob that mirrors data-plane writes into ARM (the state file may also set it).
    pub fn new(state: &EmulatorState, aad_lag: Duration, mirror: bool) -> World {
        let all: Vec<&AssignmentState> = state
            .clusters
            .iter()
            .flat_map(|c| {
                c.principals
                    .iter()
                    .chain(c.databases.iter().flat_map(|d| &d.principals))
            })
            .collect();
        let directory = Directory::new(
            state.directory.clone(),
            aad_lag,
            |e| all.iter().any(|a| e.answers_to(&a.principal_id)),
            Some(client_entry(&state.credentials)),
        );
        let clusters = state
            .clusters
            .iter()
            .map(|c| Cluster {
                subscription: c.subscription.clone(),
                resource_group: c.resource_group.clone(),
                name: c.name.clone(),
                location: c.location.clone(),
                state: c.state,
                principals: stored(&c.principals),
                databases: c
                    .databases
                    .iter()
                    .map(|d| {
                        let principals = stored(&d.principals);
                        let engine = engine::seeded(state, c, &d.name).unwrap_or_else(|| {
                            engine::derive(&directory, &state.tenant_id, &principals)
                        });
                        let mut db = Database::new(&d.name, principals, engine);
                        db.soft_delete_period = Some("P365D".to_string());
                        db.hot_cache_period = Some("P31D".to_string());
                        db.follower = d.follower.clone();
                        db
                    })
                    .collect(),
            })
            .collect();
        World {
            tenant_id: state.tenant_id.clone(),
            tenant_name: state.tenant_name.clone(),
            credentials: state.credentials.clone(),
            directory,
            clusters,
            operations: Vec::new(),
            history: Vec::new(),
            started: Instant::now(),
            mirror: mirror || state.data_plane.mirror,
        }
    }

    /// The world as a state file (assignments still being created are included; deleted databases
    /// are not).
    pub fn snapshot(&self) -> EmulatorState {
        let specs = |v: &[Stored]| v.iter().map(|s| s.spec.clone()).collect();
        EmulatorState {
            data_plane: engine::snapshot(self),
            tenant_id: self.tenant_id.clone(),
            tenant_name: self.tenant_name.clone(),
            credentials: self.credentials.clone(),
            directory: self.directory.entries().map(<[_]>::to_vec),
            clusters: self
                .clusters
                .iter()
                .map(|c| ClusterState {
                    subscription: c.subscription.clone(),
                    resource_group: c.resource_group.clone(),
                    name: c.name.clone(),
                    location: c.location.clone(),
                    state: c.state,
                    principals: specs(&c.principals),
                    databases: c
                        .databases
                        .iter()
                        .filter(|d| !d.deleted)
                        .map(|d| DatabaseState {
                            name: d.name.clone(),
                            follower: d.follower.clone(),
                            principals: specs(&d.principals),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    /// The cluster a request names, or ARM's 404 (`nested`: the request is for a child resource).
    pub fn find_cluster(&self, p: &ClusterPath, nested: bool) -> Result<usize, ArmError> {
        let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        if !self
            .clusters
            .iter()
            .any(|c| eq(&c.subscription, &p.subscription))
        {
            return Err(not_found(
                "SubscriptionNotFound",
                format!("The subscription '{}' could not be found.", p.subscription),
            ));
        }
        let in_rg = |c: &&Cluster| {
            eq(&c.subscription, &p.subscription) && eq(&c.resource_group, &p.resource_group)
        };
        if !self.clusters.iter().any(|c| in_rg(&c)) {
            return Err(not_found(
                "ResourceGroupNotFound",
                format!("Resource group '{}' could not be found.", p.resource_group),
            ));
        }
        match self
            .clusters
            .iter()
            .position(|c| in_rg(&c) && eq(&c.name, &p.cluster))
        {
            Some(i) => Ok(i),
            None if nested => Err(parent_not_found(&p.cluster)),
            None => Err(resource_not_found(
                &format!("Microsoft.Kusto/clusters/{}", p.cluster),
                &p.resource_group,
            )),
        }
    }

    /// The database of a cluster, or ARM's 404.
    pub fn find_database(
        &self,
        cluster: usize,
        p: &ClusterPath,
        db: &str,
        nested: bool,
    ) -> Result<usize, ArmError> {
        let c = &self.clusters[cluster];
        match c
            .databases
            .iter()
            .position(|d| !d.deleted && d.name.eq_ignore_ascii_case(db))
        {
            Some(i) => Ok(i),
            None if nested => Err(parent_not_found(&format!("{}/{db}", c.name))),
            None => Err(resource_not_found(
                &format!("Microsoft.Kusto/clusters/{}/databases/{db}", p.cluster),
                &p.resource_group,
            )),
        }
    }

    /// The scope of a principal assignment request (refused while the cluster does not serve).
    pub fn find_scope(&self, p: &ScopePath) -> Result<ScopeIdx, ArmError> {
        let cluster = self.find_cluster(&p.cluster, true)?;
        principals_refused(self, cluster)?;
        let database = match &p.database {
            None => None,
            Some(db) => Some(self.find_database(cluster, &p.cluster, db, true)?),
        };
        Ok(ScopeIdx { cluster, database })
    }

    pub fn assignments(&self, s: ScopeIdx) -> &Vec<Stored> {
        let c = &self.clusters[s.cluster];
        match s.database {
            None => &c.principals,
            Some(d) => &c.databases[d].principals,
        }
    }

    pub fn assignments_mut(&mut self, s: ScopeIdx) -> &mut Vec<Stored> {
        let c = &mut self.clusters[s.cluster];
        match s.database {
            None => &mut c.principals,
            Some(d) => &mut c.databases[d].principals,
        }
    }

    /// The position of a named assignment in a scope (names compare without case).
    pub fn position(&self, s: ScopeIdx, name: &str) -> Option<usize> {
        self.assignments(s)
            .iter()
            .position(|a| a.spec.name.eq_ignore_ascii_case(name))
    }

    /// The running operation on a cluster, if any.
    pub fn busy(&self, cluster: usize) -> Option<&Operation> {
        self.operations
            .iter()
            .find(|o| o.scope.cluster == cluster && o.finished.is_none())
    }

    /// Completes operations nobody polled within `timeout`.
    pub fn tick(&mut self, timeout: Duration) {
        let due: Vec<usize> = (0..self.operations.len())
            .filter(|&i| {
                let o = &self.operations[i];
                o.finished.is_none() && o.started.elapsed() >= timeout
            })
            .collect();
        for i in due {
            self.finish(i);
        }
    }

    /// Applies a finished operation: a create becomes `Succeeded` (or disappears when it failed), a
    /// delete removes the assignment (or leaves it as it was when it failed). Assignments that come
    /// or go at a database are pushed to its engine principals.
    pub fn finish(&mut self, op: usize) {
        let (scope, name, error, kind, record) = {
            let o = &mut self.operations[op];
            if o.finished.is_some() {
                return;
            }
            o.finished = Some(OffsetDateTime::now_utc());
            (
                o.scope,
                o.name.clone(),
                o.error.clone(),
                o.kind,
                o.history_index,
            )
        };
        let is_add = match kind {
            OpKind::Add => true,
            OpKind::Drop => false,
            OpKind::DatabaseCreate | OpKind::DatabaseDelete => {
                return databases::finish(self, op);
            }
            OpKind::ClusterStop | OpKind::ClusterStart => return service_state::finish(self, op),
        };
        let previous = self.operations[op].previous.clone();
        if let Some(pos) = self.position(scope, &name) {
            let spec = self.assignments(scope)[pos].spec.clone();
            let list = self.assignments_mut(scope);
            match (is_add, error.is_some()) {
                (true, false) => {
                    list[pos].provisioning = Provisioning::Succeeded;
                    engine::follow_arm(self, scope, previous.as_ref(), Some(&spec));
                }
                (true, true) if previous.is_some() => {
                    list[pos].provisioning = Provisioning::Succeeded;
                    list[pos].spec = previous.unwrap_or(spec);
                }
                (false, true) => list[pos].provisioning = Provisioning::Succeeded,
                (true, true) => {
                    list.remove(pos);
                }
                (false, false) => {
                    list.remove(pos);
                    engine::follow_arm(self, scope, Some(&spec), None);
                }
            }
        }
        if let Some(h) = record.and_then(|r| self.history.get_mut(r)) {
            h.operation_status = Some(
                if error.is_some() {
                    "Failed"
                } else {
                    "Succeeded"
                }
                .to_string(),
            );
        }
    }
}

pub fn not_found(code: &str, message: String) -> ArmError {
    ArmError::new(StatusCode::NOT_FOUND, code, message)
}

pub fn resource_not_found(resource: &str, rg: &str) -> ArmError {
    not_found(
        "ResourceNotFound",
        format!(
            "The Resource '{resource}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

fn parent_not_found(parent: &str) -> ArmError {
    not_found(
        "ParentResourceNotFound",
        format!(
            "Can not perform requested operation on nested resource. Parent resource '{parent}' not found."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str, rg: &str, c: &str) -> ClusterPath {
        ClusterPath {
            subscription: s.into(),
            resource_group: rg.into(),
            cluster: c.into(),
        }
    }

    #[test]
    fn lookups_say_what_is_missing() {
        let w = World::new(&super::super::state::demo_state(), Duration::ZERO, false);
        let sub = "12345678-1234-1234-1234-123456789098";
        assert_eq!(
            w.find_cluster(&path(sub, "TESTRG", "MyKustoCluster"), false),
            Ok(0)
        );
        let code = |p: ClusterPath, nested| w.find_cluster(&p, nested).unwrap_err().code;
        assert_eq!(
            code(path("x", "testrg", "c"), false),
            "SubscriptionNotFound"
        );
        assert_eq!(code(path(sub, "nope", "c"), false), "ResourceGroupNotFound");
        assert_eq!(code(path(sub, "testrg", "nope"), false), "ResourceNotFound");
        assert_eq!(
            code(path(sub, "testrg", "nope"), true),
            "ParentResourceNotFound"
        );
        let scope = ScopePath {
            cluster: path(sub, "testrg", "mykustocluster"),
            database: Some("SALES".into()),
        };
        let idx = w.find_scope(&scope).unwrap();
        assert_eq!(idx.kind(), ScopeKind::Database);
        assert_eq!(w.assignments(idx).len(), 3);
        assert_eq!(w.snapshot(), super::super::state::demo_state());
    }
}
