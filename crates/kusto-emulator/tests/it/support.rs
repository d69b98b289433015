//! Helpers for tests that talk to the emulator over HTTPS: a client that trusts its CA, a token,
//! and small request/response wrappers. Every await here has a timeout.

#![allow(dead_code)] // reason: each test module uses a different part of the helpers

use std::future::Future;
use std::time::Duration;

use kusto_emulator::{Emulator, EmulatorOptions, EmulatorState};
use serde_json::Value;

pub const SUB: &str = "12345678-1234-1234-1234-123456789098";
pub const V: &str = "api-version=2024-04-13";

/// Fails the test instead of hanging.
pub async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// A client of one emulator.
pub struct Api {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub token: String,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not json ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn client_for(emu: &Emulator) -> reqwest::Client {
    let ca = reqwest::Certificate::from_pem(emu.ca_cert_pem().as_bytes()).expect("CA parses");
    reqwest::Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(15))
        .build()
        .expect("client builds")
}

impl Api {
    /// Starts an emulator with `state` and `opts`, and takes a token from its token endpoint.
    pub async fn start(state: EmulatorState, opts: EmulatorOptions) -> Api {
        let emu = within("start", Emulator::start(state, opts))
            .await
            .expect("emulator starts");
        let http = client_for(&emu);
        let scope = format!("{}/.default", emu.endpoint());
        let form: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", emu.client_id())
            .append_pair("client_secret", emu.client_secret())
            .append_pair("scope", &scope)
            .finish();
        let url = format!("{}/{}/oauth2/v2.0/token", emu.endpoint(), emu.tenant_id());
        let req = http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form);
        let resp = within("token", req.send()).await.expect("token request");
        assert_eq!(resp.status(), 200);
        let body: Value = within("token body", resp.json()).await.expect("token json");
        let token = body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string();
        Api { emu, http, token }
    }

    /// `https://…` + `path`, unless `path` is already a URL.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{path}", self.emu.endpoint())
        }
    }

    pub async fn send(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.send_raw(method, path, body.map(|b| b.to_string()), Some(&self.token))
            .await
    }

    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        token: Option<&str>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        let resp = within("request", req.send()).await.expect("request sent");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = within("body", resp.text()).await.expect("body read");
        Resp {
            status,
            headers,
            body,
        }
    }

    /// Like `send`, but a connection error (an injected reset) is `None` instead of a panic.
    pub async fn try_send(&self, method: &str, path: &str, body: Option<&Value>) -> Option<Resp> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let resp = within("request", req.send()).await.ok()?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = within("body", resp.text()).await.ok()?;
        Some(Resp {
            status,
            headers,
            body,
        })
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send("GET", path, None).await
    }
}

/// `/subscriptions/{SUB}/resourceGroups/testrg/providers/Microsoft.Kusto/clusters/mykustocluster`
pub fn demo_cluster() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/testrg/providers/Microsoft.Kusto/clusters/mykustocluster"
    )
}

/// A PUT body.
pub fn assignment(principal_id: &str, principal_type: &str, role: &str) -> Value {
    serde_json::json!({"properties": {"principalId": principal_id, "principalType": principal_type, "role": role}})
}
