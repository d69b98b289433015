//! Talking to Azure Resource Manager: one client, one credential, one place for each mechanism.
//!
//! | file          | owns                                                                          |
//! |---------------|-------------------------------------------------------------------------------|
//! | `auth`        | `AuthMethod`, choosing a credential (`azure_identity`), the shared HTTP client |
//! | `client`      | every request through one `send`: host check, pacing, token, retries, tracing |
//! | `response`    | a buffered answer: its JSON body, or the `ArmError` a non-2xx answer becomes   |
//! | `assignments` | the principal assignment endpoints: list, get, create-or-update, delete       |
//! | `discovery`   | the clusters of a subscription (for `export`)                                 |
//! | `endpoint`    | `Cloud` and its ARM, authority and Graph endpoints; the scheme rule            |
//! | `github`      | GitHub Actions OIDC: the client assertion fetched from the runner             |
//! | `pacer`       | pacing from the rate-limit headers ARM sends, before it throttles             |
//! | `estate`      | a cluster's state and its databases' kinds (followers)                        |
//! | `graph`       | Microsoft Graph lookups of the file's principals (`--resolve-principals`)     |
//! | `http`        | one bounded exchange: no redirects, body cap, deadline; URLs shown without query |
//! | `transport`   | the same bounds for `azure_identity`'s token requests                         |
//! | `pager`       | following `nextLink` (same origin, no page twice)                             |
//! | `path`        | every ARM URL path: fixed segments, names checked and percent-encoded         |
//! | `poller`      | waiting for long-running operations                                           |
//! | `retry`       | the retry decision (a plain value type) and backoff                           |
//! | `wire`        | ARM's JSON shapes                                                             |
//! | `diagnose`    | transport, TLS and Entra ID failures in words: host, cause, fix (below `http`) |
//! | `error`       | `ArmError` (operation, resource, status, code, message, request id), `SetupError` |
//!
//! Nothing here decides what to change; the bearer token goes only to the ARM endpoint's host.

mod assignments;
mod auth;
mod client;
mod diagnose;
mod discovery;
mod endpoint;
mod error;
mod estate;
mod github;
mod graph;
mod http;
mod pacer;
mod pager;
mod path;
mod poller;
pub use poller::OPERATION_NOT_FINISHED;
mod response;
mod retry;
mod transport;
mod wire;

pub use auth::{
    AuthMethod, Connection, build_http_client, client_secret_credential, credential_for,
};
pub use client::ArmClient;
pub use endpoint::{ArmEndpoint, Cloud, Endpoints, graph_for_cloud, resolve_endpoints};
pub use error::{ArmError, SetupError};
pub use graph::{GRAPH_PERMISSIONS, Graph, GraphError, Lookup, Resolved};
pub use http::{MAX_BODY_BYTES, display_url};
pub use path::{ArmPath, encode_segment, id_is_under};
pub use retry::{Attempt, RetryClass, RetryPolicy, parse_retry_after, retry_after_within};
