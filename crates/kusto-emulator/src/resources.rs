//! Clusters and databases, read-only, in the shapes the real service returns (taken from the
//! recorded `GET …/Clusters/{c}` and `GET …/Databases/{db}`): enough for `export` and for clear
//! "cluster not found" errors. The cluster shows its `properties.state`; its databases are refused
//! while it does not serve (see `service_state`).

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::ctx::Ctx;
use super::directory::stable_guid;
use super::followers;
use super::paging::page;
use super::reply::{ErrorResponse, Reply};
use super::route::ClusterPath;
use super::service_state::databases_refused;
use super::world::{Cluster, Database, World, not_found};

/// `eastus` for `East US`: the region's short name, used in the cluster URI.
fn region_code(location: &str) -> String {
    location
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

fn cluster_id(c: &Cluster) -> String {
    format!(
        "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/Clusters/{}",
        c.subscription, c.resource_group, c.name
    )
}

fn cluster_body(w: &World, c: &Cluster) -> Value {
    let region = region_code(&c.location);
    let name = c.name.to_lowercase();
    let callout = |ty: &str, access: &str| json!({"calloutUriRegex": ".*", "calloutType": ty, "outboundAccess": access, "calloutId": format!(".*_{ty}")});
    json!({
        "id": cluster_id(c),
        "name": c.name,
        "type": "Microsoft.Kusto/Clusters",
        "etag": "\"2026-01-01T00:00:00.0000000Z\"",
        "location": c.location,
        "sku": {"name": "Standard_E2ads_v5", "tier": "Standard", "capacity": 2},
        "tags": {},
        "properties": {
            "state": c.state.as_str(),
            "stateReason": "",
            "uri": format!("https://{name}.{region}.kusto.windows.net"),
            "dataIngestionUri": format!("https://ingest-{name}.{region}.kusto.windows.net"),
            "trustedExternalTenants": [{"value": "*"}],
            "virtualNetworkConfiguration": null,
            "optimizedAutoscale": null,
            "enableDiskEncryption": false,
            "enableStreamingIngest": false,
            "keyVaultProperties": null,
            "languageExtensions": {"value": []},
            "enablePurge": null,
            "enableDoubleEncryption": false,
            "engineType": "V3",
            "acceptedAudiences": [],
            "restrictOutboundNetworkAccess": "Disabled",
            "allowedFqdnList": [],
            "calloutPolicies": [
                callout("sql", "Deny"),
                callout("cosmosdb", "Allow"),
                callout("postgresql", "Deny"),
                callout("sandbox_artifacts", "Allow"),
                callout("genevametrics", "Deny"),
            ],
            "publicNetworkAccess": "Enabled",
            "allowedIpRangeList": [],
            "enableAutoStop": true,
            "publicIPType": "IPv4",
            "virtualClusterGraduationProperties": null,
            "privateEndpointConnections": [],
            "migrationCluster": null,
            "zoneStatus": "NonZonal",
            "provisioningState": "Succeeded"
        },
        "identity": {
            "principalId": stable_guid(&format!("identity:{}", cluster_id(c))),
            "tenantId": w.tenant_id,
            "type": "SystemAssigned"
        }
    })
}

/// A database as GET shows it; the retention periods only when set (as the recording of a database
/// created without them shows). A follower shows its kind and attachment instead of `isFollowed`.
pub fn database_body(c: &Cluster, d: &Database, followed: bool) -> Value {
    let db = &d.name;
    let mut props = json!({});
    if let Some(p) = &d.soft_delete_period {
        props["softDeletePeriod"] = json!(p);
    }
    if let Some(p) = &d.hot_cache_period {
        props["hotCachePeriod"] = json!(p);
    }
    props["statistics"] = json!({"size": 0.0});
    let kind = match &d.follower {
        Some(f) => {
            followers::properties(f, db, &mut props);
            "ReadOnlyFollowing"
        }
        None => {
            props["isFollowed"] = json!(followed);
            "ReadWrite"
        }
    };
    props["provisioningState"] = json!(d.provisioning.as_str());
    json!({
        "id": format!("{}/Databases/{db}", cluster_id(c)),
        "name": format!("{}/{db}", c.name),
        "type": "Microsoft.Kusto/Clusters/Databases",
        "location": c.location,
        "kind": kind,
        "properties": props
    })
}

/// Clusters of a subscription, or of one resource group of it.
pub fn list_clusters(w: &World, ctx: &Ctx<'_>, subscription: &str, rg: Option<&str>) -> Reply {
    let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let in_sub: Vec<&Cluster> = w
        .clusters
        .iter()
        .filter(|c| eq(&c.subscription, subscription))
        .collect();
    if in_sub.is_empty() {
        return subscription_not_found(subscription).reply();
    }
    if let Some(rg) = rg.filter(|rg| !in_sub.iter().any(|c| eq(&c.resource_group, rg))) {
        return not_found(
            "ResourceGroupNotFound",
            format!("Resource group '{rg}' could not be found."),
        )
        .reply();
    }
    let items = in_sub
        .into_iter()
        .filter(|c| rg.is_none_or(|rg| eq(&c.resource_group, rg)))
        .map(|c| cluster_body(w, c))
        .collect();
    Reply::json(StatusCode::OK, page(items, ctx))
}

fn subscription_not_found(s: &str) -> ErrorResponse {
    not_found(
        "SubscriptionNotFound",
        format!("The subscription '{s}' could not be found."),
    )
}

pub fn get_cluster(w: &World, p: &ClusterPath) -> Reply {
    match w.find_cluster(p, false) {
        Ok(i) => Reply::json(StatusCode::OK, cluster_body(w, &w.clusters[i])),
        Err(e) => e.reply(),
    }
}

pub fn list_databases(w: &World, ctx: &Ctx<'_>, p: &ClusterPath) -> Reply {
    match w
        .find_cluster(p, true)
        .and_then(|c| databases_refused(w.clusters[c].state).map(|()| c))
    {
        Ok(i) => {
            let c = &w.clusters[i];
            let items = c
                .databases
                .iter()
                .enumerate()
                .filter(|(_, d)| !d.deleted)
                .map(|(j, d)| database_body(c, d, followers::is_followed(w, i, j)))
                .collect();
            Reply::json(StatusCode::OK, page(items, ctx))
        }
        Err(e) => e.reply(),
    }
}

pub fn get_database(w: &World, p: &ClusterPath, db: &str) -> Reply {
    let found = w
        .find_cluster(p, true)
        .and_then(|c| databases_refused(w.clusters[c].state).map(|()| c))
        .and_then(|c| w.find_database(c, p, db, false).map(|d| (c, d)));
    match found {
        Ok((c, d)) => {
            let followed = followers::is_followed(w, c, d);
            let c = &w.clusters[c];
            Reply::json(StatusCode::OK, database_body(c, &c.databases[d], followed))
        }
        Err(e) => e.reply(),
    }
}
