//! The request context: what a handler needs besides the world (the request's endpoint,
//! api-version, path and paging, the knobs that shape its answer, the fault drawn for it and its
//! caller), and the gate every write passes with it: 409 while another operation runs on the
//! cluster.

use std::sync::Mutex;

use axum::http::StatusCode;

use super::faults::Faults;
use super::reply::ErrorResponse;
use super::world::{ScopeIdx, World};

/// What a handler needs besides the world.
pub struct Ctx<'a> {
    pub endpoint: &'a str,
    pub api_version: &'a str,
    /// The request path, for `nextLink`s.
    pub path: &'a str,
    /// `$skiptoken` of a list request.
    pub skip: usize,
    pub page_size: Option<usize>,
    pub lro_polls: u32,
    pub write_conflicts: bool,
    /// Duplicate checks compare `principalId` strings instead of resolved principals.
    pub raw_duplicates: bool,
    /// Writes to `None` followers are refused.
    pub refuse_none_follower_writes: bool,
    /// A fault was drawn for this request: an operation it starts will fail.
    pub fail_operation: bool,
    /// The fault draws, for maintenance conflicts of the operations a write starts.
    pub faults: &'a Mutex<Faults>,
    /// The client (`appid`) of the request's token.
    pub caller: &'a str,
    /// The `callerRole` query parameter of a database PUT.
    pub caller_role: Option<String>,
}

/// 409 while another operation runs on the cluster (when that knob is on).
pub fn check_write(w: &World, ctx: &Ctx<'_>, s: ScopeIdx) -> Result<(), ErrorResponse> {
    match w.busy(s.cluster).filter(|_| ctx.write_conflicts) {
        None => Ok(()),
        Some(op) => Err(ErrorResponse::new(
            StatusCode::CONFLICT,
            "Conflict",
            format!(
                "[Conflict] Cluster '{}' is in process of another operation ('{}', id '{}'). Please retry the operation when it completes.",
                w.clusters[s.cluster].name,
                op.kind.operation_kind(op.scope.kind()),
                op.id
            ),
        )),
    }
}
