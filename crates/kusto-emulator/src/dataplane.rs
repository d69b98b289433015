//! `POST …/databases/{db}/listPrincipals`, `…/addPrincipals` and `…/removePrincipals`: the
//! database's engine principals (`engine`), synchronous, each answering 200 with the resulting
//! `DatabasePrincipalListResult` (recorded in `Remove-AzKustoDatabasePrincipal`).
//!
//! | request            | answer                                                                   |
//! |--------------------|--------------------------------------------------------------------------|
//! | list               | the engine list, pageable (`nextLink`)                                   |
//! | add                | appended unless held already; 400 `400-BadRequest` for an unknown principal |
//! | remove             | removed when held (matched by fqn, else `appId` / `email` / `name`); no error otherwise |
//!
//! ARM assignments are left alone unless the world mirrors data-plane writes (P12's switch): then an
//! add also creates a GUID-named assignment and a remove deletes the matching ones. A request is
//! checked whole before anything changes.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::ctx::Ctx;
use super::directory::synthetic_object_id;
use super::engine::{self, key};
use super::followers;
use super::paging::page;
use super::reply::{ErrorResponse, Reply};
use super::request_body::{invalid_role, json};
use super::route::{PrincipalsAction, ScopePath};
use super::state::{AssignmentState, DataPrincipalState, fqn_identity, fqn_kind, fqn_prefix};
use super::world::{Provisioning, ScopeIdx, Stored, World};
use crate::vocab::{PrincipalType, Role, ScopeKind};

pub fn handle(
    w: &mut World,
    ctx: &Ctx<'_>,
    sp: &ScopePath,
    action: PrincipalsAction,
    raw: &[u8],
) -> Reply {
    let s = match w.find_scope(sp) {
        Ok(s) => s,
        Err(e) => return e.reply(),
    };
    let result = match action {
        PrincipalsAction::List => {
            return Reply::json(StatusCode::OK, page(rendered(w, s), ctx));
        }
        PrincipalsAction::Add => parse(raw).and_then(|ins| add(w, s, &ins)),
        PrincipalsAction::Remove => parse(raw).map(|ins| remove(w, s, &ins)),
    };
    match result {
        Ok(()) => Reply::json(StatusCode::OK, json!({ "value": rendered(w, s) })),
        Err(e) => e.reply(),
    }
}

/// One `DatabasePrincipal` of a request.
#[derive(Debug, Clone)]
struct Input {
    role: Role,
    ty: PrincipalType,
    name: String,
    fqn: Option<String>,
    email: String,
    app_id: String,
}

fn parse(raw: &[u8]) -> Result<Vec<Input>, ErrorResponse> {
    let v = json(raw)?;
    let Some(items) = v.get("value").and_then(Value::as_array) else {
        return Err(ErrorResponse::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request content was invalid: the required property 'value' is missing.",
        ));
    };
    items.iter().map(parse_one).collect()
}

fn parse_one(p: &Value) -> Result<Input, ErrorResponse> {
    let text = |k: &str| {
        p.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or_default()
    };
    let role = Role::parse(text("role"))
        .filter(|r| r.scope_kind() == ScopeKind::Database)
        .ok_or_else(|| ErrorResponse::bad_request(invalid_role(ScopeKind::Database)))?;
    let ty = PrincipalType::parse(text("type")).ok_or_else(|| {
        ErrorResponse::bad_request(
            "Principal type is invalid. Please provide valid principal type (App, Group, User).",
        )
    })?;
    if p.get("name").and_then(Value::as_str).is_none() {
        return Err(ErrorResponse::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request content was invalid: the required property 'name' is missing.",
        ));
    }
    let fqn = Some(text("fqn").to_string()).filter(|f| !f.is_empty());
    if let Some(f) = &fqn
        && fqn_prefix(f) != Some(ty)
    {
        return Err(ErrorResponse::bad_request(format!(
            "The fqn '{f}' does not name a principal of type '{ty}' (expected '{}=<id>').",
            fqn_kind(ty)
        )));
    }
    let input = Input {
        role,
        ty,
        name: text("name").to_string(),
        fqn,
        email: text("email").to_string(),
        app_id: text("appId").to_string(),
    };
    if lookup_id(&input).is_empty() {
        return Err(ErrorResponse::bad_request(format!(
            "Principal '{}' has no identifier. Please provide its fqn, or its appId (App) or email (User, Group).",
            input.name
        )));
    }
    Ok(input)
}

/// What the request identifies the principal by: the fqn's id, else the app id or the email (or,
/// for a user or group without one, the name).
fn lookup_id(i: &Input) -> String {
    if let Some(f) = &i.fqn {
        let id = f.split_once('=').map_or("", |(_, r)| r);
        return id.split(';').next().unwrap_or_default().trim().to_string();
    }
    match i.ty {
        PrincipalType::App => i.app_id.clone(),
        PrincipalType::User | PrincipalType::Group if i.email.is_empty() => i.name.clone(),
        PrincipalType::User | PrincipalType::Group => i.email.clone(),
    }
}

fn fqn_tenant(i: &Input) -> Option<String> {
    let f = i.fqn.as_ref()?;
    let t = f.split_once(';')?.1.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The engine principal a request names, resolved as Entra ID would (lag included).
fn resolve(w: &World, i: &Input) -> Result<DataPrincipalState, ErrorResponse> {
    let id = lookup_id(i);
    let tenant = fqn_tenant(i).unwrap_or_else(|| w.tenant_id.clone());
    if w.directory.is_closed() {
        let age = w.started.elapsed();
        if w.directory.resolve(i.ty, &id, Some(age)).is_none() {
            let kind = match i.ty {
                PrincipalType::App => "AAD Application Id",
                PrincipalType::User => "AAD User",
                PrincipalType::Group => "AAD Group",
            };
            return Err(ErrorResponse::new(
                StatusCode::BAD_REQUEST,
                "400-BadRequest",
                format!(
                    "[BadRequest] Entity ID '{id}' of type '{kind}' was not found in AAD tenant '{tenant}'."
                ),
            ));
        }
        let a = assignment(&id, i.ty, i.role, &tenant, &w.tenant_id);
        return Ok(engine::render(&w.directory, &w.tenant_id, &a));
    }
    let object = match (i.ty, &i.fqn) {
        (_, Some(_)) | (PrincipalType::App, None) => id.clone(),
        (PrincipalType::User | PrincipalType::Group, None) => synthetic_object_id(i.ty, &id),
    };
    Ok(DataPrincipalState {
        role: i.role,
        principal_type: i.ty,
        fqn: format!("{}={object};{tenant}", fqn_kind(i.ty)),
        name: i.name.clone(),
        email: i.email.clone(),
        app_id: if i.ty == PrincipalType::App {
            object
        } else {
            String::new()
        },
    })
}

fn assignment(
    id: &str,
    ty: PrincipalType,
    role: Role,
    tenant: &str,
    home: &str,
) -> AssignmentState {
    AssignmentState {
        name: uuid::Uuid::new_v4().to_string(),
        principal_id: id.to_string(),
        principal_type: ty,
        role,
        tenant_id: (!tenant.eq_ignore_ascii_case(home)).then(|| tenant.to_string()),
    }
}

fn add(w: &mut World, s: ScopeIdx, ins: &[Input]) -> Result<(), ErrorResponse> {
    let resolved = ins
        .iter()
        .map(|i| resolve(w, i))
        .collect::<Result<Vec<_>, _>>()?;
    for p in resolved {
        if w.mirror {
            mirror_add(w, s, &p);
        }
        if let Some(list) = w.engine_mut(s) {
            engine::append(list, p);
        }
    }
    Ok(())
}

/// The ARM assignment a mirrored add makes, unless one already holds the grant.
fn mirror_add(w: &mut World, s: ScopeIdx, p: &DataPrincipalState) {
    let k = key(p);
    let held = w
        .assignments(s)
        .iter()
        .any(|a| key(&engine::render(&w.directory, &w.tenant_id, &a.spec)) == k);
    if held {
        return;
    }
    let object = fqn_identity(&p.fqn)
        .split_once('=')
        .map_or(String::new(), |(_, id)| id.to_string());
    let id = match p.principal_type {
        PrincipalType::App => p.app_id.clone(),
        PrincipalType::User if !p.email.is_empty() => p.email.clone(),
        PrincipalType::User | PrincipalType::Group => object,
    };
    let tenant = p
        .fqn
        .split_once(';')
        .map_or(w.tenant_id.as_str(), |(_, t)| t);
    let spec = assignment(&id, p.principal_type, p.role, tenant, &w.tenant_id);
    w.assignments_mut(s).push(Stored {
        spec,
        provisioning: Provisioning::Succeeded,
    });
}

fn remove(w: &mut World, s: ScopeIdx, ins: &[Input]) {
    for i in ins {
        let by_key = resolve(w, i).ok().map(|p| key(&p));
        let fqn_key = i.fqn.as_ref().map(|f| (fqn_identity(f), i.role));
        let hit = |p: &DataPrincipalState| {
            let k = key(p);
            by_key.as_ref() == Some(&k) || fqn_key.as_ref() == Some(&k) || loosely(p, i)
        };
        let gone: Vec<(String, Role)> = w.clusters[s.cluster].databases[s.database.unwrap_or(0)]
            .engine
            .iter()
            .filter(|p| hit(p))
            .map(key)
            .collect();
        if let Some(list) = w.engine_mut(s) {
            for k in &gone {
                engine::remove(list, k);
            }
        }
        if w.mirror {
            let (dir, tenant) = (w.directory.clone(), w.tenant_id.clone());
            w.assignments_mut(s)
                .retain(|a| !gone.contains(&key(&engine::render(&dir, &tenant, &a.spec))));
        }
    }
}

/// A request without an fqn names a principal by its app id, else its email, else its name.
fn loosely(p: &DataPrincipalState, i: &Input) -> bool {
    let eq = |a: &str, b: &str| !a.is_empty() && a.eq_ignore_ascii_case(b);
    i.fqn.is_none()
        && p.role == i.role
        && p.principal_type == i.ty
        && match i.ty {
            PrincipalType::App => eq(&i.app_id, &p.app_id),
            PrincipalType::User | PrincipalType::Group if !i.email.is_empty() => {
                eq(&i.email, &p.email)
            }
            PrincipalType::User | PrincipalType::Group => eq(&i.name, &p.name),
        }
}

/// The engine list as `DatabasePrincipal` values.
fn rendered(w: &World, s: ScopeIdx) -> Vec<Value> {
    followers::engine_view(w, s)
        .iter()
        .map(|p| {
            let tenant = p.fqn.split_once(';').map_or("", |(_, t)| t.trim());
            let tenant_name = if tenant.eq_ignore_ascii_case(&w.tenant_id) {
                w.tenant_name.as_str()
            } else {
                ""
            };
            json!({
                "name": p.name,
                "role": p.role.as_str(),
                "type": p.principal_type.as_str(),
                "fqn": p.fqn,
                "email": p.email,
                "appId": p.app_id,
                "tenantName": tenant_name,
            })
        })
        .collect()
}
