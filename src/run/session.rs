//! Connecting: a client for the real ARM endpoint with a credential from `auth`, or for an
//! in-process emulator (`--emulator`).

use super::settings::Azure;
use crate::arm::{
    ArmClient, Connection, Endpoints, RetryPolicy, build_http_client, client_secret_credential,
    credential_for, resolve_endpoints,
};
use crate::arm::{Graph, graph_for_cloud};
use crate::error::{Error, Result};
use kusto_emulator::{Emulator, EmulatorOptions, EmulatorState};

/// A connected client, and the in-process emulator it talks to when `--emulator` is given.
pub(super) struct Session {
    pub(super) client: ArmClient,
    /// Set with `--resolve-principals graph`.
    pub(super) graph: Option<Graph>,
    _emulator: Option<Emulator>,
}

/// Connects using `api_version` (a saved plan is applied with the api-version it was made with).
pub(super) async fn connect(g: &Azure, api_version: &str) -> Result<Session> {
    match &g.emulator {
        Some(state) => connect_emulator(g, state.as_deref(), api_version).await,
        None => connect_azure(g, api_version),
    }
}

/// A client for an in-process emulator seeded from `state` (the demo state when `None`).
async fn connect_emulator(
    g: &Azure,
    state: Option<&std::path::Path>,
    api_version: &str,
) -> Result<Session> {
    let state = match state {
        None => kusto_emulator::demo_state(),
        Some(path) => EmulatorState::load(path)?,
    };
    // The state file's `knobs:` apply here as in the standalone emulator.
    let options = state.knobs.apply(EmulatorOptions::default());
    let emu = Emulator::start(state, options).await?;
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
        endpoint: url::Url::parse(&endpoint).map_err(anyhow::Error::from)?, // ours: valid
        token_scope: format!("{endpoint}/.default"),
        credential,
        http,
        request_timeout: g.request_timeout,
        identity: format!("the emulator's client `{}`", emu.client_id()),
    };
    // The emulator serves Graph's `/v1.0` on its own host, for Graph's audience.
    let graph = graph(g, &conn, conn.endpoint.clone());
    Ok(Session {
        client: client(conn, g, api_version)?,
        graph,
        _emulator: Some(emu),
    })
}

/// A client for the cloud's (or the given) ARM endpoint, with a credential from `auth`.
fn connect_azure(g: &Azure, api_version: &str) -> Result<Session> {
    let authority_env = std::env::var("AZURE_AUTHORITY_HOST").ok();
    let Endpoints {
        arm: endpoint,
        authority,
    } = resolve_endpoints(g.cloud, g.arm_endpoint.as_deref(), authority_env.as_deref())
        .map_err(Error::Usage)?;
    tracing::info!("ARM endpoint {endpoint}, authority {authority}");
    let ca = match &g.ca_cert {
        Some(p) => Some(
            std::fs::read(p)
                .map_err(|e| Error::io_at(format!("cannot read --ca-cert `{}`", p.display()), e))?,
        ),
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
fn graph(g: &Azure, conn: &Connection, endpoint: url::Url) -> Option<Graph> {
    g.resolve_through_graph.then(|| {
        Graph::new(
            conn.http.clone(),
            conn.credential.clone(),
            endpoint,
            graph_for_cloud(g.cloud),
            conn.request_timeout,
        )
    })
}

fn client(conn: Connection, g: &Azure, api_version: &str) -> Result<ArmClient> {
    Ok(ArmClient::new(conn, api_version)?
        .with_operation_timeout(g.operation_timeout)
        .with_retry(RetryPolicy {
            principal_budget: g.principal_wait,
            busy_budget: g.operation_timeout,
            ..RetryPolicy::default()
        }))
}
