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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unmanaged {
    #[default]
    Delete,
    Keep,
}

/// One grant the file asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DesiredGrant {
    pub key: AssignmentKey,
    /// The ARM assignment name to use when creating; `None` means a generated `kp-…` name.
    pub name: Option<String>,
    /// The principal's tenant, compared only when the file sets it.
    pub tenant: Option<String>,
    pub location: SourceLocation,
    /// What Microsoft Graph resolved the principal to (`--resolve-principals graph`): its object id
    /// also matches an assignment's `aadObjectId`, and its display name is shown in the plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<ResolvedPrincipal>,
}

/// A principal of the file as Microsoft Graph knows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResolvedPrincipal {
    pub object_id: String,
    pub display_name: Option<String>,
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DesiredScope {
    pub scope: Scope,
    pub unmanaged: Unmanaged,
    pub grants: Vec<DesiredGrant>,
}

/// Principals never touched and never reported, wherever they appear.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IgnoreRule {
    pub principal_type: PrincipalType,
    pub principal_id: PrincipalId,
    /// When set, only this role of the principal is ignored.
    pub role: Option<Role>,
}

impl IgnoreRule {
    pub fn matches(&self, a: &CurrentAssignment) -> bool {
        self.principal_type == a.key.principal_type
            && a.is_named_by(&self.principal_id)
            && self.role.is_none_or(|r| r == a.key.role)
    }
}

/// Thresholds of the safety verdict (docs/DESIGN.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
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

impl CurrentAssignment {
    /// Every spelling under which this assignment's principal can be named in the file: the
    /// `principalId` ARM stores, the `aadObjectId` it resolved, and, for users, the UPN that
    /// `principalName` carries in its last parentheses. ARM stores a user's `principalId` as the
    /// user's mail whatever form was sent, and a guest's `#EXT#` UPN appears only inside
    /// `principalName` (docs/arm-service.md §3), so matching on `principalId` alone churns.
    pub fn principal_ids(&self) -> impl Iterator<Item = &str> {
        let upn = match self.key.principal_type {
            PrincipalType::User => self.principal_name.as_deref().and_then(upn_in_display_name),
            PrincipalType::App | PrincipalType::Group => None,
        };
        std::iter::once(self.key.principal_id.as_str())
            .chain(self.aad_object_id.as_deref())
            .chain(upn)
            .filter(|id| !id.trim().is_empty())
    }

    /// True when `id` names this assignment's principal under any of its spellings.
    pub fn is_named_by(&self, id: &PrincipalId) -> bool {
        self.principal_ids().any(|s| id.matches(s))
    }
}

/// The UPN in `Display Name (upn)`: the text inside the last parentheses, when it looks like one
/// (`name@domain`, no spaces). A display name that merely ends in parentheses is not a UPN.
pub fn upn_in_display_name(name: &str) -> Option<&str> {
    let inner = name.trim_end().strip_suffix(')')?;
    let open = inner.rfind('(')?;
    let upn = inner[open + 1..].trim();
    let (local, domain) = upn.split_once('@')?;
    let plain =
        |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c == '(' || c == ')');
    (plain(local) && plain(domain) && !domain.contains('@')).then_some(upn)
}

/// What ARM has now at each managed scope.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
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

/// A database of a cluster as ARM lists it, with what the plan needs of its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseInfo {
    pub name: String,
    /// Set for a follower database (kind `ReadOnlyFollowing`).
    pub follower: Option<Follower>,
}

/// What a follower database follows, and how its own principals combine with the leader's
/// (`principalsModificationKind`: `Union`, `Replace` or `None`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Follower {
    /// The leader cluster's ARM id.
    pub leader: String,
    pub modification_kind: String,
}

impl Follower {
    /// False when the follower takes only the leader's principals (`None`): grants of its own
    /// cannot take effect there.
    pub fn takes_grants(&self) -> bool {
        !self.modification_kind.eq_ignore_ascii_case("None")
    }

    /// The leader cluster's name (the last segment of its id).
    pub fn leader_name(&self) -> &str {
        self.leader.rsplit('/').next().unwrap_or(&self.leader)
    }
}

/// Whether a cluster can be read and written now. Anything but `Running` cannot: a stopped cluster
/// answers every principal read with an error.
pub fn is_running(state: Option<&str>) -> bool {
    state.is_none_or(|s| s.eq_ignore_ascii_case("Running"))
}
