//! Who a grant is for.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::{Deserialize, Serialize};

/// ARM's `PrincipalType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum PrincipalType {
    App,
    Group,
    User,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::App => "App",
            PrincipalType::Group => "Group",
            PrincipalType::User => "User",
        }
    }

    /// The key used in the desired-state file (`app:`, `group:`, `user:`).
    pub fn file_key(self) -> &'static str {
        match self {
            PrincipalType::App => "app",
            PrincipalType::Group => "group",
            PrincipalType::User => "user",
        }
    }

    pub fn parse(s: &str) -> Option<PrincipalType> {
        match s {
            "App" => Some(PrincipalType::App),
            "Group" => Some(PrincipalType::Group),
            "User" => Some(PrincipalType::User),
            _ => None,
        }
    }
}

impl fmt::Display for PrincipalType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A principal id as written (an app id, an object id, a UPN or a group name). ARM does not normalise
/// these, so equality and order ignore ASCII case while the original spelling is kept for display and
/// for the PUT body.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct PrincipalId(String);

impl PrincipalId {
    pub fn new(id: impl Into<String>) -> Self {
        PrincipalId(id.into().trim().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `other` names the same principal, ignoring case.
    pub fn matches(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other.trim())
    }

    /// True when the id has the shape of a GUID (`8-4-4-4-12` hex digits).
    pub fn is_guid(&self) -> bool {
        is_guid(&self.0)
    }
}

/// `8-4-4-4-12` hexadecimal digits, any case.
pub fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl PartialEq for PrincipalId {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Eq for PrincipalId {}

impl Hash for PrincipalId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl PartialOrd for PrincipalId {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PrincipalId {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_ignore_case(&self.0, &other.0)
    }
}

impl fmt::Display for PrincipalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Orders strings by their ASCII-lowercased bytes, without allocating.
pub(crate) fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_compare_without_case() {
        let a = PrincipalId::new("ABCDEF12-1234-1234-1234-123456789ABC");
        let b = PrincipalId::new("abcdef12-1234-1234-1234-123456789abc");
        assert_eq!(a, b);
        assert_eq!(a.cmp(&b), Ordering::Equal);
        assert!(a.is_guid());
        assert!(!PrincipalId::new("alice@contoso.com").is_guid());
        assert!(!is_guid("abcdef12-1234-1234-1234-123456789ab"));
        assert!(!is_guid("abcdef12-1234-1234-1234-123456789abg"));
    }
}
