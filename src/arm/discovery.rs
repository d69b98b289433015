//! Finding clusters (for `export`); a cluster's databases are in `estate`.

use serde::Deserialize;

use super::client::ArmClient;
use super::error::ArmError;
use super::path::ArmPath;
use crate::model::{ClusterRef, names};

#[derive(Debug, Deserialize)]
struct Resource {
    id: Option<String>,
    name: Option<String>,
}

/// The `resourceGroups` segment of an ARM id.
fn resource_group_of(id: &str) -> Option<&str> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case("resourceGroups") {
            return parts.next();
        }
    }
    None
}

impl ArmClient {
    /// The Kusto clusters of a subscription, or of one resource group of it.
    pub async fn list_clusters(
        &self,
        subscription: &str,
        resource_group: Option<&str>,
    ) -> Result<Vec<ClusterRef>, ArmError> {
        let path = ArmPath::clusters(subscription, resource_group)?;
        let items: Vec<Resource> = self
            .list_all("list clusters", path.as_str(), self.url(&path))
            .await?;
        let mut clusters: Vec<ClusterRef> = items
            .into_iter()
            .filter_map(|r| {
                let id = r.id?;
                let rg = resource_group_of(&id)?.to_string();
                let name = r
                    .name
                    .or_else(|| id.rsplit('/').next().map(str::to_string))?;
                let checked =
                    names::resource_group(&rg).and_then(|()| names::cluster(&name));
                if let Err(e) = checked {
                    tracing::warn!(
                        "ARM listed cluster `{}` in subscription `{subscription}`, which is not a valid cluster id ({e}); leaving it out",
                        id.escape_debug()
                    );
                    return None;
                }
                Some(ClusterRef::new(subscription, rg, name))
            })
            .collect();
        clusters.sort();
        clusters.dedup();
        Ok(clusters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_groups_come_from_ids() {
        assert_eq!(
            resource_group_of(
                "/subscriptions/s/resourceGroups/My-RG/providers/Microsoft.Kusto/Clusters/c"
            ),
            Some("My-RG")
        );
        assert_eq!(resource_group_of("/subscriptions/s"), None);
    }
}
