//! Follower databases (kind `ReadOnlyFollowing`, attached from a leader cluster; their state-file
//! form is `state::FollowerState`): their properties on database reads, and what their principals
//! are.
//!
//! | `principals_modification_kind` | the engine's principals (`listPrincipals`)           |
//! |--------------------------------|-------------------------------------------------------|
//! | `Union` (default)              | the leader database's, then the follower's own       |
//! | `Replace`                      | the follower's own only                              |
//! | `None`                         | the leader database's only                           |
//!
//! ARM's principal assignments of a follower are its own (the leader's are not listed there).
//! Writes to them are accepted everywhere, and on a `None` follower have no effect on the engine;
//! `refuse_none_follower_writes` refuses them instead with 400 `CannotAlterFollowerDatabase` (the
//! one follower-specific code the spec shows; what Azure answers here is not recorded). The leader
//! is found by `leader_cluster_resource_id` among the emulator's clusters and by
//! `original_database_name` (default: the follower's name); a leader the emulator does not serve
//! contributes nothing.

use serde_json::{Value, json};

use super::engine;
use super::reply::ErrorResponse;
use super::state::{DataPrincipalState, FollowerState, PrincipalsModificationKind};
use super::world::{ScopeIdx, World};

/// The follower properties of a database read (added to the common ones).
pub fn properties(f: &FollowerState, name: &str, props: &mut Value) {
    props["leaderClusterResourceId"] = json!(f.leader_cluster_resource_id);
    props["attachedDatabaseConfigurationName"] = json!(f.attached_database_configuration_name);
    props["principalsModificationKind"] = json!(f.principals_modification_kind.as_str());
    props["originalDatabaseName"] = json!(f.original_database_name.as_deref().unwrap_or(name));
    props["databaseShareOrigin"] = json!(f.database_share_origin);
    if let Some(t) = &f.table_level_sharing {
        props["tableLevelSharingProperties"] = t.clone();
    }
}

/// The leader database of a follower, when the emulator serves it.
fn leader(w: &World, f: &FollowerState, name: &str) -> Option<(usize, usize)> {
    let want = f.leader_cluster_resource_id.trim_end_matches('/');
    let db = f.original_database_name.as_deref().unwrap_or(name);
    w.clusters.iter().enumerate().find_map(|(i, c)| {
        let id = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Kusto/clusters/{}",
            c.subscription, c.resource_group, c.name
        );
        if !id.eq_ignore_ascii_case(want) {
            return None;
        }
        c.databases
            .iter()
            .position(|d| !d.deleted && d.name.eq_ignore_ascii_case(db))
            .map(|d| (i, d))
    })
}

/// Whether some follower the emulator serves follows database `d` of cluster `c` (`isFollowed`).
pub fn is_followed(w: &World, c: usize, d: usize) -> bool {
    w.clusters.iter().any(|fc| {
        fc.databases.iter().any(|fd| {
            fd.follower
                .as_ref()
                .is_some_and(|f| !fd.deleted && leader(w, f, &fd.name) == Some((c, d)))
        })
    })
}

/// What `listPrincipals` shows for a database: its own engine list, or for a follower the mix its
/// kind makes with the leader's.
pub fn engine_view(w: &World, s: ScopeIdx) -> Vec<DataPrincipalState> {
    let Some(d) = s.database else {
        return Vec::new();
    };
    let db = &w.clusters[s.cluster].databases[d];
    let Some(f) = &db.follower else {
        return db.engine.clone();
    };
    let leaders = || {
        leader(w, f, &db.name)
            .map(|(c, d)| w.clusters[c].databases[d].engine.clone())
            .unwrap_or_default()
    };
    match f.principals_modification_kind {
        PrincipalsModificationKind::Replace => db.engine.clone(),
        PrincipalsModificationKind::None => leaders(),
        PrincipalsModificationKind::Union => {
            let mut out = leaders();
            for p in &db.engine {
                engine::append(&mut out, p.clone());
            }
            out
        }
    }
}

/// The refusal of a principal-assignment write to a `None` follower, when that knob is on.
pub fn check_write(w: &World, s: ScopeIdx, refuse_none: bool) -> Result<(), ErrorResponse> {
    let Some(d) = s.database else { return Ok(()) };
    let db = &w.clusters[s.cluster].databases[d];
    match &db.follower {
        Some(f)
            if refuse_none
                && f.principals_modification_kind == PrincipalsModificationKind::None =>
        {
            Err(ErrorResponse::new(
                axum::http::StatusCode::BAD_REQUEST,
                "CannotAlterFollowerDatabase",
                format!(
                    "[BadRequest] Cannot alter principals of follower database '{}': its principals modification kind is 'None', so it has only the leader's principals.",
                    db.name
                ),
            ))
        }
        _ => Ok(()),
    }
}
