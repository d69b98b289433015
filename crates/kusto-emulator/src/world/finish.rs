//! How operations end: nobody polling completes them after a timeout, and a finished operation is
//! applied to the world (an assignment provisioned or removed, a database created or deleted, a
//! cluster stopped or started), with the engine principals following the ARM assignments.

use std::time::Duration;

use time::OffsetDateTime;

use super::model::{Provisioning, ScopeIdx, Stored};
use super::operation::{OpKind, Operation};
use super::store::World;
use crate::engine;
use crate::service_state::ClusterPowerState;
use crate::state::AssignmentState;
use crate::vocab::{PrincipalType, Role};

impl World {
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

    /// Completes a just-started operation at once when it was started to answer no `Running` polls
    /// (`lro_polls: 0`); otherwise it waits for its polls.
    pub fn finish_if_no_polls(&mut self, op: usize) {
        if self.operations[op].polls_left == 0 {
            self.finish(op);
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
            OpKind::DatabaseCreate | OpKind::DatabaseDelete => return self.finish_database(op),
            OpKind::ClusterStop | OpKind::ClusterStart => return self.finish_power(op),
        };
        let previous = self.operations[op].previous.clone();
        if let Some(pos) = self.position(scope, &name) {
            let spec = self.assignments(scope)[pos].spec.clone();
            let list = self.assignments_mut(scope);
            match (is_add, error.is_some()) {
                (true, false) => {
                    list[pos].provisioning = Provisioning::Succeeded;
                    self.follow_arm(scope, previous.as_ref(), Some(&spec));
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
                    self.follow_arm(scope, Some(&spec), None);
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

    /// Applies a finished database operation (the world has marked it finished).
    fn finish_database(&mut self, op: usize) {
        let o = &self.operations[op];
        let (s, kind, failed, caller) =
            (o.scope, o.kind, o.error.is_some(), o.caller_admin.clone());
        let Some(d) = s.database else { return };
        let database = &mut self.clusters[s.cluster].databases[d];
        match (kind, failed) {
            (OpKind::DatabaseCreate, false) => {
                database.provisioning = Provisioning::Succeeded;
                if let Some(app) = caller {
                    let spec = AssignmentState {
                        name: uuid::Uuid::new_v4().to_string(),
                        principal_id: app,
                        principal_type: PrincipalType::App,
                        role: Role::Admin,
                        tenant_id: None,
                    };
                    database.principals.push(Stored {
                        spec: spec.clone(),
                        provisioning: Provisioning::Succeeded,
                    });
                    self.follow_arm(s, None, Some(&spec));
                }
            }
            (OpKind::DatabaseCreate, true) | (OpKind::DatabaseDelete, false) => {
                database.deleted = true
            }
            (OpKind::DatabaseDelete, true) => database.provisioning = Provisioning::Succeeded,
            (OpKind::Add | OpKind::Drop | OpKind::ClusterStop | OpKind::ClusterStart, _) => {}
        }
    }

    /// Applies a finished stop or start.
    fn finish_power(&mut self, op: usize) {
        let o = &self.operations[op];
        let cluster = &mut self.clusters[o.scope.cluster];
        cluster.state = match o.kind {
            OpKind::ClusterStop => ClusterPowerState::Stopped,
            OpKind::ClusterStart => ClusterPowerState::Running,
            OpKind::Add | OpKind::Drop | OpKind::DatabaseCreate | OpKind::DatabaseDelete => return,
        };
    }

    /// An ARM assignment at `s` went from `old` to `new`: the engine follows (cluster scopes have no
    /// engine list of their own).
    pub fn follow_arm(
        &mut self,
        s: ScopeIdx,
        old: Option<&AssignmentState>,
        new: Option<&AssignmentState>,
    ) {
        let old = old.map(|a| engine::render(&self.directory, &self.tenant_id, a));
        let new = new.map(|a| engine::render(&self.directory, &self.tenant_id, a));
        let Some(list) = self.engine_mut(s) else {
            return;
        };
        if let Some(o) = old {
            engine::remove(list, &engine::key(&o));
        }
        if let Some(n) = new {
            engine::append(list, n);
        }
    }
}
