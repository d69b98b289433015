//! Graph's vocabulary for the stand-in in `graph`: entities in Graph's JSON shapes, its error body,
//! and the small part of OData it understands (`$filter` equality clauses joined with `or`, the
//! `servicePrincipals(appId='…')` key).

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::directory::synthetic_object_id;
use super::reply::Reply;
use super::state::DirectoryEntry;
use super::world::World;
use crate::vocab::PrincipalType;

/// `servicePrincipals(appId='…')` → the app id.
pub fn app_id_key(seg: &str) -> Option<String> {
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

/// What an open directory knows of a principal it has never heard of.
pub fn open_entry(ty: PrincipalType, id: &str) -> DirectoryEntry {
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

pub fn collection(ty: PrincipalType) -> &'static str {
    match ty {
        PrincipalType::User => "users",
        PrincipalType::Group => "groups",
        PrincipalType::App => "servicePrincipals",
    }
}

/// `a eq 'x' or b eq 'y'` → [(a, x), (b, y)]; the offending clause when one is not of that form.
pub fn parse_filter(f: &str) -> Result<Vec<(String, String)>, String> {
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
pub fn split_or(f: &str) -> Vec<String> {
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
pub fn property<'a>(e: &'a DirectoryEntry, prop: &str) -> Option<&'a str> {
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

pub fn not_found(id: &str) -> Reply {
    error(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        &format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

pub fn no_segment(path: &str) -> Reply {
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
    let date = super::operation_status::timestamp(time::OffsetDateTime::now_utc());
    let id = uuid::Uuid::new_v4().to_string();
    Reply::json(
        status,
        json!({"error": {"code": code, "message": message, "innerError": {
            "date": date, "request-id": id, "client-request-id": id,
        }}}),
    )
}

/// An entry in Graph's shape for its type.
pub fn shape(w: &World, e: &DirectoryEntry) -> Value {
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
