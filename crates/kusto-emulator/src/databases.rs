//! Creating and deleting databases, as the real service does (recorded in `New-AzKustoDatabase` and
//! `Remove-AzKustoDatabase`), with P6: the caller of a create becomes the database's `Admin`.
//!
//! | request                          | answer                                                      |
//! |----------------------------------|-------------------------------------------------------------|
//! | PUT, new database                | 201 + `Azure-AsyncOperation`, `provisioningState: Creating`; operation `DatabaseCreate` |
//! | … when it finishes               | `Succeeded`; unless `callerRole=None`, a GUID-named `Admin` assignment for the token's client (App) |
//! | PUT, existing database           | 200, the database (retention periods updated when sent)    |
//! | DELETE, existing                 | 202 + `Location` + `Azure-AsyncOperation`; operation `DatabaseDelete` |
//! | DELETE, missing                  | 204                                                         |
//!
//! A deleted database stays in the world as a tombstone (running operations hold its index); it is
//! invisible to every read and to the state dump.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::ctx::{Ctx, check_write};
use super::followers;
use super::operation_status::urls;
use super::reply::{ErrorResponse, Reply};
use super::request_body::json;
use super::resources::database_body;
use super::route::ClusterPath;
use super::service_state::databases_refused;
use super::world::{Database, OpKind, Operation, Provisioning, ScopeIdx, World};

/// The PUT body's settings.
struct DatabaseRequest {
    soft_delete_period: Option<String>,
    hot_cache_period: Option<String>,
}

fn parse(raw: &[u8]) -> Result<DatabaseRequest, ErrorResponse> {
    let v = json(raw)?;
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    if kind.is_empty() {
        return Err(ErrorResponse::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request content was invalid: the required property 'kind' is missing.",
        ));
    }
    if !kind.eq_ignore_ascii_case("ReadWrite") {
        return Err(ErrorResponse::bad_request(format!(
            "Database kind '{kind}' cannot be created with this operation. Supported kind: 'ReadWrite' (a follower database is attached through an attached database configuration)."
        )));
    }
    let text = |k: &str| {
        v.pointer(&format!("/properties/{k}"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(DatabaseRequest {
        soft_delete_period: text("softDeletePeriod"),
        hot_cache_period: text("hotCachePeriod"),
    })
}

/// `callerRole`: `Admin` (the default) or `None`; true when the caller is to be made Admin.
fn caller_admin(value: Option<&str>) -> Result<bool, ErrorResponse> {
    match value {
        None => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("Admin") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("None") => Ok(false),
        Some(v) => Err(ErrorResponse::bad_request(format!(
            "The value '{v}' is not valid for callerRole. Supported values are 'Admin' and 'None'."
        ))),
    }
}

/// PUT `…/databases/{db}`.
pub fn put(w: &mut World, ctx: &Ctx<'_>, p: &ClusterPath, db: &str, raw: &[u8]) -> Reply {
    let checked = w.find_cluster(p, true).and_then(|c| {
        databases_refused(w.clusters[c].state)?;
        let req = parse(raw)?;
        let admin = caller_admin(ctx.caller_role.as_deref())?;
        Ok((c, req, admin))
    });
    let (c, req, admin) = match checked {
        Ok(v) => v,
        Err(e) => return e.reply(),
    };
    if let Ok(d) = w.find_database(c, p, db, false) {
        let database = &mut w.clusters[c].databases[d];
        if req.soft_delete_period.is_some() {
            database.soft_delete_period = req.soft_delete_period;
        }
        if req.hot_cache_period.is_some() {
            database.hot_cache_period = req.hot_cache_period;
        }
        let followed = followers::is_followed(w, c, d);
        let cluster = &w.clusters[c];
        return Reply::json(
            StatusCode::OK,
            database_body(cluster, &cluster.databases[d], followed),
        );
    }
    if let Err(e) = check_write(
        w,
        ctx,
        ScopeIdx {
            cluster: c,
            database: None,
        },
    ) {
        return e.reply();
    }
    let mut database = Database::new(db, Vec::new(), Vec::new());
    database.provisioning = Provisioning::Creating;
    database.soft_delete_period = req.soft_delete_period;
    database.hot_cache_period = req.hot_cache_period;
    let mut body = database_body(&w.clusters[c], &database, false);
    body["properties"] = creating_properties(&database);
    w.clusters[c].databases.push(database);
    let scope = ScopeIdx {
        cluster: c,
        database: Some(w.clusters[c].databases.len() - 1),
    };
    let caller = admin.then(|| ctx.caller.to_string());
    let op = start(w, ctx, scope, db, OpKind::DatabaseCreate, caller);
    let (async_url, _) = urls(ctx.endpoint, &w.operations[op], ctx.api_version);
    w.finish_if_no_polls(op);
    Reply::json(StatusCode::CREATED, body).with_header("Azure-AsyncOperation", async_url)
}

/// The create answer's properties: what was sent, and `Creating`.
fn creating_properties(d: &Database) -> Value {
    let mut props = json!({});
    if let Some(s) = &d.soft_delete_period {
        props["softDeletePeriod"] = json!(s);
    }
    if let Some(s) = &d.hot_cache_period {
        props["hotCachePeriod"] = json!(s);
    }
    props["provisioningState"] = json!(Provisioning::Creating.as_str());
    props
}

/// DELETE `…/databases/{db}`.
pub fn delete(w: &mut World, ctx: &Ctx<'_>, p: &ClusterPath, db: &str) -> Reply {
    let c = match w
        .find_cluster(p, true)
        .and_then(|c| databases_refused(w.clusters[c].state).map(|()| c))
    {
        Ok(c) => c,
        Err(e) => return e.reply(),
    };
    let Ok(d) = w.find_database(c, p, db, false) else {
        return Reply::empty(StatusCode::NO_CONTENT);
    };
    let scope = ScopeIdx {
        cluster: c,
        database: Some(d),
    };
    if let Err(e) = check_write(w, ctx, scope) {
        return e.reply();
    }
    w.clusters[c].databases[d].provisioning = Provisioning::Deleting;
    let name = w.clusters[c].databases[d].name.clone();
    let op = start(w, ctx, scope, &name, OpKind::DatabaseDelete, None);
    let (async_url, location) = urls(ctx.endpoint, &w.operations[op], ctx.api_version);
    w.finish_if_no_polls(op);
    Reply::empty(StatusCode::ACCEPTED)
        .with_header("Location", location)
        .with_header("Azure-AsyncOperation", async_url)
}

fn start(
    w: &mut World,
    ctx: &Ctx<'_>,
    s: ScopeIdx,
    name: &str,
    kind: OpKind,
    caller_admin: Option<String>,
) -> usize {
    let c = &w.clusters[s.cluster];
    let error = ctx.fail_operation.then(|| {
        let action = if kind.is_add() { "create" } else { "delete" };
        ErrorResponse::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!(
                "[InternalServerError] Failed to {action} database '{name}' in cluster '{}'. An internal error occurred (emulated fault).",
                c.name
            ),
        )
    });
    let op = Operation {
        caller_admin,
        ..Operation::begin(c, s, name, kind, ctx.lro_polls, error)
    };
    w.operations.push(op);
    w.operations.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_role_is_admin_unless_none() {
        assert_eq!(caller_admin(None), Ok(true));
        assert_eq!(caller_admin(Some("admin")), Ok(true));
        assert_eq!(caller_admin(Some("None")), Ok(false));
        assert!(caller_admin(Some("Viewer")).is_err());
    }

    #[test]
    fn only_read_write_databases_are_created() {
        assert!(parse(br#"{"location":"East US","kind":"ReadWrite"}"#).is_ok());
        assert_eq!(
            parse(br#"{"location":"East US"}"#).err().map(|e| e.code),
            Some("InvalidRequestContent".into())
        );
        assert!(parse(br#"{"kind":"ReadOnlyFollowing"}"#).is_err());
        let r = parse(br#"{"kind":"ReadWrite","properties":{"softDeletePeriod":"P1D"}}"#).unwrap();
        assert_eq!(
            (r.soft_delete_period.as_deref(), r.hot_cache_period),
            (Some("P1D"), None)
        );
    }
}
