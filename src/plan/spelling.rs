//! Grants of the file that name a principal otherwise than Azure stores it.
//!
//! ARM keeps a user's `principalId` as the user's mail whatever form was sent, and a guest's UPN only
//! inside `principalName` (docs/arm-service.md §3). The diff adopts such an assignment (a no-op,
//! never a create plus a delete); this module finds those no-ops so that the command can say the
//! spellings differ and which form `export` would write. Pure: it reads a planned scope.

use super::action::{Change, ScopePlan};

/// A no-op whose desired principal id is not the `principalId` Azure stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpellingNote {
    /// `user:bob_contoso.com#EXT#@fabrikam.onmicrosoft.com` as the file has it.
    pub desired: String,
    /// The `principalId` Azure stores for it.
    pub stored: String,
    /// ARM's display name, when it resolved one.
    pub display: Option<String>,
    pub scope: String,
}

/// The no-ops of `sp` that matched under another spelling (an object id, a UPN, a mail).
pub fn spelling_notes(sp: &ScopePlan) -> Vec<SpellingNote> {
    sp.changes
        .iter()
        .filter_map(|c| match c {
            Change::NoOp { before, after } if before.key.principal_id != after.key.principal_id => {
                Some(SpellingNote {
                    desired: format!(
                        "{}:{}",
                        after.key.principal_type.file_key(),
                        after.key.principal_id
                    ),
                    stored: before.key.principal_id.as_str().to_string(),
                    display: before.principal_name.clone(),
                    scope: sp.scope.to_string(),
                })
            }
            Change::NoOp { .. }
            | Change::Create { .. }
            | Change::Delete { .. }
            | Change::Replace { .. } => None,
        })
        .collect()
}
