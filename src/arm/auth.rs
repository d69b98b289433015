//! Choosing a credential and building the one HTTP client that ARM calls and `azure_identity` share.
//!
//! `auto` tries, in order (DESIGN.md §6): workload identity (`AZURE_FEDERATED_TOKEN_FILE`), client
//! secret (`AZURE_TENANT_ID`/`AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET`), then the Azure CLI. The choice and
//! its reason are logged at info level; secrets never are.

use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, RetryOptions, Transport};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertionCredentialOptions,
    ClientSecretCredential, ClientSecretCredentialOptions, WorkloadIdentityCredential,
    WorkloadIdentityCredentialOptions,
};
use url::Url;

use crate::cli::{AuthMethod, Cloud};

/// Everything needed to reach ARM: endpoint, token scope, credential and HTTP client.
#[derive(Clone)]
pub struct Connection {
    pub endpoint: Url,
    pub token_scope: String,
    pub credential: Arc<dyn TokenCredential>,
    pub http: reqwest::Client,
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

/// The ARM endpoint and Entra ID authority of a cloud (reference §9).
pub fn cloud_endpoints(cloud: Cloud) -> (&'static str, &'static str) {
    match cloud {
        Cloud::Public => (
            "https://management.azure.com",
            "https://login.microsoftonline.com",
        ),
        Cloud::Usgov => (
            "https://management.usgovcloudapi.net",
            "https://login.microsoftonline.us",
        ),
        Cloud::China => (
            "https://management.chinacloudapi.cn",
            "https://login.chinacloudapi.cn",
        ),
    }
}

/// One `reqwest` client for ARM and identity. `extra_roots` (PEM) are trusted in addition to the
/// platform's roots.
pub fn build_http_client(extra_roots: Option<&[u8]>) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("kusto-principals/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(std::time::Duration::from_secs(30))
        .timeout(std::time::Duration::from_secs(120))
        .pool_idle_timeout(std::time::Duration::from_secs(60))
        .tcp_nodelay(true);
    if let Some(pem) = extra_roots {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| anyhow::anyhow!("cannot read the CA certificate file: {e}"))?;
        if certs.is_empty() {
            anyhow::bail!("the CA certificate file holds no PEM certificate");
        }
        builder = builder.tls_certs_merge(certs);
    }
    Ok(builder.build()?)
}

fn client_options(http: &reqwest::Client, authority: &str) -> ClientOptions {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = authority.to_string();
    ClientOptions {
        transport: Some(Transport::new(Arc::new(http.clone()))),
        cloud: Some(Arc::new(CloudConfiguration::Custom(cloud))),
        // Our own retry loop handles ARM; for tokens a short budget keeps failures quick to report.
        retry: RetryOptions::none(),
        ..Default::default()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Builds the credential for `method`, reading the usual environment variables. `authority` is the
/// Entra ID host (the cloud's, or `AZURE_AUTHORITY_HOST`).
pub fn credential_for(
    method: AuthMethod,
    http: &reqwest::Client,
    authority: &str,
) -> anyhow::Result<(Arc<dyn TokenCredential>, String)> {
    let options = || client_options(http, authority);
    let chosen = match method {
        AuthMethod::Auto => {
            if env("AZURE_FEDERATED_TOKEN_FILE").is_some() {
                tracing::info!(
                    "auth: workload identity, because AZURE_FEDERATED_TOKEN_FILE is set"
                );
                AuthMethod::WorkloadIdentity
            } else if env("AZURE_CLIENT_SECRET").is_some() {
                tracing::info!("auth: client secret, because AZURE_CLIENT_SECRET is set");
                AuthMethod::ClientSecret
            } else {
                tracing::info!("auth: Azure CLI, because no other credential is configured");
                AuthMethod::AzureCli
            }
        }
        other => other,
    };
    match chosen {
        AuthMethod::ClientSecret => {
            let (tenant, client, secret) = match (
                env("AZURE_TENANT_ID"),
                env("AZURE_CLIENT_ID"),
                env("AZURE_CLIENT_SECRET"),
            ) {
                (Some(t), Some(c), Some(s)) => (t, c, s),
                _ => anyhow::bail!(
                    "client-secret auth needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"
                ),
            };
            let cred = ClientSecretCredential::new(
                &tenant,
                client.clone(),
                Secret::new(secret),
                Some(ClientSecretCredentialOptions {
                    client_options: options(),
                }),
            )?;
            Ok((cred, format!("client secret of app `{client}`")))
        }
        AuthMethod::WorkloadIdentity => {
            let cred = WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: options(),
                },
                ..Default::default()
            }))?;
            let client = env("AZURE_CLIENT_ID").unwrap_or_default();
            Ok((cred, format!("workload identity of app `{client}`")))
        }
        AuthMethod::AzureCli => {
            let cred = AzureCliCredential::new(Some(AzureCliCredentialOptions::default()))?;
            Ok((cred, "the Azure CLI's signed-in account".to_string()))
        }
        AuthMethod::ManagedIdentity | AuthMethod::GithubOidc | AuthMethod::AzurePipelines => {
            anyhow::bail!("`--auth {chosen:?}` is not supported yet")
        }
        AuthMethod::Auto => unreachable!("auto was resolved above"),
    }
}

/// A credential with a fixed client secret (the in-process emulator's).
pub fn client_secret_credential(
    http: &reqwest::Client,
    authority: &str,
    tenant: &str,
    client_id: &str,
    secret: &str,
) -> anyhow::Result<Arc<dyn TokenCredential>> {
    Ok(ClientSecretCredential::new(
        tenant,
        client_id.to_string(),
        Secret::new(secret.to_string()),
        Some(ClientSecretCredentialOptions {
            client_options: client_options(http, authority),
        }),
    )?)
}
