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

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{CurrentAssignment, PrincipalType, Role};

/// One assignment as listed, with exactly the fields the fingerprint covers: saved with the plan so
/// that the loader can check the fingerprint against it and a stale plan can say what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedEntry {
    pub name: String,
    pub principal_type: PrincipalType,
    pub principal_id: String,
    pub role: Role,
    pub tenant: Option<String>,
    /// ARM's `provisioningState` when it is not `Succeeded` (absent when it is): a plan made while
    /// an assignment was in progress is stale once it settles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl From<&CurrentAssignment> for ListedEntry {
    fn from(a: &CurrentAssignment) -> Self {
        ListedEntry {
            name: a.name.clone(),
            principal_type: a.key.principal_type,
            principal_id: a.key.principal_id.to_string(),
            role: a.key.role,
            tenant: a.tenant_id.clone(),
            state: (!a.is_held()).then(|| a.provisioning.as_str().to_string()),
        }
    }
}

impl ListedEntry {
    /// The fingerprint's canonical line: tab-separated, lowercased.
    fn canonical(&self) -> String {
        let mut line = [
            self.name.as_str(),
            self.principal_type.as_str(),
            self.principal_id.as_str(),
            self.role.as_str(),
            self.tenant.as_deref().unwrap_or(""),
        ]
        .map(str::to_ascii_lowercase)
        .join("\t");
        if let Some(state) = &self.state {
            line.push('\t');
            line.push_str(&state.to_ascii_lowercase());
        }
        line
    }

    /// `name type:id role [tenant=…]`, for messages.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} {}:{} {}",
            self.name,
            self.principal_type.file_key(),
            self.principal_id,
            self.role
        );
        if let Some(t) = &self.tenant {
            line.push_str(&format!(" tenant={t}"));
        }
        if let Some(state) = &self.state {
            line.push_str(&format!(" ({state})"));
        }
        line
    }

    /// Same assignment, ignoring case as ARM does.
    pub fn same(&self, other: &ListedEntry) -> bool {
        self.canonical() == other.canonical()
    }

    /// Same assignment whatever its provisioning state: what a change (which carries no state)
    /// names.
    pub fn same_grant(&self, other: &ListedEntry) -> bool {
        let plain = |e: &ListedEntry| ListedEntry {
            state: None,
            ..e.clone()
        };
        plain(self).canonical() == plain(other).canonical()
    }
}

/// `sha256:` + 64 hex digits over the canonical form of every assignment ARM listed at one scope,
/// ignored ones included. The order of `assignments` does not matter.
pub fn fingerprint(assignments: &[CurrentAssignment]) -> String {
    fingerprint_entries(&listing(assignments))
}

/// `fingerprint` over saved entries (what the plan file holds).
pub fn fingerprint_entries(entries: &[ListedEntry]) -> String {
    let mut lines: Vec<String> = entries.iter().map(ListedEntry::canonical).collect();
    lines.sort_unstable();
    let mut h = Sha256::new();
    for line in &lines {
        h.update(line.as_bytes());
        h.update(b"\n");
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// What ARM listed at a scope, sorted: saved with the plan.
pub fn listing<'a>(
    assignments: impl IntoIterator<Item = &'a CurrentAssignment>,
) -> Vec<ListedEntry> {
    let mut entries: Vec<ListedEntry> = assignments.into_iter().map(ListedEntry::from).collect();
    entries.sort_by_key(ListedEntry::canonical);
    entries
}

/// `(added, removed)`: readable lines of the entries of `now` not in `then`, and the reverse.
pub fn listing_changes(then: &[ListedEntry], now: &[ListedEntry]) -> (Vec<String>, Vec<String>) {
    let has = |list: &[ListedEntry], e: &ListedEntry| list.iter().any(|x| x.same(e));
    (
        now.iter()
            .filter(|e| !has(then, e))
            .map(ListedEntry::line)
            .collect(),
        then.iter()
            .filter(|e| !has(now, e))
            .map(ListedEntry::line)
            .collect(),
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
