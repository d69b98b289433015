//! Microsoft Graph lookups (`--resolve-principals graph`): users by UPN, mail or object id, groups by
//! name, mail or object id, apps by application id (or service principal object id), resolved to the
//! object ids that ARM reports as `aadObjectId`.
//!
//! | principal | request (relative to `/v1.0`, sent in `$batch` of at most 20)              |
//! |-----------|------------------------------------------------------------------------------|
//! | user, GUID  | `/users/{id}`                                                              |
//! | user, other | `/users?$filter=userPrincipalName eq '…' or mail eq '…'`                   |
//! | group, GUID | `/groups/{id}`                                                             |
//! | group, other| `/groups?$filter=displayName eq '…' or mail eq '…'`                        |
//! | app         | `/servicePrincipals(appId='{id}')`, then `/servicePrincipals/{id}` on 404  |
//!
//! One token for the cloud's Graph audience, every answer cached for the run by the caller. The
//! token goes only to the Graph endpoint's host; nothing from an answer becomes a URL.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::TokenCredential;
use serde::Deserialize;
use serde_json::{Value, json};
use url::Url;

use super::http::exchange;
use super::response::first_line;
use crate::model::{PrincipalType, is_guid};

/// Graph's `$batch` takes at most 20 requests.
const BATCH: usize = 20;

/// The Graph permissions a resolution needs, named in the hint when they are missing.
pub const GRAPH_PERMISSIONS: &str = "User.Read.All, GroupMember.Read.All and Application.Read.All (application permissions, admin consent)";

/// A principal Graph found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub object_id: String,
    pub display_name: Option<String>,
}

/// What Graph said of one principal of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(Resolved),
    NotFound,
    /// More than one directory object has that name or mail.
    Ambiguous(usize),
}

/// Why no principal could be resolved at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphError {
    /// No token for Graph, or Graph refused it (401/403): the identity lacks the permissions.
    Denied(String),
    /// Graph could not be reached or answered something else.
    Failed(String),
}

/// A Graph client over the session's HTTP client and credential.
#[derive(Clone)]
pub struct Graph {
    pub(super) http: reqwest::Client,
    pub(super) credential: Arc<dyn TokenCredential>,
    pub(super) endpoint: Url,
    pub(super) scope: String,
    /// `--request-timeout`: one attempt, body included.
    pub(super) timeout: Duration,
}

impl std::fmt::Debug for Graph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Graph")
            .field("endpoint", &self.endpoint.as_str())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
struct BatchAnswer {
    #[serde(default)]
    responses: Vec<BatchItem>,
}

#[derive(Debug, Deserialize)]
struct BatchItem {
    id: String,
    status: u16,
    #[serde(default)]
    body: Value,
}

impl Graph {
    pub fn new(
        http: reqwest::Client,
        credential: Arc<dyn TokenCredential>,
        endpoint: Url,
        audience: &str,
        timeout: Duration,
    ) -> Self {
        Graph {
            http,
            credential,
            endpoint,
            timeout,
            scope: format!("{}/.default", audience.trim_end_matches('/')),
        }
    }

    /// The endpoint's host, for messages.
    pub fn host(&self) -> &str {
        self.endpoint.host_str().unwrap_or("Microsoft Graph")
    }

    /// Resolves each `(type, id)` once. Answers are keyed by type and lowercased id.
    pub async fn resolve(
        &self,
        wanted: &[(PrincipalType, String)],
    ) -> Result<HashMap<(PrincipalType, String), Lookup>, GraphError> {
        let token = self
            .credential
            .get_token(&[self.scope.as_str()], None)
            .await
            .map_err(|e| {
                GraphError::Denied(format!(
                    "no token for {}: {}",
                    self.scope,
                    first_line(&e.to_string())
                ))
            })?;
        let token = token.token.secret().to_string();
        let mut out = HashMap::new();
        let mut retry_by_object_id = Vec::new();
        let first: Vec<(usize, String)> = wanted
            .iter()
            .enumerate()
            .map(|(i, (t, id))| (i, first_request(*t, id)))
            .collect();
        for (i, status, body) in self.batches(&token, &first).await? {
            let (t, id) = &wanted[i];
            let key = (*t, id.to_ascii_lowercase());
            match interpret(status, &body)? {
                Lookup::NotFound if *t == PrincipalType::App && is_guid(id) => {
                    retry_by_object_id.push((i, format!("/servicePrincipals/{}", enc(id))));
                }
                lookup => {
                    out.insert(key, lookup);
                }
            }
        }
        for (i, status, body) in self.batches(&token, &retry_by_object_id).await? {
            let (t, id) = &wanted[i];
            out.insert((*t, id.to_ascii_lowercase()), interpret(status, &body)?);
        }
        Ok(out)
    }

    /// Sends `requests` in `$batch`es of 20 and returns `(index, status, body)` for each.
    async fn batches(
        &self,
        token: &str,
        requests: &[(usize, String)],
    ) -> Result<Vec<(usize, u16, Value)>, GraphError> {
        let mut out = Vec::with_capacity(requests.len());
        for chunk in requests.chunks(BATCH) {
            let body = json!({
                "requests": chunk.iter().map(|(i, url)| json!({"id": i.to_string(), "method": "GET", "url": url})).collect::<Vec<_>>()
            });
            let answer: BatchAnswer = self.post_batch(token, &body).await?;
            for item in answer.responses {
                let Some(&(i, _)) = chunk.iter().find(|(i, _)| i.to_string() == item.id) else {
                    continue;
                };
                out.push((i, item.status, item.body));
            }
            for (i, _) in chunk {
                if !out.iter().any(|(j, _, _)| j == i) {
                    return Err(GraphError::Failed(format!(
                        "{} answered the batch without request {i}",
                        self.host()
                    )));
                }
            }
        }
        Ok(out)
    }

    async fn post_batch(&self, token: &str, body: &Value) -> Result<BatchAnswer, GraphError> {
        let url = self
            .endpoint
            .join("v1.0/$batch")
            .map_err(|e| GraphError::Failed(e.to_string()))?;
        let mut delay = Duration::from_millis(500);
        for attempt in 1..=4 {
            // The same bounded exchange as every ARM call: no redirect, a capped body, a deadline.
            let req = self.http.post(url.clone()).bearer_auth(token).json(body);
            let (status, bytes) = match exchange(req, &url, self.timeout).await {
                Ok(a) => (a.status, a.body),
                Err(f) if f.is_transient() && attempt < 4 => {
                    tracing::info!(
                        "Microsoft Graph at {}: {}; retrying",
                        self.host(),
                        f.message()
                    );
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    continue;
                }
                Err(f) => {
                    return Err(GraphError::Failed(format!(
                        "cannot reach {}: {}",
                        self.host(),
                        f.message()
                    )));
                }
            };
            match status {
                200 => {
                    return serde_json::from_slice(&bytes).map_err(|e| {
                        GraphError::Failed(format!(
                            "{} sent a batch answer that is not JSON: {e}",
                            self.host()
                        ))
                    });
                }
                401 | 403 => {
                    return Err(GraphError::Denied(graph_message(&bytes)));
                }
                429 | 500..=599 if attempt < 4 => {
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                _ => {
                    return Err(GraphError::Failed(format!(
                        "{} answered {status}: {}",
                        self.host(),
                        graph_message(&bytes)
                    )));
                }
            }
        }
        Err(GraphError::Failed(format!("{} kept failing", self.host())))
    }
}

/// The first request for a principal of the file.
fn first_request(t: PrincipalType, id: &str) -> String {
    let quoted = id.replace('\'', "''");
    match (t, is_guid(id)) {
        (PrincipalType::User, true) => format!("/users/{}", enc(id)),
        (PrincipalType::User, false) => format!(
            "/users?$filter={}",
            enc(&format!(
                "userPrincipalName eq '{quoted}' or mail eq '{quoted}'"
            ))
        ),
        (PrincipalType::Group, true) => format!("/groups/{}", enc(id)),
        (PrincipalType::Group, false) => format!(
            "/groups?$filter={}",
            enc(&format!("displayName eq '{quoted}' or mail eq '{quoted}'"))
        ),
        (PrincipalType::App, _) => format!("/servicePrincipals(appId='{}')", enc(&quoted)),
    }
}

/// One batch item's answer: a directory object, a collection from `$filter`, or an error.
fn interpret(status: u16, body: &Value) -> Result<Lookup, GraphError> {
    match status {
        200 => {
            if let Some(items) = body.get("value").and_then(Value::as_array) {
                return Ok(match items.as_slice() {
                    [] => Lookup::NotFound,
                    [one] => found(one),
                    many => Lookup::Ambiguous(many.len()),
                });
            }
            Ok(found(body))
        }
        404 => Ok(Lookup::NotFound),
        401 | 403 => Err(GraphError::Denied(
            body.pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or("access denied")
                .to_string(),
        )),
        other => Err(GraphError::Failed(format!(
            "a lookup answered {other}: {}",
            body.pointer("/error/message")
                .and_then(Value::as_str)
                .unwrap_or_default()
        ))),
    }
}

fn found(v: &Value) -> Lookup {
    match v
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        Some(id) => Lookup::Found(Resolved {
            object_id: id.to_string(),
            display_name: v
                .get("displayName")
                .and_then(Value::as_str)
                .map(str::to_string),
        }),
        None => Lookup::NotFound,
    }
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn graph_message(body: &[u8]) -> String {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "no error message".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_the_graph_forms_for_each_kind() {
        let oid = "9b0f6a2e-1c3d-4e5f-8a7b-6c5d4e3f2a01";
        assert_eq!(
            first_request(PrincipalType::User, oid),
            format!("/users/{}", enc(oid))
        );
        let guest = first_request(
            PrincipalType::User,
            "o'neil_contoso.com#EXT#@f.onmicrosoft.com",
        );
        assert!(guest.starts_with("/users?$filter="), "{guest}");
        let decoded = percent_encoding::percent_decode_str(&guest)
            .decode_utf8()
            .unwrap();
        assert!(
            decoded.contains(
                "userPrincipalName eq 'o''neil_contoso.com#EXT#@f.onmicrosoft.com' or mail eq"
            ),
            "{decoded}"
        );
        assert!(
            first_request(PrincipalType::Group, "Data Analysts").starts_with("/groups?$filter=")
        );
        assert_eq!(
            first_request(PrincipalType::App, oid),
            format!("/servicePrincipals(appId='{}')", enc(oid))
        );
    }

    #[test]
    fn answers_are_found_missing_or_ambiguous() {
        let one = json!({"value": [{"id": "x", "displayName": "X"}]});
        assert_eq!(
            interpret(200, &one).unwrap(),
            Lookup::Found(Resolved {
                object_id: "x".into(),
                display_name: Some("X".into())
            })
        );
        assert_eq!(
            interpret(200, &json!({"value": []})).unwrap(),
            Lookup::NotFound
        );
        assert_eq!(
            interpret(200, &json!({"value": [{"id": "a"}, {"id": "b"}]})).unwrap(),
            Lookup::Ambiguous(2)
        );
        assert_eq!(interpret(404, &json!({})).unwrap(), Lookup::NotFound);
        assert!(matches!(
            interpret(403, &json!({})),
            Err(GraphError::Denied(_))
        ));
    }
}
