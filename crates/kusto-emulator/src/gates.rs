//! An ARM request through every gate, in the order the emulator applies them: token →
//! api-version → route → throttling → faults → the resource provider (`provider`), then the headers
//! the recordings show. A write refused at a gate still goes into the write history.

use std::time::Instant;

use axum::http::{HeaderMap, Method, StatusCode};

use super::assignment_operation;
use super::ctx::Ctx;
use super::faults::Fault;
use super::headers::{recorded_headers, with_remaining};
use super::provider::provider;
use super::reply::{ErrorResponse, Reply};
use super::request_body::parse_assignment;
use super::route::Route;
use super::shared::{Shared, lock};
use super::throttle::{OpClass, Remaining};
use super::versions::{self, check_api_version};
use crate::vocab::{PrincipalType, ScopeKind};

/// An ARM request through every gate; `None` means reset the connection.
#[allow(clippy::too_many_arguments)] // reason: one call site; a struct would only rename these
pub fn arm(
    shared: &Shared,
    route: &Route,
    method: &Method,
    headers: &HeaderMap,
    query: &str,
    path: &str,
    raw: &[u8],
) -> Option<Reply> {
    let refused = |reply: Reply| Some(early_write(shared, route, method, raw, reply));
    let (caller, operation_identifier) = match authenticate(shared, headers) {
        Ok(who) => who,
        Err(reply) => return refused(reply),
    };
    let api_version = match check_api_version(query_param(query, "api-version")) {
        Ok(v) => v,
        Err(e) => return refused(e.reply()),
    };
    if matches!(route, Route::Unknown) || route.is_entra() {
        let msg = format!(
            "No HTTP resource was found that matches the request URI '{}{path}'.",
            shared.endpoint
        );
        return Some(ErrorResponse::new(StatusCode::NOT_FOUND, "NotFound", msg).reply());
    }
    let class = OpClass::from_method(method.as_str());
    let remaining = match throttle(shared, route, class) {
        Ok(r) => r,
        Err(reply) => return refused(reply),
    };
    let fault = lock(&shared.faults).draw();
    if fault == Some(Fault::Reset) {
        let reset = StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST);
        early_write(shared, route, method, raw, Reply::empty(reset));
        return None;
    }
    let fault_reply = fault.and_then(|f| f.reply(class));
    if let Some(reply) = fault_reply {
        return refused(reply);
    }
    let ctx = request_ctx(shared, &api_version, path, query, &caller, fault);
    let location_form = query_param(query, "operationResultResponseType")
        .is_some_and(|v| v.eq_ignore_ascii_case("Location"));
    let reply = provider(shared, route, method, &ctx, raw, location_form);
    Some(recorded_headers(
        with_remaining(reply, &remaining),
        route,
        method,
        &operation_identifier,
        location_form,
    ))
}

/// The bearer token's caller (`appid`) and the operation identifier ARM reports for it, or the
/// 401 with its `WWW-Authenticate` challenge.
fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<(String, String), Reply> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    let checked = lock(&shared.authority).check(auth);
    match checked {
        Ok(claims) => {
            // As recorded: the caller's tenant and the object id of its service principal.
            let object_id = lock(&shared.world)
                .directory
                .entry(PrincipalType::App, &claims.appid)
                .map_or_else(|| claims.sub.clone(), |e| e.object_id.clone());
            let ident = format!(
                "tenantId={},objectId={object_id}/local/{}",
                claims.tid,
                uuid::Uuid::new_v4()
            );
            Ok((claims.appid, ident))
        }
        Err(e) => {
            let tenant = lock(&shared.world).tenant_id.clone();
            let challenge = format!(
                "Bearer authorization_uri=\"{}/{tenant}\", error=\"invalid_token\", error_description=\"{}\"",
                shared.endpoint, e.code
            );
            Err(e.reply().with_header("WWW-Authenticate", challenge))
        }
    }
}

/// A query parameter (names compare without case), decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.into_owned())
}

/// A token from the subscription's bucket for this class of request, or the 429 with
/// `Retry-After` and the remaining budgets.
fn throttle(shared: &Shared, route: &Route, class: OpClass) -> Result<Remaining, Reply> {
    let sub = route.subscription().unwrap_or_default().to_string();
    match lock(&shared.buckets).take(&sub, class, Instant::now()) {
        Ok(r) => Ok(r),
        Err(t) => {
            let reply =
                ErrorResponse::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", t.message)
                    .reply()
                    .with_header("Retry-After", t.retry_after.as_secs().to_string());
            Err(with_remaining(reply, &t.remaining))
        }
    }
}

/// What the resource provider needs of this request, its knobs and the fault drawn for it.
fn request_ctx<'a>(
    shared: &'a Shared,
    api_version: &'a str,
    path: &'a str,
    query: &str,
    caller: &'a str,
    fault: Option<Fault>,
) -> Ctx<'a> {
    let skip = query_param(query, "$skiptoken")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Ctx {
        endpoint: &shared.endpoint,
        api_version,
        path,
        skip,
        page_size: shared.opts.page_size,
        lro_polls: shared.opts.lro_polls,
        write_conflicts: shared.opts.write_conflicts,
        raw_duplicates: shared.opts.raw_duplicates,
        refuse_none_follower_writes: shared.opts.refuse_none_follower_writes,
        fail_operation: fault == Some(Fault::FailOperation),
        faults: &shared.faults,
        caller,
        caller_role: query_param(query, "callerRole"),
    }
}

/// A write refused before it reached the resource provider still goes into the write history.
fn early_write(shared: &Shared, route: &Route, method: &Method, raw: &[u8], reply: Reply) -> Reply {
    let Route::Assignment(sp, name) = route else {
        return reply;
    };
    let req = match method.as_str() {
        "PUT" => {
            let kind = if sp.database.is_some() {
                ScopeKind::Database
            } else {
                ScopeKind::Cluster
            };
            parse_assignment(raw, kind, versions::newest()).ok()
        }
        "DELETE" => None,
        _ => return reply,
    };
    let mut w = lock(&shared.world);
    assignment_operation::record(
        &mut w,
        method.as_str(),
        sp,
        name,
        req.as_ref(),
        &reply,
        None,
    );
    if reply.status.as_u16() == 499
        && let Some(last) = w.history.last_mut()
    {
        last.status = 0;
    }
    reply
}
