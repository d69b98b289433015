//! The engine side of database principals (docs/arm-service.md §7): each database's principal list as
//! `listPrincipals` shows it, and how ARM assignments reach it.
//!
//! | event                                         | the database's engine list                  |
//! |-----------------------------------------------|---------------------------------------------|
//! | ARM assignment provisioned (create finished)   | the principal with its role is appended     |
//! | ARM assignment updated in place (role change)  | old role removed, new role appended         |
//! | ARM assignment deleted (delete finished)       | the principal with that role is removed     |
//! | `addPrincipals` / `removePrincipals`           | appended / removed; ARM untouched unless mirrored |
//!
//! A principal is identified by the kind and id of its fqn (`aaduser=<object id>`), without the
//! tenant, plus its role. This module holds the rules, over plain lists; the store applies them
//! (`World::follow_arm` when an operation finishes, its snapshot's `data_plane`). It never answers
//! HTTP.

use super::directory::{Directory, synthetic_object_id};
use super::state::{
    AssignmentState, ClusterState, DataPrincipalState, EmulatorState, fqn_identity, fqn_kind,
};
use crate::vocab::{PrincipalType, Role};

/// What makes two engine principals the same grant.
pub fn key(p: &DataPrincipalState) -> (String, Role) {
    (fqn_identity(&p.fqn), p.role)
}

/// An ARM assignment as the engine holds it: resolved through the directory where it can be.
pub fn render(dir: &Directory, tenant_id: &str, a: &AssignmentState) -> DataPrincipalState {
    let tenant = a.tenant_id.as_deref().unwrap_or(tenant_id);
    let ty = a.principal_type;
    let entry = dir.entry(ty, &a.principal_id);
    let id = match (ty, entry) {
        (PrincipalType::App, Some(e)) => e.id.clone(),
        (PrincipalType::User | PrincipalType::Group, Some(e)) => e.object_id.clone(),
        (PrincipalType::App, None) => a.principal_id.clone(),
        (PrincipalType::User | PrincipalType::Group, None) if dir.is_closed() => {
            a.principal_id.clone()
        }
        (PrincipalType::User | PrincipalType::Group, None) => {
            synthetic_object_id(ty, &a.principal_id)
        }
    };
    let name = dir
        .resolve(ty, &a.principal_id, None)
        .map_or_else(|| a.principal_id.clone(), |r| r.principal_name);
    let email = match ty {
        PrincipalType::App => String::new(),
        PrincipalType::User | PrincipalType::Group => {
            [entry.and_then(|e| e.mail()), Some(a.principal_id.as_str())]
                .into_iter()
                .flatten()
                .find(|s| s.contains('@'))
                .unwrap_or_default()
                .to_string()
        }
    };
    DataPrincipalState {
        role: a.role,
        principal_type: ty,
        fqn: format!("{}={id};{tenant}", fqn_kind(ty)),
        name,
        email,
        app_id: if ty == PrincipalType::App {
            id
        } else {
            String::new()
        },
    }
}

/// The engine list a database's ARM assignments make, in their order.
pub fn derive<'a>(
    dir: &Directory,
    tenant_id: &str,
    assignments: impl IntoIterator<Item = &'a AssignmentState>,
) -> Vec<DataPrincipalState> {
    let mut out = Vec::new();
    for a in assignments {
        append(&mut out, render(dir, tenant_id, a));
    }
    out
}

/// Appends `p` unless the same grant is already there; true when it was added.
pub fn append(list: &mut Vec<DataPrincipalState>, p: DataPrincipalState) -> bool {
    let k = key(&p);
    if list.iter().any(|q| key(q) == k) {
        return false;
    }
    list.push(p);
    true
}

/// Removes the grant `k`; true when it was there.
pub fn remove(list: &mut Vec<DataPrincipalState>, k: &(String, Role)) -> bool {
    let before = list.len();
    list.retain(|q| key(q) != *k);
    list.len() != before
}

/// A database's list as the state file gives it, if it does.
pub fn seeded(
    state: &EmulatorState,
    c: &ClusterState,
    db: &str,
) -> Option<Vec<DataPrincipalState>> {
    state
        .data_plane
        .databases
        .iter()
        .find(|d| {
            d.cluster.eq_ignore_ascii_case(&c.name)
                && d.database.eq_ignore_ascii_case(db)
                && d.subscription
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case(&c.subscription))
        })
        .map(|d| d.principals.clone())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::state::DirectoryEntry;

    fn assignment(id: &str, ty: PrincipalType, role: Role) -> AssignmentState {
        AssignmentState {
            name: "n".into(),
            principal_id: id.into(),
            principal_type: ty,
            role,
            tenant_id: None,
        }
    }

    #[test]
    fn assignments_render_as_the_recorded_principals_do() {
        let dir = Directory::new(
            Some(vec![DirectoryEntry {
                principal_type: PrincipalType::User,
                id: "jo@x.com".into(),
                object_id: "de9050dc".into(),
                display_name: "Jo".into(),
                upn: Some("jo_x.com#EXT#@t.onmicrosoft.com".into()),
                mail: None,
                lag_secs: None,
            }]),
            Duration::ZERO,
            |_| true,
            None,
        );
        let user = render(
            &dir,
            "T",
            &assignment("jo@x.com", PrincipalType::User, Role::Admin),
        );
        assert_eq!(user.fqn, "aaduser=de9050dc;T");
        assert_eq!(user.name, "Jo (jo_x.com#EXT#@t.onmicrosoft.com)");
        assert_eq!(
            (user.email.as_str(), user.app_id.as_str()),
            ("jo@x.com", "")
        );
        let app = render(
            &dir,
            "T",
            &assignment("a1", PrincipalType::App, Role::Viewer),
        );
        assert_eq!(
            (app.fqn.as_str(), app.app_id.as_str()),
            ("aadapp=a1;T", "a1")
        );
    }

    #[test]
    fn a_grant_is_its_principal_and_role() {
        let dir = Directory::new(None, Duration::ZERO, |_| false, None);
        let a = render(
            &dir,
            "T",
            &assignment("A1", PrincipalType::App, Role::Admin),
        );
        let mut list = vec![a.clone()];
        let mut other_tenant = a.clone();
        other_tenant.fqn = "aadapp=a1".into();
        assert!(!append(&mut list, other_tenant));
        let mut viewer = a.clone();
        viewer.role = Role::Viewer;
        assert!(append(&mut list, viewer));
        assert!(remove(&mut list, &key(&a)));
        assert_eq!(list.len(), 1);
    }
}
