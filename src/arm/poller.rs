//! Waiting for a long-running operation: `Azure-AsyncOperation` first, then `Location`, then the
//! resource's `provisioningState`, within the client's operation timeout. The first poll follows the
//! service's `Retry-After` when it sends one (the real service mostly does not); otherwise it comes
//! after 100 ms, since an operation that completes at once should cost one poll and little wait,
//! and later polls back off to 5 s.

use std::time::{Duration, Instant};

use reqwest::Method;
use url::Url;

use super::client::ArmClient;
use super::error::ArmError;
use super::http::display_url;
use super::response::{Response, parse_json};
use super::retry::retry_after_within;
use super::wire::{AssignmentResource, OperationStatus};

/// The first poll comes quickly (most Kusto operations take 1-5 s); later ones back off to this.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(5);
const FIRST_POLL_INTERVAL: Duration = Duration::from_millis(100);
/// A `Retry-After: 0` does not make a busy loop.
const MIN_POLL_INTERVAL: Duration = Duration::from_millis(50);

/// The wait before the next poll: the service's `Retry-After` when it sent one, else twice the last
/// wait, up to `MAX_POLL_INTERVAL`. (The caller also stops at the operation's deadline.)
fn next_interval(last: Option<Duration>, retry_after: Option<Duration>) -> Duration {
    match (retry_after, last) {
        (Some(d), _) => d.max(MIN_POLL_INTERVAL),
        (None, None) => FIRST_POLL_INTERVAL,
        (None, Some(last)) => (last * 2).min(MAX_POLL_INTERVAL),
    }
}

/// The code of the error a write ends with when its operation is still running at the deadline (this
/// client's, not ARM's): the cluster may still be busy with it.
pub const OPERATION_NOT_FINISHED: &str = "OperationNotFinished";

/// How an operation is followed, and the URL polled.
enum Poll {
    AsyncOperation(Url),
    Location(Url),
    Resource(Url),
}

impl Poll {
    /// How to follow the operation `initial` started; `None` when it is already done.
    fn of(
        operation: &str,
        resource: &str,
        initial: &Response,
        resource_url: &Url,
    ) -> Result<Option<Poll>, ArmError> {
        let parse = |h: &str| -> Result<Option<Url>, ArmError> {
            initial
                .header(h)
                .map(|v| {
                    Url::parse(v).map_err(|e| {
                        ArmError::new(operation, resource, format!("invalid {h} URL: {e}"))
                    })
                })
                .transpose()
        };
        Ok(Some(if let Some(u) = parse("azure-asyncoperation")? {
            Poll::AsyncOperation(u)
        } else if let Some(u) = parse("location")? {
            Poll::Location(u)
        } else if initial.status == 201 || initial.status == 202 {
            Poll::Resource(resource_url.clone())
        } else {
            // 200 on PUT: done synchronously (an idempotent re-PUT).
            return Ok(None);
        }))
    }

    fn url(&self) -> &Url {
        match self {
            Poll::AsyncOperation(u) | Poll::Location(u) | Poll::Resource(u) => u,
        }
    }
}

/// The service's `Retry-After`, never past the operation's deadline.
fn within(deadline: Instant, header: Option<&str>) -> Option<Duration> {
    retry_after_within(header, deadline.saturating_duration_since(Instant::now()))
}

/// What one poll found: `true` when the operation succeeded, and the service's `Retry-After`.
/// An operation that ended badly is the poll's error.
type Polled = (bool, Option<Duration>);

impl ArmClient {
    fn timed_out(&self, operation: &str, resource: &str) -> ArmError {
        let mut e = ArmError::new(
            operation,
            resource,
            format!(
                "the operation did not finish within {} (--operation-timeout); it may still complete in Azure, so run `plan` to see where things stand",
                humantime::format_duration(self.operation_timeout)
            ),
        );
        e.code = Some(OPERATION_NOT_FINISHED.to_string());
        e
    }

    /// Waits until the operation started by `initial` ends. `Ok` when it succeeded.
    pub(super) async fn wait(
        &self,
        operation: &str,
        resource: &str,
        initial: &Response,
        resource_url: &Url,
    ) -> Result<(), ArmError> {
        let Some(poll) = Poll::of(operation, resource, initial, resource_url)? else {
            return Ok(());
        };
        let deadline = Instant::now() + self.operation_timeout;
        let mut interval = next_interval(None, within(deadline, initial.header("retry-after")));
        loop {
            // The last poll happens at the deadline, not one interval before it: a long
            // `Retry-After` must not turn an operation that finishes in time into a timeout.
            let now = Instant::now();
            if now >= deadline {
                return Err(self.timed_out(operation, resource));
            }
            tokio::time::sleep(interval.min(deadline - now)).await;
            let (done, asked) = match &poll {
                Poll::AsyncOperation(url) => {
                    self.poll_operation(operation, resource, url, deadline)
                        .await?
                }
                Poll::Location(url) => {
                    let resp = self
                        .send(operation, resource, Method::GET, url.clone(), None)
                        .await?;
                    (
                        resp.status != 202,
                        within(deadline, resp.header("retry-after")),
                    )
                }
                Poll::Resource(url) => {
                    self.poll_resource(operation, resource, url, deadline)
                        .await?
                }
            };
            if done {
                return Ok(());
            }
            tracing::debug!(
                "{operation} `{resource}`: still running ({})",
                display_url(poll.url())
            );
            interval = next_interval(Some(interval), asked);
        }
    }

    /// One poll of `Azure-AsyncOperation`: the operation's `status`, and its error when it failed.
    async fn poll_operation(
        &self,
        operation: &str,
        resource: &str,
        url: &Url,
        deadline: Instant,
    ) -> Result<Polled, ArmError> {
        let resp = self
            .send(operation, resource, Method::GET, url.clone(), None)
            .await?;
        let status: OperationStatus = parse_json(operation, resource, &resp)?;
        let s = status.status.unwrap_or_default();
        Ok(match s.as_str() {
            "Succeeded" => (true, None),
            "Failed" | "Canceled" => {
                let e = status.error;
                let mut err = ArmError::new(
                    operation,
                    resource,
                    e.as_ref()
                        .and_then(|e| e.message.clone())
                        .unwrap_or_else(|| format!("the operation ended {s}")),
                );
                err.code = e.and_then(|e| e.code);
                err.request_id = resp.header("x-ms-request-id").map(str::to_string);
                return Err(err);
            }
            _ => (false, within(deadline, resp.header("retry-after"))),
        })
    }

    /// One poll of the resource itself: its `provisioningState`, or for a delete, whether it is gone.
    async fn poll_resource(
        &self,
        operation: &str,
        resource: &str,
        url: &Url,
        deadline: Instant,
    ) -> Result<Polled, ArmError> {
        let resp = self
            .send(operation, resource, Method::GET, url.clone(), None)
            .await;
        Ok(match resp {
            Ok(resp) => {
                let r: AssignmentResource = parse_json(operation, resource, &resp)?;
                let state = r
                    .properties
                    .and_then(|p| p.provisioning_state)
                    .unwrap_or_default();
                match state.as_str() {
                    "Succeeded" => (true, None),
                    "Failed" | "Canceled" => {
                        return Err(ArmError::new(
                            operation,
                            resource,
                            format!("provisioningState is {state}"),
                        ));
                    }
                    _ => (false, within(deadline, resp.header("retry-after"))),
                }
            }
            // A delete polled through the resource ends when it is gone.
            Err(e) if e.is_not_found() => (true, None),
            Err(e) => return Err(e),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_start_short_back_off_and_follow_retry_after() {
        let ms = Duration::from_millis;
        assert_eq!(next_interval(None, None), ms(100));
        assert_eq!(next_interval(Some(ms(100)), None), ms(200));
        assert_eq!(next_interval(Some(ms(4000)), None), MAX_POLL_INTERVAL);
        assert_eq!(next_interval(None, Some(ms(2000))), ms(2000));
        assert_eq!(next_interval(Some(ms(800)), Some(ms(0))), MIN_POLL_INTERVAL);
    }
}
