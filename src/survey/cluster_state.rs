//! Whether a failed read is explained by its cluster not being Running: the cluster's GET, made
//! only when ARM's status and code say the state could be the cause.

use std::collections::HashMap;

use crate::arm::{ArmClient, ArmError};
use crate::model::{ClusterRef, is_running};

/// Each cluster's `state_of`, read at most once however many of its reads failed (the first
/// failure decides whether the GET is worth making).
#[derive(Default)]
pub(super) struct States(HashMap<ClusterRef, Option<String>>);

impl States {
    pub(super) async fn not_running(
        &mut self,
        client: &ArmClient,
        c: &ClusterRef,
        e: &ArmError,
    ) -> Option<String> {
        if !self.0.contains_key(c) {
            let state = state_of(client, c, e).await;
            self.0.insert(c.clone(), state);
        }
        self.0[c].clone()
    }
}

/// The state of a cluster that is not Running, when that is why a read failed; `None` when it is
/// Running (or its state cannot be read), so the read's own error stands. Only a failure that a
/// cluster's state can cause (400 or 409, with a code that does not name another cause) is worth
/// the cluster GET: decided on ARM's status and code, never on the message.
pub(crate) async fn state_of(client: &ArmClient, c: &ClusterRef, e: &ArmError) -> Option<String> {
    let state_related = matches!(e.status, Some(400 | 409))
        && e.code.as_deref().is_none_or(|code| {
            [
                "ClusterNotValidForPrincipals",
                "BadRequest",
                "Conflict",
                "RequestConflict",
            ]
            .iter()
            .any(|k| code.eq_ignore_ascii_case(k))
        });
    if !state_related {
        return None;
    }
    match client.cluster_state(c).await {
        Ok(Some(state)) if !is_running(Some(&state)) => Some(state),
        Ok(_) | Err(_) => None,
    }
}
