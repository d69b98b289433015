//! What ARM listed at one scope, made fit to plan on. Every listing reaches the planner through
//! `plan_scope`, so these run on every listing, whoever made it (`plan`, a re-list before writes):
//!
//! | listing                                                     | result                          |
//! |-------------------------------------------------------------|---------------------------------|
//! | one name twice (on one page, in another case, on the next page), same grant | one entry; the least settled state wins |
//! | one name twice with different grants                        | an error for the scope          |
//! | an assignment not `Succeeded` and not ignored, still in progress | set aside as pending       |
//!
//! ARM names are unique per scope without case: two entries under one name are one resource told
//! twice, so the planner must not keep one copy and delete the other.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::action::Pending;
use crate::model::{CurrentAssignment, IgnoreRule, Provisioning, names};

/// One entry per name (compared as ARM compares names), in listing order.
pub(super) fn dedupe(listed: Vec<CurrentAssignment>) -> Result<Vec<CurrentAssignment>, String> {
    let mut out: Vec<CurrentAssignment> = Vec::with_capacity(listed.len());
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(listed.len());
    for a in listed {
        match seen.entry(names::fold(&a.name)) {
            Entry::Vacant(v) => {
                v.insert(out.len());
                out.push(a);
            }
            Entry::Occupied(o) => {
                let first = &mut out[*o.get()];
                if first.key != a.key || !same_tenant(first, &a) {
                    return Err(format!(
                        "ARM listed the assignment name `{}` twice with different grants ({} and {}); \
                         not planning this scope on a contradictory listing",
                        a.name.escape_debug(),
                        first.key,
                        a.key
                    ));
                }
                if first.provisioning.is_succeeded() {
                    first.provisioning = a.provisioning;
                } else if a.provisioning.is_pending() {
                    // In progress beats ended: it may still take effect.
                    first.provisioning = a.provisioning;
                }
            }
        }
    }
    Ok(out)
}

fn same_tenant(a: &CurrentAssignment, b: &CurrentAssignment) -> bool {
    match (&a.tenant_id, &b.tenant_id) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => true,
    }
}

/// Splits off the assignments still in progress (not ignored: an ignored one is never touched or
/// reported, whatever its state). They are neither held nor free to delete until they settle.
pub(super) fn set_aside(
    listed: Vec<CurrentAssignment>,
    ignore: &[IgnoreRule],
) -> (Vec<CurrentAssignment>, Vec<CurrentAssignment>) {
    listed.into_iter().partition(|a| {
        !matches!(a.provisioning, Provisioning::Pending(_)) || ignore.iter().any(|r| r.matches(a))
    })
}

/// The plan's pending list: the assignments in progress, then the held ones whose delete waits
/// (with the in-progress name each waits for), sorted by key and name.
pub(super) fn pending(
    in_progress: Vec<CurrentAssignment>,
    waiting: Vec<(CurrentAssignment, String)>,
) -> Vec<Pending> {
    let mut out: Vec<Pending> = in_progress
        .into_iter()
        .map(|assignment| Pending {
            assignment,
            waits_for: None,
        })
        .chain(waiting.into_iter().map(|(assignment, by)| Pending {
            assignment,
            waits_for: Some(by),
        }))
        .collect();
    out.sort_by(|a, b| {
        let (a, b) = (&a.assignment, &b.assignment);
        a.key
            .cmp(&b.key)
            .then_with(|| names::fold(&a.name).cmp(&names::fold(&b.name)))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AssignmentKey, ClusterRef, PrincipalId, PrincipalType, Role, Scope};

    fn a(name: &str, id: &str, state: Option<&str>) -> CurrentAssignment {
        CurrentAssignment {
            key: AssignmentKey {
                scope: Scope::cluster(ClusterRef::new("s", "rg", "kusto1")),
                principal_type: PrincipalType::App,
                principal_id: PrincipalId::new(id),
                role: Role::AllDatabasesAdmin,
            },
            name: name.into(),
            tenant_id: None,
            tenant_name: None,
            principal_name: None,
            aad_object_id: None,
            provisioning: Provisioning::parse(state),
        }
    }

    #[test]
    fn one_name_told_twice_is_one_entry_in_its_least_settled_state() {
        let out = dedupe(vec![
            a("Admins", "x", None),
            a("other", "y", None),
            a("ADMINS", "X", Some("Creating")),
        ])
        .unwrap();
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].name, "Admins");
        assert!(out[0].provisioning.is_pending());
    }

    #[test]
    fn one_name_with_two_grants_is_an_error() {
        let e = dedupe(vec![a("admins", "x", None), a("Admins", "y", None)]).unwrap_err();
        assert!(e.contains("`Admins` twice"), "{e}");
    }

    #[test]
    fn in_progress_assignments_are_set_aside() {
        let (settled, pending) = set_aside(
            vec![
                a("a", "x", Some("Creating")),
                a("b", "y", Some("Failed")),
                a("c", "z", None),
            ],
            &[],
        );
        assert_eq!(settled.len(), 2);
        assert_eq!(pending[0].name, "a");
    }
}
