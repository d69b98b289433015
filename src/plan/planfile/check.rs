//! Every field of a saved plan, checked once as it is read: the naming rules the desired-state file
//! and ARM's answers are held to (`model::names`, one set for all three), plus what makes the plan
//! consistent with itself.
//!
//! | field                                  | rule                                                    |
//! |----------------------------------------|---------------------------------------------------------|
//! | scope `subscription`                   | a GUID                                                  |
//! | scope `resource_group`, `cluster`, `database` | the file's rules (never `.`, `..`, `/`, `\`, edge spaces, control characters) |
//! | `principal_id`                         | 1–1024 characters, no control characters or edge spaces; a GUID for an `App` |
//! | `role`                                 | a role of the scope's kind (cluster or database)        |
//! | `name` of a create                     | the file's assignment-name rule                         |
//! | `name` of what ARM listed              | one safe path segment (`names::segment`; ARM accepts any name) |
//! | `listed[].state`                       | absent, or a provisioning state other than `Succeeded`  |
//! | `tenant`                               | a GUID, or `null`                                       |
//! | `api_version`                          | `YYYY-MM-DD`, optionally `-preview`                     |
//! | `file_sha256`, `fingerprint`           | `sha256:` and 64 lowercase hex digits                   |
//! | `targets[]`                            | `CLUSTER` or `CLUSTER/DATABASE` with valid names        |
//! | `scopes[]`                             | one per scope; `listed` hashes to `fingerprint`         |
//! | every change                           | its scope is in `scopes[]` (so `scopes: []` with changes is refused) |
//! | a delete, a replace's `before`         | an entry of its scope's `listed` (no appended deletes)   |
//! | a create, a replace's new grant        | a name not listed at its scope and not used by another create |
//!
//! The text fields ARM resolves (`display_name`, `object_id`) are not checked: nothing is written
//! from them, and every renderer makes text inert.

use std::collections::HashSet;

use crate::model::names::{self, NameKind};
use crate::model::{Role, ScopeKind};

use super::super::document::{WireChange, WireGrant, WireScope};
use super::super::fingerprint::{ListedEntry, fingerprint_entries};
use super::{SavedPlan, SavedScope};

/// Every problem of `saved`, each naming its field; empty when the plan may be used.
pub(super) fn problems(saved: &SavedPlan) -> Vec<String> {
    let mut p = Problems::default();
    if let Err(e) = api_version(&saved.api_version) {
        p.add("api_version", e);
    }
    if let Err(e) = sha256(&saved.file_sha256) {
        p.add("file_sha256", e);
    }
    for (i, t) in saved.targets.iter().enumerate() {
        if let Err(e) = target(t) {
            p.add(&format!("targets[{i}]"), e);
        }
    }
    for (i, s) in saved.scopes.iter().enumerate() {
        saved_scope(&mut p, &format!("scopes[{i}]"), s);
    }
    let mut seen = HashSet::new();
    for (i, s) in saved.scopes.iter().enumerate() {
        if !seen.insert(scope_key(&s.scope)) {
            p.add(&format!("scopes[{i}]"), "the scope is listed twice".into());
        }
    }
    let mut created = HashSet::new();
    for (i, c) in saved.document.changes.iter().enumerate() {
        change(&mut p, saved, &format!("changes[{i}]"), c, &mut created);
    }
    for (i, g) in saved.document.unmanaged.iter().enumerate() {
        grant(&mut p, &format!("unmanaged[{i}]"), g, Origin::Listed);
    }
    for (i, w) in saved.document.pending.iter().enumerate() {
        grant(&mut p, &format!("pending[{i}]"), &w.grant, Origin::Listed);
    }
    if !saved.document.errors.is_empty() {
        // `plan --out` writes no file when a scope could not be read.
        p.add("errors", "a saved plan has no unreadable scopes".into());
    }
    p.0
}

#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, field: &str, message: String) {
        // Bounded: a hostile file with a million bad fields gets a readable error, not a flood.
        if self.0.len() < 20 {
            self.0.push(format!("{field}: {message}"));
        } else if self.0.len() == 20 {
            self.0.push("… (more problems not shown)".into());
        }
    }
}

fn saved_scope(p: &mut Problems, at: &str, s: &SavedScope) {
    scope(p, &format!("{at}.scope"), &s.scope);
    if let Err(e) = sha256(&s.fingerprint) {
        p.add(&format!("{at}.fingerprint"), e);
    } else if fingerprint_entries(&s.listed) != s.fingerprint {
        p.add(
            &format!("{at}.listed"),
            "does not match the scope's fingerprint".into(),
        );
    }
    let kind = kind_of(&s.scope);
    for (j, e) in s.listed.iter().enumerate() {
        let at = format!("{at}.listed[{j}]");
        principal(p, &at, e.principal_type, &e.principal_id, e.role, kind);
        fields(p, &at, &e.name, e.tenant.as_deref(), Origin::Listed);
        if let Some(state) = &e.state
            && (state.eq_ignore_ascii_case("Succeeded")
                || names::segment(state).is_err()
                || state.chars().count() > 64)
        {
            p.add(
                &format!("{at}.state"),
                "a provisioning state other than `Succeeded`, as ARM spells it".into(),
            );
        }
    }
}

fn change(
    p: &mut Problems,
    saved: &SavedPlan,
    at: &str,
    c: &WireChange,
    created: &mut HashSet<(String, String)>,
) {
    let (g, before, creates) = match c {
        WireChange::Create(g) => (g, None, true),
        WireChange::Delete(g) => (g, Some(entry(g)), false),
        WireChange::Replace(r) => {
            let b = &r.before;
            let kind = kind_of(&r.grant.scope);
            let at = format!("{at}.before");
            principal(p, &at, b.principal_type, &b.principal_id, b.role, kind);
            fields(p, &at, &b.name, b.tenant.as_deref(), Origin::Listed);
            let before = ListedEntry {
                name: b.name.clone(),
                principal_type: b.principal_type,
                principal_id: b.principal_id.clone(),
                role: b.role,
                tenant: b.tenant.clone(),
                state: None,
            };
            (&r.grant, Some(before), true)
        }
    };
    let origin = if creates {
        Origin::Created
    } else {
        Origin::Listed
    };
    grant(p, at, g, origin);
    let key = scope_key(&g.scope);
    let Some(listed) = saved.scopes.iter().find(|s| scope_key(&s.scope) == key) else {
        p.add(
            at,
            format!(
                "its scope `{}` has no fingerprint in `scopes`, so apply could not tell whether Azure changed",
                scope_label(&g.scope)
            ),
        );
        return;
    };
    against_listing(
        p,
        at,
        listed,
        before.as_ref(),
        creates.then_some(g),
        created,
    );
}

/// A change against its scope's listing: what it removes was listed; what it creates is a free
/// name, claimed once.
fn against_listing(
    p: &mut Problems,
    at: &str,
    listed: &SavedScope,
    before: Option<&ListedEntry>,
    creates: Option<&WireGrant>,
    created: &mut HashSet<(String, String)>,
) {
    if let Some(b) = before
        && !listed.listed.iter().any(|e| e.same_grant(b))
    {
        p.add(
            at,
            format!(
                "removes `{}`, which is not in what was listed at its scope when the plan was made",
                b.line()
            ),
        );
    }
    if let Some(g) = creates {
        let name = g.name.to_ascii_lowercase();
        if listed
            .listed
            .iter()
            .any(|e| e.name.eq_ignore_ascii_case(&name))
        {
            p.add(
                at,
                format!("creates `{}`, a name already in use at its scope (the write would overwrite that assignment)", g.name),
            );
        }
        if !created.insert((scope_key(&listed.scope), name)) {
            p.add(at, format!("creates `{}` twice at one scope", g.name));
        }
    }
}

/// Where an assignment name comes from: a name this tool will PUT follows the file's rule; a name
/// ARM listed only needs to be one safe path segment (ARM accepts any name, and a delete must be
/// able to name what is there).
#[derive(Clone, Copy)]
enum Origin {
    Created,
    Listed,
}

fn grant(p: &mut Problems, at: &str, g: &WireGrant, origin: Origin) {
    scope(p, &format!("{at}.scope"), &g.scope);
    let kind = kind_of(&g.scope);
    principal(p, at, g.principal_type, &g.principal_id, g.role, kind);
    fields(p, at, &g.name, g.tenant.as_deref(), origin);
}

fn fields(p: &mut Problems, at: &str, name: &str, tenant: Option<&str>, origin: Origin) {
    let kind = match origin {
        Origin::Created => NameKind::Assignment,
        Origin::Listed => NameKind::ListedAssignment,
    };
    if let Err(e) = names::check(kind, name) {
        p.add(&format!("{at}.name"), e);
    }
    if let Some(t) = tenant
        && let Err(e) = names::guid(t)
    {
        p.add(&format!("{at}.tenant"), e);
    }
}

fn principal(
    p: &mut Problems,
    at: &str,
    kind: crate::model::PrincipalType,
    id: &str,
    role: Role,
    scope_kind: ScopeKind,
) {
    if let Err(e) = principal_id(kind, id) {
        p.add(&format!("{at}.principal_id"), e);
    }
    if role.scope_kind() != scope_kind {
        p.add(
            &format!("{at}.role"),
            format!("`{role}` is not a role of a {scope_kind:?} scope").to_lowercase(),
        );
    }
}

fn scope(p: &mut Problems, at: &str, s: &WireScope) {
    let mut part = |field: &str, value: &str, kind: NameKind| {
        if let Err(e) = names::check(kind, value) {
            p.add(&format!("{at}.{field}"), e);
        }
    };
    part("subscription", &s.subscription, NameKind::Subscription);
    part("resource_group", &s.resource_group, NameKind::ResourceGroup);
    part("cluster", &s.cluster, NameKind::Cluster);
    if let Some(db) = &s.database {
        part("database", db, NameKind::Database);
    }
}

fn principal_id(kind: crate::model::PrincipalType, id: &str) -> Result<(), String> {
    let len = id.chars().count();
    if !(1..=1024).contains(&len) || id.trim() != id || id.chars().any(char::is_control) {
        return Err(
            "a principal id has 1 to 1024 characters, no control characters and no edge spaces"
                .into(),
        );
    }
    if kind == crate::model::PrincipalType::App && !crate::model::PrincipalId::new(id).is_guid() {
        return Err("an app's principal id is its application (client) id, a GUID".into());
    }
    Ok(())
}

fn api_version(v: &str) -> Result<(), String> {
    let (date, rest) = v.split_at(v.len().min(10));
    let b = date.as_bytes();
    let date_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if date_ok && (rest.is_empty() || rest == "-preview") {
        Ok(())
    } else {
        Err("expected an api-version like `2024-04-13` or `2023-05-02-preview`".into())
    }
}

fn sha256(v: &str) -> Result<(), String> {
    match v.strip_prefix("sha256:") {
        Some(hex)
            if hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            Ok(())
        }
        _ => Err("expected `sha256:` and 64 lowercase hex digits".into()),
    }
}

fn target(t: &str) -> Result<(), String> {
    let (cluster, database) = match t.split_once('/') {
        Some((c, d)) => (c, Some(d)),
        None => (t, None),
    };
    names::check(NameKind::Cluster, cluster)?;
    if let Some(db) = database {
        names::check(NameKind::Database, db)?;
    }
    Ok(())
}

fn entry(g: &WireGrant) -> ListedEntry {
    ListedEntry {
        name: g.name.clone(),
        principal_type: g.principal_type,
        principal_id: g.principal_id.clone(),
        role: g.role,
        tenant: g.tenant.clone(),
        state: None,
    }
}

fn kind_of(s: &WireScope) -> ScopeKind {
    match s.database {
        None => ScopeKind::Cluster,
        Some(_) => ScopeKind::Database,
    }
}

/// Scopes compare without case, as ARM's names do.
fn scope_key(s: &WireScope) -> String {
    scope_label(s).to_ascii_lowercase()
}

fn scope_label(s: &WireScope) -> String {
    let mut label = format!("{}/{}/{}", s.subscription, s.resource_group, s.cluster);
    if let Some(db) = &s.database {
        label.push('/');
        label.push_str(db);
    }
    label
}

#[cfg(test)]
mod tests;
