//! The serde mirror of the desired-state file, exactly as written: no defaults applied, nothing
//! resolved, no I/O. The same types generate the JSON Schema (`schema.rs`), and `shape.rs` walks the
//! document against that schema before serde sees it, so serde only ever reads a conforming document.
//!
//! Fields are `Option` even where the schema says required (`#[schemars(required)]`): a missing key is
//! reported once by `shape.rs`, and the rest of the entry is still checked. Roles are text here; the
//! schema lists the roles valid at each scope (`ClusterRole`, `DatabaseRole`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;

use crate::model::Role;

/// The desired Kusto principal assignments. `kusto-principals plan` shows how Azure differs from this
/// file; `kusto-principals apply` makes Azure match it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "kusto-principals desired state")]
pub struct RawFile {
    /// The version of this format: `1`.
    #[schemars(required)]
    pub version: Option<u64>,
    /// Settings every cluster inherits unless it sets its own.
    pub defaults: Option<RawDefaults>,
    /// Named groups of identities, granted a role together with `set: NAME`.
    #[serde(default)]
    pub principal_sets: BTreeMap<String, Vec<RawMember>>,
    /// Identities never touched and never reported, at every scope, such as a deployment identity.
    #[serde(default)]
    pub ignore: Vec<RawIgnore>,
    /// Thresholds of the plan's safety verdict; an unsafe plan needs `apply --force`.
    pub safety: Option<RawSafety>,
    /// The managed clusters. Only clusters and databases listed here are read or changed.
    // In the schema; `validate` reads the clusters one at a time from the tree, not through here.
    #[allow(dead_code)]
    #[schemars(required)]
    pub clusters: Option<Vec<RawCluster>>,
}

/// Settings every cluster inherits unless it sets its own.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Defaults")]
pub struct RawDefaults {
    /// The Azure subscription id (a GUID) of the clusters.
    pub subscription: Option<String>,
    /// The resource group of the clusters.
    pub resource_group: Option<String>,
    /// The Entra ID tenant id (a GUID) of the principals. Omitted: ARM fills in the cluster's tenant.
    pub tenant: Option<String>,
    /// What to do with assignments found in Azure but absent from this file. Default `delete`.
    pub unmanaged: Option<RawUnmanaged>,
}

/// What to do with assignments in Azure that this file does not list: `delete` them, or `keep` them
/// (reported as unmanaged, never changed).
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(rename = "Unmanaged")]
pub enum RawUnmanaged {
    Delete,
    Keep,
}

/// One identity of a principal set: exactly one of `app`, `user`, `group`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Member")]
pub struct RawMember {
    /// An application (client) id, a GUID.
    pub app: Option<String>,
    /// A user principal name (email) or object id.
    pub user: Option<String>,
    /// A group name, email or object id.
    pub group: Option<String>,
    /// The member's Entra ID tenant id (a GUID), overriding `defaults.tenant`.
    pub tenant: Option<String>,
}

/// An identity never touched and never reported: exactly one of `app`, `user`, `group`, and
/// optionally only one `role` of it.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Ignore")]
pub struct RawIgnore {
    /// An application (client) id, a GUID.
    pub app: Option<String>,
    /// A user principal name (email) or object id.
    pub user: Option<String>,
    /// A group name, email or object id.
    pub group: Option<String>,
    /// Ignore only this role of the identity; omitted, every role.
    pub role: Option<AnyRole>,
}

/// Thresholds of the plan's safety verdict. A plan that breaks one is shown as unsafe and
/// `apply` refuses it without `--force`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Safety")]
pub struct RawSafety {
    /// A scope with at least `min_existing` assignments may lose at most this fraction of them in one
    /// plan. Default `0.3`.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub max_delete_fraction: Option<f64>,
    /// Scopes with fewer assignments than this are not held to `max_delete_fraction`. Default `10`.
    pub min_existing: Option<u64>,
    /// A plan must leave every cluster at least one `AllDatabasesAdmin`. Default `true`.
    pub require_cluster_admin: Option<bool>,
}

/// One Kusto cluster, by `name` (subscription and resource group from here or `defaults`) or by its
/// full ARM resource `id`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Cluster")]
pub struct RawCluster {
    /// The cluster name.
    pub name: Option<String>,
    /// The full ARM resource id,
    /// `/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.Kusto/clusters/{name}`,
    /// instead of `name`, `subscription` and `resource_group`.
    pub id: Option<String>,
    /// The subscription id (a GUID), overriding `defaults.subscription`.
    pub subscription: Option<String>,
    /// The resource group, overriding `defaults.resource_group`.
    pub resource_group: Option<String>,
    /// What to do with assignments in Azure that this cluster's entries do not list; its databases
    /// inherit it. Overrides `defaults.unmanaged`.
    pub unmanaged: Option<RawUnmanaged>,
    /// Cluster-level grants (roles `AllDatabasesAdmin`, `AllDatabasesViewer`, `AllDatabasesMonitor`).
    /// Without this key the cluster level is not managed: its grants are neither read nor changed
    /// (only the listed databases are). `principals: []` means the cluster level has no grants, so
    /// plan deletes every cluster-level assignment that `unmanaged`/`ignore` do not keep.
    pub principals: Option<Vec<RawClusterGrant>>,
    /// The managed databases of the cluster. Databases not listed are not touched.
    #[serde(default)]
    pub databases: Vec<RawDatabase>,
}

/// One database of a cluster.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Database")]
pub struct RawDatabase {
    /// The database name.
    #[schemars(required)]
    pub name: Option<String>,
    /// What to do with assignments in Azure that this database's entries do not list. Overrides the
    /// cluster's and `defaults.unmanaged`.
    pub unmanaged: Option<RawUnmanaged>,
    /// Database-level grants (roles `Admin`, `Ingestor`, `Monitor`, `User`, `UnrestrictedViewer`,
    /// `Viewer`).
    #[serde(default)]
    pub principals: Vec<RawDatabaseGrant>,
}

/// A cluster-level grant: exactly one of `app`, `user`, `group`, `set`, and a cluster role.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ClusterGrant")]
pub struct RawClusterGrant {
    /// An application (client) id, a GUID.
    pub app: Option<String>,
    /// A user principal name (email) or object id.
    pub user: Option<String>,
    /// A group name, email or object id.
    pub group: Option<String>,
    /// The name of a principal set: the role is granted to every member.
    pub set: Option<String>,
    /// The cluster role.
    #[schemars(required)]
    pub role: Option<ClusterRole>,
    /// The ARM assignment name, used only when the grant is created (default `kp-` + a hash).
    pub name: Option<String>,
    /// The principal's Entra ID tenant id (a GUID), overriding `defaults.tenant`.
    pub tenant: Option<String>,
}

/// A database-level grant: exactly one of `app`, `user`, `group`, `set`, and a database role.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DatabaseGrant")]
pub struct RawDatabaseGrant {
    /// An application (client) id, a GUID.
    pub app: Option<String>,
    /// A user principal name (email) or object id.
    pub user: Option<String>,
    /// A group name, email or object id.
    pub group: Option<String>,
    /// The name of a principal set: the role is granted to every member.
    pub set: Option<String>,
    /// The database role.
    #[schemars(required)]
    pub role: Option<DatabaseRole>,
    /// The ARM assignment name, used only when the grant is created (default `kp-` + a hash).
    pub name: Option<String>,
    /// The principal's Entra ID tenant id (a GUID), overriding `defaults.tenant`.
    pub tenant: Option<String>,
}

/// The role names a schema enum lists; `Role::parse` reads them back.
fn role_schema(roles: &[Role], description: &str) -> Schema {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    let value = serde_json::json!({
        "type": "string",
        "description": description,
        "enum": names,
    });
    Schema::try_from(value).unwrap_or_default()
}

/// A role written at a cluster's `principals`.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct ClusterRole(pub String);

impl JsonSchema for ClusterRole {
    fn schema_name() -> Cow<'static, str> {
        "ClusterRole".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        role_schema(
            &Role::CLUSTER,
            "A cluster role: AllDatabasesAdmin (full control of every database), AllDatabasesViewer \
             (read every database), AllDatabasesMonitor (see metadata and operations).",
        )
    }
}

/// A role written at a database's `principals`.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct DatabaseRole(pub String);

impl JsonSchema for DatabaseRole {
    fn schema_name() -> Cow<'static, str> {
        "DatabaseRole".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        role_schema(
            &Role::DATABASE,
            "A database role: Admin, Ingestor (ingest data), Monitor (see metadata), User (read and \
             create entities), UnrestrictedViewer (read restricted tables too), Viewer (read).",
        )
    }
}

/// A role of either scope, as `ignore` takes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct AnyRole(pub String);

impl JsonSchema for AnyRole {
    fn schema_name() -> Cow<'static, str> {
        "Role".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let all: Vec<Role> = Role::CLUSTER
            .iter()
            .chain(&Role::DATABASE)
            .copied()
            .collect();
        role_schema(&all, "A cluster or database role.")
    }
}
