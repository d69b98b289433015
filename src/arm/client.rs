//! The ARM client: one function per endpoint, every request through `send` (token, host check,
//! retries, tracing).

use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::HeaderMap;
use url::Url;

use super::auth::Connection;
use super::endpoint::ArmEndpoint;
use super::error::ArmError;
use super::http::{Answer, Failure, display_url, exchange};
use super::pacer::{OpClass, Pacer, reports_spent, subscription_of};
use super::path::ArmPath;
use super::response::{Response, error_from};
use super::retry::{
    Attempt, MAX_RETRY_AFTER, RetryClass, RetryPolicy, is_idempotent, parse_retry_after,
};

/// A thin client over the principal assignment endpoints.
#[derive(Debug, Clone)]
pub struct ArmClient {
    pub(super) conn: Connection,
    pub(super) endpoint: ArmEndpoint,
    pub(super) api_version: String,
    pub(super) retry: RetryPolicy,
    /// The longest a long-running operation may take.
    pub(super) operation_timeout: Duration,
    pub(super) pacer: std::sync::Arc<Pacer>,
}

impl ArmClient {
    pub fn new(conn: Connection, api_version: &str) -> Result<Self, ArmError> {
        let endpoint = ArmEndpoint::parse(conn.endpoint.as_str())?;
        Ok(ArmClient {
            conn,
            endpoint,
            api_version: api_version.to_string(),
            retry: RetryPolicy::default(),
            operation_timeout: Duration::from_secs(30 * 60),
            pacer: Default::default(),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    pub fn with_operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// Which identity this client authenticates as (for messages).
    pub fn identity(&self) -> &str {
        &self.conn.identity
    }

    /// The URL of `path` on the ARM endpoint, with the client's `api-version`. Only an `ArmPath`
    /// (every name in it checked and encoded) can be turned into a request URL.
    pub(super) fn url(&self, path: &ArmPath) -> Url {
        let mut url = Url::parse(&format!("{}{}", self.endpoint.as_str(), path))
            .expect("an encoded ARM path is a valid URL path");
        url.query_pairs_mut()
            .append_pair("api-version", &self.api_version);
        url
    }

    async fn token(&self, operation: &str, resource: &str) -> Result<String, ArmError> {
        let scope = self.conn.token_scope.as_str();
        let token = self
            .conn
            .credential
            .get_token(&[scope], None)
            .await
            .map_err(|e| {
                ArmError::new(
                    operation,
                    resource,
                    super::diagnose::token_failure(&e, &self.conn.identity),
                )
            })?;
        Ok(token.token.secret().to_string())
    }

    /// Sends one request with retries. 2xx comes back as `Ok`; anything else as an `ArmError` carrying
    /// ARM's code, message and request id. The token is sent only to the ARM endpoint's host.
    ///
    /// Every request runs in an `arm` span (operation, method, URL path) so that `-v` retry lines and
    /// `-vv` request lines say what they are about; the query string is never logged, since poll URLs
    /// carry signed parameters (`t`, `c`, `s`, `h`).
    pub(super) async fn send(
        &self,
        operation: &str,
        resource: &str,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, ArmError> {
        use tracing::Instrument;
        let span = tracing::info_span!("arm", op = operation, method = %method, path = url.path());
        self.send_with_retries(operation, resource, method, url, body)
            .instrument(span)
            .await
    }

    async fn send_with_retries(
        &self,
        operation: &str,
        resource: &str,
        method: Method,
        url: Url,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, ArmError> {
        self.check_host(operation, resource, &url)?;
        // Every wait of this request, retries included, ends within the operation budget.
        let deadline = Instant::now() + self.operation_timeout;
        let subscription = subscription_of(url.path()).to_string();
        let op_class = OpClass::of(&method);
        let mut attempt = Attempt::first();
        loop {
            self.pace(&subscription, op_class, deadline).await;
            let failed = match self
                .attempt(
                    operation,
                    resource,
                    &method,
                    &url,
                    body,
                    op_class,
                    &subscription,
                )
                .await?
            {
                Ok(resp) => return Ok(resp),
                Err(failed) => failed,
            };
            let (class, drained) = (failed.class, failed.drained);
            let d = self.retry_wait(operation, resource, &method, failed, attempt, deadline)?;
            if class == RetryClass::Throttled && drained {
                // The subscription's budget is spent: every request on it waits, not just
                // this one (a 429 without that report may be about this request alone).
                self.pacer.hold(&subscription, op_class, d);
            }
            tokio::time::sleep(d).await;
            attempt.waited(class, d);
        }
    }

    /// The bearer token goes only to the ARM endpoint's host: a URL elsewhere (a `nextLink` or
    /// poll URL ARM sent) is refused before anything is sent.
    fn check_host(&self, operation: &str, resource: &str, url: &Url) -> Result<(), ArmError> {
        if self.endpoint.owns(url) {
            return Ok(());
        }
        Err(ArmError::new(
            operation,
            resource,
            format!(
                "ARM pointed to `{}`, which is not the ARM endpoint `{}`; refusing to send the token there",
                display_url(url),
                self.endpoint.as_str()
            ),
        ))
    }

    /// Waits for the subscription's budget of `op_class` (`pacer`), never past `deadline`.
    async fn pace(&self, subscription: &str, op_class: OpClass, deadline: Instant) {
        let pause = self.pacer.reserve(subscription, op_class);
        if !pause.is_zero() {
            tracing::debug!(
                "pacing: waiting {:.2}s for subscription {subscription}'s {op_class:?} budget",
                pause.as_secs_f64()
            );
            tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
    }

    /// The retry decision for a failed attempt: the wait before the next one (said at `-v`), or
    /// the error to end with, when the policy gives up or the wait would end past `deadline`.
    fn retry_wait(
        &self,
        operation: &str,
        resource: &str,
        method: &Method,
        failed: Failed,
        attempt: Attempt,
        deadline: Instant,
    ) -> Result<Duration, ArmError> {
        let Failed {
            class,
            retry_after,
            err,
            drained: _,
        } = failed;
        let idempotent = is_idempotent(method);
        let delay = self.retry.next_delay(
            class,
            attempt,
            idempotent,
            retry_after,
            rand::random::<f64>(),
        );
        let left = deadline.saturating_duration_since(Instant::now());
        // A wait that would end past the budget is not started: the error says so now.
        let asked = retry_after.filter(|_| idempotent && class != RetryClass::Fatal);
        let too_long = delay.or(asked).filter(|d| *d > left);
        if let Some(d) = too_long {
            return Err(self.gave_up(err, d, left));
        }
        let Some(d) = delay else {
            return Err(err);
        };
        if class == RetryClass::Connection {
            super::diagnose::warn_retrying(&err.message);
        }
        tracing::info!(
            "{operation} `{resource}`: {class:?} ({}), retrying in {:.1}s",
            err.message,
            d.as_secs_f64()
        );
        Ok(d)
    }

    fn gave_up(&self, mut err: ArmError, wait: Duration, left: Duration) -> ArmError {
        let wait = if wait >= MAX_RETRY_AFTER {
            "a day or more".to_string()
        } else {
            format!("{:.1}s", wait.as_secs_f64())
        };
        // The hint (from `diagnose`) stays last.
        let (what, hint) = err
            .message
            .split_once("\n  hint: ")
            .map_or((err.message.as_str(), None), |(w, h)| (w, Some(h)));
        let mut message = format!(
            "{what}; gave up: the next attempt would be in {wait}, past the {:.1}s left of --operation-timeout ({})",
            left.as_secs_f64(),
            humantime::format_duration(self.operation_timeout)
        );
        if let Some(h) = hint {
            message.push_str(&format!("\n  hint: {h}"));
        }
        err.message = message;
        err
    }

    /// One attempt: `Ok(Ok)` for 2xx, `Ok(Err)` for a failure the retry policy decides on, `Err`
    /// for one that is never retried (no token, a redirect, an oversized body).
    #[allow(clippy::too_many_arguments)] // reason: one attempt needs the whole request's context
    async fn attempt(
        &self,
        operation: &str,
        resource: &str,
        method: &Method,
        url: &Url,
        body: Option<&serde_json::Value>,
        op_class: OpClass,
        subscription: &str,
    ) -> Result<Result<Response, Failed>, ArmError> {
        let token = self.token(operation, resource).await?;
        let mut req = self
            .conn
            .http
            .request(method.clone(), url.clone())
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        let started = Instant::now();
        let answer = match exchange(req, url, self.conn.request_timeout).await {
            Ok(a) => a,
            Err(f) => return no_answer(operation, resource, f).map(Err),
        };
        let Answer {
            status,
            headers,
            body,
        } = answer;
        self.pacer.observe(subscription, op_class, &headers);
        tracing::debug!(
            status,
            ms = started.elapsed().as_millis() as u64,
            "arm request"
        );
        if (200..300).contains(&status) {
            return Ok(Ok(Response {
                status,
                headers,
                body,
            }));
        }
        Ok(Err(self.failed_answer(
            operation, resource, status, &headers, &body,
        )))
    }

    /// A non-2xx answer as the retry decision needs it: ARM's error (naming the identity for 401
    /// and 403), its class, `Retry-After`, and whether ARM reported the budget spent.
    fn failed_answer(
        &self,
        operation: &str,
        resource: &str,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Failed {
        let mut err = error_from(operation, resource, status, headers, body);
        if matches!(status, 401 | 403) {
            err.identity = Some(self.conn.identity.clone());
        }
        let class = RetryClass::of_status(status, err.code.as_deref(), &err.message);
        let retry_after =
            parse_retry_after(headers.get("retry-after").and_then(|v| v.to_str().ok()));
        // ARM's own throttling reports the subscription's budget as spent.
        let drained = reports_spent(headers);
        Failed {
            class,
            retry_after,
            err,
            drained,
        }
    }
}

/// An exchange that got no answer: `Ok` for a connection failure the retry policy decides on,
/// `Err` for one that is never retried (a redirect, an oversized body).
fn no_answer(operation: &str, resource: &str, f: Failure) -> Result<Failed, ArmError> {
    tracing::debug!(error = %f.message(), "arm request failed");
    let message = match &f {
        Failure::Connection(m) => super::diagnose::arm_unreachable(m),
        other => other.message().to_string(),
    };
    let err = ArmError::new(operation, resource, message);
    if !f.is_transient() {
        return Err(err);
    }
    Ok(Failed {
        class: RetryClass::Connection,
        retry_after: None,
        err,
        drained: false,
    })
}

/// A failed attempt, as the retry decision needs it.
struct Failed {
    class: RetryClass,
    retry_after: Option<Duration>,
    err: ArmError,
    /// ARM reported the subscription's budget for this class as spent.
    drained: bool,
}
