//! Connecting: a client for the real ARM endpoint with a credential from `auth`, or for an
//! in-process emulator (`--emulator`).

use crate::arm::{
    ArmClient, Connection, Endpoints, RetryPolicy, build_http_client, client_secret_credential,
    credential_for, resolve_endpoints,
};
use crate::arm::{Graph, graph_for_cloud};
use crate::cli::{GlobalArgs, ResolvePrincipals};
use crate::error::{Error, Result};
use kusto_emulator::{Emulator, EmulatorOptions, EmulatorState};

/// A connected client, and the in-process emulator it talks to when `--emulator` is given.
pub(super) struct Session {
    pub(super) client: ArmClient,
    /// Set with `--resolve-principals graph`.
    pub(super) graph: Option<Graph>,
    _emulator: Option<Emulator>,
}

pub(super) async fn connect(g: &GlobalArgs) -> Result<Session> {
    connect_with_api(g, &g.api_version).await
}

/// Connects using `api_version` (a saved plan is applied with the api-version it was made with).
pub(super) async fn connect_with_api(g: &GlobalArgs, api_version: &str) -> Result<Session> {
    if let Some(state_path) = &g.emulator {
        let state = match state_path {
            None => kusto_emulator::demo_state(),
            Some(path) => EmulatorState::load(path)?,
        };
        let emu = Emulator::start(state, EmulatorOptions::default()).await?;
        let http = build_http_client(Some(emu.ca_cert_pem().as_bytes()), g.request_timeout)?;
        let endpoint = emu.endpoint().to_string();
        let credential = client_secret_credential(
            &http,
            &endpoint,
            emu.tenant_id(),
            emu.client_id(),
            emu.client_secret(),
            g.request_timeout,
        )?;
        tracing::info!("using the in-process emulator at {endpoint}");
        let conn = Connection {
            endpoint: url::Url::parse(&endpoint).map_err(anyhow::Error::from)?,
            token_scope: format!("{endpoint}/.default"),
            credential,
            http,
            request_timeout: g.request_timeout,
            identity: format!("the emulator's client `{}`", emu.client_id()),
        };
        // The emulator serves Graph's `/v1.0` on its own host, for Graph's audience.
        let graph = graph(g, &conn, conn.endpoint.clone());
        return Ok(Session {
            client: client(conn, g, api_version)?,
            graph,
            _emulator: Some(emu),
        });
    }
    let authority_env = std::env::var("AZURE_AUTHORITY_HOST").ok();
    let Endpoints {
        arm: endpoint,
        authority,
    } = resolve_endpoints(g.cloud, g.arm_endpoint.as_deref(), authority_env.as_deref())
        .map_err(Error::Usage)?;
    tracing::info!("ARM endpoint {endpoint}, authority {authority}");
    let ca =
        match &g.ca_cert {
            Some(p) => Some(std::fs::read(p).map_err(|e| {
                Error::Usage(format!("cannot read --ca-cert `{}`: {e}", p.display()))
            })?),
            None => None,
        };
    let http = build_http_client(ca.as_deref(), g.request_timeout)?;
    let (credential, identity) = credential_for(g.auth, &http, &authority, g.request_timeout)?;
    let conn = Connection {
        endpoint: url::Url::parse(&endpoint)
            .map_err(|e| Error::Usage(format!("invalid --arm-endpoint `{endpoint}`: {e}")))?,
        token_scope: format!("{endpoint}/.default"),
        credential,
        http,
        request_timeout: g.request_timeout,
        identity,
    };
    let graph_url = g
        .graph_endpoint
        .as_deref()
        .unwrap_or(graph_for_cloud(g.cloud));
    let graph_url = url::Url::parse(graph_url)
        .map_err(|e| Error::Usage(format!("invalid --graph-endpoint `{graph_url}`: {e}")))?;
    let graph = graph(g, &conn, graph_url);
    Ok(Session {
        client: client(conn, g, api_version)?,
        graph,
        _emulator: None,
    })
}

/// A Graph client on the session's HTTP client and credential, when resolution is on. Its token is
/// for the cloud's Graph audience and goes only to `endpoint`.
fn graph(g: &GlobalArgs, conn: &Connection, endpoint: url::Url) -> Option<Graph> {
    (g.resolve_principals == ResolvePrincipals::Graph).then(|| {
        Graph::new(
            conn.http.clone(),
            conn.credential.clone(),
            endpoint,
            graph_for_cloud(g.cloud),
            conn.request_timeout,
        )
    })
}

fn client(conn: Connection, g: &GlobalArgs, api_version: &str) -> Result<ArmClient> {
    Ok(ArmClient::new(conn, api_version)?
        .with_operation_timeout(g.operation_timeout)
        .with_retry(RetryPolicy {
            principal_budget: g.principal_wait,
            busy_budget: g.operation_timeout,
            ..RetryPolicy::default()
        }))
}
