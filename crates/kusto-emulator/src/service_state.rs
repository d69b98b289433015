//! Cluster states (`properties.state`) and what a cluster that is not running answers (the
//! `POST …/clusters/{c}/stop` and `/start` operations that move a cluster between them are in
//! `power`).
//!
//! | cluster state            | principal assignments, `listPrincipals`, check-name | databases (list, get, put, delete) |
//! |--------------------------|-----------------------------------------------------|------------------------------------|
//! | `Running`, `Updating`    | served                                              | served                             |
//! | any other                | 400 `ClusterNotValidForPrincipals` "[BadRequest] Cluster is in state 'Stopped', cannot retrieve list of principals" | 400 `BadRequest` "Cannot fetch databases while resource is in state 'Stopped'." |
//!
//! The cluster itself (GET, list) always answers and shows its state.

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::reply::ErrorResponse;

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

/// The principal-assignment error of a cluster in `state`, if it does not serve.
pub fn principals_refused(state: ClusterPowerState) -> Result<(), ErrorResponse> {
    if state.serves() {
        return Ok(());
    }
    Err(ErrorResponse::new(
        StatusCode::BAD_REQUEST,
        "ClusterNotValidForPrincipals",
        format!(
            "[BadRequest] Cluster is in state '{}', cannot retrieve list of principals",
            state.as_str()
        ),
    ))
}

/// The database error of a cluster in `state`, if it does not serve.
pub fn databases_refused(state: ClusterPowerState) -> Result<(), ErrorResponse> {
    if state.serves() {
        return Ok(());
    }
    Err(ErrorResponse::bad_request(format!(
        "Cannot fetch databases while resource is in state '{}'.",
        state.as_str()
    )))
}
