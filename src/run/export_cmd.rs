//! `export`: discover clusters and databases, list their assignments, write the desired-state file.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;

use super::session::connect;
use super::settings::Settings;
use crate::arm::ArmClient;
use crate::cli::ExportArgs;
use crate::error::{Error, Result};
use crate::export::ClusterExport as ExportedCluster;
use crate::model::{ClusterRef, CurrentAssignment, PrincipalType, Scope};

/// One cluster's export, or why it has none.
enum Exported {
    Cluster(ExportedCluster),
    NotRunning(String, String),
}

/// The principals as they round-trip against the real service: `principalId` as ARM stores it
/// (a user's mail), or, with `--resolve-principals graph`, a user's or group's object id (ARM's
/// `aadObjectId`). The display name, which carries the UPN, stays for the comment.
fn stored_form(mut items: Vec<CurrentAssignment>, by_object_id: bool) -> Vec<CurrentAssignment> {
    if by_object_id {
        for a in &mut items {
            let oid = a.aad_object_id.clone().filter(|o| !o.trim().is_empty());
            if let (PrincipalType::User | PrincipalType::Group, Some(oid)) =
                (a.key.principal_type, oid)
            {
                a.key.principal_id = crate::model::PrincipalId::new(oid);
            }
        }
    }
    items
}

pub(super) async fn export_command(settings: &Settings, args: &ExportArgs) -> Result<i32> {
    let session = connect(&settings.azure, &settings.azure.api_version).await?;
    let client = &session.client;
    let clusters = select_clusters(client, args).await?;
    let total = clusters.len();
    let done = AtomicUsize::new(0);
    let results: Vec<Result<Exported>> = futures::stream::iter(clusters)
        .map(|cluster| {
            let done = &done;
            async move {
                let exported = export_cluster(client, cluster, settings).await?;
                if let (true, Exported::Cluster(c)) = (settings.output.status, &exported) {
                    let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                    eprintln!(
                        "[{n}/{total}] exported cluster {} ({} databases)",
                        c.cluster.cluster,
                        c.databases.len()
                    );
                }
                Ok(exported)
            }
        })
        .buffered(settings.azure.parallelism)
        .collect()
        .await;
    let mut clusters = Vec::new();
    for r in results {
        match r? {
            Exported::Cluster(c) => clusters.push(c),
            Exported::NotRunning(name, state) => tracing::warn!(
                "cluster `{name}` is {state} and cannot be read: it is not in the export; start it \
                 and export again to include it"
            ),
        }
    }
    let text = crate::export::render(&args.subscription, &clusters);
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text)
                .map_err(|e| Error::io_at(format!("cannot write `{}`", path.display()), e))?;
            if settings.output.status {
                eprintln!("wrote {}", path.display());
            }
        }
        None => super::write_stdout(text.as_bytes())?,
    }
    Ok(0)
}

/// The subscription's clusters (in the resource group, when given), narrowed to `--cluster`; a
/// named cluster that is not there is an error, not a smaller export.
async fn select_clusters(client: &ArmClient, args: &ExportArgs) -> Result<Vec<ClusterRef>> {
    let mut clusters = client
        .list_clusters(&args.subscription, args.resource_group.as_deref())
        .await?;
    if args.clusters.is_empty() {
        return Ok(clusters);
    }
    let missing: Vec<&String> = args
        .clusters
        .iter()
        .filter(|want| {
            !clusters
                .iter()
                .any(|c| c.cluster.eq_ignore_ascii_case(want))
        })
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "no cluster named {} in subscription `{}`{}",
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", "),
            args.subscription,
            args.resource_group
                .as_ref()
                .map(|rg| format!(" resource group `{rg}`"))
                .unwrap_or_default()
        )));
    }
    clusters.retain(|c| {
        args.clusters
            .iter()
            .any(|w| c.cluster.eq_ignore_ascii_case(w))
    });
    Ok(clusters)
}

/// One cluster's assignments and its databases', in the stored form. A stopped cluster (auto-stop
/// is routine) cannot be read: the export says so and goes on with the rest, decided as plan
/// decides it (`survey::state_of`: on ARM's status, code and the cluster's state, not on text).
async fn export_cluster(
    client: &ArmClient,
    cluster: ClusterRef,
    settings: &Settings,
) -> Result<Exported> {
    let by_object_id = settings.azure.resolve_through_graph;
    let principals = match client
        .list_assignments(&Scope::cluster(cluster.clone()))
        .await
    {
        Ok(p) => p,
        Err(e) => match crate::survey::state_of(client, &cluster, &e).await {
            Some(state) => return Ok(Exported::NotRunning(cluster.cluster.to_string(), state)),
            None => return Err(e.into()),
        },
    };
    let mut databases = Vec::new();
    let mut followers = BTreeMap::new();
    for db in client.list_database_infos(&cluster).await? {
        let items = client
            .list_assignments(&Scope::database(cluster.clone(), db.name.clone()))
            .await?;
        if let Some(f) = db.follower {
            followers.insert(db.name.clone(), f);
        }
        databases.push((db.name, stored_form(items, by_object_id)));
    }
    Ok(Exported::Cluster(ExportedCluster {
        cluster,
        principals: stored_form(principals, by_object_id),
        databases,
        followers,
    }))
}
