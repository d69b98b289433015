//! Property tests of `diff` over random desired and current states: applying a plan's changes the way
//! `apply` does (creates as PUTs first, then deletes) yields a state that plans to no changes, and
//! touches nothing the plan did not name.

use proptest::prelude::*;

use super::*;
use crate::model::{
    AssignmentKey, ClusterRef, DesiredScope, PrincipalId, PrincipalType, Role, SafetyConfig, Scope,
    SourceLocation,
};

const IDS: [&str; 5] = [
    "alice@contoso.com",
    "Bob@contoso.com",
    "9b0f6a2e-0000-0000-0000-000000000001",
    "9B0F6A2E-0000-0000-0000-000000000002",
    "ALICE@CONTOSO.COM",
];
/// Object ids ARM might report; the first two alias the GUIDs above.
const OIDS: [Option<&str>; 3] = [
    None,
    Some("9b0f6a2e-0000-0000-0000-000000000001"),
    Some("9b0f6a2e-0000-0000-0000-000000000002"),
];
const NAMES: [&str; 4] = ["n1", "N2", "n3", "custom"];
const TENANTS: [Option<&str>; 4] = [None, Some("t1"), Some("T1"), Some("t2")];
const TYPES: [PrincipalType; 3] = [
    PrincipalType::App,
    PrincipalType::Group,
    PrincipalType::User,
];

fn scopes() -> [Scope; 3] {
    let c = ClusterRef::new("sub", "rg", "c1");
    [
        Scope::cluster(c.clone()),
        Scope::database(c.clone(), "db1"),
        Scope::database(c, "db2"),
    ]
}

fn key(scope: &Scope, t: usize, id: usize, role: usize) -> AssignmentKey {
    let roles = Role::for_scope(scope.kind());
    AssignmentKey {
        scope: scope.clone(),
        principal_type: TYPES[t % 3],
        principal_id: PrincipalId::new(IDS[id % IDS.len()]),
        role: roles[role % roles.len()],
    }
}

/// (scope, type, id, role, name, tenant, object id) as indexes into the pools.
type Pick = (usize, usize, usize, usize, usize, usize, usize);

fn pick() -> impl Strategy<Value = Pick> {
    (
        0..3usize,
        0..3usize,
        0..5usize,
        0..6usize,
        0..5usize,
        0..4usize,
        0..3usize,
    )
}

fn build_current(picks: &[Pick]) -> CurrentState {
    let scopes = scopes();
    let mut current = CurrentState::default();
    for &(s, t, id, role, name, tenant, oid) in picks {
        let list = current.scopes.entry(scopes[s].clone()).or_default();
        let name = format!("{}{}", NAMES[name % NAMES.len()], id);
        // ARM names are unique per scope, without case.
        if list.iter().any(|a| a.name.eq_ignore_ascii_case(&name)) {
            continue;
        }
        list.push(CurrentAssignment {
            key: key(&scopes[s], t, id, role),
            name,
            tenant_id: TENANTS[tenant].map(str::to_string),
            tenant_name: None,
            principal_name: None,
            aad_object_id: OIDS[oid].map(str::to_string),
            provisioning: Default::default(),
        });
    }
    current
}

fn build_desired(picks: &[Pick], keep: [bool; 3], ignore: &[(usize, usize, bool)]) -> DesiredState {
    let scopes = scopes();
    let mut desired = DesiredState {
        file: "p.yaml".into(),
        scopes: scopes
            .iter()
            .zip(keep)
            .map(|(s, keep)| DesiredScope {
                scope: s.clone(),
                unmanaged: if keep {
                    Unmanaged::Keep
                } else {
                    Unmanaged::Delete
                },
                grants: vec![],
            })
            .collect(),
        ignore: ignore
            .iter()
            .map(|&(t, id, any_role)| IgnoreRule {
                principal_type: TYPES[t % 3],
                principal_id: PrincipalId::new(IDS[id % IDS.len()]),
                role: (!any_role).then_some(Role::Viewer),
            })
            .collect(),
        safety: SafetyConfig::default(),
    };
    for &(s, t, id, role, name, tenant, _) in picks {
        desired.scopes[s].grants.push(DesiredGrant {
            key: key(&scopes[s], t, id, role),
            name: NAMES.get(name).map(|n| n.to_string()),
            tenant: TENANTS[tenant].map(str::to_string),
            location: SourceLocation::default(),
            resolved: None,
        });
    }
    desired
}

/// Applies the plan as `apply` does: every PUT of a scope, then every DELETE. A PUT to an existing
/// name overwrites it, as ARM does.
fn apply(plan: &Plan, current: &CurrentState) -> CurrentState {
    let mut next = current.clone();
    for sp in &plan.scopes {
        let list = next.scopes.entry(sp.scope.clone()).or_default();
        for c in &sp.changes {
            match c {
                Change::Create { after } | Change::Replace { after, .. } => {
                    let name = after.create_name();
                    list.retain(|a| !a.name.eq_ignore_ascii_case(&name));
                    list.push(CurrentAssignment {
                        key: after.key.clone(),
                        name,
                        tenant_id: after.tenant.clone(),
                        tenant_name: None,
                        principal_name: None,
                        aad_object_id: None,
                        provisioning: Default::default(),
                    });
                }
                Change::Delete { .. } | Change::NoOp { .. } => {}
            }
        }
        for c in &sp.changes {
            match c {
                Change::Delete { before } | Change::Replace { before, .. } => {
                    list.retain(|a| !a.name.eq_ignore_ascii_case(&before.name));
                }
                Change::Create { .. } | Change::NoOp { .. } => {}
            }
        }
    }
    next
}

proptest! {
    // 512 cases by default; PROPTEST_CASES=N runs more.
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512), ..ProptestConfig::default() })]

    #[test]
    fn applying_a_plan_converges(
        have in proptest::collection::vec(pick(), 0..10),
        want in proptest::collection::vec(pick(), 0..10),
        keep in any::<[bool; 3]>(),
        ignore in proptest::collection::vec((0..3usize, 0..5usize, any::<bool>()), 0..2),
    ) {
        let current = build_current(&have);
        let desired = build_desired(&want, keep, &ignore);
        let plan = diff(&desired, &current);
        let next = apply(&plan, &current);

        // Nothing the plan did not delete is lost or overwritten.
        for sp in &plan.scopes {
            let deleted: Vec<&str> = sp.changes.iter().filter_map(|c| match c {
                Change::Delete { before } | Change::Replace { before, .. } => Some(before.name.as_str()),
                Change::Create { .. } | Change::NoOp { .. } => None,
            }).collect();
            for a in current.scopes.get(&sp.scope).into_iter().flatten() {
                if !deleted.contains(&a.name.as_str()) {
                    prop_assert!(next.scopes[&sp.scope].contains(a), "lost {a:?}");
                }
                if desired.ignore.iter().any(|r| r.matches(a)) {
                    prop_assert!(!deleted.contains(&a.name.as_str()), "deleted ignored {a:?}");
                }
            }
        }

        let again = diff(&desired, &next);
        prop_assert!(!again.summary().has_changes(), "not converged: {:#?}", again.actions().collect::<Vec<_>>());
        // Planning is deterministic and independent of the order ARM lists things in.
        let mut reversed = current.clone();
        for list in reversed.scopes.values_mut() {
            list.reverse();
        }
        prop_assert_eq!(&plan, &diff(&desired, &reversed));
    }
}
