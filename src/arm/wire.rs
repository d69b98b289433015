//! ARM's JSON shapes for principal assignments, operation status and errors. Every field is optional
//! and every id a plain string: the real service lists non-GUID and empty ids (docs/arm-service.md §2).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AssignmentResource {
    pub id: Option<String>,
    pub name: Option<String>,
    pub properties: Option<AssignmentProperties>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    #[serde(skip_serializing)]
    pub tenant_name: Option<String>,
    #[serde(skip_serializing)]
    pub principal_name: Option<String>,
    #[serde(skip_serializing)]
    pub provisioning_state: Option<String>,
    #[serde(skip_serializing)]
    pub aad_object_id: Option<String>,
}

/// The PUT body: `{"properties": {...}}`.
#[derive(Debug, Serialize)]
pub struct AssignmentBody {
    pub properties: AssignmentProperties,
}

/// A page of a list. `value` is required: a body without it is a broken answer, not an empty scope
/// (read as empty, it would plan deleting nothing, or creating everything, on a false premise).
#[derive(Debug, Deserialize)]
pub struct ListResult<T> {
    pub value: Vec<T>,
    #[serde(rename = "nextLink")]
    pub next_link: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OperationStatus {
    pub status: Option<String>,
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorResponse {
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ErrorBody {
    pub code: Option<String>,
    pub message: Option<String>,
}

/// The short assignment name: the last `/` segment of ARM's `name` (`cluster[/db]/assignment`) or `id`.
pub fn short_name(resource: &AssignmentResource) -> Option<String> {
    resource
        .name
        .as_deref()
        .or(resource.id.as_deref())
        .and_then(|n| n.rsplit('/').next())
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_last_segment() {
        let r: AssignmentResource = serde_json::from_str(
            r#"{"name":"kustoCluster/Kustodatabase8/kustoprincipal1","properties":{"principalId":""}}"#,
        )
        .unwrap();
        assert_eq!(short_name(&r).as_deref(), Some("kustoprincipal1"));
    }
}
