//! The two states the planner compares: what the file asks for (`DesiredState`, built by `config`)
//! and what ARM has now (`CurrentState`, built by `arm`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{AssignmentKey, PrincipalId, PrincipalType, Role, Scope};

/// A place in the desired-state file, 1-based, for error messages and plan annotations.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SourceLocation {
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// What to do with assignments found in Azure at a managed scope but absent from the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unmanaged {
    #[default]
    Delete,
    Keep,
}

/// One grant the file asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DesiredGrant {
    pub key: AssignmentKey,
    /// The ARM assignment name to use when creating; `None` means a generated `kp-…` name.
    pub name: Option<String>,
    /// The principal's tenant, compared only when the file sets it.
    pub tenant: Option<String>,
    pub location: SourceLocation,
}

impl DesiredGrant {
    /// The name a create of this grant PUTs.
    pub fn create_name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.key.generated_name())
    }
}

/// One managed scope: every scope listed in the file, with its grants (possibly none).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredScope {
    pub scope: Scope,
    pub unmanaged: Unmanaged,
    pub grants: Vec<DesiredGrant>,
}

/// Principals never touched and never reported, wherever they appear.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoreRule {
    pub principal_type: PrincipalType,
    pub principal_id: PrincipalId,
    /// When set, only this role of the principal is ignored.
    pub role: Option<Role>,
}

impl IgnoreRule {
    pub fn matches(&self, a: &CurrentAssignment) -> bool {
        self.principal_type == a.key.principal_type
            && (self.principal_id == a.key.principal_id
                || a.aad_object_id
                    .as_deref()
                    .is_some_and(|oid| self.principal_id.matches(oid)))
            && self.role.is_none_or(|r| r == a.key.role)
    }
}

/// Thresholds of the safety verdict (DESIGN.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SafetyConfig {
    /// A scope with at least `min_existing` assignments may lose at most this fraction of them.
    pub max_delete_fraction: f64,
    pub min_existing: usize,
    /// A cluster must keep at least one `AllDatabasesAdmin`.
    pub require_cluster_admin: bool,
}

impl Default for SafetyConfig {
    fn default() -> Self {
        SafetyConfig {
            max_delete_fraction: 0.30,
            min_existing: 10,
            require_cluster_admin: true,
        }
    }
}

/// The validated, normalised desired-state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DesiredState {
    /// The file it came from, as given on the command line.
    pub file: String,
    /// Every managed scope, sorted by scope.
    pub scopes: Vec<DesiredScope>,
    pub ignore: Vec<IgnoreRule>,
    pub safety: SafetyConfig,
}

impl DesiredState {
    /// Keeps only the scopes selected by `targets` (`cluster` or `cluster/database`); no targets keeps all.
    pub fn retain_targets(&mut self, targets: &[String]) {
        if targets.is_empty() {
            return;
        }
        self.scopes
            .retain(|s| targets.iter().any(|t| s.scope.matches_target(t)));
    }
}

/// One assignment as ARM lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentAssignment {
    pub key: AssignmentKey,
    /// The short assignment name (the last segment of ARM's `name`).
    pub name: String,
    pub tenant_id: Option<String>,
    pub tenant_name: Option<String>,
    /// ARM's resolved display name, e.g. `Alice (alice@contoso.com)`.
    pub principal_name: Option<String>,
    pub aad_object_id: Option<String>,
    /// ARM's `provisioningState`: only a `Succeeded` assignment holds its grant.
    #[serde(default, skip_serializing_if = "Provisioning::is_succeeded")]
    pub provisioning: Provisioning,
}

impl CurrentAssignment {
    /// True when the assignment is in force: ARM reports it `Succeeded`. One still `Creating` (an
    /// apply in progress or killed, the portal) is not, and counts for nothing until it is.
    pub fn is_held(&self) -> bool {
        self.provisioning.is_succeeded()
    }
}

/// ARM's `provisioningState` of an assignment, in three classes the planner treats differently.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Provisioning {
    /// In force.
    #[default]
    Succeeded,
    /// In progress (`Creating`, `Running`, `Deleting`, `Moving`, or a state this version does not
    /// know): it may yet succeed or vanish, so it is neither counted as held nor written over.
    Pending(String),
    /// Ended without effect (`Failed`, `Canceled`): it holds nothing and may be replaced.
    Failed(String),
}

impl Provisioning {
    /// From ARM's text. A listing without the field is read as `Succeeded`: the real service always
    /// sends it (every recorded listing has it), and only test servers leave it out.
    pub fn parse(state: Option<&str>) -> Provisioning {
        match state.map(str::trim) {
            None => Provisioning::Succeeded,
            Some(s) if s.eq_ignore_ascii_case("Succeeded") => Provisioning::Succeeded,
            Some(s) if s.eq_ignore_ascii_case("Failed") || s.eq_ignore_ascii_case("Canceled") => {
                Provisioning::Failed(s.to_string())
            }
            Some(s) => Provisioning::Pending(s.to_string()),
        }
    }

    pub fn is_succeeded(&self) -> bool {
        matches!(self, Provisioning::Succeeded)
    }

    pub fn is_pending(&self) -> bool {
        matches!(self, Provisioning::Pending(_))
    }

    /// ARM's word for it (`Succeeded`, `Creating`, …).
    pub fn as_str(&self) -> &str {
        match self {
            Provisioning::Succeeded => "Succeeded",
            Provisioning::Pending(s) | Provisioning::Failed(s) => s,
        }
    }
}

/// What ARM has now at each managed scope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CurrentState {
    pub scopes: BTreeMap<Scope, Vec<CurrentAssignment>>,
    /// Scopes that could not be read (e.g. the cluster or database does not exist), with the reason.
    pub errors: BTreeMap<Scope, String>,
}

impl From<String> for Provisioning {
    fn from(s: String) -> Self {
        Provisioning::parse(Some(&s))
    }
}

impl From<Provisioning> for String {
    fn from(p: Provisioning) -> Self {
        p.as_str().to_string()
    }
}
