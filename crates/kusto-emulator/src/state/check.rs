//! The state file's consistency checks: what the real service would never hold.

use std::collections::HashSet;

use super::format::{AssignmentState, ClusterState, DirectoryEntry, EmulatorState};
use super::fqn::{fqn_identity, fqn_kind, fqn_prefix};
use crate::vocab::ScopeKind;

impl EmulatorState {
    /// Checks what the real service would never hold: a role at the wrong scope, two assignments
    /// with one name in a scope, the same principal and role twice in a scope, two clusters or
    /// databases with one name, two directory entries of one type known by one name.
    pub fn check(&self) -> anyhow::Result<()> {
        let mut problems = self.knobs.problems();
        let mut clusters = HashSet::new();
        for c in &self.clusters {
            let key = format!("{}/{}", c.subscription, c.name).to_lowercase();
            if !clusters.insert(key) {
                problems.push(format!("cluster `{}` is listed twice", c.name));
            }
            check_scope(&c.name, ScopeKind::Cluster, &c.principals, &mut problems);
            let mut dbs = HashSet::new();
            for d in &c.databases {
                if !dbs.insert(d.name.to_lowercase()) {
                    problems.push(format!("database `{}/{}` is listed twice", c.name, d.name));
                }
                let scope = format!("{}/{}", c.name, d.name);
                check_scope(&scope, ScopeKind::Database, &d.principals, &mut problems);
            }
        }
        self.check_data_plane(&mut problems);
        if let Some(entries) = &self.directory {
            check_entries(entries, &mut problems);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("invalid emulator state: {}", problems.join("; "))
        }
    }
}

impl EmulatorState {
    fn check_data_plane(&self, out: &mut Vec<String>) {
        let mut seen = HashSet::new();
        for d in &self.data_plane.databases {
            let at = format!("data_plane `{}/{}`", d.cluster, d.database);
            let clusters: Vec<&ClusterState> = self
                .clusters
                .iter()
                .filter(|c| c.name.eq_ignore_ascii_case(&d.cluster))
                .filter(|c| {
                    d.subscription
                        .as_deref()
                        .is_none_or(|s| s.eq_ignore_ascii_case(&c.subscription))
                })
                .collect();
            match clusters.as_slice() {
                [] => out.push(format!("{at}: no such cluster")),
                [c] if !c
                    .databases
                    .iter()
                    .any(|db| db.name.eq_ignore_ascii_case(&d.database)) =>
                {
                    out.push(format!("{at}: no such database"));
                }
                [c] => {
                    let key = format!("{}/{}/{}", c.subscription, c.name, d.database);
                    if !seen.insert(key.to_lowercase()) {
                        out.push(format!("{at} is listed twice"));
                    }
                }
                _ => out.push(format!(
                    "{at}: two clusters have this name; add `subscription`"
                )),
            }
            let mut grants = HashSet::new();
            for p in &d.principals {
                if p.role.scope_kind() != ScopeKind::Database {
                    out.push(format!("{at}: `{}` is not a database role", p.role));
                }
                match fqn_prefix(&p.fqn) {
                    Some(ty) if ty == p.principal_type => {}
                    _ => out.push(format!(
                        "{at}: fqn `{}` does not name a {} (`{}=…`)",
                        p.fqn,
                        p.principal_type,
                        fqn_kind(p.principal_type)
                    )),
                }
                if !grants.insert((fqn_identity(&p.fqn), p.role)) {
                    out.push(format!("{at}: `{}` holds `{}` twice", p.fqn, p.role));
                }
            }
        }
    }
}

fn check_scope(scope: &str, kind: ScopeKind, items: &[AssignmentState], out: &mut Vec<String>) {
    let mut names = HashSet::new();
    let mut grants = HashSet::new();
    for a in items {
        if a.role.scope_kind() != kind {
            out.push(format!(
                "`{scope}/{}`: `{}` is not a {kind} role",
                a.name, a.role
            ));
        }
        if !names.insert(a.name.to_lowercase()) {
            out.push(format!("`{scope}/{}` is listed twice", a.name));
        }
        if !grants.insert((a.principal_id.to_lowercase(), a.role)) {
            out.push(format!(
                "`{scope}/{}`: `{}` already holds `{}` in this scope",
                a.name, a.principal_id, a.role
            ));
        }
    }
}

/// Two entries of one type must not answer to one form (id, object id, UPN or mail), or a lookup
/// would depend on their order.
pub fn check_entries(entries: &[DirectoryEntry], out: &mut Vec<String>) {
    let mut seen = std::collections::HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        let forms = [
            Some(e.id.as_str()),
            Some(e.object_id.as_str()),
            e.upn.as_deref(),
            e.mail.as_deref(),
        ];
        let mut mine = std::collections::HashSet::new();
        for form in forms.into_iter().flatten() {
            let key = (e.principal_type, form.trim().to_lowercase());
            if !mine.insert(key.clone()) {
                continue;
            }
            if let Some(j) = seen.insert(key, i) {
                out.push(format!(
                    "directory entries {} and {} (both {}) are both known as `{form}`",
                    j + 1,
                    i + 1,
                    e.principal_type
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::PrincipalType;

    use crate::directory::tests::entry;

    #[test]
    fn wrong_scope_roles_and_duplicates_are_refused() {
        let text = r#"
tenant_id: t
credentials: {client_id: c, client_secret: s}
clusters:
  - subscription: s
    resource_group: rg
    name: c1
    principals:
      - {name: a, principal_id: p, principal_type: App, role: Admin}
      - {name: A, principal_id: q, principal_type: App, role: AllDatabasesAdmin}
      - {name: b, principal_id: Q, principal_type: App, role: AllDatabasesAdmin}
"#;
        let err = EmulatorState::from_yaml(text).unwrap_err().to_string();
        assert!(err.contains("not a cluster role"), "{err}");
        assert!(err.contains("listed twice"), "{err}");
        assert!(err.contains("already holds"), "{err}");
    }

    #[test]
    fn two_entries_known_by_one_form_are_refused() {
        let mut a = entry(PrincipalType::User, "a@x.com", None);
        let mut b = entry(PrincipalType::User, "b@x.com", None);
        let mut out = Vec::new();
        check_entries(&[a.clone(), b.clone()], &mut out);
        assert!(out.is_empty(), "{out:?}");
        b.mail = Some("A@x.com".into());
        check_entries(&[a.clone(), b.clone()], &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        a.principal_type = PrincipalType::Group;
        out.clear();
        check_entries(&[a, b], &mut out);
        assert!(out.is_empty(), "types are apart");
    }
}
