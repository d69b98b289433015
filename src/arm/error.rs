//! ARM failures, with everything an operator needs to find the request again (`ArmError`), and what
//! stops a connection being set up before any request is sent (`SetupError`).

use std::fmt;

/// A failed ARM call. `Display` names the operation, the resource, ARM's code and message, the HTTP
/// status and `x-ms-request-id`, and for 401/403 what to check.
#[derive(Debug, Clone)]
pub struct ArmError {
    /// e.g. `list principal assignments`, `create principal assignment`.
    pub operation: String,
    /// The ARM resource id (or URL path) the call was about.
    pub resource: String,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
    /// Who the request was sent as (set for 401 and 403, so the hint can name the identity).
    pub identity: Option<String>,
}

impl ArmError {
    pub fn new(operation: &str, resource: &str, message: impl Into<String>) -> Self {
        ArmError {
            operation: operation.to_string(),
            resource: resource.to_string(),
            status: None,
            code: None,
            message: message.into(),
            request_id: None,
            identity: None,
        }
    }

    /// True when ARM said the resource (or its parent) does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status == Some(404)
    }

    /// The RBAC action a 403 most likely lacks, by operation.
    fn missing_action(&self) -> Option<&'static str> {
        let db = self.resource.to_ascii_lowercase().contains("/databases/");
        let verb = if self.operation.starts_with("list") || self.operation.starts_with("get") {
            "read"
        } else if self.operation.starts_with("delete") {
            "delete"
        } else {
            "write"
        };
        Some(match (db, verb) {
            (false, "read") => "Microsoft.Kusto/clusters/principalAssignments/read",
            (false, "delete") => "Microsoft.Kusto/clusters/principalAssignments/delete",
            (false, _) => "Microsoft.Kusto/clusters/principalAssignments/write",
            (true, "read") => "Microsoft.Kusto/clusters/databases/principalAssignments/read",
            (true, "delete") => "Microsoft.Kusto/clusters/databases/principalAssignments/delete",
            (true, _) => "Microsoft.Kusto/clusters/databases/principalAssignments/write",
        })
    }
}

impl fmt::Display for ArmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}` failed", self.operation, self.resource)?;
        match (self.status, &self.code) {
            (Some(s), Some(c)) => write!(f, " with {s} {c}")?,
            (Some(s), None) => write!(f, " with HTTP {s}")?,
            (None, Some(c)) => write!(f, " with {c}")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)?;
        if let Some(id) = &self.request_id {
            write!(f, " (x-ms-request-id {id})")?;
        }
        let who = self.identity.as_deref().unwrap_or("the identity in use");
        match self.status {
            Some(401) => write!(
                f,
                "\n  hint: ARM rejected the token of {who}; check the tenant, the client id, that the credential is not expired and that --cloud/--arm-endpoint match where the token is from"
            )?,
            Some(403) => {
                if let Some(action) = self.missing_action() {
                    write!(
                        f,
                        "\n  hint: {who} needs the RBAC action `{action}` on this resource (e.g. the Contributor role on the cluster)"
                    )?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl std::error::Error for ArmError {}

/// Why no connection could be set up: a credential that cannot be built, a CA certificate file
/// that holds nothing usable, or an HTTP client the platform cannot make.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The credential of `--auth` (or of what `auto` chose) lacks its environment variables, or
    /// the identity library refused them; `method` is the method in words.
    #[error("cannot set up {method} auth: {cause}\n  hint: {AUTH_HINT}")]
    Auth { method: &'static str, cause: String },

    /// `--ca-cert` is not a PEM bundle.
    #[error("cannot read the CA certificate file: {0}")]
    CaCertificate(String),

    /// `--ca-cert` holds no certificate.
    #[error("the CA certificate file holds no PEM certificate")]
    NoCaCertificate,

    /// The HTTP client could not be built.
    #[error(transparent)]
    HttpClient(#[from] reqwest::Error),

    /// The identity library refused a credential built from fixed values (the emulator's).
    #[error(transparent)]
    Credential(#[from] azure_core::Error),
}

/// How `auto` chooses, said after any failure to set up a credential.
const AUTH_HINT: &str = "`--auth auto` tries workload identity (AZURE_FEDERATED_TOKEN_FILE), GitHub Actions OIDC \
(ACTIONS_ID_TOKEN_REQUEST_URL + AZURE_CLIENT_ID + AZURE_TENANT_ID), Azure Pipelines (SYSTEM_OIDCREQUESTURI + \
AZURESUBSCRIPTION_*), a client secret (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), then `az login`";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_names_the_missing_action() {
        let mut e = ArmError::new(
            "create principal assignment",
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.Kusto/clusters/c/databases/d/principalAssignments/x",
            "no access",
        );
        e.status = Some(403);
        e.code = Some("AuthorizationFailed".into());
        e.request_id = Some("abc".into());
        e.identity = Some("app `cid` (client secret)".into());
        let text = e.to_string();
        assert!(
            text.contains("app `cid` (client secret) needs the RBAC action"),
            "{text}"
        );
        assert!(text.contains("403 AuthorizationFailed"), "{text}");
        assert!(text.contains("x-ms-request-id abc"), "{text}");
        assert!(
            text.contains("Microsoft.Kusto/clusters/databases/principalAssignments/write"),
            "{text}"
        );
    }
}
