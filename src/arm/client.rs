//! The ARM client: one function per endpoint, every request through `send` (token, host check,
//! retries, tracing).

use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::HeaderMap;
use url::Url;

use super::auth::Connection;
use super::error::ArmError;
use super::pacer::{OpClass, Pacer, subscription_of};
use super::retry::{Attempt, RetryClass, RetryPolicy, is_idempotent, parse_retry_after};
use super::wire::{
    AssignmentBody, AssignmentProperties, AssignmentResource, ErrorResponse, short_name,
};
use crate::model::{AssignmentKey, CurrentAssignment, PrincipalId, PrincipalType, Role, Scope};

/// The ARM endpoint; the only host that ever sees the bearer token.
#[derive(Debug, Clone)]
pub struct ArmEndpoint {
    base: Url,
}

impl ArmEndpoint {
    /// Parses and checks an endpoint: https, or http only for a loopback address.
    pub fn parse(endpoint: &str) -> Result<Self, ArmError> {
        let bad = |m: String| ArmError::new("configure ARM endpoint", endpoint, m);
        let base = Url::parse(endpoint).map_err(|e| bad(format!("not a URL: {e}")))?;
        check_scheme(&base).map_err(bad)?;
        Ok(ArmEndpoint { base })
    }

    pub fn as_str(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// True when `url` is on this endpoint's scheme, host and port.
    pub fn owns(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str().map(str::to_ascii_lowercase)
                == self.base.host_str().map(str::to_ascii_lowercase)
            && url.port_or_known_default() == self.base.port_or_known_default()
    }
}

/// True for `localhost` and loopback addresses.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// https, or http only on a loopback address (a local emulator or test server): a bearer token or a
/// client secret never crosses a network in clear text.
pub fn check_scheme(url: &Url) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        other => Err(format!(
            "the scheme must be https (http only for loopback addresses), not `{other}`"
        )),
    }
}

/// A buffered response.
#[derive(Debug)]
pub(super) struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

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

    pub(super) fn url(&self, path: &str) -> Url {
        let mut url = Url::parse(&format!("{}{}", self.endpoint.as_str(), path))
            .expect("ARM paths are valid URL paths");
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
                    format!(
                        "could not get a token as {}: {}",
                        self.conn.identity,
                        first_line(&e.to_string())
                    ),
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
        if !self.endpoint.owns(&url) {
            return Err(ArmError::new(
                operation,
                resource,
                format!(
                    "ARM pointed to `{}`, which is not the ARM endpoint `{}`; refusing to send the token there",
                    redact(&url),
                    self.endpoint.as_str()
                ),
            ));
        }
        let subscription = subscription_of(url.path()).to_string();
        let op_class = OpClass::of(&method);
        let mut attempt = Attempt::first();
        loop {
            let pause = self.pacer.reserve(&subscription, op_class);
            if !pause.is_zero() {
                tracing::debug!(
                    "pacing: waiting {:.2}s for subscription {subscription}'s {op_class:?} budget",
                    pause.as_secs_f64()
                );
                tokio::time::sleep(pause).await;
            }
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
            let outcome = req.send().await;
            let (class, retry_after, err, drained) = match outcome {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let headers = resp.headers().clone();
                    self.pacer.observe(&subscription, op_class, &headers);
                    let bytes = resp.bytes().await;
                    tracing::debug!(
                        status,
                        attempt = attempt.number,
                        ms = started.elapsed().as_millis() as u64,
                        "arm request"
                    );
                    match bytes {
                        Ok(b) if (200..300).contains(&status) => {
                            return Ok(Response {
                                status,
                                headers,
                                body: b.to_vec(),
                            });
                        }
                        Ok(b) => {
                            let mut err = error_from(operation, resource, status, &headers, &b);
                            if matches!(status, 401 | 403) {
                                err.identity = Some(self.conn.identity.clone());
                            }
                            let class =
                                RetryClass::of_status(status, err.code.as_deref(), &err.message);
                            let ra = parse_retry_after(
                                headers.get("retry-after").and_then(|v| v.to_str().ok()),
                            );
                            // ARM's own throttling reports the subscription's budget as spent.
                            let drained = headers
                                .get(op_class.header())
                                .and_then(|v| v.to_str().ok())
                                .is_some_and(|v| v.trim() == "0");
                            (class, ra, err, drained)
                        }
                        Err(e) => (
                            RetryClass::Connection,
                            None,
                            ArmError::new(
                                operation,
                                resource,
                                format!("reading the response: {e}"),
                            ),
                            false,
                        ),
                    }
                }
                Err(e) => {
                    // Without the URL: poll URLs carry signed query parameters.
                    let chain = error_chain(&e.without_url());
                    tracing::debug!(
                        attempt = attempt.number,
                        error = %chain,
                        "arm request failed"
                    );
                    (
                        RetryClass::Connection,
                        None,
                        ArmError::new(operation, resource, format!("could not reach ARM: {chain}")),
                        false,
                    )
                }
            };
            let delay = self.retry.next_delay(
                class,
                attempt,
                is_idempotent(&method),
                retry_after,
                rand::random::<f64>(),
            );
            match delay {
                Some(d) => {
                    tracing::info!(
                        "{operation} `{resource}`: {class:?} ({}), retrying in {:.1}s",
                        err.message,
                        d.as_secs_f64()
                    );
                    if class == RetryClass::Throttled && drained {
                        // The subscription's budget is spent: every request on it waits, not just
                        // this one (a 429 without that report may be about this request alone).
                        self.pacer.hold(&subscription, op_class, d);
                    }
                    tokio::time::sleep(d).await;
                    attempt.number += 1;
                    match class {
                        RetryClass::PrincipalNotFound => attempt.principal_wait += d,
                        RetryClass::Throttled => attempt.throttle_wait += d,
                        _ => {}
                    }
                }
                None => return Err(err),
            }
        }
    }

    /// Lists the principal assignments at a scope, following `nextLink`.
    pub async fn list_assignments(
        &self,
        scope: &Scope,
    ) -> Result<Vec<CurrentAssignment>, ArmError> {
        let path = scope.assignments_path();
        let items: Vec<AssignmentResource> = self
            .list_all("list principal assignments", &path, self.url(&path))
            .await?;
        Ok(items
            .into_iter()
            .filter_map(|r| to_current(scope, r))
            .collect())
    }

    /// Gets one assignment; `None` when it does not exist.
    pub async fn get_assignment(
        &self,
        scope: &Scope,
        name: &str,
    ) -> Result<Option<CurrentAssignment>, ArmError> {
        let path = scope.assignment_path(name);
        match self
            .send(
                "get principal assignment",
                &path,
                Method::GET,
                self.url(&path),
                None,
            )
            .await
        {
            Ok(resp) => {
                let r: AssignmentResource = parse_json("get principal assignment", &path, &resp)?;
                Ok(to_current(scope, r))
            }
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates (or updates) the assignment `name` for `key`, waits for the operation and returns the
    /// assignment as ARM then lists it (with its resolved fields).
    pub async fn put_assignment(
        &self,
        key: &AssignmentKey,
        name: &str,
        tenant: Option<&str>,
    ) -> Result<CurrentAssignment, ArmError> {
        let op = "create principal assignment";
        let path = key.scope.assignment_path(name);
        let body = serde_json::to_value(AssignmentBody {
            properties: AssignmentProperties {
                principal_id: Some(key.principal_id.as_str().to_string()),
                role: Some(key.role.as_str().to_string()),
                principal_type: Some(key.principal_type.as_str().to_string()),
                tenant_id: tenant.map(str::to_string),
                ..Default::default()
            },
        })
        .expect("the body serialises");
        self.write_and_wait(op, &path, Method::PUT, Some(&body))
            .await?;
        match self.get_assignment(&key.scope, name).await? {
            Some(a) => Ok(a),
            None => Err(ArmError::new(
                op,
                &path,
                "the operation succeeded but the assignment is not there",
            )),
        }
    }

    /// Sends a PUT or DELETE and waits for the operation it starts; starts it again when the operation
    /// failed for a reason worth retrying (`RetryClass::of_operation`): Entra ID lag of a new identity
    /// within the principal budget, a server-side failure within `max_attempts`. A 204 (nothing to
    /// delete) or a synchronous 200 ends at once.
    async fn write_and_wait(
        &self,
        op: &str,
        path: &str,
        method: Method,
        body: Option<&serde_json::Value>,
    ) -> Result<(), ArmError> {
        let url = self.url(path);
        let mut attempt = Attempt::first();
        loop {
            let resp = self
                .send(op, path, method.clone(), url.clone(), body)
                .await?;
            if resp.status == 204 {
                return Ok(());
            }
            let e = match self.wait(op, path, &resp, &url).await {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            let class = RetryClass::of_operation(e.code.as_deref(), &e.message);
            let jitter = rand::random::<f64>();
            let Some(d) =
                self.retry
                    .next_delay(class, attempt, is_idempotent(&method), None, jitter)
            else {
                return Err(e);
            };
            tracing::info!(
                "{op} `{path}`: the operation failed ({}); starting it again in {:.1}s",
                e.message,
                d.as_secs_f64()
            );
            tokio::time::sleep(d).await;
            attempt.number += 1;
            if class == RetryClass::PrincipalNotFound {
                attempt.principal_wait += d;
            }
        }
    }

    /// Deletes the assignment `name` and waits until it is gone. Deleting a missing one succeeds.
    pub async fn delete_assignment(&self, scope: &Scope, name: &str) -> Result<(), ArmError> {
        let op = "delete principal assignment";
        let path = scope.assignment_path(name);
        self.write_and_wait(op, &path, Method::DELETE, None).await?;
        match self.get_assignment(scope, name).await? {
            None => Ok(()),
            Some(_) => Err(ArmError::new(
                op,
                &path,
                "the operation succeeded but the assignment is still there",
            )),
        }
    }
}

/// Turns a non-2xx response into an `ArmError` with ARM's code, message and request id.
pub(super) fn error_from(
    operation: &str,
    resource: &str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> ArmError {
    let parsed: Option<ErrorResponse> = serde_json::from_slice(body).ok();
    let error = parsed.and_then(|p| p.error);
    let message = error
        .as_ref()
        .and_then(|e| e.message.clone())
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            if text.is_empty() {
                format!("HTTP {status} with no body")
            } else {
                first_line(text).chars().take(300).collect()
            }
        });
    ArmError {
        operation: operation.to_string(),
        resource: resource.to_string(),
        status: Some(status),
        code: error.and_then(|e| e.code),
        message,
        request_id: headers
            .get("x-ms-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        identity: None,
    }
}

pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
    operation: &str,
    resource: &str,
    resp: &Response,
) -> Result<T, ArmError> {
    serde_json::from_slice(&resp.body).map_err(|e| {
        let mut err = ArmError::new(
            operation,
            resource,
            format!("unexpected response body: {e}"),
        );
        err.status = Some(resp.status);
        err.request_id = resp.header("x-ms-request-id").map(str::to_string);
        err
    })
}

/// ARM's resource → our model. Items with a role or type this version does not know are left out with
/// a warning: never deleting what we do not understand is the safe side.
fn to_current(scope: &Scope, r: AssignmentResource) -> Option<CurrentAssignment> {
    let name = short_name(&r)?;
    let p = r.properties.unwrap_or_default();
    let role_text = p.role.unwrap_or_default();
    let type_text = p.principal_type.unwrap_or_default();
    let (Some(role), Some(principal_type)) =
        (Role::parse(&role_text), PrincipalType::parse(&type_text))
    else {
        tracing::warn!(
            "{scope}: assignment `{name}` has role `{role_text}` and type `{type_text}`, which this version does not know; leaving it alone"
        );
        return None;
    };
    Some(CurrentAssignment {
        key: AssignmentKey {
            scope: scope.clone(),
            principal_type,
            principal_id: PrincipalId::new(p.principal_id.unwrap_or_default()),
            role,
        },
        name,
        tenant_id: p.tenant_id.filter(|s| !s.is_empty()),
        tenant_name: p.tenant_name.filter(|s| !s.is_empty()),
        principal_name: p.principal_name.filter(|s| !s.is_empty()),
        aad_object_id: p.aad_object_id.filter(|s| !s.is_empty()),
    })
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// `scheme://host/path`, without the query (signed parameters) or fragment.
pub(super) fn redact(url: &Url) -> String {
    format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.path()
    )
}

fn error_chain(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_need_https_unless_loopback() {
        assert!(ArmEndpoint::parse("https://management.azure.com").is_ok());
        assert!(ArmEndpoint::parse("http://127.0.0.1:8080").is_ok());
        assert!(ArmEndpoint::parse("http://localhost:8080").is_ok());
        assert!(ArmEndpoint::parse("http://management.azure.com").is_err());
        assert!(ArmEndpoint::parse("ftp://127.0.0.1").is_err());
    }

    #[test]
    fn only_the_arm_host_is_owned() {
        let e = ArmEndpoint::parse("https://127.0.0.1:8443").unwrap();
        assert!(e.owns(&Url::parse("https://127.0.0.1:8443/x?y=1").unwrap()));
        assert!(!e.owns(&Url::parse("https://127.0.0.1:9443/x").unwrap()));
        assert!(!e.owns(&Url::parse("https://evil.example/x").unwrap()));
        assert!(!e.owns(&Url::parse("http://127.0.0.1:8443/x").unwrap()));
    }

    #[test]
    fn errors_carry_code_message_and_request_id() {
        let mut h = HeaderMap::new();
        h.insert("x-ms-request-id", "req-1".parse().unwrap());
        let e = error_from(
            "list principal assignments",
            "/x",
            404,
            &h,
            br#"{"error":{"code":"ResourceNotFound","message":"gone"}}"#,
        );
        assert_eq!(e.code.as_deref(), Some("ResourceNotFound"));
        assert_eq!(e.message, "gone");
        assert_eq!(e.request_id.as_deref(), Some("req-1"));
        assert!(e.is_not_found());
    }
}
