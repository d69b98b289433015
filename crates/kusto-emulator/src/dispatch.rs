//! One request in, one response out: where it goes (test hooks under `/_emulator/` to `hooks`, Entra
//! ID's endpoints to `token` and `openid`, Graph to `graph`, the rest through ARM's `gates`), what
//! it is counted as, the request log, and `http_response` turning the answer into the HTTP
//! response.

use std::sync::Arc;

use axum::body::Body as HttpBody;
use axum::http::request::Parts;
use axum::http::{Method, Request, Response, StatusCode};
use time::OffsetDateTime;

use super::gates::arm;
use super::graph;
use super::hooks;
use super::http_response::to_response;
use super::journal::RequestRecord;
use super::openid;
use super::operation_status::timestamp;
use super::reply::Reply;
use super::route::{self, PrincipalsAction, Route};
use super::shared::{Shared, lock};
use super::token::{self, TokenContext};

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
