//! What to say when a scope of the file does not exist: ARM's 404 says only "not found", so the
//! subscription's cluster list (and the cluster's database list) tells a wrong subscription, a
//! cluster in another resource group, and a misspelt name apart, with a "did you mean".
//!
//! Only scopes that could not be read are looked into, one listing per subscription and cluster.

use std::collections::HashMap;

use crate::arm::{ArmClient, ArmError};
use crate::config::suggest::closest;
use crate::model::{ClusterRef, Scope, ScopeKind};
use crate::plan::ScopePlan;

/// Each subscription's clusters, or why it could not be listed.
type Clusters = HashMap<String, Result<Vec<ClusterRef>, ArmError>>;

/// Adds a hint to every scope error of `planned` that a listing can explain.
pub(super) async fn explain(client: &ArmClient, planned: &mut [ScopePlan]) {
    let mut clusters: Clusters = HashMap::new();
    let mut databases: HashMap<ClusterRef, Vec<String>> = HashMap::new();
    for sp in planned
        .iter_mut()
        .filter(|sp| sp.error.as_deref().is_some_and(is_not_found))
    {
        let Some(hint) = hint(client, &sp.scope, &mut clusters, &mut databases).await else {
            continue;
        };
        if let Some(e) = &mut sp.error {
            e.push_str(&format!("; {hint}"));
        }
    }
}

/// The errors `survey` words for a scope ARM says does not exist (other errors, such as a follower
/// that cannot take grants, have their own explanation).
fn is_not_found(error: &str) -> bool {
    [
        "cluster `",
        "database `",
        "subscription `",
        "resource group `",
    ]
    .iter()
    .any(|p| error.starts_with(p))
        && error.contains(" not found")
}

async fn hint(
    client: &ArmClient,
    scope: &Scope,
    clusters: &mut Clusters,
    databases: &mut HashMap<ClusterRef, Vec<String>>,
) -> Option<String> {
    let c = &scope.cluster;
    let sub = c.subscription.to_string();
    if !clusters.contains_key(&sub) {
        let listed = client.list_clusters(&sub, None).await;
        clusters.insert(sub.clone(), listed);
    }
    let listed = match clusters.get(&sub)? {
        Ok(list) => list,
        Err(e) if e.code.as_deref() == Some("SubscriptionNotFound") => {
            return Some(
                "it does not exist, or the identity in use has no role on it: check \
                 `subscription` (or `defaults.subscription`) and the identity's role assignments"
                    .to_string(),
            );
        }
        Err(_) => return None,
    };
    let same_name: Vec<&ClusterRef> = listed
        .iter()
        .filter(|l| l.cluster.eq_ignore_ascii_case(&c.cluster))
        .collect();
    if let Some(found) = same_name
        .iter()
        .find(|l| l.resource_group.eq_ignore_ascii_case(&c.resource_group))
    {
        return match scope.kind() {
            ScopeKind::Cluster => None,
            ScopeKind::Database => database_hint(client, found, scope, databases).await,
        };
    }
    if let Some(other) = same_name.first() {
        return Some(format!(
            "cluster `{}` is in resource group `{}`, not `{}`: set `resource_group` on the cluster",
            other.cluster, other.resource_group, c.resource_group
        ));
    }
    let names: Vec<&str> = listed.iter().map(|l| &*l.cluster).collect();
    Some(match closest(&c.cluster, &names) {
        Some(near) => {
            let rg = listed
                .iter()
                .find(|l| &*l.cluster == near)
                .map(|l| l.resource_group.to_string())
                .unwrap_or_default();
            format!("did you mean `{near}` (resource group `{rg}`)?")
        }
        None if names.is_empty() => format!("subscription `{sub}` has no Kusto cluster"),
        None => format!(
            "subscription `{sub}` has {} Kusto cluster(s), none named like `{}`",
            names.len(),
            c.cluster
        ),
    })
}

async fn database_hint(
    client: &ArmClient,
    cluster: &ClusterRef,
    scope: &Scope,
    databases: &mut HashMap<ClusterRef, Vec<String>>,
) -> Option<String> {
    let want = scope.database_name()?;
    if !databases.contains_key(cluster) {
        let names = client
            .list_database_infos(cluster)
            .await
            .ok()?
            .into_iter()
            .map(|d| d.name)
            .collect();
        databases.insert(cluster.clone(), names);
    }
    let names = databases.get(cluster)?;
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    closest(want, &refs).map(|near| format!("did you mean `{near}`?"))
}
