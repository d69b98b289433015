//! The status of long-running operations (what a 201 create or a 202 delete starts; the store keeps
//! them as `world::Operation`): their two polling URLs, and the operation status endpoint
//! (`…/locations/{region}/operationResults/{id}`) in both its forms.
//!
//! | form                                     | running                 | succeeded        | failed                   |
//! |------------------------------------------|-------------------------|------------------|--------------------------|
//! | `Azure-AsyncOperation` URL               | 200 `status: Running`   | 200 `Succeeded`  | 200 `Failed` + `error`   |
//! | `…&operationResultResponseType=Location` | 202 + `Location`        | 200, empty body  | the error's status + `ErrorResponse` |
//!
//! An operation answers `Running` to its first `lro_polls` polls, then completes.

use axum::http::StatusCode;
use serde::Serialize;
use time::OffsetDateTime;

use super::reply::Reply;
use super::route::percent_encode;
use super::world::{Operation, World, not_found};

/// The two polling URLs of an operation.
pub fn urls(endpoint: &str, op: &Operation, api_version: &str) -> (String, String) {
    let async_url = format!(
        "{endpoint}/subscriptions/{}/providers/Microsoft.Kusto/locations/{}/operationResults/{}?api-version={api_version}",
        op.subscription,
        percent_encode(&op.location),
        op.id
    );
    let location = format!("{async_url}&operationResultResponseType=Location");
    (async_url, location)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OperationResult {
    id: String,
    name: String,
    status: &'static str,
    start_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<String>,
    percent_complete: f64,
    properties: OperationProperties,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<OperationError>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OperationProperties {
    operation_kind: &'static str,
    provisioning_state: &'static str,
    operation_state: &'static str,
}

#[derive(Serialize)]
struct OperationError {
    code: String,
    message: String,
}

/// One poll of an operation.
pub fn poll(
    world: &mut World,
    subscription: &str,
    id: &str,
    location_form: bool,
    endpoint: &str,
    api_version: &str,
) -> Reply {
    let Some(i) = world.operations.iter().position(|o| {
        o.id.eq_ignore_ascii_case(id) && o.subscription.eq_ignore_ascii_case(subscription)
    }) else {
        return not_found(
            "ResourceNotFound",
            format!("The operation '{id}' could not be found."),
        )
        .reply();
    };
    if world.operations[i].finished.is_none() {
        if world.operations[i].polls_left == 0 {
            world.finish(i);
        } else {
            world.operations[i].polls_left -= 1;
        }
    }
    let op = &world.operations[i];
    if location_form {
        return match (&op.finished, &op.error) {
            (None, _) => {
                let (async_url, location) = urls(endpoint, op, api_version);
                Reply::empty(StatusCode::ACCEPTED)
                    .with_header("Location", location)
                    .with_header("Azure-AsyncOperation", async_url)
            }
            (Some(_), None) => Reply::empty(StatusCode::OK),
            (Some(_), Some(e)) => e.reply(),
        };
    }
    Reply::json(StatusCode::OK, result_body(op))
}

fn result_body(op: &Operation) -> OperationResult {
    let (status, state, op_state) = match (&op.finished, &op.error) {
        (None, _) => ("Running", "Running", "InProgress"),
        (Some(_), None) => ("Succeeded", "Succeeded", "Completed"),
        (Some(_), Some(_)) => ("Failed", "Failed", "Failed"),
    };
    OperationResult {
        id: format!(
            "/subscriptions/{}/providers/Microsoft.Kusto/locations/{}/operationresults/{}",
            op.subscription, op.location, op.id
        ),
        name: op.id.clone(),
        status,
        start_time: timestamp(op.start_time),
        end_time: op.finished.map(timestamp),
        percent_complete: if op.finished.is_some() { 1.0 } else { 0.0 },
        properties: OperationProperties {
            operation_kind: op.kind.operation_kind(op.scope.kind()),
            provisioning_state: state,
            operation_state: op_state,
        },
        error: op
            .error
            .as_ref()
            .filter(|_| op.finished.is_some())
            .map(|e| OperationError {
                code: e.code.clone(),
                message: e.message.clone(),
            }),
    }
}

/// RFC 3339 in UTC, as ARM writes timestamps.
pub fn timestamp(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
