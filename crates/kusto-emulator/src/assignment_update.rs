//! A PUT to an assignment name that exists.
//!
//! | PUT of an existing name                    | answer                                                  |
//! |--------------------------------------------|---------------------------------------------------------|
//! | same principal, type, role and tenant      | 200, `Succeeded`, no operation                          |
//! | anything changed (an in-place role change) | 200, `provisioningState: Accepted` + `Azure-AsyncOperation`; the operation (`ServicePrincipalAssignmentsAdd` / `DatabaseAddPrincipals`) then ends `Succeeded` and the engine follows, or `Failed` and the old assignment stays |
//!
//! (recorded by Azure Service Operator's live test: an in-place role change answered 200 +
//! `Accepted` + `Azure-AsyncOperation`, unlike an identical re-PUT.)

use axum::http::StatusCode;

use super::assignment_operation::{finish_or_wait, operation_error, record, start};
use super::assignment_resource::resource;
use super::ctx::Ctx;
use super::operation_status::urls;
use super::reply::Reply;
use super::request_body::AssignmentRequest;
use super::route::ScopePath;
use super::world::{OpKind, Provisioning, ScopeIdx, Stored, World};

/// The PUT of an existing assignment `i` of scope `s`.
pub fn update(
    w: &mut World,
    ctx: &Ctx<'_>,
    (s, sp, name): (ScopeIdx, &ScopePath, &str),
    i: usize,
    req: &AssignmentRequest,
) -> Reply {
    let old = w.assignments(s)[i].clone();
    let new = req.to_state(old.spec.name.clone());
    let same = new
        .principal_id
        .eq_ignore_ascii_case(&old.spec.principal_id)
        && new.principal_type == old.spec.principal_type
        && new.role == old.spec.role
        && new.tenant_id == old.spec.tenant_id;
    if same || old.provisioning != Provisioning::Succeeded {
        // Nothing to change, or a create still running: answered at once, as before.
        w.assignments_mut(s)[i].spec = new.clone();
        let echo = Stored {
            spec: new,
            provisioning: Provisioning::Succeeded,
        };
        let reply = Reply::json(StatusCode::OK, resource(w, s, &echo, false));
        record(w, "PUT", sp, name, Some(req), &reply, None);
        return reply;
    }
    let error = operation_error(w, ctx, s, OpKind::Add);
    let a = &mut w.assignments_mut(s)[i];
    a.spec = new;
    a.provisioning = Provisioning::Accepted;
    let echo = a.clone();
    let reply = Reply::json(StatusCode::OK, resource(w, s, &echo, false));
    let op = start(w, ctx, s, name, OpKind::Add, error);
    w.operations[op].previous = Some(old.spec);
    let (async_url, _) = urls(ctx.endpoint, &w.operations[op], ctx.api_version);
    let reply = reply.with_header("Azure-AsyncOperation", async_url);
    finish_or_wait(w, op, sp, name, Some(req), &reply);
    reply
}
