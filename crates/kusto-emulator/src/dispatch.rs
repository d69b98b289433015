//! One request in, one response out: the order in which the emulator applies ARM's gates
//! (token → api-version → route → throttling → faults → the resource provider), the common
//! response headers, and the request log. Test hooks under `/_emulator/` go to `hooks`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use axum::body::Body as HttpBody;
use axum::http::{HeaderMap, Method, Request, Response, StatusCode};
use time::OffsetDateTime;

use super::assignments::{self, Ctx};
use super::auth::TokenAuthority;
use super::body::parse_assignment;
use super::databases;
use super::dataplane;
use super::faults::{Fault, Faults};
use super::graph;
use super::hooks;
use super::journal::{RequestCounts, RequestRecord};
use super::operations::{self, timestamp};
use super::options::EmulatorOptions;
use super::reply::{ArmError, Reply};
use super::resources;
use super::respond::to_response;
use super::route::{self, PrincipalsAction, Route};
use super::service_state;
use super::state::EmulatorState;
use super::throttle::{Buckets, OpClass};
use super::token::{self, TokenContext};
use super::world::World;
use crate::vocab::ScopeKind;

/// The api-versions the emulator serves.
pub const API_VERSIONS: [&str; 2] = ["2024-04-13", "2025-02-14"];

/// Everything the server shares between connections.
pub struct Shared {
    pub world: Mutex<World>,
    pub seed: Mutex<EmulatorState>,
    pub counts: Mutex<RequestCounts>,
    pub requests: Mutex<Vec<RequestRecord>>,
    pub buckets: Mutex<Buckets>,
    pub faults: Mutex<Faults>,
    pub authority: Mutex<TokenAuthority>,
    pub opts: EmulatorOptions,
    pub endpoint: String,
    /// Test hooks need no token when the emulator listens on loopback only.
    pub loopback: bool,
}

/// The connection is to be dropped without an answer (an injected reset).
#[derive(Debug)]
pub struct Reset;

impl std::fmt::Display for Reset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by the emulator (injected fault)")
    }
}

impl std::error::Error for Reset {}

/// Locks a mutex, ignoring poisoning (a panicked handler leaves data that is still consistent
/// enough for an emulator).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

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
    let method = parts.method.as_str().to_string();
    let outcome = match &route {
        Route::Token { tenant } => Some(token_reply(&shared, &parts.method, tenant, &raw)),
        _ if graph_path.is_some() => Some(graph_reply(
            &shared,
            &parts.method,
            &parts.headers,
            graph_path.as_deref().unwrap_or_default(),
            &query,
            &raw,
        )),
        _ => arm(
            &shared,
            &route,
            &parts.method,
            &parts.headers,
            &query,
            &path,
            &raw,
        ),
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let status = outcome.as_ref().map_or(0, |r| r.status.as_u16());
    lock(&shared.requests).push(RequestRecord {
        at: timestamp(OffsetDateTime::now_utc()),
        method,
        path,
        query,
        kind: kind.to_string(),
        status,
        request_id: request_id.clone(),
    });
    match outcome {
        Some(reply) => {
            let arm = !matches!(route, Route::Token { .. }) && graph_path.is_none();
            let mut resp = to_response(reply, &parts.headers, arm);
            if let Ok(v) = request_id.parse() {
                resp.headers_mut().insert("x-ms-request-id", v);
            }
            Ok(resp)
        }
        None => Err(Reset),
    }
}

/// The kind a request is counted under.
fn kind_of(route: &Route, method: &Method) -> &'static str {
    match (route, method.as_str()) {
        (Route::Token { .. }, _) => "token",
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

/// A Graph request: a Graph token, then the directory (Graph's error shape throughout).
fn graph_reply(
    shared: &Shared,
    method: &Method,
    headers: &HeaderMap,
    path: &str,
    query: &str,
    raw: &[u8],
) -> Reply {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if let Err(e) = lock(&shared.authority).check_graph(auth) {
        let message = match e.code.as_str() {
            "InvalidAuthenticationToken" if e.message.contains("audience") => {
                "Access token validation failure. Invalid audience.".to_string()
            }
            "AuthenticationFailed" => "Access token is empty.".to_string(),
            _ => e.message,
        };
        return graph::error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            &message,
        );
    }
    let w = lock(&shared.world);
    graph::handle(&w, method.as_str(), path, query, raw)
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
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    let checked = lock(&shared.authority).check(auth);
    let caller = match checked {
        Ok(claims) => claims.appid,
        Err(e) => {
            let tenant = lock(&shared.world).tenant_id.clone();
            let challenge = format!(
                "Bearer authorization_uri=\"{}/{tenant}\", error=\"invalid_token\", error_description=\"{}\"",
                shared.endpoint, e.code
            );
            return Some(early_write(
                shared,
                route,
                method,
                raw,
                e.reply().with_header("WWW-Authenticate", challenge),
            ));
        }
    };
    let q = |name: &str| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.into_owned())
    };
    let api_version = match check_api_version(q("api-version")) {
        Ok(v) => v,
        Err(e) => return Some(early_write(shared, route, method, raw, e.reply())),
    };
    if matches!(route, Route::Unknown | Route::Token { .. }) {
        let msg = format!(
            "No HTTP resource was found that matches the request URI '{}{path}'.",
            shared.endpoint
        );
        return Some(ArmError::new(StatusCode::NOT_FOUND, "NotFound", msg).reply());
    }
    let class = OpClass::from_method(method.as_str());
    let sub = route.subscription().unwrap_or_default().to_string();
    let remaining = match lock(&shared.buckets).take(&sub, class, Instant::now()) {
        Ok(n) => n,
        Err(t) => {
            let reply = ArmError::new(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", t.message)
                .reply()
                .with_header("Retry-After", t.retry_after.as_secs().to_string())
                .with_header(
                    &format!(
                        "x-ms-ratelimit-remaining-subscription-{}",
                        class.header_word()
                    ),
                    "0",
                );
            return Some(early_write(shared, route, method, raw, reply));
        }
    };
    let fault = lock(&shared.faults).draw();
    if fault == Some(Fault::Reset) {
        let reset = StatusCode::from_u16(499).unwrap_or(StatusCode::BAD_REQUEST);
        early_write(shared, route, method, raw, Reply::empty(reset));
        return None;
    }
    let fault_reply = fault.and_then(|f| f.reply(class));
    if let Some(reply) = fault_reply {
        return Some(early_write(shared, route, method, raw, reply));
    }
    let skip = q("$skiptoken").and_then(|s| s.parse().ok()).unwrap_or(0);
    let ctx = Ctx {
        endpoint: &shared.endpoint,
        api_version: &api_version,
        path,
        skip,
        page_size: shared.opts.page_size,
        lro_polls: shared.opts.lro_polls,
        write_conflicts: shared.opts.write_conflicts,
        raw_duplicates: shared.opts.raw_duplicates,
        refuse_none_follower_writes: shared.opts.refuse_none_follower_writes,
        fail_operation: fault == Some(Fault::FailOperation),
        faults: &shared.faults,
        caller: &caller,
        caller_role: q("callerRole"),
    };
    let location_form =
        q("operationResultResponseType").is_some_and(|v| v.eq_ignore_ascii_case("Location"));
    let reply = provider(shared, route, method, &ctx, raw, location_form);
    let word = class.header_word();
    Some(
        reply
            .with_header(
                &format!("x-ms-ratelimit-remaining-subscription-{word}"),
                remaining.to_string(),
            )
            .with_header(
                &format!("x-ms-ratelimit-remaining-subscription-global-{word}"),
                (remaining * 15).to_string(),
            ),
    )
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
        ) => operations::poll(
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
        (Route::ClusterPower(c, a), "POST") => service_state::power(&mut w, ctx, c, *a),
        (Route::DatabaseList(c), "GET") => resources::list_databases(&w, ctx, c),
        (Route::Database(c, d), "GET") => resources::get_database(&w, c, d),
        (Route::Database(c, d), "PUT") => databases::put(&mut w, ctx, c, d, raw),
        (Route::Database(c, d), "DELETE") => databases::delete(&mut w, ctx, c, d),
        (Route::Principals(s, a), "POST") => dataplane::handle(&mut w, ctx, s, *a, raw),
        _ => ArmError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The requested resource does not support http method '{method}'."),
        )
        .reply(),
    }
}

/// `api-version` is required and must be one the emulator serves.
fn check_api_version(v: Option<String>) -> Result<String, ArmError> {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        return Err(ArmError::new(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        ));
    };
    if API_VERSIONS.contains(&v.as_str()) {
        return Ok(v);
    }
    let supported = API_VERSIONS.join(", ");
    let date_like = v.len() >= 10
        && v.as_bytes()[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    Err(if date_like {
        ArmError::new(
            StatusCode::BAD_REQUEST,
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for location 'eastus' and API version '{v}' for type 'clusters'. The supported api-versions are '{supported}'."
            ),
        )
    } else {
        ArmError::new(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            format!("The api-version '{v}' is invalid. The supported versions are '{supported}'."),
        )
    })
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
            parse_assignment(raw, kind).ok()
        }
        "DELETE" => None,
        _ => return reply,
    };
    let mut w = lock(&shared.world);
    assignments::record(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_are_required_and_checked() {
        assert_eq!(
            check_api_version(None).unwrap_err().code,
            "MissingApiVersionParameter"
        );
        assert_eq!(
            check_api_version(Some("2024-04-13".into())).unwrap(),
            "2024-04-13"
        );
        assert_eq!(
            check_api_version(Some("2025-02-14".into())).unwrap(),
            "2025-02-14"
        );
        assert_eq!(
            check_api_version(Some("2019-01-21".into()))
                .unwrap_err()
                .code,
            "NoRegisteredProviderFound"
        );
        assert_eq!(
            check_api_version(Some("latest".into())).unwrap_err().code,
            "InvalidApiVersionParameter"
        );
    }
}
