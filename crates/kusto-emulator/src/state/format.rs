//! The state file's format: the types of `examples/emulator-state.yaml`, their defaults, and YAML
//! in and out (reading checks the result, see `check`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::knobs::Knobs;
use crate::service_state::ClusterPowerState;
use crate::vocab::{PrincipalType, Role};

/// The emulator's world: one Entra ID tenant, its directory, and the clusters it serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmulatorState {
    /// The tenant the emulator plays; also the default `tenantId` of assignments.
    pub tenant_id: String,
    /// The tenant's display name (`tenantName` of resolved assignments).
    #[serde(default = "default_tenant_name")]
    pub tenant_name: String,
    /// The one client the token endpoint accepts.
    pub credentials: Credentials,
    /// The principals that resolve; `None` resolves any principal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory: Option<Vec<DirectoryEntry>>,
    #[serde(default)]
    pub clusters: Vec<ClusterState>,
    /// The databases' data-plane principals (`listPrincipals`), where they differ from what the ARM
    /// assignments put there, and the switch that mirrors data-plane writes into ARM.
    #[serde(default, skip_serializing_if = "DataPlaneState::is_empty")]
    pub data_plane: DataPlaneState,
    /// The emulator's knobs for this estate (throttling, paging, faults, …); command-line flags
    /// win over them. Not part of the world, so a dump leaves them out.
    #[serde(default, skip_serializing_if = "Knobs::is_empty")]
    pub knobs: Knobs,
}

/// The engine side of database principals (docs/arm-service.md §7): what `listPrincipals` shows and
/// `addPrincipals`/`removePrincipals` change. ARM assignments are pushed into it; it is otherwise
/// kept apart from the ARM assignments unless `mirror` is on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataPlaneState {
    /// `addPrincipals` also creates an ARM assignment (GUID-named), `removePrincipals` also deletes
    /// the matching ones. Off by default, as nothing confirms the real service does it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mirror: bool,
    /// Databases whose principal list is not simply their ARM assignments, each listed whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub databases: Vec<DataPlaneDatabase>,
}

impl DataPlaneState {
    pub fn is_empty(&self) -> bool {
        !self.mirror && self.databases.is_empty()
    }
}

/// One database's full principal list, in `listPrincipals` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataPlaneDatabase {
    /// Needed only when two subscriptions have a cluster of this name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<String>,
    pub cluster: String,
    pub database: String,
    #[serde(default)]
    pub principals: Vec<DataPrincipalState>,
}

/// One database principal as the engine holds it (`DatabasePrincipal`; `tenantName` is derived
/// from the tenant in `fqn`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataPrincipalState {
    pub role: Role,
    #[serde(rename = "type")]
    pub principal_type: PrincipalType,
    /// `aaduser=<object id>;<tenant>`, `aadgroup=<object id>;<tenant>` or `aadapp=<app id>;<tenant>`.
    pub fqn: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub app_id: String,
}

/// The client id and secret the token endpoint accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
    /// The object id of the client's service principal (default: a stable GUID of the client id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<String>,
    /// The service principal's display name (default `kusto-principals-emulator-client`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// One principal Entra ID knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryEntry {
    #[serde(rename = "type")]
    pub principal_type: PrincipalType,
    /// What callers send as `principalId`: an app id, a UPN or mail, a group name. Callers may also
    /// send the object id, the `upn` or the `mail`.
    pub id: String,
    /// The object id (`aadObjectId`); callers may also send this as `principalId`.
    pub object_id: String,
    pub display_name: String,
    /// A user's user principal name when it differs from `id` (guests:
    /// `name_domain#EXT#@tenant.onmicrosoft.com`); shown in `principalName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    /// A user's or group's mail when it differs from `id`; what ARM stores as a user's
    /// `principalId` whatever form was sent (default: `id`, or `upn`, when it holds an `@` and is not
    /// a guest's `#EXT#` UPN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// Seconds after the emulator starts before this principal resolves (overrides `--aad-lag-secs`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lag_secs: Option<u64>,
}

/// One Kusto cluster and its assignments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterState {
    pub subscription: String,
    pub resource_group: String,
    pub name: String,
    /// The region's display name (`East US`), as it appears in operation URLs.
    #[serde(default = "default_location")]
    pub location: String,
    /// `properties.state`: `Running` (the default), `Stopped`, `Starting`, `Stopping`, `Updating`,
    /// … A cluster that is not running or updating refuses principal and database requests.
    #[serde(default, skip_serializing_if = "ClusterPowerState::is_running")]
    pub state: ClusterPowerState,
    #[serde(default)]
    pub principals: Vec<AssignmentState>,
    #[serde(default)]
    pub databases: Vec<DatabaseState>,
}

/// One database of a cluster and its assignments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseState {
    pub name: String,
    /// Makes this a follower database (kind `ReadOnlyFollowing`) of a leader cluster's database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follower: Option<FollowerState>,
    #[serde(default)]
    pub principals: Vec<AssignmentState>,
}

/// One principal assignment, as stored (the request fields; resolution happens on read).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentState {
    pub name: String,
    pub principal_id: String,
    pub principal_type: PrincipalType,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
}

/// `ReadOnlyFollowingDatabaseProperties.principalsModificationKind`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrincipalsModificationKind {
    #[default]
    Union,
    Replace,
    None,
}

impl PrincipalsModificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalsModificationKind::Union => "Union",
            PrincipalsModificationKind::Replace => "Replace",
            PrincipalsModificationKind::None => "None",
        }
    }
}

/// What makes a database a follower, as the state file gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowerState {
    /// `/subscriptions/…/resourceGroups/…/providers/Microsoft.Kusto/clusters/{leader}`.
    pub leader_cluster_resource_id: String,
    #[serde(default = "default_configuration")]
    pub attached_database_configuration_name: String,
    #[serde(default)]
    pub principals_modification_kind: PrincipalsModificationKind,
    /// The leader's name of the database (default: the follower's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_database_name: Option<String>,
    /// `Direct` (default), `DataShare` or `Other`.
    #[serde(default = "default_origin")]
    pub database_share_origin: String,
    /// `tableLevelSharingProperties`, shown as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_level_sharing: Option<Value>,
}

fn default_configuration() -> String {
    "attached-configuration".to_string()
}

fn default_origin() -> String {
    "Direct".to_string()
}

fn default_tenant_name() -> String {
    "Default Directory".to_string()
}

fn default_location() -> String {
    "East US".to_string()
}

/// The built-in demo state (`examples/emulator-state.yaml`).
pub fn demo_state() -> EmulatorState {
    EmulatorState::from_yaml(include_str!("../../../../examples/emulator-state.yaml"))
        .expect("the built-in demo state is valid")
}

impl EmulatorState {
    /// Parses and checks a state file's text.
    pub fn from_yaml(text: &str) -> anyhow::Result<EmulatorState> {
        let state: EmulatorState = serde_yaml::from_str(text)?;
        state.check()?;
        Ok(state)
    }

    /// Reads and checks a state file.
    pub fn load(path: &std::path::Path) -> anyhow::Result<EmulatorState> {
        use anyhow::Context;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the emulator state `{}`", path.display()))?;
        Self::from_yaml(&text)
            .with_context(|| format!("in the emulator state `{}`", path.display()))
    }

    /// The state as YAML, in the seed file's format.
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(self).expect("the state serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::PrincipalsModificationKind;

    #[test]
    fn the_demo_state_parses_and_round_trips() {
        let state = demo_state();
        assert_eq!(state.clusters.len(), 1);
        assert_eq!(state.clusters[0].databases.len(), 2);
        let again = EmulatorState::from_yaml(&state.to_yaml()).unwrap();
        assert_eq!(again, state);
    }

    #[test]
    fn cluster_states_followers_and_identity_forms_round_trip() {
        let text = r#"
tenant_id: t
credentials: {client_id: c, client_secret: s, object_id: o, display_name: pipeline}
directory:
  - {type: User, id: u@x.onmicrosoft.com, mail: u@x.com, object_id: ou, display_name: U}
clusters:
  - subscription: s
    resource_group: rg
    name: c1
    state: Stopped
    databases:
      - name: f
        follower: {leader_cluster_resource_id: /subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/l, principals_modification_kind: None}
"#;
        let state = EmulatorState::from_yaml(text).unwrap();
        assert_eq!(state.clusters[0].state, ClusterPowerState::Stopped);
        let f = state.clusters[0].databases[0].follower.as_ref().unwrap();
        assert_eq!(
            f.principals_modification_kind,
            PrincipalsModificationKind::None
        );
        assert_eq!(f.database_share_origin, "Direct");
        assert_eq!(EmulatorState::from_yaml(&state.to_yaml()).unwrap(), state);
        let bad = text.replace("state: Stopped", "state: Asleep");
        assert!(EmulatorState::from_yaml(&bad).is_err());
    }
}
