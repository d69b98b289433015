//! Every ARM URL path this tool sends, built in one place. Fixed segments (`subscriptions`,
//! `providers`, …) are written here; every name goes through `encode_segment`, which first checks it
//! with `names::segment` (so `..`, a `/` or a control character never becomes a path step, even if a
//! caller forgot to validate) and then percent-encodes it as the Azure SDKs encode path parameters.
//! Nothing else in `src/` formats a name into a path.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::error::ArmError;
use crate::model::names;
use crate::model::{ClusterRef, Scope};

/// Left as is: what JavaScript's `encodeURIComponent` leaves, which is how the Azure SDKs encode path
/// parameters; everything else (space, `%`, `#`, `?`, non-ASCII) is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// One name as one encoded path segment, or why it cannot be one.
pub fn encode_segment(name: &str) -> Result<String, String> {
    names::segment(name)?;
    Ok(utf8_percent_encode(name, SEGMENT).to_string())
}

/// An ARM URL path (no host, no query), every name in it encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmPath(String);

impl ArmPath {
    fn fixed(mut self, segment: &'static str) -> Self {
        self.0.push('/');
        self.0.push_str(segment);
        self
    }

    fn name(mut self, what: &str, value: &str) -> Result<Self, ArmError> {
        let encoded = encode_segment(value).map_err(|e| {
            ArmError::new(
                "build the ARM URL",
                &format!("{}/…", self.0),
                format!("refusing {what} `{}`: {e}", value.escape_debug()),
            )
        })?;
        self.0.push('/');
        self.0.push_str(&encoded);
        Ok(self)
    }

    /// `/subscriptions/{s}`
    pub fn subscription(subscription: &str) -> Result<Self, ArmError> {
        ArmPath(String::new())
            .fixed("subscriptions")
            .name("the subscription", subscription)
    }

    /// `/subscriptions/{s}[/resourceGroups/{rg}]/providers/Microsoft.Kusto/clusters`
    pub fn clusters(subscription: &str, resource_group: Option<&str>) -> Result<Self, ArmError> {
        let mut p = ArmPath::subscription(subscription)?;
        if let Some(rg) = resource_group {
            p = p.fixed("resourceGroups").name("the resource group", rg)?;
        }
        Ok(p.fixed("providers")
            .fixed("Microsoft.Kusto")
            .fixed("clusters"))
    }

    /// `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Kusto/clusters/{c}`
    pub fn cluster(c: &ClusterRef) -> Result<Self, ArmError> {
        ArmPath::clusters(&c.subscription, Some(&c.resource_group))?.name("the cluster", &c.cluster)
    }

    /// `…/clusters/{c}/databases`
    pub fn databases(c: &ClusterRef) -> Result<Self, ArmError> {
        Ok(ArmPath::cluster(c)?.fixed("databases"))
    }

    /// The scope itself: the cluster, or `…/clusters/{c}/databases/{d}`.
    pub fn scope(s: &Scope) -> Result<Self, ArmError> {
        match s.database_name() {
            None => ArmPath::cluster(&s.cluster),
            Some(db) => ArmPath::databases(&s.cluster)?.name("the database", db),
        }
    }

    /// `{scope}/principalAssignments`
    pub fn assignments(s: &Scope) -> Result<Self, ArmError> {
        Ok(ArmPath::scope(s)?.fixed("principalAssignments"))
    }

    /// `{scope}/principalAssignments/{name}`
    pub fn assignment(s: &Scope, name: &str) -> Result<Self, ArmError> {
        ArmPath::assignments(s)?.name("the assignment name", name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ArmPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// True when ARM's resource `id` of a listed assignment is `{scope}/principalAssignments/{name}`:
/// the assignment really lives at the scope it was listed from. Compared without case, segment by
/// segment after decoding, as ARM compares ids.
pub fn id_is_under(id: &str, scope: &Scope, name: &str) -> bool {
    let Ok(want) = ArmPath::assignment(scope, name) else {
        return false;
    };
    let decode = |p: &str| -> Vec<String> {
        p.trim_end_matches('/')
            .split('/')
            .map(|s| names::fold(&percent_encoding::percent_decode_str(s).decode_utf8_lossy()))
            .collect()
    };
    decode(id) == decode(want.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "12345678-1234-1234-1234-123456789098";

    fn db(name: &str) -> Scope {
        Scope::database(ClusterRef::new(SUB, "rg(eu)", "kusto1"), name)
    }

    #[test]
    fn names_are_encoded_one_segment_each() {
        let p = ArmPath::assignment(&db("Sales 2024"), "a#b?c%d").unwrap();
        assert_eq!(
            p.as_str(),
            format!(
                "/subscriptions/{SUB}/resourceGroups/rg(eu)/providers/Microsoft.Kusto/clusters/kusto1/databases/Sales%202024/principalAssignments/a%23b%3Fc%25d"
            )
        );
    }

    #[test]
    fn path_steps_and_separators_are_refused() {
        for bad in ["..", ".", "a/b", "x\t", " x", "", "a\\b", "a\u{0}"] {
            let e = ArmPath::assignments(&db(bad)).unwrap_err();
            assert!(e.message.contains("refusing the database"), "{bad:?}: {e}");
            assert!(ArmPath::assignment(&db("sales"), bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn ids_must_be_under_the_listed_scope() {
        let s = db("Sales 2024");
        let id = format!(
            "/subscriptions/{SUB}/resourcegroups/RG(EU)/providers/Microsoft.Kusto/Clusters/kusto1/Databases/sales%202024/PrincipalAssignments/Admins"
        );
        assert!(id_is_under(&id, &s, "admins"));
        assert!(!id_is_under(&id, &db("other"), "admins"));
        assert!(!id_is_under(&id, &s, "viewers"));
        let cluster_level = format!(
            "/subscriptions/{SUB}/resourceGroups/rg(eu)/providers/Microsoft.Kusto/clusters/kusto1/principalAssignments/admins"
        );
        assert!(!id_is_under(&cluster_level, &s, "admins"));
    }
}
