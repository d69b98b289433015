//! The emulator's own words for roles, principal types and scope kinds, written from the ARM spec
//! (`ClusterPrincipalRole`, `DatabasePrincipalRole` and `PrincipalType` in Microsoft.Kusto
//! 2025-02-14). They are kept apart from the client's on purpose: if both sides shared one table, a
//! misspelt role would be accepted by the emulator exactly when the client sends it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which kind of scope an assignment lives at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeKind {
    Cluster,
    Database,
}

impl fmt::Display for ScopeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ScopeKind::Cluster => "cluster",
            ScopeKind::Database => "database",
        })
    }
}

/// A role as the spec spells it; serialised in that spelling in the state file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    AllDatabasesAdmin,
    AllDatabasesViewer,
    AllDatabasesMonitor,
    Admin,
    Ingestor,
    Monitor,
    User,
    UnrestrictedViewer,
    Viewer,
}

/// The spec's enums, in the spec's order: (role, wire spelling, where it is valid).
const ROLES: [(Role, &str, ScopeKind); 9] = [
    (
        Role::AllDatabasesAdmin,
        "AllDatabasesAdmin",
        ScopeKind::Cluster,
    ),
    (
        Role::AllDatabasesViewer,
        "AllDatabasesViewer",
        ScopeKind::Cluster,
    ),
    (
        Role::AllDatabasesMonitor,
        "AllDatabasesMonitor",
        ScopeKind::Cluster,
    ),
    (Role::Admin, "Admin", ScopeKind::Database),
    (Role::Ingestor, "Ingestor", ScopeKind::Database),
    (Role::Monitor, "Monitor", ScopeKind::Database),
    (Role::User, "User", ScopeKind::Database),
    (
        Role::UnrestrictedViewer,
        "UnrestrictedViewer",
        ScopeKind::Database,
    ),
    (Role::Viewer, "Viewer", ScopeKind::Database),
];

impl Role {
    fn entry(self) -> &'static (Role, &'static str, ScopeKind) {
        ROLES
            .iter()
            .find(|(r, _, _)| *r == self)
            .expect("every role is in the table")
    }

    /// Every role with its wire spelling and scope kind, in the spec's order.
    pub fn table() -> impl Iterator<Item = (Role, &'static str, ScopeKind)> {
        ROLES.iter().copied()
    }

    /// The roles valid at a kind of scope, in the spec's order.
    pub fn for_scope(kind: ScopeKind) -> Vec<Role> {
        Self::table().filter(|e| e.2 == kind).map(|e| e.0).collect()
    }

    pub fn as_str(self) -> &'static str {
        self.entry().1
    }

    pub fn scope_kind(self) -> ScopeKind {
        self.entry().2
    }

    /// The exact spelling only: the service echoes roles as the spec spells them and refuses others.
    pub fn parse(s: &str) -> Option<Role> {
        ROLES.iter().find(|(_, w, _)| *w == s).map(|(r, _, _)| *r)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The spec's `PrincipalType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PrincipalType {
    App,
    Group,
    User,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::App => "App",
            PrincipalType::Group => "Group",
            PrincipalType::User => "User",
        }
    }

    pub fn parse(s: &str) -> Option<PrincipalType> {
        [
            PrincipalType::App,
            PrincipalType::Group,
            PrincipalType::User,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

impl fmt::Display for PrincipalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_only_in_the_spec_spelling() {
        for (role, wire, _) in Role::table() {
            assert_eq!(Role::parse(wire), Some(role));
            assert_eq!(role.as_str(), wire);
        }
        assert_eq!(Role::parse("UnrestrictedViewers"), None);
        assert_eq!(Role::parse("admin"), None);
        assert_eq!(Role::AllDatabasesMonitor.scope_kind(), ScopeKind::Cluster);
        assert_eq!(PrincipalType::parse("app"), None);
        assert_eq!(PrincipalType::parse("Group"), Some(PrincipalType::Group));
    }
}
