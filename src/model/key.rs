//! The identity of a grant: (scope, principal type, principal id, role).

use std::fmt;

use serde::Deserialize;

use super::{PrincipalId, PrincipalType, Role, Scope};

/// The map key, the sort key, and the first thing in every plan line and error message.
/// Role is part of the identity: a role change is a replacement.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub struct AssignmentKey {
    pub scope: Scope,
    pub principal_type: PrincipalType,
    pub principal_id: PrincipalId,
    pub role: Role,
}

impl AssignmentKey {
    /// A stable 64-bit digest of the key in its case-folded form, used for deterministic names.
    pub fn digest_hex(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let scope = &self.scope;
        for part in [
            &*scope.cluster.subscription,
            &*scope.cluster.resource_group,
            &*scope.cluster.cluster,
            scope.database_name().unwrap_or(""),
            self.principal_type.as_str(),
            self.principal_id.as_str(),
            self.role.as_str(),
        ] {
            h.update(part.to_ascii_lowercase().as_bytes());
            h.update([0u8]);
        }
        let digest = h.finalize();
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The name a create uses when the file gives none: `kp-` + 16 hex digits of the key's digest, so
    /// that a retried or resumed apply PUTs the same name.
    pub fn generated_name(&self) -> String {
        format!("kp-{}", self.digest_hex())
    }
}

impl fmt::Display for AssignmentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}:{} {}",
            self.scope,
            self.principal_type.file_key(),
            self.principal_id,
            self.role
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ClusterRef;

    #[test]
    fn generated_names_are_stable_and_case_blind() {
        let key = |id: &str| AssignmentKey {
            scope: Scope::database(ClusterRef::new("s", "rg", "c"), "db"),
            principal_type: PrincipalType::App,
            principal_id: PrincipalId::new(id),
            role: Role::Viewer,
        };
        let a = key("ABC").generated_name();
        assert_eq!(a, key("abc").generated_name());
        assert_eq!(a.len(), 3 + 16);
        assert!(a.starts_with("kp-"));
        assert_ne!(a, key("abd").generated_name());
        assert_eq!(key("abc").to_string(), "c/db app:abc Viewer");
    }
}
