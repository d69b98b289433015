//! A local HTTPS stand-in for Azure Resource Manager (Kusto principal assignments, clusters,
//! databases, operation status) and the Entra ID token endpoint, like Azurite for Storage.
//!
//! It answers as the real service does (shapes and status codes from the recorded traffic and the
//! spec; see `docs/emulator.md`), and adds knobs for the hard parts of
//! production: latency, throttling, faults, Entra ID lag, paging, per-cluster write conflicts.
//!
//! The files form layers, foundations first: each imports only from its own layer (without a
//! circle) or from the layers listed before it.
//!
//! | layer | file | owns |
//! |-------|------|------|
//! | vocabulary and plain data | `vocab` | roles, principal types, scope kinds |
//! | | `versions` | the api-versions served and the roles each knows |
//! | | `reply` | what a handler answers (`Reply`); ARM's error body (`ErrorResponse`) |
//! | | `route` | paths → routes |
//! | | `state` | the state YAML (seed and dump): its types, checks, fqns |
//! | | `service_state` | cluster states and what a cluster that does not serve answers |
//! | | `journal` | request counts, the request log, the write history |
//! | | `request_body` | request bodies read: JSON, an assignment PUT, check-name |
//! | | `directory` | who resolves in Entra ID, and as what |
//! | | `engine` | the rules of the databases' data-plane principals (P12) |
//! | | `b64`, `auth` | access tokens: issued, checked |
//! | | `throttle`, `faults` | ARM's token buckets; injected faults |
//! | | `options`, `knobs` | the knobs: a builder; the state file's `knobs:` |
//! | the store | `world` | the live world: clusters, assignments, operations; lookups; finishing operations |
//! | the request context | `ctx` | what a handler needs besides the world; the 409 of a busy cluster |
//! | | `shared` | what every connection shares, each behind its lock |
//! | handlers | `paging` | `nextLink` paging of lists |
//! | | `followers` | follower databases: properties, their engine principals, writes to them |
//! | | `assignment_resource` | a principal assignment as ARM shows it |
//! | | `assignment_operation` | the operation an assignment write starts; the write history entry |
//! | | `assignment_update` | a PUT to an assignment name that exists |
//! | | `assignments` | principal assignments: list, get, put, delete, check-name |
//! | | `databases` | database create (the caller becomes Admin, P6) and delete |
//! | | `resources` | clusters and databases, read-only |
//! | | `power` | cluster `stop` and `start` |
//! | | `operation_status` | polling URLs and the operation status endpoint |
//! | | `dataplane` | `listPrincipals`, `addPrincipals`, `removePrincipals` |
//! | | `token`, `openid` | the token endpoint; discovery documents |
//! | | `graph_shape`, `graph` | a Microsoft Graph stand-in (`/v1.0/users`, `groups`, `servicePrincipals`) |
//! | | `hooks` | `/_emulator/` test hooks |
//! | dispatch | `provider` | the resource provider's routing table: route and method → handler |
//! | | `headers` | the headers the recordings show beyond the common ones |
//! | | `gates` | an ARM request through every gate: token, api-version, throttling, faults |
//! | | `http_response` | a `Reply` → one HTTP response, with the headers every answer carries |
//! | | `dispatch` | one request in, one response out: where it goes, the counts, the request log |
//! | serving | `server`, `tls` | HTTP/1.1 connections; certificates and TLS |
//! | | `cli` | `kusto-principals emulator`: the flags and the standalone server |
//! | | `lib` | `Emulator`: start, stop, inspect |
//!
//! The emulator never reads the network beyond its own socket and writes only its CA file.

// vocabulary and plain data
mod auth;
mod b64;
mod directory;
mod engine;
mod faults;
mod journal;
mod knobs;
mod options;
mod reply;
mod request_body;
mod route;
mod service_state;
mod state;
mod throttle;
mod versions;
mod vocab;

// the store
mod world;

// the request context
mod ctx;
mod shared;

// handlers
mod assignment_operation;
mod assignment_resource;
mod assignment_update;
mod assignments;
mod databases;
mod dataplane;
mod followers;
mod graph;
mod graph_shape;
mod hooks;
mod openid;
mod operation_status;
mod paging;
mod power;
mod resources;
mod token;

// dispatch
mod dispatch;
mod gates;
mod headers;
mod http_response;
mod provider;

// serving
mod cli;
mod server;
mod tls;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;

pub use cli::{EmulatorArgs, serve};
pub use journal::{RequestCounts, RequestRecord, WriteRecord};
pub use knobs::Knobs;
pub use options::EmulatorOptions;
pub use service_state::ClusterPowerState;
pub use state::{
    AssignmentState, ClusterState, Credentials, DataPlaneDatabase, DataPlaneState,
    DataPrincipalState, DatabaseState, DirectoryEntry, EmulatorState, FollowerState,
    PrincipalsModificationKind, demo_state,
};
pub use versions::API_VERSIONS;

pub use vocab::{PrincipalType, Role, ScopeKind};

use shared::{Shared, lock};

/// A running emulator; stops when dropped or on `shutdown`.
pub struct Emulator {
    endpoint: String,
    ca_cert_pem: String,
    ca_cert_path: PathBuf,
    tenant_id: String,
    credentials: Credentials,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Emulator {
    /// Binds `options.listen`, makes a CA and server certificate, writes the CA to a temporary
    /// file, and serves `state` until dropped. Must run inside a Tokio runtime.
    pub async fn start(state: EmulatorState, options: EmulatorOptions) -> anyhow::Result<Emulator> {
        state.check()?;
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .with_context(|| format!("binding the emulator to {}", options.listen))?;
        let addr = listener.local_addr()?;
        let loopback = addr.ip().is_loopback();
        let host = if addr.ip().is_unspecified() || loopback {
            "127.0.0.1".to_string()
        } else {
            addr.ip().to_string()
        };
        let tls = tls::make((!loopback).then_some(host.as_str()))?;
        let endpoint = match addr {
            std::net::SocketAddr::V6(_) if !loopback => format!("https://[{host}]:{}", addr.port()),
            _ => format!("https://{host}:{}", addr.port()),
        };
        let dir = tempfile::Builder::new()
            .prefix("kusto-principals-emulator")
            .tempdir()?;
        let ca_cert_path = dir.path().join("emulator-ca.pem");
        std::fs::write(&ca_cert_path, &tls.ca_pem).context("writing the emulator CA")?;
        let shared = Arc::new(Shared::new(
            &state,
            options,
            endpoint.clone(),
            addr.port(),
            loopback,
        ));
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(server::run(listener, tls.config, shared.clone(), stop_rx));
        Ok(Emulator {
            endpoint,
            ca_cert_pem: tls.ca_pem,
            ca_cert_path,
            tenant_id: state.tenant_id,
            credentials: state.credentials,
            shared,
            stop,
            task: Some(task),
            _dir: dir,
        })
    }

    /// `https://127.0.0.1:PORT`: both the ARM endpoint and the authority host.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
    /// The CA certificate (PEM) clients must trust.
    pub fn ca_cert_pem(&self) -> &str {
        &self.ca_cert_pem
    }
    /// The CA certificate as a file, removed when the emulator is dropped.
    pub fn ca_cert_path(&self) -> &Path {
        &self.ca_cert_path
    }
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }
    pub fn client_id(&self) -> &str {
        &self.credentials.client_id
    }
    pub fn client_secret(&self) -> &str {
        &self.credentials.client_secret
    }

    /// The environment that points the CLI, and Microsoft's Python and JavaScript SDKs, at this
    /// emulator.
    pub fn env(&self) -> Vec<(String, String)> {
        let ca = self.ca_cert_path.display().to_string();
        [
            ("KUSTO_PRINCIPALS_ARM_ENDPOINT", self.endpoint.clone()),
            // Microsoft Graph's `/v1.0` is served on the same host.
            ("KUSTO_PRINCIPALS_GRAPH_ENDPOINT", self.endpoint.clone()),
            ("KUSTO_PRINCIPALS_CA_CERT", ca.clone()),
            ("AZURE_AUTHORITY_HOST", self.endpoint.clone()),
            ("AZURE_TENANT_ID", self.tenant_id.clone()),
            ("AZURE_CLIENT_ID", self.credentials.client_id.clone()),
            (
                "AZURE_CLIENT_SECRET",
                self.credentials.client_secret.clone(),
            ),
            // For Microsoft's SDKs: Python's requests and Node each trust the emulator's CA.
            ("REQUESTS_CA_BUNDLE", ca.clone()),
            ("NODE_EXTRA_CA_CERTS", ca),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Requests served so far, by kind.
    pub fn request_counts(&self) -> RequestCounts {
        lock(&self.shared.counts).clone()
    }

    /// Every request served so far, in order.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        lock(&self.shared.requests).clone()
    }

    /// Every PUT and DELETE of a principal assignment so far, in order, with its outcome.
    pub fn write_history(&self) -> Vec<WriteRecord> {
        lock(&self.shared.world).history.clone()
    }

    /// The current world, in the state file's format.
    pub fn snapshot(&self) -> EmulatorState {
        lock(&self.shared.world).snapshot()
    }

    /// Back to the seed state (or `state`), with counts, logs and throttling buckets cleared.
    pub fn reset(&self, state: Option<EmulatorState>) {
        hooks::reset(&self.shared, state);
    }

    /// A valid bearer token for ARM calls and for the test hooks (as the token endpoint would issue
    /// for the configured client).
    pub fn access_token(&self) -> String {
        lock(&self.shared.authority).issue(
            &self.credentials.client_id,
            &self.endpoint,
            self.shared.opts.token_lifetime,
        )
    }

    /// Stops accepting, closes every connection and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("endpoint", &self.endpoint)
            .field("tenant_id", &self.tenant_id)
            .finish_non_exhaustive()
    }
}
