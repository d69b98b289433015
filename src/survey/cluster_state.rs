//! Whether a failed read is explained by its cluster not being Running: the cluster's GET, made
//! only when ARM's status and code say the state could be the cause.

use crate::arm::{ArmClient, ArmError};
use crate::model::{ClusterRef, is_running};

/// The state of a cluster that is not Running, when that is why a read failed; `None` when it is
/// Running (or its state cannot be read), so the read's own error stands. Only a failure that a
/// cluster's state can cause (400 or 409, with a code that does not name another cause) is worth
/// the cluster GET: decided on ARM's status and code, never on the message.
pub(super) async fn state_of(client: &ArmClient, c: &ClusterRef, e: &ArmError) -> Option<String> {
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
