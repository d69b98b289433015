//! Request bodies read: JSON (for every handler that takes a body), and the bodies of principal
//! assignment writes and check-name, validated with the messages the real service gives (P8 for an
//! invalid role). What an assignment looks like in an answer is `assignment_resource`.

use axum::http::StatusCode;
use serde_json::Value;

use super::reply::ErrorResponse;
use super::state::AssignmentState;
use super::versions;
use crate::vocab::{PrincipalType, Role, ScopeKind};

/// A valid PUT body.
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentRequest {
    pub principal_id: String,
    pub principal_type: PrincipalType,
    pub role: Role,
    pub tenant_id: Option<String>,
}

impl AssignmentRequest {
    pub fn to_state(&self, name: String) -> AssignmentState {
        AssignmentState {
            name,
            principal_id: self.principal_id.clone(),
            principal_type: self.principal_type,
            role: self.role,
            tenant_id: self.tenant_id.clone(),
        }
    }

    pub fn from_state(a: &AssignmentState) -> AssignmentRequest {
        AssignmentRequest {
            principal_id: a.principal_id.clone(),
            principal_type: a.principal_type,
            role: a.role,
            tenant_id: a.tenant_id.clone(),
        }
    }
}

pub fn json(raw: &[u8]) -> Result<Value, ErrorResponse> {
    serde_json::from_slice(raw).map_err(|e| {
        ErrorResponse::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            format!("The request content was invalid and could not be deserialized: '{e}'."),
        )
    })
}

/// `{"properties":{"principalId","role","principalType","tenantId"?}}`
pub fn parse_assignment(
    raw: &[u8],
    kind: ScopeKind,
    api_version: &str,
) -> Result<AssignmentRequest, ErrorResponse> {
    let v = json(raw)?;
    let Some(p) = v.get("properties").filter(|p| p.is_object()) else {
        return Err(ErrorResponse::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request content was invalid: the required property 'properties' is missing.",
        ));
    };
    let text = |k: &str| {
        p.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let role = text("role")
        .and_then(Role::parse)
        .filter(|r| r.scope_kind() == kind && versions::has_role(api_version, *r))
        .ok_or_else(|| ErrorResponse::bad_request(invalid_role(kind)))?;
    let principal_type = text("principalType").and_then(PrincipalType::parse).ok_or_else(|| {
        ErrorResponse::bad_request("Principal type is invalid. Please provide valid principal type (App, Group, User).")
    })?;
    let principal_id = text("principalId").ok_or_else(|| {
        ErrorResponse::bad_request("Principal id is invalid. Please provide a valid principal id.")
    })?;
    Ok(AssignmentRequest {
        principal_id: principal_id.to_string(),
        principal_type,
        role,
        tenant_id: text("tenantId").map(str::to_string),
    })
}

pub fn invalid_role(kind: ScopeKind) -> &'static str {
    match kind {
        ScopeKind::Database => {
            "Database principal role is invalid. Please provide valid database principal role (Admin, Viewer, User, etc.)."
        }
        ScopeKind::Cluster => {
            "Cluster principal role is invalid. Please provide valid cluster principal role (AllDatabasesAdmin, AllDatabasesViewer, AllDatabasesMonitor)."
        }
    }
}

/// `{"name","type"}`; the type must name principal assignments at this scope (any case).
pub fn parse_check_name(raw: &[u8], kind: ScopeKind) -> Result<String, ErrorResponse> {
    let v = json(raw)?;
    let expected = match kind {
        ScopeKind::Cluster => "Microsoft.Kusto/clusters/principalAssignments",
        ScopeKind::Database => "Microsoft.Kusto/clusters/databases/principalAssignments",
    };
    let ty = v.get("type").and_then(Value::as_str).unwrap_or_default();
    if !ty.eq_ignore_ascii_case(expected) {
        return Err(ErrorResponse::bad_request(format!(
            "The resource type '{ty}' is invalid. The supported type is '{expected}'."
        )));
    }
    match v.get("name").and_then(Value::as_str) {
        Some(n) if !n.trim().is_empty() => Ok(n.to_string()),
        _ => Err(ErrorResponse::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request content was invalid: the required property 'name' is missing.",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: &str = "2024-04-13";

    #[test]
    fn assignment_bodies_are_checked_per_scope() {
        let ok = br#"{"properties":{"principalId":"p","role":"Viewer","principalType":"App"}}"#;
        assert_eq!(
            parse_assignment(ok, ScopeKind::Database, V).unwrap().role,
            Role::Viewer
        );
        let e = parse_assignment(ok, ScopeKind::Cluster, V).unwrap_err();
        assert!(
            e.message.starts_with("Cluster principal role is invalid"),
            "{}",
            e.message
        );
        let plural = br#"{"properties":{"principalId":"p","role":"UnrestrictedViewers","principalType":"App"}}"#;
        let e = parse_assignment(plural, ScopeKind::Database, V).unwrap_err();
        assert_eq!(e.message, invalid_role(ScopeKind::Database));
        assert_eq!(
            parse_assignment(b"{", ScopeKind::Database, V)
                .unwrap_err()
                .code,
            "InvalidRequestContent"
        );
        let no_type = br#"{"properties":{"principalId":"p","role":"Viewer"}}"#;
        assert!(
            parse_assignment(no_type, ScopeKind::Database, V)
                .unwrap_err()
                .message
                .contains("Principal type")
        );
    }

    #[test]
    fn check_name_types_ignore_case() {
        let body = br#"{"name":"x","type":"Microsoft.Kusto/Clusters/principalAssignments"}"#;
        assert_eq!(parse_check_name(body, ScopeKind::Cluster).unwrap(), "x");
        assert!(parse_check_name(body, ScopeKind::Database).is_err());
    }

    #[test]
    fn a_role_missing_from_the_versions_spec_is_refused() {
        let monitor = br#"{"properties":{"principalId":"p","role":"AllDatabasesMonitor","principalType":"App"}}"#;
        let e = parse_assignment(monitor, ScopeKind::Cluster, "2023-08-15").unwrap_err();
        assert_eq!(e.message, invalid_role(ScopeKind::Cluster));
        let ok = parse_assignment(monitor, ScopeKind::Cluster, "2024-04-13").unwrap();
        assert_eq!(ok.role, Role::AllDatabasesMonitor);
    }
}
