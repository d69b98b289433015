//! What to say when a scope of the file does not exist, in one place. ARM's code says which level
//! is missing (a wrong subscription or resource group is not a missing cluster); a missing cluster
//! is named once, not again for each of its databases; and since ARM's 404 says only "not found",
//! the subscription's cluster list (and the cluster's database list) tells a wrong subscription, a
//! cluster in another resource group, and a misspelt name apart, with a "did you mean".
//!
//! Only scopes that could not be read are looked into, one listing per subscription and cluster.

use std::collections::HashMap;

use crate::arm::{ArmClient, ArmError};
use crate::config::suggest::closest;
use crate::model::{ClusterRef, Scope, ScopeKind};
use crate::plan::{Missing, ScopeError, ScopePlan};

/// Each subscription's clusters, or why it could not be listed.
type Clusters = HashMap<String, Result<Vec<ClusterRef>, ArmError>>;

/// Adds a hint to every scope error of `planned` that a listing can explain.
pub(super) async fn explain(client: &ArmClient, planned: &mut [ScopePlan]) {
    let mut clusters: Clusters = HashMap::new();
    let mut databases: HashMap<ClusterRef, Vec<String>> = HashMap::new();
    for sp in planned
        .iter_mut()
        .filter(|sp| sp.error.as_ref().is_some_and(ScopeError::is_not_found))
    {
        let Some(found) = hint(client, &sp.scope, &mut clusters, &mut databases).await else {
            continue;
        };
        if let Some(ScopeError::NotFound { hint, .. }) = &mut sp.error {
            *hint = Some(found);
        }
    }
}

/// Why a scope that ARM says does not exist could not be planned. ARM's code says which level is
/// missing: a wrong subscription or resource group is not a missing cluster (`explain` then adds a
/// "did you mean").
pub(super) fn not_found(cluster: &ClusterRef, database: Option<&str>, e: &ArmError) -> ScopeError {
    let missing = match (e.code.as_deref(), database) {
        (Some("SubscriptionNotFound"), _) => Missing::Subscription,
        (Some("ResourceGroupNotFound"), _) => Missing::ResourceGroup,
        (_, None) => Missing::Cluster,
        (_, Some(db)) => Missing::Database(db.to_string()),
    };
    ScopeError::NotFound {
        cluster: cluster.clone(),
        missing,
        arm_message: e.message.clone(),
        hint: None,
    }
}

/// A missing cluster makes every one of its databases "not found" too: say why, once.
pub(super) fn name_missing_clusters_once(planned: &mut [ScopePlan]) {
    let missing: Vec<ClusterRef> = planned
        .iter()
        .filter(|sp| sp.scope.kind() == ScopeKind::Cluster)
        .filter(|sp| {
            sp.error
                .as_ref()
                .is_some_and(ScopeError::is_missing_cluster)
        })
        .map(|sp| sp.scope.cluster.clone())
        .collect();
    for sp in planned.iter_mut() {
        if sp.error.is_some()
            && sp.scope.kind() == ScopeKind::Database
            && missing.contains(&sp.scope.cluster)
        {
            sp.error = Some(ScopeError::ClusterMissing(sp.scope.cluster.clone()));
        }
    }
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
