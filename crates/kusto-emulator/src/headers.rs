//! The headers real Kusto answers carry beyond the common ones (see `http_response`): the rate-limit
//! budgets of each method, the caller's operation identifier, an operation's root activity id and
//! a cluster's `ETag`, as the recordings show them.

use axum::http::{Method, StatusCode};

use super::reply::Reply;
use super::route::Route;
use super::throttle::Remaining;

/// The headers the recorded answers carry beyond the common ones: the caller's operation
/// identifier (absent on a cluster GET, which carries the cluster's `ETag` instead) and, on an
/// operation's status (the `Azure-AsyncOperation` form), its root activity id.
pub fn recorded_headers(
    reply: Reply,
    route: &Route,
    method: &Method,
    ident: &str,
    location_form: bool,
) -> Reply {
    match (route, method.as_str()) {
        (Route::Cluster(_), "GET") if reply.status == StatusCode::OK => {
            reply.with_header("ETag", "\"2026-01-01T00:00:00.0000000Z\"")
        }
        (Route::Cluster(_), "GET") => reply,
        (Route::OperationResult { .. }, _) if !location_form => reply
            .with_header("x-ms-operation-identifier", ident)
            .with_header(
                "x-ms-operation-root-activity-id",
                uuid::Uuid::new_v4().to_string(),
            ),
        _ => reply.with_header("x-ms-operation-identifier", ident),
    }
}

/// The rate-limit headers, as the real service sends them for the method.
pub fn with_remaining(reply: Reply, remaining: &Remaining) -> Reply {
    remaining
        .iter()
        .fold(reply, |r, (h, n)| r.with_header(h, n.to_string()))
}
