//! Reading the estate for a saved plan: every scope the plan writes to, listed again so that
//! `plan::stale` can judge whether Azure changed since.

use std::collections::BTreeMap;

use futures::StreamExt;

use crate::arm::{ArmClient, ArmError};
use crate::model::Scope;
use crate::plan::stale::Listed;

use super::cluster_state::States;

/// Lists each of `scopes`, `parallelism` at a time. A scope that no longer exists is `None`; one
/// whose cluster is not Running is returned apart with the reason (decided on the cluster's state,
/// read once per cluster); any other failure fails the command.
pub async fn list_saved(
    client: &ArmClient,
    scopes: Vec<Scope>,
    parallelism: usize,
) -> Result<(Vec<Listed>, BTreeMap<Scope, String>), ArmError> {
    let listed: Vec<_> = futures::stream::iter(scopes)
        .map(|scope| async move {
            let now = client.list_assignments(&scope).await;
            (scope, now)
        })
        .buffered(parallelism.max(1))
        .collect()
        .await;
    let mut out = Vec::with_capacity(listed.len());
    let mut not_running = BTreeMap::new();
    let mut states = States::default();
    for (scope, now) in listed {
        match now {
            Ok(items) => out.push((scope, Some(items))),
            Err(e) if e.is_not_found() => out.push((scope, None)),
            Err(e) => match states.not_running(client, &scope.cluster, &e).await {
                Some(state) => {
                    not_running.insert(scope, format!("cluster is {state}"));
                }
                None => return Err(e),
            },
        }
    }
    Ok((out, not_running))
}
