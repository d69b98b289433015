//! The world itself, behind one lock in the server: the tenant, its directory, the clusters, the
//! running operations and the write history; how a state file seeds it and how it dumps back to one;
//! the assignments and engine principals of a scope.

use std::time::{Duration, Instant};

use super::model::{Cluster, Database, Provisioning, ScopeIdx, Stored};
use super::operation::Operation;
use crate::directory::{Directory, client_entry};
use crate::engine;
use crate::journal::WriteRecord;
use crate::state::{
    AssignmentState, ClusterState, Credentials, DataPlaneDatabase, DataPlaneState,
    DataPrincipalState, DatabaseState, EmulatorState,
};

/// The emulator's live world, as one value.
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

/// The specs of stored assignments, as the engine derives its list from them.
fn specs(items: &[Stored]) -> impl Iterator<Item = &AssignmentState> {
    items.iter().map(|a| &a.spec)
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
                            engine::derive(&directory, &state.tenant_id, specs(&principals))
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
            knobs: Default::default(),
            data_plane: self.data_plane(),
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

    /// The data-plane section of a snapshot: the lists that differ from what their ARM assignments
    /// alone would make.
    fn data_plane(&self) -> DataPlaneState {
        let mut databases = Vec::new();
        for c in &self.clusters {
            let ambiguous = self
                .clusters
                .iter()
                .filter(|o| o.name.eq_ignore_ascii_case(&c.name))
                .count()
                > 1;
            for d in c.databases.iter().filter(|d| !d.deleted) {
                if d.engine
                    != engine::derive(&self.directory, &self.tenant_id, specs(&d.principals))
                {
                    databases.push(DataPlaneDatabase {
                        subscription: ambiguous.then(|| c.subscription.clone()),
                        cluster: c.name.clone(),
                        database: d.name.clone(),
                        principals: d.engine.clone(),
                    });
                }
            }
        }
        DataPlaneState {
            mirror: self.mirror,
            databases,
        }
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

    /// The engine list of a database scope.
    pub fn engine_mut(&mut self, s: ScopeIdx) -> Option<&mut Vec<DataPrincipalState>> {
        let d = s.database?;
        Some(&mut self.clusters[s.cluster].databases[d].engine)
    }
}
