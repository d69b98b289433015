//! Which deletes a create that did not succeed holds back (issue 12, "revocations are not held
//! hostage"). Only the deletes that depend on it wait:
//!
//! | delete                                                                 | waits because                          |
//! |------------------------------------------------------------------------|----------------------------------------|
//! | of the same principal, anywhere in the cluster (the old half of a replace, a tenant or scope move) | the principal would end with less access than planned |
//! | of an admin of a scope whose succeeded admins would drop below what the plan assumed | the scope would be left short of admins |
//!
//! Every other delete runs: someone who should lose access loses it even when an unrelated create
//! (a mistyped principal) fails.

use crate::model::{AssignmentKey, CurrentAssignment, DesiredGrant, Role, Scope, ScopeKind};

/// The role that administers a scope.
fn admin_role(scope: &Scope) -> Role {
    match scope.kind() {
        ScopeKind::Cluster => Role::AllDatabasesAdmin,
        ScopeKind::Database => Role::Admin,
    }
}

/// The admins of one scope: how many hold the role now, and how many the plan leaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Admins {
    pub now: usize,
    pub planned: usize,
}

impl Admins {
    /// `base` is what the plan saw at the scope, `now` what the guard's listing holds; only succeeded
    /// assignments count.
    pub(super) fn new(
        scope: &Scope,
        base: &[&CurrentAssignment],
        now: &[&CurrentAssignment],
        creates: &[&DesiredGrant],
        deletes: &[&CurrentAssignment],
    ) -> Self {
        let role = admin_role(scope);
        // Only a `Succeeded` assignment is an admin; one still `Creating` may never be.
        let count = |l: &[&CurrentAssignment]| {
            l.iter()
                .filter(|a| a.key.role == role && a.is_held())
                .count()
        };
        let created = creates.iter().filter(|g| g.key.role == role).count();
        Admins {
            now: count(now),
            planned: (count(base) + created).saturating_sub(count(deletes)),
        }
    }

    /// A create of this scope's admin role went through.
    pub(super) fn created(&mut self, scope: &Scope, role: Role) {
        if role == admin_role(scope) {
            self.now += 1;
        }
    }

    /// A delete went through.
    pub(super) fn deleted(&mut self, scope: &Scope, role: Role) {
        if role == admin_role(scope) {
            self.now = self.now.saturating_sub(1);
        }
    }

    /// Why deleting `d` must wait, if it must: it would take the scope below the planned admins.
    pub(super) fn hold(&self, d: &CurrentAssignment) -> Option<String> {
        let role = admin_role(&d.key.scope);
        if d.key.role != role || self.now > self.planned {
            return None;
        }
        Some(format!(
            "deleting it would leave `{}` with {} {role} (the plan assumed {}): a create did not succeed or an admin went away since the plan; it waits for a rerun",
            d.key.scope,
            self.now.saturating_sub(1),
            self.planned
        ))
    }
}

/// Why deleting `d` must wait for a create of the same principal that did not succeed, if it must.
pub(super) fn waits_for(
    not_created: &[(AssignmentKey, String)],
    d: &CurrentAssignment,
) -> Option<String> {
    let ids = std::iter::once(d.key.principal_id.as_str()).chain(d.aad_object_id.as_deref());
    let same = |k: &AssignmentKey| {
        ids.clone()
            .any(|id| id.eq_ignore_ascii_case(k.principal_id.as_str()))
    };
    let (key, name) = not_created.iter().find(|(k, _)| same(k))?;
    Some(format!(
        "the create of {key} [{name}] for the same principal did not succeed; this delete waits for a rerun so the principal keeps its access"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::fixtures::scenario;

    /// The listed assignments of the cluster scope `c`, by name.
    fn listed(current: &str) -> Vec<CurrentAssignment> {
        let (_, c) = scenario(&format!("scopes:\n  - scope: c\n    current:\n{current}"));
        c.scopes.into_values().next().unwrap_or_default()
    }

    #[test]
    fn an_admin_delete_waits_only_when_it_would_go_below_the_plan() {
        let l = listed(
            "      - {name: a, app: 11111111-0000-4000-8000-000000000001, role: AllDatabasesAdmin}\n      - {name: b, app: 11111111-0000-4000-8000-000000000002, role: AllDatabasesAdmin}\n      - {name: v, app: 11111111-0000-4000-8000-000000000003, role: AllDatabasesViewer}\n",
        );
        let [a, b, v] = [&l[0], &l[1], &l[2]];
        let scope = a.key.scope.clone();
        // The plan deletes `a` and keeps `b`: one admin planned, two now.
        let mut admins = Admins::new(&scope, &[a, b, v], &[a, b, v], &[], &[a]);
        assert_eq!(admins, Admins { now: 2, planned: 1 });
        assert_eq!(admins.hold(a), None);
        assert_eq!(admins.hold(v), None, "a viewer is never held for admins");
        admins.deleted(&scope, Role::AllDatabasesAdmin);
        assert!(admins.hold(b).is_some(), "the last planned admin stays");
        assert_eq!(admins.hold(v), None);
    }

    #[test]
    fn an_admin_still_creating_is_not_counted() {
        let l = listed(
            "      - {name: a, app: 11111111-0000-4000-8000-000000000001, role: AllDatabasesAdmin}\n      - {name: p, app: 11111111-0000-4000-8000-000000000002, role: AllDatabasesAdmin, state: Creating}\n",
        );
        let [a, p] = [&l[0], &l[1]];
        let (d, _) = scenario(
            "scopes:\n  - scope: c\n    desired: [{app: 11111111-0000-4000-8000-000000000003, role: AllDatabasesAdmin}]\n",
        );
        let successor = &d.scopes[0].grants[0];
        // The plan hands the admin role from `a` to a successor, whose create then fails: `p`,
        // still creating, does not make up for it.
        let admins = Admins::new(&a.key.scope, &[a, p], &[a, p], &[successor], &[a]);
        assert_eq!(admins, Admins { now: 1, planned: 1 });
        assert!(admins.hold(a).is_some());
    }

    #[test]
    fn a_delete_waits_for_a_failed_create_of_the_same_principal_only() {
        let l = listed(
            "      - {name: old, user: Bob@contoso.com, role: AllDatabasesViewer}\n      - {name: other, user: carol@contoso.com, role: AllDatabasesViewer}\n",
        );
        let mut key = l[0].key.clone();
        key.principal_id = crate::model::PrincipalId::new("bob@contoso.com");
        key.role = Role::AllDatabasesMonitor;
        let not_created = vec![(key, "kp-1".to_string())];
        assert!(waits_for(&not_created, &l[0]).is_some());
        assert_eq!(waits_for(&not_created, &l[1]), None);
    }
}
