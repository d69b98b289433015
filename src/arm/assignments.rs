//! The principal assignment endpoints: list, get, create-or-update and delete. A write is its PUT or
//! DELETE and the polls of the operation it starts, nothing more: the operation's terminal status is
//! the write's result (issue 15), and the next plan is the confirmation. The resolved fields a read-back
//! would add (`tenantName`, `principalName`) are not needed by `apply`.

use reqwest::Method;

use super::client::{ArmClient, parse_json};
use super::error::ArmError;
use super::retry::{Attempt, RetryClass, is_idempotent};
use super::wire::{AssignmentBody, AssignmentProperties, AssignmentResource, short_name};
use crate::model::{AssignmentKey, CurrentAssignment, PrincipalId, PrincipalType, Role, Scope};

impl ArmClient {
    /// Lists the principal assignments at a scope, following `nextLink`.
    pub async fn list_assignments(
        &self,
        scope: &Scope,
    ) -> Result<Vec<CurrentAssignment>, ArmError> {
        let path = scope.assignments_path();
        let items: Vec<AssignmentResource> = self
            .list_all("list principal assignments", &path, self.url(&path))
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
        let path = scope.assignment_path(name);
        match self
            .send(
                "get principal assignment",
                &path,
                Method::GET,
                self.url(&path),
                None,
            )
            .await
        {
            Ok(resp) => {
                let r: AssignmentResource = parse_json("get principal assignment", &path, &resp)?;
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
        let path = key.scope.assignment_path(name);
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
        path: &str,
        method: Method,
        body: Option<&serde_json::Value>,
    ) -> Result<(), ArmError> {
        let url = self.url(path);
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
            tracing::info!(
                "{op} `{path}`: the operation failed ({}); starting it again in {:.1}s",
                e.message,
                d.as_secs_f64()
            );
            tokio::time::sleep(d).await;
            attempt.number += 1;
            if class == RetryClass::PrincipalNotFound {
                attempt.principal_wait += d;
            }
        }
    }

    /// Deletes the assignment `name` and waits for its operation. Deleting a missing one succeeds.
    pub async fn delete_assignment(&self, scope: &Scope, name: &str) -> Result<(), ArmError> {
        let op = "delete principal assignment";
        let path = scope.assignment_path(name);
        self.write_and_wait(op, &path, Method::DELETE, None).await
    }
}

/// ARM's resource → our model. Items with a role or type this version does not know are left out with
/// a warning: never deleting what we do not understand is the safe side.
fn to_current(scope: &Scope, r: AssignmentResource) -> Option<CurrentAssignment> {
    let name = short_name(&r)?;
    let p = r.properties.unwrap_or_default();
    let role_text = p.role.unwrap_or_default();
    let type_text = p.principal_type.unwrap_or_default();
    let (Some(role), Some(principal_type)) =
        (Role::parse(&role_text), PrincipalType::parse(&type_text))
    else {
        tracing::warn!(
            "{scope}: assignment `{name}` has role `{role_text}` and type `{type_text}`, which this version does not know; leaving it alone"
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
    })
}
