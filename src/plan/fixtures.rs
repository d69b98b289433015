//! Test inputs in a compact YAML form (used by the golden plans under `tests/fixtures/plans/` and by
//! unit tests): per scope, what the file asks for and what ARM lists.
//!
//! ```yaml
//! ignore: [{app: 11111111-2222-3333-4444-555555555555}]
//! safety: {max_delete_fraction: 0.3, min_existing: 10, require_cluster_admin: true}   # optional
//! scopes:
//!   - scope: mykustocluster/sales          # `cluster` or `cluster/database`
//!     unmanaged: keep                      # default delete
//!     desired: [{user: alice@contoso.com, role: Viewer, name: optional, tenant: optional}]
//!     current: [{name: x, group: g@contoso.com, role: Viewer, display: "G", oid: …, tenant: …, state: Creating}]
//!     error: "database `sales` not found"  # the scope could not be read
//! ```
//!
//! Subscription and resource group are fixed unless a scope sets `subscription`/`resource_group`.

use serde::Deserialize;

use crate::model::{
    AssignmentKey, ClusterRef, CurrentAssignment, CurrentState, DesiredGrant, DesiredScope,
    DesiredState, IgnoreRule, PrincipalId, PrincipalType, Provisioning, Role, SafetyConfig, Scope,
    SourceLocation, Unmanaged,
};

pub const SUBSCRIPTION: &str = "12345678-1234-1234-1234-123456789098";
pub const RESOURCE_GROUP: &str = "testrg";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    #[serde(default)]
    safety: Option<SafetyConfig>,
    #[serde(default)]
    ignore: Vec<Entry>,
    scopes: Vec<ScopeInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeInput {
    scope: String,
    subscription: Option<String>,
    resource_group: Option<String>,
    #[serde(default)]
    unmanaged: Unmanaged,
    #[serde(default)]
    desired: Vec<Entry>,
    #[serde(default)]
    current: Vec<Entry>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    app: Option<String>,
    user: Option<String>,
    group: Option<String>,
    role: Option<Role>,
    name: Option<String>,
    tenant: Option<String>,
    display: Option<String>,
    oid: Option<String>,
    /// ARM's `provisioningState` of a current entry; `Succeeded` when left out.
    state: Option<String>,
}

impl Entry {
    fn principal(&self) -> (PrincipalType, PrincipalId) {
        match (&self.app, &self.user, &self.group) {
            (Some(id), None, None) => (PrincipalType::App, PrincipalId::new(id)),
            (None, Some(id), None) => (PrincipalType::User, PrincipalId::new(id)),
            (None, None, Some(id)) => (PrincipalType::Group, PrincipalId::new(id)),
            _ => panic!("an entry names exactly one of app, user, group"),
        }
    }

    fn ignore_rule(&self) -> IgnoreRule {
        let (principal_type, principal_id) = self.principal();
        IgnoreRule {
            principal_type,
            principal_id,
            role: self.role,
        }
    }

    fn key(&self, scope: &Scope) -> AssignmentKey {
        let (principal_type, principal_id) = self.principal();
        AssignmentKey {
            scope: scope.clone(),
            principal_type,
            principal_id,
            role: self.role.expect("an entry of a scope has a role"),
        }
    }
}

/// Parses a scenario into the two states `diff` compares.
pub fn scenario(yaml: &str) -> (DesiredState, CurrentState) {
    let input: Input = serde_yaml::from_str(yaml).expect("a valid scenario");
    let mut desired = DesiredState {
        file: "principals.yaml".into(),
        scopes: Vec::new(),
        ignore: input.ignore.iter().map(Entry::ignore_rule).collect(),
        safety: input.safety.unwrap_or_default(),
    };
    let mut current = CurrentState::default();
    for (n, s) in input.scopes.iter().enumerate() {
        let scope = s.scope();
        match &s.error {
            Some(e) => {
                current.errors.insert(scope.clone(), e.clone());
            }
            None => {
                current.scopes.insert(scope.clone(), s.listed(&scope));
            }
        }
        desired.scopes.push(DesiredScope {
            grants: s.grants(n, &scope),
            scope,
            unmanaged: s.unmanaged,
        });
    }
    desired.scopes.sort_by(|a, b| a.scope.cmp(&b.scope));
    (desired, current)
}

impl ScopeInput {
    /// `cluster` or `cluster/database`, in the fixed subscription and resource group unless set.
    fn scope(&self) -> Scope {
        let (cluster, database) = match self.scope.split_once('/') {
            Some((c, d)) => (c, Some(d)),
            None => (self.scope.as_str(), None),
        };
        let cluster = ClusterRef::new(
            self.subscription.as_deref().unwrap_or(SUBSCRIPTION),
            self.resource_group.as_deref().unwrap_or(RESOURCE_GROUP),
            cluster,
        );
        match database {
            Some(d) => Scope::database(cluster, d),
            None => Scope::cluster(cluster),
        }
    }

    /// What the file asks for at the `n`th scope; grant `i` sits at line `100 (n + 1) + i`.
    fn grants(&self, n: usize, scope: &Scope) -> Vec<DesiredGrant> {
        self.desired
            .iter()
            .enumerate()
            .map(|(i, e)| DesiredGrant {
                key: e.key(scope),
                name: e.name.clone(),
                tenant: e.tenant.clone(),
                location: SourceLocation {
                    line: 100 * (n + 1) + i,
                    column: 9,
                },
                resolved: None,
            })
            .collect()
    }

    /// What ARM lists at the scope.
    fn listed(&self, scope: &Scope) -> Vec<CurrentAssignment> {
        self.current
            .iter()
            .map(|e| CurrentAssignment {
                key: e.key(scope),
                name: e.name.clone().expect("a current entry has a name"),
                tenant_id: e.tenant.clone(),
                tenant_name: None,
                principal_name: e.display.clone(),
                aad_object_id: e.oid.clone(),
                provisioning: Provisioning::parse(e.state.as_deref()),
            })
            .collect()
    }
}

/// One scenario with every kind of change, kept grant, display name, tenant and error.
pub fn sample() -> (DesiredState, CurrentState) {
    scenario(
        r#"
scopes:
  - scope: kusto1
    desired:
      - {app: 87654321-1234-1234-1234-123456789123, role: AllDatabasesAdmin, name: admin1, tenant: 12345678-1234-1234-1234-123456789012}
      - {user: alice@contoso.com, role: AllDatabasesViewer}
    current:
      - {name: admin1, app: 87654321-1234-1234-1234-123456789123, role: AllDatabasesAdmin, tenant: 12345678-1234-1234-1234-123456789012}
      - {name: portal-viewer, user: bob@contoso.com, role: AllDatabasesViewer, display: "Bob Jones (bob@contoso.com)", oid: 0b0b0b0b-0000-0000-0000-000000000001}
  - scope: kusto1/sales
    desired:
      - {group: analysts@contoso.com, role: Admin}
    current:
      - {name: analysts-viewer, group: analysts@contoso.com, role: Viewer, display: Analysts, tenant: 12345678-1234-1234-1234-123456789012}
  - scope: kusto1/logs
    unmanaged: keep
    desired: []
    current:
      - {name: oncall, group: sre@contoso.com, role: Monitor, display: SRE}
  - scope: kusto2/missing
    desired:
      - {user: carol@contoso.com, role: Viewer}
    error: "database `missing` not found in cluster `kusto2`"
"#,
    )
}
