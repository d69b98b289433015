//! Why a scope of the file could not be planned, as a value: what `survey` found, carried by the
//! scope's plan, explained further by the "did you mean" listings, and printed by every renderer
//! and by the command's closing error. Decisions read the variant, never the message.
//!
//! | variant         | the scope                                                         |
//! |-----------------|-------------------------------------------------------------------|
//! | `NotFound`      | ARM says a level of it does not exist (ARM's code says which)     |
//! | `ClusterMissing`| a database of a cluster that does not exist                       |
//! | `Follower`      | a follower database that takes only its leader's principals       |
//! | `NotRunning`    | its cluster is not Running, and `--stopped-clusters error` is set |
//! | `Listing`       | ARM's listing contradicts itself (one name, two grants; no `value`) |
//! | `Described`     | known only by its message (read back from a plan document)       |

use std::fmt;

use crate::model::ClusterRef;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeError {
    NotFound {
        cluster: ClusterRef,
        missing: Missing,
        /// ARM's own message.
        arm_message: String,
        /// What the subscription's cluster list (or the cluster's database list) suggests.
        hint: Option<String>,
    },
    ClusterMissing(ClusterRef),
    Follower {
        database: String,
        leader: String,
        grants: usize,
    },
    /// The reason, e.g. `cluster is Stopped`.
    NotRunning(String),
    Listing(String),
    Described(String),
}

/// The level of a scope that ARM says does not exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    Subscription,
    ResourceGroup,
    Cluster,
    Database(String),
}

impl ScopeError {
    /// True when ARM said the scope does not exist, so a listing may tell why.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ScopeError::NotFound { .. })
    }

    /// True when ARM said the scope's cluster itself does not exist.
    pub fn is_missing_cluster(&self) -> bool {
        matches!(
            self,
            ScopeError::NotFound {
                missing: Missing::Cluster,
                ..
            }
        )
    }
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeError::NotFound {
                cluster,
                missing,
                arm_message,
                hint,
            } => {
                match missing {
                    Missing::Subscription => {
                        write!(f, "subscription `{}` not found", cluster.subscription)?
                    }
                    Missing::ResourceGroup => write!(
                        f,
                        "resource group `{}` not found in subscription `{}`",
                        cluster.resource_group, cluster.subscription
                    )?,
                    Missing::Cluster => write!(
                        f,
                        "cluster `{}` not found in resource group `{}` of subscription `{}`",
                        cluster.cluster, cluster.resource_group, cluster.subscription
                    )?,
                    Missing::Database(db) => write!(
                        f,
                        "database `{db}` not found in cluster `{}`",
                        cluster.cluster
                    )?,
                }
                write!(f, " ({arm_message})")?;
                match hint {
                    Some(hint) => write!(f, "; {hint}"),
                    None => Ok(()),
                }
            }
            ScopeError::ClusterMissing(c) => write!(
                f,
                "its cluster `{}` was not found in resource group `{}` of subscription `{}`",
                c.cluster, c.resource_group, c.subscription
            ),
            ScopeError::Follower {
                database,
                leader,
                grants,
            } => write!(
                f,
                "database `{database}` follows cluster `{leader}` with principalsModificationKind None: \
                 it takes only the leader's principals, so the {grants} grant(s) in the file cannot take \
                 effect here; grant them on the leader database, or remove them from the file"
            ),
            ScopeError::NotRunning(reason) => {
                write!(f, "not checked: {reason} (--stopped-clusters error)")
            }
            ScopeError::Listing(m) | ScopeError::Described(m) => f.write_str(m),
        }
    }
}

/// Every scope of a plan that could not be read: the command's closing error, whatever format the
/// plan was printed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableScopes {
    /// How many scopes the plan has.
    pub total: usize,
    /// Each unreadable scope (as ARM writes it) and why.
    pub scopes: Vec<(String, ScopeError)>,
}

impl fmt::Display for UnreadableScopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of the {} scope{} in the file could not be read:",
            self.scopes.len(),
            self.total,
            if self.total == 1 { "" } else { "s" }
        )?;
        for (scope, e) in &self.scopes {
            write!(f, "\n  `{scope}`: {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnreadableScopes {}
