//! What the plan needs to know about a cluster beyond its assignments: its state (a stopped cluster
//! cannot be read, and auto-stop after five idle days is routine) and its databases' kinds (a follower
//! database's own grants may not take effect). docs/arm-service.md §4.
//!
//! Decisions are made on `properties.state` and `kind`, never on an error's message text.

use serde::Deserialize;

use super::client::ArmClient;
use super::error::ArmError;
use super::path::ArmPath;
use super::response::parse_json;
use crate::model::names;
use crate::model::{ClusterRef, DatabaseInfo, Follower};

#[derive(Debug, Deserialize)]
struct ClusterResource {
    #[serde(default)]
    properties: Option<ClusterProperties>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClusterProperties {
    state: Option<String>,
}

#[derive(Debug, Deserialize)]
struct DatabaseResource {
    id: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    #[serde(default)]
    properties: Option<DatabaseProperties>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DatabaseProperties {
    leader_cluster_resource_id: Option<String>,
    principals_modification_kind: Option<String>,
}

impl ArmClient {
    /// The cluster's `properties.state` (`Running`, `Stopped`, `Starting`, …); `None` when ARM
    /// does not say. A cluster that does not exist is the caller's `is_not_found` error.
    pub async fn cluster_state(&self, cluster: &ClusterRef) -> Result<Option<String>, ArmError> {
        let op = "get cluster";
        let path = ArmPath::cluster(cluster)?;
        let resp = self
            .send(
                op,
                path.as_str(),
                reqwest::Method::GET,
                self.url(&path),
                None,
            )
            .await?;
        let r: ClusterResource = parse_json(op, path.as_str(), &resp)?;
        Ok(r.properties.and_then(|p| p.state).filter(|s| !s.is_empty()))
    }

    /// The databases of a cluster with their kind, in one list (not a GET per database).
    pub async fn list_database_infos(
        &self,
        cluster: &ClusterRef,
    ) -> Result<Vec<DatabaseInfo>, ArmError> {
        let path = ArmPath::databases(cluster)?;
        let items: Vec<DatabaseResource> = self
            .list_all("list databases", path.as_str(), self.url(&path))
            .await?;
        let mut dbs: Vec<DatabaseInfo> = items
            .into_iter()
            .filter_map(to_info)
            // A name that is not a valid database name is not one the plan could address.
            .filter(|d| match names::database(&d.name) {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(
                        "ARM listed database `{}` in cluster `{cluster}`, which is not a valid database name ({e}); leaving it out",
                        d.name.escape_debug()
                    );
                    false
                }
            })
            .collect();
        dbs.sort_by_key(|d| names::fold(&d.name));
        dbs.dedup_by(|a, b| names::same(&a.name, &b.name));
        Ok(dbs)
    }
}

fn to_info(r: DatabaseResource) -> Option<DatabaseInfo> {
    // ARM's `name` is `cluster/database`.
    let name = r
        .name
        .or(r.id)
        .and_then(|n| n.rsplit('/').next().map(str::to_string))
        .filter(|n| !n.is_empty())?;
    let props = r.properties.unwrap_or_default();
    let follower = r
        .kind
        .as_deref()
        .is_some_and(|k| k.eq_ignore_ascii_case("ReadOnlyFollowing"))
        .then(|| Follower {
            leader: props.leader_cluster_resource_id.unwrap_or_default(),
            modification_kind: props
                .principals_modification_kind
                .unwrap_or_else(|| "Union".to_string()),
        });
    Some(DatabaseInfo { name, follower })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn followers_are_known_by_their_kind() {
        let r: DatabaseResource = serde_json::from_value(serde_json::json!({
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/c/databases/f",
            "name": "c/f",
            "kind": "ReadOnlyFollowing",
            "properties": {
                "leaderClusterResourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Kusto/clusters/leader",
                "principalsModificationKind": "None"
            }
        }))
        .unwrap();
        let info = to_info(r).unwrap();
        assert_eq!(info.name, "f");
        let f = info.follower.unwrap();
        assert_eq!(f.modification_kind, "None");
        assert!(f.leader.ends_with("/clusters/leader"));
        assert!(!f.takes_grants());

        let plain: DatabaseResource =
            serde_json::from_value(serde_json::json!({"name": "c/sales", "kind": "ReadWrite"}))
                .unwrap();
        assert_eq!(to_info(plain).unwrap().follower, None);
    }
}
