//! Roles per scope, as ARM spells them (`ClusterPrincipalRole`, `DatabasePrincipalRole`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which kind of scope a grant lives at.
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

/// A Kusto role. Cluster roles and database roles share one enum so that a grant's key has one type;
/// `Role::scope_kind` says where each one is valid.
///
/// | role                  | scope    |
/// |-----------------------|----------|
/// | `AllDatabasesAdmin`   | cluster  |
/// | `AllDatabasesViewer`  | cluster  |
/// | `AllDatabasesMonitor` | cluster  |
/// | `Admin`               | database |
/// | `Ingestor`            | database |
/// | `Monitor`             | database |
/// | `User`                | database |
/// | `UnrestrictedViewer`  | database |
/// | `Viewer`              | database |
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

impl Role {
    pub const CLUSTER: [Role; 3] = [
        Role::AllDatabasesAdmin,
        Role::AllDatabasesViewer,
        Role::AllDatabasesMonitor,
    ];
    pub const DATABASE: [Role; 6] = [
        Role::Admin,
        Role::Ingestor,
        Role::Monitor,
        Role::User,
        Role::UnrestrictedViewer,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::AllDatabasesAdmin => "AllDatabasesAdmin",
            Role::AllDatabasesViewer => "AllDatabasesViewer",
            Role::AllDatabasesMonitor => "AllDatabasesMonitor",
            Role::Admin => "Admin",
            Role::Ingestor => "Ingestor",
            Role::Monitor => "Monitor",
            Role::User => "User",
            Role::UnrestrictedViewer => "UnrestrictedViewer",
            Role::Viewer => "Viewer",
        }
    }

    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::AllDatabasesAdmin | Role::AllDatabasesViewer | Role::AllDatabasesMonitor => {
                ScopeKind::Cluster
            }
            Role::Admin
            | Role::Ingestor
            | Role::Monitor
            | Role::User
            | Role::UnrestrictedViewer
            | Role::Viewer => ScopeKind::Database,
        }
    }

    /// The roles valid at a kind of scope, in ARM's documented order.
    pub fn for_scope(kind: ScopeKind) -> &'static [Role] {
        match kind {
            ScopeKind::Cluster => &Self::CLUSTER,
            ScopeKind::Database => &Self::DATABASE,
        }
    }

    /// Parses ARM's exact spelling. ARM echoes roles exactly as the spec spells them.
    pub fn parse(s: &str) -> Option<Role> {
        Self::CLUSTER
            .iter()
            .chain(Self::DATABASE.iter())
            .copied()
            .find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_parses_back_and_belongs_to_one_scope() {
        for role in Role::CLUSTER.iter().chain(Role::DATABASE.iter()) {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        assert_eq!(Role::AllDatabasesMonitor.scope_kind(), ScopeKind::Cluster);
        assert_eq!(Role::UnrestrictedViewer.scope_kind(), ScopeKind::Database);
        assert_eq!(Role::parse("UnrestrictedViewers"), None);
        assert_eq!(Role::parse("admin"), None);
    }

    /// The emulator keeps its own role table (from the spec) so that it cannot accept a spelling
    /// just because the client sends it; the two tables must still name the same roles at the same
    /// scopes.
    #[test]
    fn the_emulators_role_table_agrees_with_ours() {
        let ours: Vec<(String, String)> = Role::CLUSTER
            .iter()
            .chain(Role::DATABASE.iter())
            .map(|r| (r.as_str().to_string(), r.scope_kind().to_string()))
            .collect();
        let theirs: Vec<(String, String)> = kusto_emulator::Role::table()
            .map(|(_, wire, kind)| (wire.to_string(), kind.to_string()))
            .collect();
        assert_eq!(ours, theirs);
        for t in ["App", "Group", "User"] {
            let ours = crate::model::PrincipalType::parse(t).map(|p| p.as_str());
            let theirs = kusto_emulator::PrincipalType::parse(t).map(|p| p.as_str());
            assert_eq!((ours, theirs), (Some(t), Some(t)));
        }
    }
}
