//! `--resolve-principals graph`: the file's principals looked up in Microsoft Graph before planning.
//!
//! | Graph says                       | the grant                                                    |
//! |----------------------------------|--------------------------------------------------------------|
//! | found                            | also matches its object id; the plan shows its display name  |
//! | not found, or more than one      | an error at its line in the file: nothing is read or written |
//! | no permission (no token, 401/403)| a warning naming the permissions; planned without resolution |
//! | unreachable or another failure   | a warning; planned without resolution                        |
//!
//! Each distinct principal is asked once per run, in `$batch`es (`arm::graph`).

use std::collections::BTreeSet;

use crate::arm::{GRAPH_PERMISSIONS, Graph, GraphError, Lookup};
use crate::error::{Error, Result};
use crate::model::{DesiredState, PrincipalType, ResolvedPrincipal};

/// Annotates every grant of `desired` with what Graph resolved its principal to.
pub async fn resolve_principals(graph: &Graph, desired: &mut DesiredState) -> Result<()> {
    let wanted: Vec<(PrincipalType, String)> = desired
        .scopes
        .iter()
        .flat_map(|s| &s.grants)
        .map(|g| {
            (
                g.key.principal_type,
                g.key.principal_id.as_str().to_ascii_lowercase(),
            )
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let answers = match graph.resolve(&wanted).await {
        Ok(a) => a,
        Err(GraphError::Denied(why)) => {
            tracing::warn!(
                "cannot resolve principals through Microsoft Graph at {} ({why}): the identity needs \
                 the Graph permissions {GRAPH_PERMISSIONS}; planning without resolution",
                graph.host()
            );
            return Ok(());
        }
        Err(GraphError::Failed(why)) => {
            tracing::warn!(
                "cannot resolve principals through Microsoft Graph at {} ({why}); planning without \
                 resolution",
                graph.host()
            );
            return Ok(());
        }
    };
    let mut problems = Vec::new();
    for g in desired.scopes.iter_mut().flat_map(|s| s.grants.iter_mut()) {
        let key = (
            g.key.principal_type,
            g.key.principal_id.as_str().to_ascii_lowercase(),
        );
        let who = format!(
            "{} `{}`",
            g.key.principal_type.file_key(),
            g.key.principal_id
        );
        match answers.get(&key) {
            Some(Lookup::Found(r)) => {
                g.resolved = Some(ResolvedPrincipal {
                    object_id: r.object_id.clone(),
                    display_name: r.display_name.clone(),
                })
            }
            Some(Lookup::NotFound) | None => problems.push(format!(
                "{}:{}: {who} not found in Entra ID (Microsoft Graph at {}); check the spelling, or \
                 wait a few minutes if it was just created",
                desired.file,
                g.location,
                graph.host()
            )),
            Some(Lookup::Ambiguous(n)) => problems.push(format!(
                "{}:{}: {who} names {n} directory objects in Entra ID; use its object id",
                desired.file, g.location
            )),
        }
    }
    problems.dedup();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Unresolved(problems))
    }
}
