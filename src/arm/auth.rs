//! Choosing a credential and building the one HTTP client that ARM calls and `azure_identity` share.
//!
//! `auto` tries, in order (docs/DESIGN.md §6): workload identity (`AZURE_FEDERATED_TOKEN_FILE`), GitHub
//! Actions OIDC, Azure Pipelines OIDC, client secret (`AZURE_TENANT_ID`/`AZURE_CLIENT_ID`/
//! `AZURE_CLIENT_SECRET`), then the Azure CLI; managed identity when asked. The choice and its reason
//! are logged at info level; secrets never are.

use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::ClientOptions;
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, AzurePipelinesCredential,
    AzurePipelinesCredentialOptions, ClientAssertionCredential, ClientAssertionCredentialOptions,
    ClientSecretCredential, ClientSecretCredentialOptions, ManagedIdentityCredential,
    ManagedIdentityCredentialOptions, UserAssignedId, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use url::Url;

use super::error::SetupError;
use super::transport::client_options;

/// Which credential to use (`--auth`); `auto` picks one from the environment (`resolve_auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AuthMethod {
    Auto,
    AzureCli,
    ClientSecret,
    WorkloadIdentity,
    ManagedIdentity,
    GithubOidc,
    AzurePipelines,
}

/// Everything needed to reach ARM: endpoint, token scope, credential and HTTP client.
#[derive(Clone)]
pub struct Connection {
    pub endpoint: Url,
    pub token_scope: String,
    pub credential: Arc<dyn TokenCredential>,
    pub http: reqwest::Client,
    /// The deadline of one attempt: sending and reading the whole answer (`--request-timeout`).
    pub request_timeout: Duration,
    /// Which identity is in use, for messages (never a secret).
    pub identity: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("endpoint", &self.endpoint.as_str())
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// One `reqwest` client for ARM and identity (`http::build_client`: no redirects, bounded time).
/// `extra_roots` (PEM) are trusted in addition to the platform's roots.
pub fn build_http_client(
    extra_roots: Option<&[u8]>,
    request_timeout: Duration,
) -> Result<reqwest::Client, SetupError> {
    super::http::build_client(extra_roots, request_timeout)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Picks the source `auto` means here, with the reason (docs/DESIGN.md §6 order).
pub fn resolve_auto() -> (AuthMethod, &'static str) {
    if env("AZURE_FEDERATED_TOKEN_FILE").is_some() {
        (
            AuthMethod::WorkloadIdentity,
            "AZURE_FEDERATED_TOKEN_FILE is set",
        )
    } else if env("ACTIONS_ID_TOKEN_REQUEST_URL").is_some() && env("AZURE_CLIENT_ID").is_some() {
        (
            AuthMethod::GithubOidc,
            "ACTIONS_ID_TOKEN_REQUEST_URL and AZURE_CLIENT_ID are set (GitHub Actions with id-token: write)",
        )
    } else if env("SYSTEM_OIDCREQUESTURI").is_some()
        && env("AZURESUBSCRIPTION_SERVICE_CONNECTION_ID").is_some()
    {
        (
            AuthMethod::AzurePipelines,
            "SYSTEM_OIDCREQUESTURI and AZURESUBSCRIPTION_SERVICE_CONNECTION_ID are set (Azure Pipelines)",
        )
    } else if env("AZURE_CLIENT_SECRET").is_some() {
        (AuthMethod::ClientSecret, "AZURE_CLIENT_SECRET is set")
    } else {
        (AuthMethod::AzureCli, "no other credential is configured")
    }
}

/// The values of `names`, or which of them `what` lacks.
fn require(names: &[&str], what: &str) -> Result<Vec<String>, String> {
    let values: Vec<Option<String>> = names.iter().map(|n| env(n)).collect();
    let missing: Vec<&str> = names
        .iter()
        .zip(&values)
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{what} needs {}; {} not set",
            names.join(", "),
            missing.join(", ")
        ));
    }
    Ok(values.into_iter().flatten().collect())
}

/// A credential and who it authenticates as (for messages, never a secret).
type Built = (Arc<dyn TokenCredential>, String);

/// Why a credential could not be built, as the user reads it after "cannot set up … auth: ".
type Cause = Box<dyn std::error::Error + Send + Sync>;

/// What every credential's token requests go through: the shared client, the authority and the
/// per-attempt deadline (`transport::client_options`).
struct Setup<'a> {
    http: &'a reqwest::Client,
    authority: &'a str,
    request_timeout: Duration,
}

impl Setup<'_> {
    /// Options for credentials whose token requests go only to the authority.
    fn options(&self) -> ClientOptions {
        client_options(self.http, self.authority, self.request_timeout, true)
    }

    /// Azure Pipelines also asks Azure DevOps for its OIDC token; managed identity asks IMDS.
    fn open_options(&self) -> ClientOptions {
        client_options(self.http, self.authority, self.request_timeout, false)
    }
}

/// Builds the credential for `method`, reading the usual environment variables. `authority` is the
/// Entra ID host (the cloud's, or `AZURE_AUTHORITY_HOST`). Returns the credential and a description
/// of the identity for messages.
pub fn credential_for(
    method: AuthMethod,
    http: &reqwest::Client,
    authority: &str,
    request_timeout: Duration,
) -> Result<Built, SetupError> {
    let chosen = choose(method);
    let setup = Setup {
        http,
        authority,
        request_timeout,
    };
    build(chosen, &setup).map_err(|e| SetupError::Auth {
        method: describe(chosen),
        cause: e.to_string(),
    })
}

/// The method `--auth` names, or the one `auto` resolves to; the choice and its reason are logged.
fn choose(method: AuthMethod) -> AuthMethod {
    match method {
        AuthMethod::Auto => {
            let (m, why) = resolve_auto();
            tracing::info!("auth: {}, because {why}", describe(m));
            m
        }
        other => {
            tracing::info!("auth: {}, as --auth asks", describe(other));
            other
        }
    }
}

/// The credential of a concrete method.
fn build(chosen: AuthMethod, setup: &Setup<'_>) -> Result<Built, Cause> {
    match chosen {
        AuthMethod::ClientSecret => client_secret(setup),
        AuthMethod::WorkloadIdentity => workload_identity(setup),
        AuthMethod::GithubOidc => github_oidc(setup),
        AuthMethod::AzurePipelines => azure_pipelines(setup),
        AuthMethod::ManagedIdentity => managed_identity(setup),
        AuthMethod::AzureCli => {
            let cred = AzureCliCredential::new(Some(AzureCliCredentialOptions::default()))?;
            Ok((cred, "the Azure CLI's signed-in account".to_string()))
        }
        AuthMethod::Auto => Err("auto resolves to a concrete method".into()),
    }
}

fn client_secret(setup: &Setup<'_>) -> Result<Built, Cause> {
    let v = require(
        &["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"],
        "client-secret auth",
    )?;
    let cred = ClientSecretCredential::new(
        &v[0],
        v[1].clone(),
        Secret::new(v[2].clone()),
        Some(ClientSecretCredentialOptions {
            client_options: setup.options(),
        }),
    )?;
    Ok((cred, format!("app `{}` (client secret)", v[1])))
}

fn workload_identity(setup: &Setup<'_>) -> Result<Built, Cause> {
    let v = require(
        &[
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "AZURE_FEDERATED_TOKEN_FILE",
        ],
        "workload-identity auth",
    )?;
    let cred = WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
        credential_options: ClientAssertionCredentialOptions {
            client_options: setup.options(),
        },
        ..Default::default()
    }))?;
    Ok((cred, format!("app `{}` (workload identity)", v[1])))
}

fn github_oidc(setup: &Setup<'_>) -> Result<Built, Cause> {
    let v = require(
        &[
            "AZURE_TENANT_ID",
            "AZURE_CLIENT_ID",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        ],
        "github-oidc auth (set `permissions: id-token: write` in the workflow)",
    )?;
    let assertion = super::github::GithubOidcAssertion::new(
        setup.http.clone(),
        setup.request_timeout,
        &v[2],
        &v[3],
    )?;
    let cred = ClientAssertionCredential::new(
        v[0].clone(),
        v[1].clone(),
        assertion,
        Some(ClientAssertionCredentialOptions {
            client_options: setup.options(),
        }),
    )?;
    Ok((cred, format!("app `{}` (GitHub Actions OIDC)", v[1])))
}

fn azure_pipelines(setup: &Setup<'_>) -> Result<Built, Cause> {
    let v = require(
        &[
            "AZURESUBSCRIPTION_TENANT_ID",
            "AZURESUBSCRIPTION_CLIENT_ID",
            "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
            "SYSTEM_ACCESSTOKEN",
        ],
        "azure-pipelines auth (run in an AzureCLI@2 task or map them from the service connection)",
    )?;
    let cred = AzurePipelinesCredential::new(
        v[0].clone(),
        v[1].clone(),
        &v[2],
        Secret::new(v[3].clone()),
        Some(AzurePipelinesCredentialOptions {
            credential_options: ClientAssertionCredentialOptions {
                client_options: setup.open_options(),
            },
        }),
    )?;
    Ok((cred, format!("app `{}` (Azure Pipelines OIDC)", v[1])))
}

fn managed_identity(setup: &Setup<'_>) -> Result<Built, Cause> {
    let user_assigned = env("AZURE_CLIENT_ID");
    let cred = ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
        user_assigned_id: user_assigned.clone().map(UserAssignedId::ClientId),
        client_options: setup.open_options(),
    }))?;
    let who = match user_assigned {
        Some(id) => format!("user-assigned managed identity `{id}`"),
        None => "the system-assigned managed identity".to_string(),
    };
    Ok((cred, who))
}

fn describe(m: AuthMethod) -> &'static str {
    match m {
        AuthMethod::Auto => "auto",
        AuthMethod::AzureCli => "Azure CLI",
        AuthMethod::ClientSecret => "client secret",
        AuthMethod::WorkloadIdentity => "workload identity",
        AuthMethod::ManagedIdentity => "managed identity",
        AuthMethod::GithubOidc => "GitHub Actions OIDC",
        AuthMethod::AzurePipelines => "Azure Pipelines OIDC",
    }
}

/// A credential with a fixed client secret (the in-process emulator's).
pub fn client_secret_credential(
    http: &reqwest::Client,
    authority: &str,
    tenant: &str,
    client_id: &str,
    secret: &str,
    request_timeout: Duration,
) -> Result<Arc<dyn TokenCredential>, SetupError> {
    Ok(ClientSecretCredential::new(
        tenant,
        client_id.to_string(),
        Secret::new(secret.to_string()),
        Some(ClientSecretCredentialOptions {
            client_options: client_options(http, authority, request_timeout, true),
        }),
    )?)
}
