//! The principal assignment endpoints: list, get, create-or-update and delete. A write is its PUT or
//! DELETE and the polls of the operation it starts, nothing more: the operation's terminal status is
//! the write's result (issue 15), and the next plan is the confirmation. The resolved fields a read-back
//! would add (`tenantName`, `principalName`) are not needed by `apply`.
//!
//! `prop` (tests only): property tests from ARM's wire listing to the plan.

use reqwest::Method;

use super::client::ArmClient;
use super::error::ArmError;
use super::path::{ArmPath, id_is_under};
use super::response::parse_json;
use super::retry::{Attempt, RetryClass, is_idempotent};
use super::wire::{AssignmentBody, AssignmentProperties, AssignmentResource, short_name};
use crate::model::names::{self, NameKind};
use crate::model::{
    AssignmentKey, CurrentAssignment, PrincipalId, PrincipalType, Provisioning, Role, Scope,
};

impl ArmClient {
    /// Lists the principal assignments at a scope, following `nextLink`.
    pub async fn list_assignments(
        &self,
        scope: &Scope,
    ) -> Result<Vec<CurrentAssignment>, ArmError> {
        let path = ArmPath::assignments(scope)?;
        let items: Vec<AssignmentResource> = self
            .list_all("list principal assignments", path.as_str(), self.url(&path))
            .await?;
        Ok(items
            .into_iter()
            .filter_map(|r| to_current(scope, r))
            .collect())
    }

    /// Gets one assignment; `None` when it does not exist.
    pub async fn get_assignment(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<CurrentAssignment>, ArmError> {
        let path = ArmPath::assignment(scope, name)?;
        let url = self.url(&path);
        let path = path.as_str();
        match self
            .send("get principal assignment", path, Method::GET, url, None)
            .await
        {
            Ok(resp) => {
                let r: AssignmentResource = parse_json("get principal assignment", path, &resp)?;
                Ok(to_current(scope, r))
            }
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates (or updates) the assignment `name` for `key` and waits for its operation.
    pub async fn put_assignment(
        &self,
        key: &AssignmentKey,
        name: &str,
        tenant: Option<&str>,
    ) -> Result<(), ArmError> {
        let op = "create principal assignment";
        let path = ArmPath::assignment(&key.scope, name)?;
        let body = serde_json::to_value(AssignmentBody {
            properties: AssignmentProperties {
                principal_id: Some(key.principal_id.as_str().to_string()),
                role: Some(key.role.as_str().to_string()),
                principal_type: Some(key.principal_type.as_str().to_string()),
                tenant_id: tenant.map(str::to_string),
                ..Default::default()
            },
        })
        .expect("the body serialises");
        self.write_and_wait(op, &path, Method::PUT, Some(&body))
            .await
    }

    /// Sends a PUT or DELETE and waits for the operation it starts; starts it again when the operation
    /// failed for a reason worth retrying (`RetryClass::of_operation`): Entra ID lag of a new identity
    /// within the principal budget, a server-side failure within `max_attempts`. A 204 (nothing to
    /// delete) or a synchronous 200 ends at once.
    async fn write_and_wait(
        &self,
        op: &str,
        path: &ArmPath,
        method: Method,
        body: Option<&serde_json::Value>,
    ) -> Result<(), ArmError> {
        let url = self.url(path);
        let path = path.as_str();
        let mut attempt = Attempt::first();
        loop {
            let resp = self
                .send(op, path, method.clone(), url.clone(), body)
                .await?;
            if resp.status == 204 {
                return Ok(());
            }
            let e = match self.wait(op, path, &resp, &url).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            let class = RetryClass::of_operation(e.code.as_deref(), &e.message);
            let jitter = rand::random::<f64>();
            let Some(d) =
                self.retry
                    .next_delay(class, attempt, is_idempotent(&method), None, jitter)
            else {
                return Err(e);
            };
            announce_wait(op, path, class, attempt, &self.retry, &e, d);
            tokio::time::sleep(d).await;
            attempt.waited(class, d);
        }
    }

    /// Deletes the assignment `name` and waits for its operation. Deleting a missing one succeeds.
    pub async fn delete_assignment(&self, scope: &Scope, name: &str) -> Result<(), ArmError> {
        let op = "delete principal assignment";
        let path = ArmPath::assignment(scope, name)?;
        self.write_and_wait(op, &path, Method::DELETE, None).await
    }
}

/// ARM's resource → our model, checked as every ARM answer is. Left out with a warning (never
/// deleting what we do not understand is the safe side):
///
/// - a name that is not one safe path segment (`names::check(ListedAssignment)`);
/// - an `id` that is missing or not `{scope}/principalAssignments/{name}`: an assignment listed
///   from a scope it does not live in (a confused or hostile server) is not planned on there;
/// - a role or principal type this version does not know.
fn to_current(scope: &Scope, r: AssignmentResource) -> Option<CurrentAssignment> {
    let id = r.id.clone().unwrap_or_default();
    let Some(name) = short_name(&r) else {
        tracing::warn!(
            "{scope}: ARM listed an assignment without a name (id `{}`); leaving it alone",
            id.escape_debug()
        );
        return None;
    };
    if let Err(e) = names::check(NameKind::ListedAssignment, &name) {
        tracing::warn!(
            "{scope}: ARM listed an assignment named `{}` ({e}); leaving it alone",
            name.escape_debug()
        );
        return None;
    }
    if !id_is_under(&id, scope, &name) {
        tracing::warn!(
            "{scope}: ARM listed assignment `{}` with id `{}`, which is not under the scope it was listed from; not planning on it",
            name.escape_debug(),
            id.escape_debug()
        );
        return None;
    }
    let p = r.properties.unwrap_or_default();
    let role_text = p.role.unwrap_or_default();
    let type_text = p.principal_type.unwrap_or_default();
    let (Some(role), Some(principal_type)) =
        (Role::parse(&role_text), PrincipalType::parse(&type_text))
    else {
        tracing::warn!(
            "{scope}: assignment `{name}` has role `{}` and type `{}`, which this version does not know; leaving it alone",
            role_text.escape_debug(),
            type_text.escape_debug()
        );
        return None;
    };
    Some(CurrentAssignment {
        key: AssignmentKey {
            scope: scope.clone(),
            principal_type,
            principal_id: PrincipalId::new(p.principal_id.unwrap_or_default()),
            role,
        },
        name,
        tenant_id: p.tenant_id.filter(|s| !s.is_empty()),
        tenant_name: p.tenant_name.filter(|s| !s.is_empty()),
        principal_name: p.principal_name.filter(|s| !s.is_empty()),
        aad_object_id: p.aad_object_id.filter(|s| !s.is_empty()),
        provisioning: Provisioning::parse(p.provisioning_state.as_deref()),
    })
}

/// Says why a write is started again. The waits a user must know about to not think the tool hung
/// (Entra ID not showing a new principal yet, a cluster in maintenance) are shown at the default
/// verbosity, once per write; the rest at `-v`.
fn announce_wait(
    op: &str,
    path: &str,
    class: RetryClass,
    attempt: Attempt,
    policy: &super::retry::RetryPolicy,
    e: &ArmError,
    d: std::time::Duration,
) {
    let budget = |b: std::time::Duration| {
        humantime::format_duration(std::time::Duration::from_secs(b.as_secs()))
    };
    match class {
        RetryClass::PrincipalNotFound if attempt.principal_wait.is_zero() => tracing::warn!(
            "{op} `{path}`: waiting up to {} for Entra ID to show the principal (a new identity takes minutes to appear)",
            budget(policy.principal_budget)
        ),
        RetryClass::Busy if attempt.busy_wait.is_zero() => tracing::warn!(
            "{op} `{path}`: the cluster is busy ({}); retrying for up to {}",
            e.code.as_deref().unwrap_or("conflict"),
            budget(policy.busy_budget)
        ),
        _ => tracing::info!(
            "{op} `{path}`: the operation failed ({}); starting it again in {:.1}s",
            e.message,
            d.as_secs_f64()
        ),
    }
}

#[cfg(test)]
mod prop;
