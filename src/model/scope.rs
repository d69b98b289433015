//! Where a grant lives: a cluster, or a database of a cluster.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::Deserialize;

use super::principal::cmp_ignore_case;
use super::role::ScopeKind;

/// One Kusto cluster, addressed as ARM addresses it. Compares case-insensitively, as ARM does.
///
/// The parts are shared (`Arc<str>`): every grant and every listed assignment carries its scope, and
/// at fleet scale (100,000 grants) a copy of the three strings per grant is most of the memory.
#[derive(Debug, Clone, Deserialize)]
pub struct ClusterRef {
    pub subscription: Arc<str>,
    pub resource_group: Arc<str>,
    pub cluster: Arc<str>,
}

impl ClusterRef {
    pub fn new(
        subscription: impl AsRef<str>,
        resource_group: impl AsRef<str>,
        cluster: impl AsRef<str>,
    ) -> Self {
        ClusterRef {
            subscription: subscription.as_ref().into(),
            resource_group: resource_group.as_ref().into(),
            cluster: cluster.as_ref().into(),
        }
    }

    fn parts(&self) -> [&str; 3] {
        [&self.subscription, &self.resource_group, &self.cluster]
    }
}

impl PartialEq for ClusterRef {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ClusterRef {}

impl PartialOrd for ClusterRef {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ClusterRef {
    fn cmp(&self, other: &Self) -> Ordering {
        // Sorted by cluster name first: that is how people read a plan.
        let (a, b) = (self.parts(), other.parts());
        cmp_ignore_case(a[2], b[2])
            .then_with(|| cmp_ignore_case(a[0], b[0]))
            .then_with(|| cmp_ignore_case(a[1], b[1]))
    }
}

impl Hash for ClusterRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for part in self.parts() {
            for b in part.bytes() {
                state.write_u8(b.to_ascii_lowercase());
            }
            state.write_u8(0);
        }
    }
}

impl fmt::Display for ClusterRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cluster)
    }
}

/// A cluster, or one database of it. `Display` is the short address people use on the command line
/// (`cluster` or `cluster/database`); `arm::ArmPath::scope` builds its ARM resource id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub struct Scope {
    pub cluster: ClusterRef,
    pub database: Option<DatabaseName>,
}

/// A database name; compares case-insensitively. Shared, like the parts of `ClusterRef`.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct DatabaseName(pub Arc<str>);

impl PartialEq for DatabaseName {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}
impl Eq for DatabaseName {}
impl PartialOrd for DatabaseName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for DatabaseName {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_ignore_case(&self.0, &other.0)
    }
}
impl Hash for DatabaseName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl Scope {
    pub fn cluster(cluster: ClusterRef) -> Self {
        Scope {
            cluster,
            database: None,
        }
    }

    pub fn database(cluster: ClusterRef, database: impl AsRef<str>) -> Self {
        Scope {
            cluster,
            database: Some(DatabaseName(database.as_ref().into())),
        }
    }

    pub fn kind(&self) -> ScopeKind {
        match self.database {
            None => ScopeKind::Cluster,
            Some(_) => ScopeKind::Database,
        }
    }

    pub fn database_name(&self) -> Option<&str> {
        self.database.as_ref().map(|d| &*d.0)
    }

    /// True when `target` (`cluster` or `cluster/database`, case-insensitive) selects this scope.
    /// A cluster target selects the cluster and all of its databases.
    pub fn matches_target(&self, target: &str) -> bool {
        let (cluster, database) = match target.split_once('/') {
            Some((c, d)) => (c, Some(d)),
            None => (target, None),
        };
        if !self.cluster.cluster.eq_ignore_ascii_case(cluster) {
            return false;
        }
        match (database, self.database_name()) {
            (None, _) => true,
            (Some(want), Some(have)) => want.eq_ignore_ascii_case(have),
            (Some(_), None) => false,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.database {
            None => write!(f, "{}", self.cluster.cluster),
            Some(db) => write!(f, "{}/{}", self.cluster.cluster, db.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster() -> ClusterRef {
        ClusterRef::new("sub", "RG", "Kusto1")
    }

    #[test]
    fn scopes_compare_like_arm() {
        let a = Scope::database(cluster(), "Sales");
        let b = Scope::database(ClusterRef::new("SUB", "rg", "kusto1"), "sales");
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "Kusto1/Sales");
    }

    #[test]
    fn targets_select_clusters_and_databases() {
        let c = Scope::cluster(cluster());
        let d = Scope::database(cluster(), "sales");
        assert!(c.matches_target("kusto1"));
        assert!(d.matches_target("kusto1"));
        assert!(d.matches_target("KUSTO1/Sales"));
        assert!(!c.matches_target("kusto1/sales"));
        assert!(!d.matches_target("kusto1/other"));
        assert!(!d.matches_target("kusto2"));
    }
}
