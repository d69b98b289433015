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

use std::collections::{BTreeSet, HashMap};

use crate::arm::{GRAPH_PERMISSIONS, Graph, GraphError, Lookup};
use crate::error::{Error, Result};
use crate::model::{DesiredGrant, DesiredState, PrincipalType, ResolvedPrincipal};

/// What Graph said of each principal asked about.
type Answers = HashMap<(PrincipalType, String), Lookup>;

/// Annotates every grant of `desired` with what Graph resolved its principal to.
pub async fn resolve_principals(graph: &Graph, desired: &mut DesiredState) -> Result<()> {
    let wanted = wanted(desired);
    if wanted.is_empty() {
        return Ok(());
    }
    let Some(answers) = ask(graph, &wanted).await else {
        return Ok(());
    };
    let problems = annotate(graph, desired, &answers);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::Unresolved(problems))
    }
}

/// A principal as Graph is asked about it: its type and its id in lower case.
fn principal_of(g: &DesiredGrant) -> (PrincipalType, String) {
    (
        g.key.principal_type,
        g.key.principal_id.as_str().to_ascii_lowercase(),
    )
}

/// Each distinct principal of the file, once.
fn wanted(desired: &DesiredState) -> Vec<(PrincipalType, String)> {
    desired
        .scopes
        .iter()
        .flat_map(|s| &s.grants)
        .map(principal_of)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Graph's answers; `None`, after a warning, when Graph cannot be asked (planned without resolution).
async fn ask(graph: &Graph, wanted: &[(PrincipalType, String)]) -> Option<Answers> {
    match graph.resolve(wanted).await {
        Ok(a) => Some(a),
        Err(GraphError::Denied(why)) => {
            tracing::warn!(
                "cannot resolve principals through Microsoft Graph at {} ({why}): the identity needs \
                 the Graph permissions {GRAPH_PERMISSIONS}; planning without resolution",
                graph.host()
            );
            None
        }
        Err(GraphError::Failed(why)) => {
            tracing::warn!(
                "cannot resolve principals through Microsoft Graph at {} ({why}); planning without \
                 resolution",
                graph.host()
            );
            None
        }
    }
}

/// Sets each found grant's `resolved`; returns one problem per grant not found or ambiguous, at its
/// line in the file.
fn annotate(graph: &Graph, desired: &mut DesiredState, answers: &Answers) -> Vec<String> {
    let mut problems = Vec::new();
    for g in desired.scopes.iter_mut().flat_map(|s| s.grants.iter_mut()) {
        let who = format!(
            "{} `{}`",
            g.key.principal_type.file_key(),
            g.key.principal_id
        );
        match answers.get(&principal_of(g)) {
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
    problems
}
