//! Finding what a request names, with ARM's not-found errors (and the refusal of a cluster that
//! does not serve principals).

use axum::http::StatusCode;

use super::model::{Cluster, ScopeIdx};
use super::store::World;
use crate::reply::ErrorResponse;
use crate::route::{ClusterPath, ScopePath};
use crate::service_state::principals_refused;

impl World {
    /// The cluster a request names, or ARM's 404 (`nested`: the request is for a child resource).
    pub fn find_cluster(&self, p: &ClusterPath, nested: bool) -> Result<usize, ErrorResponse> {
        let eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        if !self
            .clusters
            .iter()
            .any(|c| eq(&c.subscription, &p.subscription))
        {
            return Err(not_found(
                "SubscriptionNotFound",
                format!("The subscription '{}' could not be found.", p.subscription),
            ));
        }
        let in_rg = |c: &&Cluster| {
            eq(&c.subscription, &p.subscription) && eq(&c.resource_group, &p.resource_group)
        };
        if !self.clusters.iter().any(|c| in_rg(&c)) {
            return Err(not_found(
                "ResourceGroupNotFound",
                format!("Resource group '{}' could not be found.", p.resource_group),
            ));
        }
        match self
            .clusters
            .iter()
            .position(|c| in_rg(&c) && eq(&c.name, &p.cluster))
        {
            Some(i) => Ok(i),
            None if nested => Err(parent_not_found(&p.cluster)),
            None => Err(resource_not_found(
                &format!("Microsoft.Kusto/clusters/{}", p.cluster),
                &p.resource_group,
            )),
        }
    }

    /// The database of a cluster, or ARM's 404.
    pub fn find_database(
        &self,
        cluster: usize,
        p: &ClusterPath,
        db: &str,
        nested: bool,
    ) -> Result<usize, ErrorResponse> {
        let c = &self.clusters[cluster];
        match c
            .databases
            .iter()
            .position(|d| !d.deleted && d.name.eq_ignore_ascii_case(db))
        {
            Some(i) => Ok(i),
            None if nested => Err(parent_not_found(&format!("{}/{db}", c.name))),
            None => Err(resource_not_found(
                &format!("Microsoft.Kusto/clusters/{}/databases/{db}", p.cluster),
                &p.resource_group,
            )),
        }
    }

    /// The scope of a principal assignment request (refused while the cluster does not serve).
    pub fn find_scope(&self, p: &ScopePath) -> Result<ScopeIdx, ErrorResponse> {
        let cluster = self.find_cluster(&p.cluster, true)?;
        principals_refused(self.clusters[cluster].state)?;
        let database = match &p.database {
            None => None,
            Some(db) => Some(self.find_database(cluster, &p.cluster, db, true)?),
        };
        Ok(ScopeIdx { cluster, database })
    }
}

pub fn not_found(code: &str, message: String) -> ErrorResponse {
    ErrorResponse::new(StatusCode::NOT_FOUND, code, message)
}

pub fn resource_not_found(resource: &str, rg: &str) -> ErrorResponse {
    not_found(
        "ResourceNotFound",
        format!(
            "The Resource '{resource}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
        ),
    )
}

fn parent_not_found(parent: &str) -> ErrorResponse {
    not_found(
        "ParentResourceNotFound",
        format!(
            "Can not perform requested operation on nested resource. Parent resource '{parent}' not found."
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::vocab::ScopeKind;

    fn path(s: &str, rg: &str, c: &str) -> ClusterPath {
        ClusterPath {
            subscription: s.into(),
            resource_group: rg.into(),
            cluster: c.into(),
        }
    }

    #[test]
    fn lookups_say_what_is_missing() {
        let w = World::new(&crate::state::demo_state(), Duration::ZERO, false);
        let sub = "12345678-1234-1234-1234-123456789098";
        assert_eq!(
            w.find_cluster(&path(sub, "TESTRG", "MyKustoCluster"), false),
            Ok(0)
        );
        let code = |p: ClusterPath, nested| w.find_cluster(&p, nested).unwrap_err().code;
        assert_eq!(
            code(path("x", "testrg", "c"), false),
            "SubscriptionNotFound"
        );
        assert_eq!(code(path(sub, "nope", "c"), false), "ResourceGroupNotFound");
        assert_eq!(code(path(sub, "testrg", "nope"), false), "ResourceNotFound");
        assert_eq!(
            code(path(sub, "testrg", "nope"), true),
            "ParentResourceNotFound"
        );
        let scope = ScopePath {
            cluster: path(sub, "testrg", "mykustocluster"),
            database: Some("SALES".into()),
        };
        let idx = w.find_scope(&scope).unwrap();
        assert_eq!(idx.kind(), ScopeKind::Database);
        assert_eq!(w.assignments(idx).len(), 3);
        assert_eq!(w.snapshot(), crate::state::demo_state());
    }
}
