//! The fingerprint of a scope: a digest of what ARM listed there, so that `apply PLAN.json` can
//! refuse a plan when Azure changed after it was reviewed.
//!
//! Canonical form, one line per assignment, lines sorted, each field lowercased (ARM compares names,
//! principal ids and tenants without case, so a change of spelling alone is not a change):
//!
//! | field          | source                      |
//! |----------------|-----------------------------|
//! | name           | the assignment's short name |
//! | principal type | `App`, `Group`, `User`      |
//! | principal id   | `principalId`               |
//! | role           | `role`                      |
//! | tenant         | `tenantId`, empty if absent |
//! | state          | `provisioningState`, only when not `Succeeded` (a plan made while an assignment was in progress is stale once it settles) |
//!
//! Display fields (`principalName`, `tenantName`, `aadObjectId`) are left out: ARM resolves them
//! after the fact, and they never change what a plan does to a grant.
//!
//! Pure: no I/O.

use sha2::{Digest, Sha256};

use crate::model::CurrentAssignment;

/// `sha256:` + 64 hex digits over the canonical form of every assignment ARM listed at one scope,
/// ignored ones included. The order of `assignments` does not matter.
pub fn fingerprint(assignments: &[CurrentAssignment]) -> String {
    let mut lines: Vec<String> = assignments
        .iter()
        .map(|a| {
            let mut line = [
                a.name.as_str(),
                a.key.principal_type.as_str(),
                a.key.principal_id.as_str(),
                a.key.role.as_str(),
                a.tenant_id.as_deref().unwrap_or(""),
            ]
            .map(str::to_ascii_lowercase)
            .join("\t");
            if !a.is_held() {
                line.push('\t');
                line.push_str(&a.provisioning.as_str().to_ascii_lowercase());
            }
            line
        })
        .collect();
    lines.sort_unstable();
    let mut h = Sha256::new();
    for line in &lines {
        h.update(line.as_bytes());
        h.update(b"\n");
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// What ARM listed at a scope, one readable line per assignment (`name type:id role [tenant]`),
/// sorted: saved with the plan, so that a stale plan can say what was added or removed since.
pub fn listing<'a>(assignments: impl IntoIterator<Item = &'a CurrentAssignment>) -> Vec<String> {
    let mut lines: Vec<String> = assignments
        .into_iter()
        .map(|a| {
            let mut line = format!(
                "{} {}:{} {}",
                a.name,
                a.key.principal_type.file_key(),
                a.key.principal_id,
                a.key.role
            );
            if let Some(t) = &a.tenant_id {
                line.push_str(&format!(" tenant={t}"));
            }
            if !a.is_held() {
                line.push_str(&format!(" ({})", a.provisioning.as_str()));
            }
            line
        })
        .collect();
    lines.sort_by_key(|l| l.to_ascii_lowercase());
    lines
}

/// `(added, removed)`: the lines of `now` not in `then`, and the reverse, ignoring case.
pub fn listing_changes(then: &[String], now: &[String]) -> (Vec<String>, Vec<String>) {
    let has = |list: &[String], l: &String| list.iter().any(|x| x.eq_ignore_ascii_case(l));
    (
        now.iter().filter(|l| !has(then, l)).cloned().collect(),
        then.iter().filter(|l| !has(now, l)).cloned().collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AssignmentKey, ClusterRef, PrincipalId, PrincipalType, Role, Scope};

    fn a(name: &str, id: &str, role: Role, tenant: Option<&str>) -> CurrentAssignment {
        CurrentAssignment {
            key: AssignmentKey {
                scope: Scope::cluster(ClusterRef::new("s", "rg", "c")),
                principal_type: PrincipalType::User,
                principal_id: PrincipalId::new(id),
                role,
            },
            name: name.into(),
            tenant_id: tenant.map(str::to_string),
            tenant_name: None,
            principal_name: None,
            aad_object_id: None,
            provisioning: Default::default(),
        }
    }

    #[test]
    fn order_case_and_display_fields_do_not_count() {
        let x = a(
            "x",
            "alice@contoso.com",
            Role::AllDatabasesViewer,
            Some("T"),
        );
        let y = a("y", "bob@contoso.com", Role::AllDatabasesAdmin, None);
        let base = fingerprint(&[x.clone(), y.clone()]);
        assert!(
            base.starts_with("sha256:") && base.len() == 7 + 64,
            "{base}"
        );
        assert_eq!(base, fingerprint(&[y.clone(), x.clone()]));
        let mut shouting = x.clone();
        shouting.key.principal_id = PrincipalId::new("ALICE@contoso.com");
        shouting.name = "X".into();
        shouting.tenant_id = Some("t".into());
        shouting.principal_name = Some("Alice".into());
        assert_eq!(base, fingerprint(&[shouting, y.clone()]));
    }

    #[test]
    fn any_change_that_matters_changes_it() {
        let x = a("x", "alice@contoso.com", Role::AllDatabasesViewer, None);
        let base = fingerprint(std::slice::from_ref(&x));
        assert_ne!(base, fingerprint(&[]));
        for changed in [
            a("x2", "alice@contoso.com", Role::AllDatabasesViewer, None),
            a("x", "carol@contoso.com", Role::AllDatabasesViewer, None),
            a("x", "alice@contoso.com", Role::AllDatabasesAdmin, None),
            a(
                "x",
                "alice@contoso.com",
                Role::AllDatabasesViewer,
                Some("t"),
            ),
        ] {
            assert_ne!(base, fingerprint(&[changed]));
        }
        let mut group = x.clone();
        group.key.principal_type = PrincipalType::Group;
        assert_ne!(base, fingerprint(&[group]));
        assert_ne!(base, fingerprint(&[x.clone(), x]));
    }
}
