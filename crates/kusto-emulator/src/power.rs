//! `POST …/clusters/{c}/stop` and `/start`: the operations that move a cluster between its states
//! (see `service_state` for what each state answers).
//!
//! `stop` on a running cluster answers 202 and moves it through `Stopping` to `Stopped`; `start`
//! through `Starting` to `Running`; each is an operation like any other (polls, `Location`,
//! `Azure-AsyncOperation`). A stop of a cluster that is not running, or a start of one that is not
//! stopped, is refused with 409 (the exact answer of Azure is not recorded).

use axum::http::StatusCode;

use super::ctx::{Ctx, check_write};
use super::operation_status::urls;
use super::reply::{ErrorResponse, Reply};
use super::route::{ClusterPath, PowerAction};
use super::service_state::ClusterPowerState;
use super::world::{OpKind, Operation, ScopeIdx, World};

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
        return ErrorResponse::new(
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
    w.finish_if_no_polls(i);
    Reply::empty(StatusCode::ACCEPTED)
        .with_header("Location", location)
        .with_header("Azure-AsyncOperation", async_url)
}
