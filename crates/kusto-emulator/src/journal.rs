//! What the emulator saw: request counts by kind, a log of every request, and the history of every
//! write (so a test can prove, say, that no desired grant was ever deleted).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::vocab::{PrincipalType, Role};

/// Requests served, by kind: `token`, `list`, `get`, `put`, `delete`, `operation`, `check_name`,
/// `cluster_list`, `cluster_get`, `database_list`, `database_get`, `database_put`,
/// `database_delete`, `list_principals`, `add_principals`, `remove_principals`, `cluster_stop`,
/// `cluster_start`, `graph`, `other`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestCounts {
    pub by_kind: BTreeMap<String, u64>,
}

impl RequestCounts {
    pub fn get(&self, kind: &str) -> u64 {
        self.by_kind.get(kind).copied().unwrap_or(0)
    }
    /// ARM requests of any kind (everything but the token endpoint, Graph and test hooks).
    pub fn arm_total(&self) -> u64 {
        self.by_kind
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "token" | "graph"))
            .map(|(_, v)| v)
            .sum()
    }
    /// PUT and DELETE of principal assignments.
    pub fn writes(&self) -> u64 {
        self.get("put") + self.get("delete")
    }
    pub(crate) fn bump(&mut self, kind: &str) {
        *self.by_kind.entry(kind.to_string()).or_default() += 1;
    }
}

/// One request, as served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// RFC 3339, UTC.
    pub at: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub kind: String,
    /// 0 when the connection was reset instead of answered.
    pub status: u16,
    pub request_id: String,
}

/// One PUT or DELETE of a principal assignment and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteRecord {
    /// RFC 3339, UTC.
    pub at: String,
    /// `PUT` or `DELETE`.
    pub method: String,
    pub subscription: String,
    pub resource_group: String,
    /// `cluster` or `cluster/database`.
    pub scope: String,
    /// The assignment name.
    pub name: String,
    /// For a PUT, what was asked; for a DELETE, what was there (`None` when nothing was).
    pub principal_id: Option<String>,
    pub principal_type: Option<PrincipalType>,
    pub role: Option<Role>,
    /// The HTTP status answered (0: the connection was reset).
    pub status: u16,
    /// ARM's error code when the request was refused.
    pub error_code: Option<String>,
    /// The long-running operation started, if any.
    pub operation_id: Option<String>,
    /// `Running`, `Succeeded` or `Failed` for writes that started an operation.
    pub operation_status: Option<String>,
}

impl WriteRecord {
    /// True when this write removed an assignment (a DELETE whose operation succeeded).
    pub fn deleted(&self) -> bool {
        self.method == "DELETE" && self.operation_status.as_deref() == Some("Succeeded")
    }

    /// True when this write created or changed an assignment.
    pub fn granted(&self) -> bool {
        self.method == "PUT"
            && (self.status == 200 || self.operation_status.as_deref() == Some("Succeeded"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_leave_tokens_out() {
        let mut c = RequestCounts::default();
        c.bump("token");
        c.bump("put");
        c.bump("delete");
        c.bump("list");
        assert_eq!((c.arm_total(), c.writes(), c.get("token")), (3, 2, 1));
    }
}
