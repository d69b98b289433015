//! One request in, one response out: the order in which the emulator applies ARM's gates
//! (token → api-version → route → throttling → faults → the resource provider), the routing table
//! of the resource provider (`provider`), and the request log. Test hooks under `/_emulator/` go to
//! `hooks`, Entra ID's endpoints to `token` and `openid`, Graph to `graph`; `http_response` turns
//! every answer into the HTTP response.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body as HttpBody;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Request, Response, StatusCode};
use time::OffsetDateTime;

use super::assignment_operation;
use super::assignments;
use super::ctx::Ctx;
use super::databases;
use super::dataplane;
use super::faults::Fault;
use super::graph;
use super::headers::{recorded_headers, with_remaining};
use super::hooks;
use super::http_response::to_response;
use super::journal::RequestRecord;
use super::openid;
use super::operation_status::{self, timestamp};
use super::power;
use super::reply::{ErrorResponse, Reply};
use super::request_body::parse_assignment;
use super::resources;
use super::route::{self, PrincipalsAction, Route};
use super::shared::{Shared, lock};
use super::throttle::{OpClass, Remaining};
use super::token::{self, TokenContext};
use super::versions::{self, check_api_version};
use crate::vocab::{PrincipalType, ScopeKind};

/// The connection is to be dropped without an answer (an injected reset).
#[derive(Debug)]
pub struct Reset;

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by the emulator (injected fault)")
    }
}

impl std::error::Error for Reset {}

/// Serves one request.
pub async fn handle(
    shared: Arc<Shared>,
    req: Request<HttpBody>,
) -> Result<Response<HttpBody>, Reset> {
    let (parts, body) = req.into_parts();
    let raw = axum::body::to_bytes(body, 4 << 20)
        .await
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    if path.starts_with("/_emulator/") || path == "/_emulator" {
        return Ok(to_response(
            hooks::handle(&shared, &parts.method, &path, &parts.headers, &raw),
            &parts.headers,
            false,
        ));
    }
    let route = route::parse(&path);
    let graph_path = graph_path(&path).map(str::to_string);
    let kind = match graph_path {
        Some(_) => "graph",
        None => kind_of(&route, &parts.method),
    };
    lock(&shared.counts).bump(kind);
    if !shared.opts.latency.is_zero() {
        tokio::time::sleep(shared.opts.latency).await;
    }
    let request = (&parts, path.as_str(), query.as_str(), &raw[..]);
    let outcome = answer(&shared, &route, graph_path.as_deref(), request);
    let request_id = log_request(&shared, &parts.method, path, query, kind, outcome.as_ref());
    match outcome {
        Some(reply) => {
            let arm = !route.is_entra() && graph_path.is_none();
            let mut resp = to_response(reply, &parts.headers, arm);
            if let Ok(v) = request_id.parse() {
                resp.headers_mut().insert("x-ms-request-id", v);
            }
            Ok(resp)
        }
        None => Err(Reset),
    }
}

/// A request's answer by where it goes: Entra ID's endpoints, the Graph stand-in, or ARM through
/// its gates (`None`: reset the connection). `request` is the request's head, path, query and body.
fn answer(
    shared: &Shared,
    route: &Route,
    graph_path: Option<&str>,
    (parts, path, query, raw): (&Parts, &str, &str, &[u8]),
) -> Option<Reply> {
    match route {
        Route::Token { tenant } => Some(token_reply(shared, &parts.method, tenant, raw)),
        Route::OpenIdConfig { tenant } => {
            let tid = lock(&shared.world).tenant_id.clone();
            Some(openid::configuration(&shared.endpoint, &tid, tenant))
        }
        Route::Keys { tenant } => Some(openid::keys(&lock(&shared.world).tenant_id, tenant)),
        _ if graph_path.is_some() => Some(graph::reply(
            shared,
            &parts.method,
            &parts.headers,
            graph_path.unwrap_or_default(),
            query,
            raw,
        )),
        _ => arm(
            shared,
            route,
            &parts.method,
            &parts.headers,
            query,
            path,
            raw,
        ),
    }
}

/// Appends a served request to the request log (status 0: the connection was reset); returns the
/// request id it was logged under.
fn log_request(
    shared: &Shared,
    method: &Method,
    path: String,
    query: String,
    kind: &str,
    outcome: Option<&Reply>,
) -> String {
    let request_id = uuid::Uuid::new_v4().to_string();
    lock(&shared.requests).push(RequestRecord {
        at: timestamp(OffsetDateTime::now_utc()),
        method: method.as_str().to_string(),
        path,
        query,
        kind: kind.to_string(),
        status: outcome.map_or(0, |r| r.status.as_u16()),
        request_id: request_id.clone(),
    });
    request_id
}

/// The kind a request is counted under.
fn kind_of(route: &Route, method: &Method) -> &'static str {
    match (route, method.as_str()) {
        (Route::Token { .. }, _) => "token",
        (Route::OpenIdConfig { .. } | Route::Keys { .. }, _) => "discovery",
        (Route::AssignmentList(_), "GET") => "list",
        (Route::Assignment(..), "GET") => "get",
        (Route::Assignment(..), "PUT") => "put",
        (Route::Assignment(..), "DELETE") => "delete",
        (Route::OperationResult { .. }, "GET") => "operation",
        (Route::CheckName(_), "POST") => "check_name",
        (Route::ClusterList { .. }, "GET") => "cluster_list",
        (Route::Cluster(_), "GET") => "cluster_get",
        (Route::ClusterPower(_, route::PowerAction::Stop), "POST") => "cluster_stop",
        (Route::ClusterPower(_, route::PowerAction::Start), "POST") => "cluster_start",
        (Route::DatabaseList(_), "GET") => "database_list",
        (Route::Database(..), "GET") => "database_get",
        (Route::Database(..), "PUT") => "database_put",
        (Route::Database(..), "DELETE") => "database_delete",
        (Route::Principals(_, PrincipalsAction::List), "POST") => "list_principals",
        (Route::Principals(_, PrincipalsAction::Add), "POST") => "add_principals",
        (Route::Principals(_, PrincipalsAction::Remove), "POST") => "remove_principals",
        _ => "other",
    }
}

/// The part of a Microsoft Graph path after `/v1.0`, if it is one.
fn graph_path(path: &str) -> Option<&str> {
    path.strip_prefix("/v1.0")
        .filter(|rest| rest.starts_with('/'))
}

fn token_reply(shared: &Shared, method: &Method, tenant: &str, raw: &[u8]) -> Reply {
    if method != Method::POST {
        return Reply::empty(StatusCode::METHOD_NOT_ALLOWED);
    }
    let world = lock(&shared.world);
    let authority = lock(&shared.authority);
    let ctx = TokenContext {
        tenant_id: &world.tenant_id,
        tenant_name: &world.tenant_name,
        credentials: &world.credentials,
        authority: &authority,
        lifetime: shared.opts.token_lifetime,
    };
    token::token(&ctx, tenant, raw).with_header("Cache-Control", "no-store, no-cache")
}

/// An ARM request through every gate; `None` means reset the connection.
#[allow(clippy::too_many_arguments)] // reason: one call site; a struct would only rename these
fn arm(
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

/// The resource provider proper.
fn provider(
    shared: &Shared,
    route: &Route,
    method: &Method,
    ctx: &Ctx<'_>,
    raw: &[u8],
    location_form: bool,
) -> Reply {
    let mut w = lock(&shared.world);
    w.tick(shared.opts.lro_timeout);
    match (route, method.as_str()) {
        (Route::AssignmentList(s), "GET") => assignments::list(&w, ctx, s),
        (Route::Assignment(s, n), "GET") => assignments::get(&w, s, n),
        (Route::Assignment(s, n), "PUT") => assignments::put(&mut w, ctx, s, n, raw),
        (Route::Assignment(s, n), "DELETE") => assignments::delete(&mut w, ctx, s, n),
        (Route::CheckName(s), "POST") => assignments::check_name(&w, s, raw),
        (
            Route::OperationResult {
                subscription, id, ..
            },
            "GET",
        ) => operation_status::poll(
            &mut w,
            subscription,
            id,
            location_form,
            ctx.endpoint,
            ctx.api_version,
        ),
        (
            Route::ClusterList {
                subscription,
                resource_group,
            },
            "GET",
        ) => resources::list_clusters(&w, ctx, subscription, resource_group.as_deref()),
        (Route::Cluster(c), "GET") => resources::get_cluster(&w, c),
        (Route::ClusterPower(c, a), "POST") => power::power(&mut w, ctx, c, *a),
        (Route::DatabaseList(c), "GET") => resources::list_databases(&w, ctx, c),
        (Route::Database(c, d), "GET") => resources::get_database(&w, c, d),
        (Route::Database(c, d), "PUT") => databases::put(&mut w, ctx, c, d, raw),
        (Route::Database(c, d), "DELETE") => databases::delete(&mut w, ctx, c, d),
        (Route::Principals(s, a), "POST") => dataplane::handle(&mut w, ctx, s, *a, raw),
        _ => ErrorResponse::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The requested resource does not support http method '{method}'."),
        )
        .reply(),
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
