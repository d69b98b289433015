//! Principal assignments at cluster and database scope: list, get, create or update, delete and
//! check-name, with the real service's semantics (docs/arm-service.md §2):
//!
//! | request                        | answer                                                        |
//! |--------------------------------|---------------------------------------------------------------|
//! | PUT, new name                  | 201 + `Azure-AsyncOperation`, echo + `provisioningState: Creating` |
//! | PUT, existing name, unchanged  | 200, echo + `Succeeded`                                       |
//! | PUT, existing name, changed    | 200, echo + `Accepted` + `Azure-AsyncOperation` (see `assignment_update`) |
//! | PUT, principal+role held elsewhere | 400 "Cannot add PrincipalAssignment resource …"          |
//! | DELETE, existing               | 202 + `Location` + `Azure-AsyncOperation`, empty body         |
//! | DELETE, missing                | 204                                                           |
//! | GET / list                     | resolved fields (`tenantName`, `principalName`, `aadObjectId`) once provisioned |

use axum::http::StatusCode;
use serde_json::Value;

use super::assignment_operation::{finish_or_wait, operation_error, record, start};
use super::assignment_resource::resource;
use super::assignment_update::update;
use super::ctx::{Ctx, check_write};
use super::followers;
use super::operation_status::urls;
use super::paging::page;
use super::reply::{ErrorResponse, Reply};
use super::request_body::{AssignmentRequest, parse_assignment, parse_check_name};
use super::route::ScopePath;
use super::world::{OpKind, Provisioning, ScopeIdx, Stored, World, resource_not_found};
use crate::vocab::ScopeKind;

pub fn list(w: &World, ctx: &Ctx<'_>, sp: &ScopePath) -> Reply {
    let s = match w.find_scope(sp) {
        Ok(s) => s,
        Err(e) => return e.reply(),
    };
    let items: Vec<Value> = w
        .assignments(s)
        .iter()
        .map(|a| serde_json::to_value(resource(w, s, a, true)).expect("bodies serialise"))
        .collect();
    Reply::json(StatusCode::OK, page(items, ctx))
}

pub fn get(w: &World, sp: &ScopePath, name: &str) -> Reply {
    let s = match w.find_scope(sp) {
        Ok(s) => s,
        Err(e) => return e.reply(),
    };
    match w.position(s, name) {
        Some(i) => Reply::json(StatusCode::OK, resource(w, s, &w.assignments(s)[i], true)),
        None => missing(w, s, sp, name).reply(),
    }
}

fn missing(w: &World, s: ScopeIdx, sp: &ScopePath, name: &str) -> ErrorResponse {
    let c = &w.clusters[s.cluster];
    let resource = match s.database {
        None => format!(
            "Microsoft.Kusto/clusters/{}/principalAssignments/{name}",
            c.name
        ),
        Some(d) => format!(
            "Microsoft.Kusto/clusters/{}/databases/{}/principalAssignments/{name}",
            c.name, c.databases[d].name
        ),
    };
    resource_not_found(&resource, &sp.cluster.resource_group)
}

/// PUT: create (201 + operation) or update in place (200).
pub fn put(w: &mut World, ctx: &Ctx<'_>, sp: &ScopePath, name: &str, raw: &[u8]) -> Reply {
    let kind = if sp.database.is_some() {
        ScopeKind::Database
    } else {
        ScopeKind::Cluster
    };
    let parsed = parse_assignment(raw, kind, ctx.api_version);
    let req = parsed.as_ref().ok();
    let result = w
        .find_scope(sp)
        .and_then(|s| parsed.clone().map(|r| (s, r)))
        .and_then(|(s, r)| check_write(w, ctx, s).map(|()| (s, r)))
        .and_then(|(s, r)| {
            followers::check_write(w, s, ctx.refuse_none_follower_writes).map(|()| (s, r))
        })
        .and_then(|(s, r)| check_duplicate(w, ctx, s, name, &r).map(|()| (s, r)));
    let (s, req_ok) = match result {
        Ok(v) => v,
        Err(e) => {
            let reply = e.reply();
            record(w, "PUT", sp, name, req, &reply, None);
            return reply;
        }
    };
    if let Some(i) = w.position(s, name) {
        return update(w, ctx, (s, sp, name), i, &req_ok);
    }
    let stored = Stored {
        spec: req_ok.to_state(name.to_string()),
        provisioning: Provisioning::Creating,
    };
    let age = w.started.elapsed();
    let error = operation_error(w, ctx, s, OpKind::Add).or_else(|| {
        w.directory
            .resolve(req_ok.principal_type, &req_ok.principal_id, Some(age))
            .is_none()
            .then(|| aad_not_found(w, s))
    });
    let reply = Reply::json(StatusCode::CREATED, resource(w, s, &stored, false));
    w.assignments_mut(s).push(stored);
    let op = start(w, ctx, s, name, OpKind::Add, error);
    let (async_url, _) = urls(ctx.endpoint, &w.operations[op], ctx.api_version);
    let reply = reply.with_header("Azure-AsyncOperation", async_url);
    finish_or_wait(w, op, sp, name, req, &reply);
    reply
}

/// DELETE: 202 + operation for an existing assignment, 204 for a missing one.
pub fn delete(w: &mut World, ctx: &Ctx<'_>, sp: &ScopePath, name: &str) -> Reply {
    let s = match w
        .find_scope(sp)
        .and_then(|s| check_write(w, ctx, s).map(|()| s))
        .and_then(|s| followers::check_write(w, s, ctx.refuse_none_follower_writes).map(|()| s))
    {
        Ok(s) => s,
        Err(e) => {
            let reply = e.reply();
            record(w, "DELETE", sp, name, None, &reply, None);
            return reply;
        }
    };
    let Some(i) = w.position(s, name) else {
        let reply = Reply::empty(StatusCode::NO_CONTENT);
        record(w, "DELETE", sp, name, None, &reply, None);
        return reply;
    };
    let existing = AssignmentRequest::from_state(&w.assignments(s)[i].spec);
    w.assignments_mut(s)[i].provisioning = Provisioning::Deleting;
    let error = operation_error(w, ctx, s, OpKind::Drop);
    let op = start(w, ctx, s, name, OpKind::Drop, error);
    let (async_url, location) = urls(ctx.endpoint, &w.operations[op], ctx.api_version);
    let reply = Reply::empty(StatusCode::ACCEPTED)
        .with_header("Location", location)
        .with_header("Azure-AsyncOperation", async_url);
    finish_or_wait(w, op, sp, name, Some(&existing), &reply);
    reply
}

/// POST `checkPrincipalAssignmentNameAvailability`.
pub fn check_name(w: &World, sp: &ScopePath, raw: &[u8]) -> Reply {
    let s = match w.find_scope(sp) {
        Ok(s) => s,
        Err(e) => return e.reply(),
    };
    let name = match parse_check_name(raw, s.kind()) {
        Ok(n) => n,
        Err(e) => return e.reply(),
    };
    let message = match (w.position(s, &name), s.database) {
        (None, _) => String::new(),
        (Some(_), None) => format!(
            "Cluster principal assignment {name} already exists in cluster {}. Please select a different principal assignment name.",
            w.clusters[s.cluster].name
        ),
        (Some(_), Some(d)) => format!(
            "Database principal assignment {name} already exists in database {}. Please select a different principal assignment name.",
            w.clusters[s.cluster].databases[d].name
        ),
    };
    Reply::json(
        StatusCode::OK,
        serde_json::json!({"name": name, "nameAvailable": message.is_empty(), "message": message}),
    )
}

/// The same principal may hold a role only once per scope (P5). Whether Azure compares the
/// resolved principal or the `principalId` strings is not known: by default the emulator compares
/// the resolved object (a user sent by UPN clashes with the same user sent by object id), and
/// `raw_duplicates` compares the strings instead.
fn check_duplicate(
    w: &World,
    ctx: &Ctx<'_>,
    s: ScopeIdx,
    name: &str,
    r: &AssignmentRequest,
) -> Result<(), ErrorResponse> {
    let who = |id: &str| match ctx.raw_duplicates {
        true => id.trim().to_lowercase(),
        false => w.directory.identity(r.principal_type, id),
    };
    let wanted = who(&r.principal_id);
    let clash = w.assignments(s).iter().find(|a| {
        !a.spec.name.eq_ignore_ascii_case(name)
            && a.spec.role == r.role
            && (ctx.raw_duplicates || a.spec.principal_type == r.principal_type)
            && who(&a.spec.principal_id) == wanted
    });
    match clash {
        None => Ok(()),
        Some(a) => Err(ErrorResponse::bad_request(format!(
            "Cannot add PrincipalAssignment resource '{name}'. A PrincipalAssignment resource (name: '{}') already exists with the same role and principal id",
            a.spec.name
        ))),
    }
}

fn aad_not_found(w: &World, s: ScopeIdx) -> ErrorResponse {
    ErrorResponse::new(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!(
            "[NotFound] Failed to run add principal assignment action for service Engine-{}. AAD principal was not found.",
            w.clusters[s.cluster].name
        ),
    )
}
