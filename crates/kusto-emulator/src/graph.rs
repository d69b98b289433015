//! A Microsoft Graph stand-in (`/v1.0/…`) for the lookups a reconciler needs, over the emulator's
//! directory, with Graph's JSON shapes and errors. Tokens come from the same token endpoint with
//! scope `https://graph.microsoft.com/.default`; ARM tokens are refused here, and Graph tokens by ARM.
//!
//! | request                                          | answer                                        |
//! |--------------------------------------------------|-----------------------------------------------|
//! | `GET /v1.0/users/{object id or UPN}`             | the user (`id`, `displayName`, `mail`, `userPrincipalName`, …) |
//! | `GET /v1.0/users?$filter=mail eq '…'`            | `{"value": [...]}`; also `displayName`, `userPrincipalName`, joined with `or` |
//! | `GET /v1.0/groups/{object id}`                   | the group (`id`, `displayName`, `mail`, `securityEnabled`, …) |
//! | `GET /v1.0/groups?$filter=displayName eq '…'`    | `{"value": [...]}`; also `mail`               |
//! | `GET /v1.0/servicePrincipals(appId='…')`         | the service principal (`id` is its object id, `appId`) |
//! | `GET /v1.0/servicePrincipals/{object id}`        | the same                                      |
//! | `POST /v1.0/$batch`                              | up to 20 of the GETs above, answered in `responses` |
//! | anything not found                               | 404 `Request_ResourceNotFound`, Graph's error shape with `innerError` |
//!
//! Users are found by object id or user principal name only, as in Graph (a mail needs `$filter`).
//! A principal still inside its replication lag (`lag_secs`, `--aad-lag-secs`) is not found yet.
//! With an open directory (no `directory` in the state), a direct lookup finds any principal
//! (with the synthetic object id ARM reads show) and a filter finds only the emulator's client.

use std::time::Duration;

use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};

use super::graph_shape::{
    app_id_key, collection, error, no_segment, not_found, open_entry, parse_filter, property, shape,
};
use super::reply::Reply;
use super::route::percent_decode;
use super::shared::{Shared, lock};
use super::state::DirectoryEntry;
use super::world::World;
use crate::vocab::PrincipalType;

const BASE: &str = "https://graph.microsoft.com/v1.0";

/// A Graph request: a Graph token, then the directory (Graph's error shape throughout).
pub fn reply(
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
        return error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            &message,
        );
    }
    let w = lock(&shared.world);
    handle(&w, method.as_str(), path, query, raw)
}

/// One Graph request (`path` below `/v1.0`, the query undecoded) against the world.
pub fn handle(w: &World, method: &str, path: &str, query: &str, body: &[u8]) -> Reply {
    match (method, path) {
        ("POST", "/$batch") => batch(w, body),
        ("GET", _) => get(w, path, query),
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            &format!("The request method '{method}' is not supported by the Graph stand-in."),
        ),
    }
}

fn get(w: &World, path: &str, query: &str) -> Reply {
    let age = Some(w.started.elapsed());
    let segs: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect();
    let seg: Vec<&str> = segs.iter().map(String::as_str).collect();
    let filter = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("$filter"))
        .map(|(_, v)| v.into_owned());
    match seg.as_slice() {
        [c] if c.eq_ignore_ascii_case("users") => list(w, PrincipalType::User, filter, age),
        [c] if c.eq_ignore_ascii_case("groups") => list(w, PrincipalType::Group, filter, age),
        [c] if c.eq_ignore_ascii_case("servicePrincipals") => {
            list(w, PrincipalType::App, filter, age)
        }
        [c, id] if c.eq_ignore_ascii_case("users") => one(w, PrincipalType::User, id, age, |e| {
            e.object_id.eq_ignore_ascii_case(id)
                || e.user_principal_name()
                    .is_some_and(|u| u.eq_ignore_ascii_case(id))
        }),
        [c, id] if c.eq_ignore_ascii_case("groups") => one(w, PrincipalType::Group, id, age, |e| {
            e.object_id.eq_ignore_ascii_case(id)
        }),
        [c, id] if c.eq_ignore_ascii_case("servicePrincipals") => {
            one(w, PrincipalType::App, id, age, |e| {
                e.object_id.eq_ignore_ascii_case(id)
            })
        }
        [c] => match app_id_key(c) {
            Some(app) => one(w, PrincipalType::App, &app, age, |e| {
                e.id.eq_ignore_ascii_case(&app)
            }),
            None => no_segment(path),
        },
        _ => no_segment(path),
    }
}

/// One principal by key, or Graph's 404.
fn one(
    w: &World,
    ty: PrincipalType,
    id: &str,
    age: Option<Duration>,
    matches: impl Fn(&DirectoryEntry) -> bool,
) -> Reply {
    let dir = &w.directory;
    let found = dir
        .all()
        .iter()
        .enumerate()
        .find(|(_, e)| e.principal_type == ty && matches(e));
    let entry = match found {
        Some((i, e)) if dir.visible(i, age) => e.clone(),
        Some(_) => return not_found(id),
        None if !dir.is_closed() => open_entry(ty, id),
        None => return not_found(id),
    };
    let mut v = shape(w, &entry);
    v["@odata.context"] = json!(format!("{BASE}/$metadata#{}/$entity", collection(ty)));
    Reply::json(StatusCode::OK, v)
}

/// A collection, filtered by `prop eq 'value'` clauses joined with `or`.
fn list(w: &World, ty: PrincipalType, filter: Option<String>, age: Option<Duration>) -> Reply {
    let clauses = match filter.as_deref().map(parse_filter) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(clause)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("Invalid filter clause: {clause}"),
            );
        }
    };
    let dir = &w.directory;
    let value: Vec<Value> = dir
        .all()
        .iter()
        .enumerate()
        .filter(|(i, e)| e.principal_type == ty && dir.visible(*i, age))
        .filter(|(_, e)| {
            clauses.as_ref().is_none_or(|cs| {
                cs.iter()
                    .any(|(p, v)| property(e, p).is_some_and(|x| x.eq_ignore_ascii_case(v)))
            })
        })
        .map(|(_, e)| shape(w, e))
        .collect();
    Reply::json(
        StatusCode::OK,
        json!({"@odata.context": format!("{BASE}/$metadata#{}", collection(ty)), "value": value}),
    )
}

/// `POST /$batch`: each request answered as if sent alone.
fn batch(w: &World, body: &[u8]) -> Reply {
    let requests = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("requests").and_then(Value::as_array).cloned());
    let Some(requests) = requests.filter(|r| !r.is_empty() && r.len() <= 20) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Invalid batch payload: `requests` must hold between 1 and 20 requests.",
        );
    };
    let responses: Vec<Value> = requests
        .iter()
        .map(|r| {
            let id = r.get("id").cloned().unwrap_or(Value::Null);
            let method = r.get("method").and_then(Value::as_str).unwrap_or("GET");
            let url = r.get("url").and_then(Value::as_str).unwrap_or("");
            let url = url.strip_prefix("/v1.0").unwrap_or(url);
            let (path, query) = url.split_once('?').unwrap_or((url, ""));
            let path = format!("/{}", path.trim_start_matches('/'));
            let reply = match method.to_ascii_uppercase().as_str() {
                "GET" => get(w, &path, query),
                other => error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Request_BadRequest",
                    &format!("The request method '{other}' is not supported in a batch."),
                ),
            };
            let body = match reply.body {
                super::reply::Body::Json(v) => v,
                super::reply::Body::Empty | super::reply::Body::Text { .. } => Value::Null,
            };
            json!({
                "id": id,
                "status": reply.status.as_u16(),
                "headers": {"Content-Type": "application/json"},
                "body": body,
            })
        })
        .collect();
    Reply::json(StatusCode::OK, json!({"responses": responses}))
}
