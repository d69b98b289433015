//! Test hooks under `/_emulator/`, for tests and for people rehearsing a change:
//!
//! | request                     | answer                                                   |
//! |-----------------------------|----------------------------------------------------------|
//! | `GET /_emulator/state`      | the current world as state YAML                          |
//! | `GET /_emulator/counts`     | requests by kind, as JSON                                |
//! | `GET /_emulator/requests`   | the request log, as JSON                                 |
//! | `GET /_emulator/writes`     | the history of every PUT and DELETE, as JSON             |
//! | `POST /_emulator/reset`     | back to the seed state (or to the state YAML posted), counts and logs cleared |
//!
//! On a non-loopback listen address every hook needs a bearer token from the emulator itself.

use axum::http::{HeaderMap, Method, StatusCode};

use super::reply::{ErrorResponse, Reply};
use super::shared::{Shared, lock};
use super::state::EmulatorState;
use super::throttle::Buckets;
use super::world::World;

pub fn handle(
    shared: &Shared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    if !shared.loopback {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
        if let Err(e) = lock(&shared.authority).check(auth) {
            return e.reply();
        }
    }
    match (method.as_str(), path.trim_end_matches('/')) {
        ("GET", "/_emulator/state") => {
            let yaml = lock(&shared.world).snapshot().to_yaml();
            Reply::text(StatusCode::OK, "application/yaml; charset=utf-8", yaml)
        }
        ("GET", "/_emulator/counts") => Reply::json(StatusCode::OK, lock(&shared.counts).clone()),
        ("GET", "/_emulator/requests") => {
            Reply::json(StatusCode::OK, lock(&shared.requests).clone())
        }
        ("GET", "/_emulator/writes") => {
            Reply::json(StatusCode::OK, lock(&shared.world).history.clone())
        }
        ("POST", "/_emulator/reset") => {
            let state = if body.iter().all(u8::is_ascii_whitespace) {
                None
            } else {
                match std::str::from_utf8(body)
                    .map_err(anyhow::Error::from)
                    .and_then(EmulatorState::from_yaml)
                {
                    Ok(s) => Some(s),
                    Err(e) => {
                        return ErrorResponse::bad_request(format!("invalid state: {e:#}")).reply();
                    }
                }
            };
            reset(shared, state);
            Reply::empty(StatusCode::NO_CONTENT)
        }
        _ => ErrorResponse::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("no test hook at `{path}`"),
        )
        .reply(),
    }
}

/// Back to `state` (or the seed), with counts, logs, buckets and operations cleared.
pub fn reset(shared: &Shared, state: Option<EmulatorState>) {
    let mut seed = lock(&shared.seed);
    if let Some(s) = state {
        *seed = s;
    }
    *lock(&shared.world) = World::new(&seed, shared.opts.aad_lag, shared.opts.mirror_data_plane);
    lock(&shared.authority).set_tenant(&seed.tenant_id);
    *lock(&shared.counts) = Default::default();
    lock(&shared.requests).clear();
    *lock(&shared.buckets) = Buckets::new(shared.opts.throttle, shared.opts.resource_window);
}
