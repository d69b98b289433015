//! The operation an accepted principal-assignment write starts, and its trace: how the operation
//! will end, registering it, the write's entry in the history, and completing it at once when no
//! polls are wanted.
//!
//! An accepted create, change or delete can still fail in its operation result: an injected fault
//! (`--fault-rate`) or Kusto's maintenance conflict (`--maintenance-failures`,
//! `--maintenance-rate`): `Failed` with `ServiceIsInMaintenance` "[Conflict] Cluster '…' is in
//! process of maintenance for a short period. You may retry to invoke the operation in a few
//! minutes." (azure-rest-api-specs #18845).

use axum::http::StatusCode;
use time::OffsetDateTime;

use super::ctx::Ctx;
use super::journal::WriteRecord;
use super::operation_status::timestamp;
use super::reply::{ErrorResponse, Reply};
use super::request_body::AssignmentRequest;
use super::route::ScopePath;
use super::shared::lock;
use super::world::{OpKind, Operation, ScopeIdx, World};

/// How an operation about to start will fail, if it will: an injected fault first, then a
/// maintenance conflict (each drawn once per operation).
pub fn operation_error(
    w: &World,
    ctx: &Ctx<'_>,
    s: ScopeIdx,
    kind: OpKind,
) -> Option<ErrorResponse> {
    if ctx.fail_operation {
        return Some(injected_failure(w, s, kind));
    }
    lock(ctx.faults)
        .maintenance()
        .then(|| in_maintenance(&w.clusters[s.cluster].name))
}

/// Kusto's answer while a cluster is in maintenance (azure-rest-api-specs #18845).
pub fn in_maintenance(cluster: &str) -> ErrorResponse {
    ErrorResponse::new(
        StatusCode::CONFLICT,
        "ServiceIsInMaintenance",
        format!(
            "[Conflict] Cluster '{cluster}' is in process of maintenance for a short period. You may retry to invoke the operation in a few minutes."
        ),
    )
}

pub fn injected_failure(w: &World, s: ScopeIdx, kind: OpKind) -> ErrorResponse {
    let action = if kind.is_add() { "add" } else { "drop" };
    ErrorResponse::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalServerError",
        format!(
            "[InternalServerError] Failed to run {action} principal assignment action for service Engine-{}. An internal error occurred (emulated fault).",
            w.clusters[s.cluster].name
        ),
    )
}

/// Registers an operation and its history entry; returns its index.
pub fn start(
    w: &mut World,
    ctx: &Ctx<'_>,
    s: ScopeIdx,
    name: &str,
    kind: OpKind,
    error: Option<ErrorResponse>,
) -> usize {
    let op = Operation {
        history_index: Some(w.history.len()),
        ..Operation::begin(&w.clusters[s.cluster], s, name, kind, ctx.lro_polls, error)
    };
    w.operations.push(op);
    w.operations.len() - 1
}

/// Records the write, then completes the operation at once when no polls are wanted.
pub fn finish_or_wait(
    w: &mut World,
    op: usize,
    sp: &ScopePath,
    name: &str,
    req: Option<&AssignmentRequest>,
    reply: &Reply,
) {
    let id = w.operations[op].id.clone();
    let method = if w.operations[op].kind.is_add() {
        "PUT"
    } else {
        "DELETE"
    };
    record(w, method, sp, name, req, reply, Some(id));
    w.finish_if_no_polls(op);
}

/// Appends one write to the history.
pub fn record(
    w: &mut World,
    method: &str,
    sp: &ScopePath,
    name: &str,
    req: Option<&AssignmentRequest>,
    reply: &Reply,
    op: Option<String>,
) {
    let scope = match &sp.database {
        None => sp.cluster.cluster.clone(),
        Some(d) => format!("{}/{d}", sp.cluster.cluster),
    };
    w.history.push(WriteRecord {
        at: timestamp(OffsetDateTime::now_utc()),
        method: method.to_string(),
        subscription: sp.cluster.subscription.clone(),
        resource_group: sp.cluster.resource_group.clone(),
        scope,
        name: name.to_string(),
        principal_id: req.map(|r| r.principal_id.clone()),
        principal_type: req.map(|r| r.principal_type),
        role: req.map(|r| r.role),
        status: reply.status.as_u16(),
        error_code: reply.error_code(),
        operation_status: op.as_ref().map(|_| "Running".to_string()),
        operation_id: op,
    });
}
