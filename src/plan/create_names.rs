//! Names for creates. A PUT to a name that exists overwrites that assignment, so a create must never
//! reuse a name already listed at its scope (an assignment kept, ignored, or about to be deleted by
//! the same plan) nor a name another create of the plan claimed.
//!
//! | candidate, in order                                   | when                      |
//! |-------------------------------------------------------|---------------------------|
//! | the file's `name`                                     | set and free              |
//! | `kp-` + 16 hex of the key's digest                    | free                      |
//! | `kp-` + 16 hex of the digest of (key digest, `#n`)    | the first free `n` ≥ 1    |
//!
//! Names compare without case, as ARM's do (`model::names::fold`). Pure: the same inputs give the
//! same names.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::model::{AssignmentKey, CurrentAssignment, DesiredGrant, names};

/// The names taken at one scope.
#[derive(Debug, Default)]
pub(super) struct Names {
    taken: HashSet<String>,
}

impl Names {
    /// Every name ARM listed at the scope is taken.
    pub fn new<'a>(listed: impl IntoIterator<Item = &'a CurrentAssignment>) -> Self {
        Names {
            taken: listed.into_iter().map(|a| names::fold(&a.name)).collect(),
        }
    }

    /// `grant` with the name its create will PUT (`name: None` when that is the generated name), and
    /// that name marked as taken.
    pub fn claim(&mut self, grant: &DesiredGrant) -> DesiredGrant {
        let mut g = grant.clone();
        if let Some(n) = &g.name
            && self.take(n)
        {
            return g;
        }
        g.name = None;
        if self.take(&g.key.generated_name()) {
            return g;
        }
        for n in 1u32.. {
            let candidate = fallback_name(&g.key, n);
            if self.take(&candidate) {
                g.name = Some(candidate);
                break;
            }
        }
        g
    }

    fn take(&mut self, name: &str) -> bool {
        self.taken.insert(names::fold(name))
    }
}

fn fallback_name(key: &AssignmentKey, n: u32) -> String {
    let digest = Sha256::digest(format!("{}#{n}", key.digest_hex()));
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("kp-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ClusterRef, PrincipalId, PrincipalType, Role, Scope, SourceLocation};

    fn grant(name: Option<&str>) -> DesiredGrant {
        DesiredGrant {
            key: AssignmentKey {
                scope: Scope::database(ClusterRef::new("s", "rg", "c"), "db"),
                principal_type: PrincipalType::User,
                principal_id: PrincipalId::new("alice@contoso.com"),
                role: Role::Viewer,
            },
            name: name.map(str::to_string),
            tenant: None,
            location: SourceLocation::default(),
            resolved: None,
        }
    }

    #[test]
    fn free_names_are_kept_and_taken_ones_fall_back() {
        let generated = grant(None).key.generated_name();
        let mut names = Names::default();
        assert_eq!(
            names.claim(&grant(Some("mine"))).name.as_deref(),
            Some("mine")
        );
        // Taken (without case): the generated name, then numbered fallbacks.
        assert_eq!(names.claim(&grant(Some("MINE"))).name, None);
        let third = names.claim(&grant(None));
        assert_eq!(third.name, Some(fallback_name(&third.key, 1)));
        assert_ne!(third.create_name(), generated);
        let fourth = names.claim(&grant(Some("mine")));
        assert_eq!(fourth.name, Some(fallback_name(&fourth.key, 2)));
    }
}
