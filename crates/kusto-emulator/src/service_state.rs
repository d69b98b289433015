//! Cluster states (`properties.state`) and what a cluster that is not running answers, with the
//! `POST …/clusters/{c}/stop` and `/start` operations that move a cluster between them.
//!
//! | cluster state            | principal assignments, `listPrincipals`, check-name | databases (list, get, put, delete) |
//! |--------------------------|-----------------------------------------------------|------------------------------------|
//! | `Running`, `Updating`    | served                                              | served                             |
//! | any other                | 400 `ClusterNotValidForPrincipals` "[BadRequest] Cluster is in state 'Stopped', cannot retrieve list of principals" | 400 `BadRequest` "Cannot fetch databases while resource is in state 'Stopped'." |
//!
//! The cluster itself (GET, list) always answers and shows its state. `stop` on a running cluster
//! answers 202 and moves it through `Stopping` to `Stopped`; `start` through `Starting` to
//! `Running`; each is an operation like any other (polls, `Location`, `Azure-AsyncOperation`). A
//! stop of a cluster that is not running, or a start of one that is not stopped, is refused with
//! 409 (the exact answer of Azure is not recorded).

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::assignments::{Ctx, check_write};
use super::operations::{OpKind, Operation, urls};
use super::reply::{ArmError, Reply};
use super::route::ClusterPath;
use super::world::{ScopeIdx, World};

/// `ClusterProperties.state`, as the spec lists it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClusterPowerState {
    Creating,
    Unavailable,
    #[default]
    Running,
    Deleting,
    Deleted,
    Stopping,
    Stopped,
    Starting,
    Updating,
    Migrated,
}

impl ClusterPowerState {
    pub fn as_str(self) -> &'static str {
        match self {
            ClusterPowerState::Creating => "Creating",
            ClusterPowerState::Unavailable => "Unavailable",
            ClusterPowerState::Running => "Running",
            ClusterPowerState::Deleting => "Deleting",
            ClusterPowerState::Deleted => "Deleted",
            ClusterPowerState::Stopping => "Stopping",
            ClusterPowerState::Stopped => "Stopped",
            ClusterPowerState::Starting => "Starting",
            ClusterPowerState::Updating => "Updating",
            ClusterPowerState::Migrated => "Migrated",
        }
    }

    /// For `skip_serializing_if`: the state file leaves out the usual state.
    pub fn is_running(&self) -> bool {
        *self == ClusterPowerState::Running
    }

    /// Whether the engine answers (an update, such as a configuration change, keeps it serving).
    pub fn serves(self) -> bool {
        matches!(
            self,
            ClusterPowerState::Running | ClusterPowerState::Updating
        )
    }
}

/// `stop` or `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    Stop,
    Start,
}

/// The principal-assignment error of a cluster that does not serve, if it does not.
pub fn principals_refused(w: &World, cluster: usize) -> Result<(), ArmError> {
    let state = w.clusters[cluster].state;
    if state.serves() {
        return Ok(());
    }
    Err(ArmError::new(
        StatusCode::BAD_REQUEST,
        "ClusterNotValidForPrincipals",
        format!(
            "[BadRequest] Cluster is in state '{}', cannot retrieve list of principals",
            state.as_str()
        ),
    ))
}

/// The database error of a cluster that does not serve, if it does not.
pub fn databases_refused(w: &World, cluster: usize) -> Result<(), ArmError> {
    let state = w.clusters[cluster].state;
    if state.serves() {
        return Ok(());
    }
    Err(ArmError::bad_request(format!(
        "Cannot fetch databases while resource is in state '{}'.",
        state.as_str()
    )))
}

/// POST `…/clusters/{c}/stop` or `/start`.
pub fn power(w: &mut World, ctx: &Ctx<'_>, p: &ClusterPath, action: PowerAction) -> Reply {
    let c = match w.find_cluster(p, false) {
        Ok(c) => c,
        Err(e) => return e.reply(),
    };
    let scope = ScopeIdx {
        cluster: c,
        database: None,
    };
    if let Err(e) = check_write(w, ctx, scope) {
        return e.reply();
    }
    let state = w.clusters[c].state;
    let (from_ok, during, kind) = match action {
        PowerAction::Stop => (
            state == ClusterPowerState::Running,
            ClusterPowerState::Stopping,
            OpKind::ClusterStop,
        ),
        PowerAction::Start => (
            state == ClusterPowerState::Stopped,
            ClusterPowerState::Starting,
            OpKind::ClusterStart,
        ),
    };
    if !from_ok {
        let verb = if kind == OpKind::ClusterStop {
            "stop"
        } else {
            "start"
        };
        return ArmError::new(
            StatusCode::CONFLICT,
            "Conflict",
            format!(
                "[Conflict] Cannot {verb} cluster '{}' while it is in state '{}'.",
                w.clusters[c].name,
                state.as_str()
            ),
        )
        .reply();
    }
    w.clusters[c].state = during;
    let name = w.clusters[c].name.clone();
    let op = Operation::begin(&w.clusters[c], scope, &name, kind, ctx.lro_polls, None);
    w.operations.push(op);
    let i = w.operations.len() - 1;
    let (async_url, location) = urls(ctx.endpoint, &w.operations[i], ctx.api_version);
    if w.operations[i].polls_left == 0 {
        w.finish(i);
    }
    Reply::empty(StatusCode::ACCEPTED)
        .with_header("Location", location)
        .with_header("Azure-AsyncOperation", async_url)
}

/// Applies a finished stop or start.
pub fn finish(w: &mut World, op: usize) {
    let o = &w.operations[op];
    let cluster = &mut w.clusters[o.scope.cluster];
    cluster.state = match o.kind {
        OpKind::ClusterStop => ClusterPowerState::Stopped,
        OpKind::ClusterStart => ClusterPowerState::Running,
        OpKind::Add | OpKind::Drop | OpKind::DatabaseCreate | OpKind::DatabaseDelete => return,
    };
}
