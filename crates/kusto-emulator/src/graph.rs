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
//! (with the synthetic object id ARM reads show) and a filter finds none.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::directory::synthetic_object_id;
use super::reply::Reply;
use super::route::percent_decode;
use super::state::DirectoryEntry;
use super::world::World;
use crate::vocab::PrincipalType;

const BASE: &str = "https://graph.microsoft.com/v1.0";

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

/// `servicePrincipals(appId='…')` → the app id.
fn app_id_key(seg: &str) -> Option<String> {
    let rest = seg
        .get(..18)
        .filter(|p| p.eq_ignore_ascii_case("servicePrincipals("))
        .map(|_| &seg[18..])?;
    let inner = rest.strip_suffix(')')?;
    let (k, v) = inner.split_once('=')?;
    let v = v.trim().strip_prefix('\'')?.strip_suffix('\'')?;
    k.trim()
        .eq_ignore_ascii_case("appId")
        .then(|| v.replace("''", "'"))
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

/// What an open directory knows of a principal it has never heard of.
fn open_entry(ty: PrincipalType, id: &str) -> DirectoryEntry {
    DirectoryEntry {
        principal_type: ty,
        id: id.to_string(),
        object_id: synthetic_object_id(ty, id),
        display_name: id.to_string(),
        upn: None,
        mail: None,
        lag_secs: None,
    }
}

fn collection(ty: PrincipalType) -> &'static str {
    match ty {
        PrincipalType::User => "users",
        PrincipalType::Group => "groups",
        PrincipalType::App => "servicePrincipals",
    }
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

/// `a eq 'x' or b eq 'y'` → [(a, x), (b, y)]; the offending clause when one is not of that form.
fn parse_filter(f: &str) -> Result<Vec<(String, String)>, String> {
    split_or(f)
        .into_iter()
        .map(|clause| {
            let bad = || clause.trim().to_string();
            let (prop, rest) = clause.trim().split_once(' ').ok_or_else(bad)?;
            let rest = rest.trim_start();
            let value = rest
                .get(..2)
                .filter(|op| op.eq_ignore_ascii_case("eq"))
                .map(|_| rest[2..].trim())
                .and_then(|v| v.strip_prefix('\'')?.strip_suffix('\''))
                .ok_or_else(bad)?;
            let known = ["displayName", "mail", "userPrincipalName", "appId", "id"];
            if !known.iter().any(|k| k.eq_ignore_ascii_case(prop)) {
                return Err(bad());
            }
            Ok((prop.to_string(), value.replace("''", "'")))
        })
        .collect()
}

/// Splits on ` or ` outside quotes.
fn split_or(f: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let chars: Vec<char> = f.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let rest: String = chars[i..].iter().take(4).collect();
        if !quoted && rest.eq_ignore_ascii_case(" or ") {
            out.push(std::mem::take(&mut cur));
            i += 4;
            continue;
        }
        if chars[i] == '\'' {
            quoted = !quoted;
        }
        cur.push(chars[i]);
        i += 1;
    }
    out.push(cur);
    out
}

/// The value of a filterable property of an entry.
fn property<'a>(e: &'a DirectoryEntry, prop: &str) -> Option<&'a str> {
    let is = |k: &str| prop.eq_ignore_ascii_case(k);
    if is("displayName") {
        Some(&e.display_name)
    } else if is("mail") {
        e.mail()
    } else if is("userPrincipalName") {
        e.user_principal_name()
    } else if is("appId") {
        (e.principal_type == PrincipalType::App).then_some(e.id.as_str())
    } else if is("id") {
        Some(&e.object_id)
    } else {
        None
    }
}

/// An entry in Graph's shape for its type.
fn shape(w: &World, e: &DirectoryEntry) -> Value {
    match e.principal_type {
        PrincipalType::User => json!({
            "id": e.object_id,
            "businessPhones": [],
            "displayName": e.display_name,
            "givenName": null,
            "jobTitle": null,
            "mail": e.mail(),
            "mobilePhone": null,
            "officeLocation": null,
            "preferredLanguage": null,
            "surname": null,
            "userPrincipalName": e.user_principal_name().unwrap_or(&e.id),
        }),
        PrincipalType::Group => json!({
            "id": e.object_id,
            "displayName": e.display_name,
            "description": null,
            "groupTypes": [],
            "mail": e.mail(),
            "mailEnabled": e.mail().is_some(),
            "mailNickname": e.mail().and_then(|m| m.split('@').next()).unwrap_or(&e.display_name),
            "securityEnabled": true,
            "visibility": null,
        }),
        PrincipalType::App => json!({
            "id": e.object_id,
            "accountEnabled": true,
            "appDisplayName": e.display_name,
            "appId": e.id,
            "appOwnerOrganizationId": w.tenant_id,
            "displayName": e.display_name,
            "servicePrincipalNames": [e.id],
            "servicePrincipalType": "Application",
            "signInAudience": "AzureADMyOrg",
            "tags": [],
        }),
    }
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

fn not_found(id: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

fn no_segment(path: &str) -> Reply {
    error(
        StatusCode::BAD_REQUEST,
        "BadRequest",
        &format!(
            "Resource not found for the segment '{}'.",
            path.trim_matches('/')
        ),
    )
}

/// Graph's error body: `{"error":{"code","message","innerError":{date, request-id, client-request-id}}}`.
pub fn error(status: StatusCode, code: &str, message: &str) -> Reply {
    let date = super::operations::timestamp(time::OffsetDateTime::now_utc());
    let id = uuid::Uuid::new_v4().to_string();
    Reply::json(
        status,
        json!({"error": {"code": code, "message": message, "innerError": {
            "date": date, "request-id": id, "client-request-id": id,
        }}}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_keys_parse_as_graph_writes_them() {
        assert_eq!(
            parse_filter("mail eq 'a@x.com' or displayName eq 'O''Neil or not'").unwrap(),
            vec![
                ("mail".to_string(), "a@x.com".to_string()),
                ("displayName".to_string(), "O'Neil or not".to_string())
            ]
        );
        assert!(parse_filter("startswith(displayName,'a')").is_err());
        assert!(parse_filter("city eq 'x'").is_err());
        assert_eq!(
            app_id_key("servicePrincipals(appId='abc')").as_deref(),
            Some("abc")
        );
        assert_eq!(app_id_key("servicePrincipals(id='abc')"), None);
    }
}
