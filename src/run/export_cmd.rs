//! `export`: discover clusters and databases, list their assignments, write the desired-state file.

use futures::StreamExt;

use super::session::connect;
use crate::cli::{ExportArgs, GlobalArgs};
use crate::error::{Error, Result};
use crate::export::ClusterExport as ExportedCluster;
use crate::model::Scope;

pub(super) async fn export_command(g: &GlobalArgs, args: &ExportArgs) -> Result<i32> {
    let session = connect(g).await?;
    let client = &session.client;
    let mut clusters = client
        .list_clusters(&args.subscription, args.resource_group.as_deref())
        .await?;
    if !args.clusters.is_empty() {
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
    }
    let total = clusters.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<ExportedCluster>> = futures::stream::iter(clusters)
        .map(|cluster| {
            let done = &done;
            async move {
                let scope = Scope::cluster(cluster.clone());
                let principals = client.list_assignments(&scope).await?;
                let mut databases = Vec::new();
                for db in client.list_databases(&cluster).await? {
                    let items = client
                        .list_assignments(&Scope::database(cluster.clone(), db.clone()))
                        .await?;
                    databases.push((db, items));
                }
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                if !g.quiet {
                    eprintln!(
                        "[{n}/{total}] exported cluster {} ({} databases)",
                        cluster.cluster,
                        databases.len()
                    );
                }
                Ok(ExportedCluster {
                    cluster,
                    principals,
                    databases,
                })
            }
        })
        .buffered(g.parallelism as usize)
        .collect()
        .await;
    let clusters = results.into_iter().collect::<Result<Vec<_>>>()?;
    let text = crate::export::render(&args.subscription, &clusters);
    match &args.out {
        Some(path) => {
            std::fs::write(path, &text)
                .map_err(|e| Error::Usage(format!("cannot write `{}`: {e}", path.display())))?;
            if !g.quiet {
                eprintln!("wrote {}", path.display());
            }
        }
        None => super::write_stdout(text.as_bytes())?,
    }
    Ok(0)
}
