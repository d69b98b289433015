//! A scripted plain-HTTP server on 127.0.0.1 for what the emulator cannot be made to do: answer with
//! exact statuses and headers, point `nextLink` / `Azure-AsyncOperation` / `Location` at another
//! host, stand in for GitHub's OIDC token URL. It records every request (with its `Authorization`
//! header) so tests can prove what was, and was not, sent. Also: running the binary with the
//! emulator's environment plus overrides.

#![allow(dead_code)] // reason: each test module uses a different part of the helpers

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::harness::{Run, TestEnv};

/// One request as the stub saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    /// The path alone.
    pub path: String,
    /// The query string (without `?`).
    pub query: String,
    pub authorization: Option<String>,
    pub body: String,
    pub at: Instant,
}

/// What the stub answers.
#[derive(Debug, Clone)]
pub enum Answer {
    Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Close the connection without an answer.
    Reset,
    /// A 200 whose body never ends (no length; bytes until the client hangs up).
    Endless,
    /// A 200 of `len` bytes (declared), sent one byte per `every`.
    Trickle { len: usize, every: Duration },
}

impl Answer {
    pub fn json(status: u16, body: serde_json::Value) -> Answer {
        Answer::Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }
    pub fn empty(status: u16) -> Answer {
        Answer::Reply {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }
    /// ARM's error body.
    pub fn error(status: u16, code: &str, message: &str) -> Answer {
        Answer::json(
            status,
            serde_json::json!({"error": {"code": code, "message": message}}),
        )
        .header("x-ms-request-id", &format!("req-{status}-{code}"))
    }
    pub fn header(mut self, name: &str, value: &str) -> Answer {
        if let Answer::Reply { headers, .. } = &mut self {
            headers.push((name.to_string(), value.to_string()));
        }
        self
    }
}

/// Answers a request; `n` is how many earlier requests had the same method and path.
pub type Script = Arc<dyn Fn(&Seen, usize) -> Answer + Send + Sync>;

pub struct Stub {
    /// `http://127.0.0.1:PORT` (`https://` from `start_tls`)
    pub url: String,
    log: Arc<Mutex<Vec<Seen>>>,
    /// The CA behind the certificate of a `start_tls` stub.
    pub ca_pem: Option<String>,
}

impl Stub {
    /// Binds 127.0.0.1:0 and serves `script` over plain HTTP on `env`'s runtime until the runtime
    /// stops.
    pub fn start(
        env: &TestEnv,
        script: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static,
    ) -> Stub {
        Self::start_inner(env, None, Arc::new(script))
    }

    /// As `start`, over HTTPS with a certificate from a fresh CA (`ca_pem`, which the client must
    /// trust): for endpoints the product only reaches over https, such as the token endpoint.
    pub fn start_tls(
        env: &TestEnv,
        script: impl Fn(&Seen, usize) -> Answer + Send + Sync + 'static,
    ) -> Stub {
        let (config, ca_pem) = tls_config();
        let mut stub = Self::start_inner(env, Some(config), Arc::new(script));
        stub.url = stub.url.replacen("http://", "https://", 1);
        stub.ca_pem = Some(ca_pem);
        stub
    }

    fn start_inner(env: &TestEnv, tls: Option<Arc<rustls::ServerConfig>>, script: Script) -> Stub {
        let listener = env
            .rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind the stub");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let shared = log.clone();
        env.rt.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (script, log, tls) = (script.clone(), shared.clone(), tls.clone());
                tokio::spawn(async move {
                    // Every read and write is bounded: a client that goes quiet ends the connection.
                    let _ = tokio::time::timeout(Duration::from_secs(30), async move {
                        match tls {
                            None => serve(tcp, script, log).await,
                            Some(config) => {
                                let acceptor = tokio_rustls::TlsAcceptor::from(config);
                                if let Ok(stream) = acceptor.accept(tcp).await {
                                    serve(stream, script, log).await;
                                }
                            }
                        }
                    })
                    .await;
                });
            }
        });
        Stub {
            url,
            log,
            ca_pem: None,
        }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    script: Script,
    log: Arc<Mutex<Vec<Seen>>>,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = match (parts.next(), parts.next()) {
            (Some(m), Some(t)) => (m.to_string(), t.to_string()),
            _ => return,
        };
        let (mut length, mut authorization) = (0usize, None);
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).await.unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    "authorization" => authorization = Some(v.trim().to_string()),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let (path, query) = match target.split_once('?') {
            Some((p, q)) => (p.to_string(), q.to_string()),
            None => (target.clone(), String::new()),
        };
        let seen = Seen {
            method,
            path,
            query,
            authorization,
            body: String::from_utf8_lossy(&body).into_owned(),
            at: Instant::now(),
        };
        let answer = {
            let mut log = log.lock().unwrap();
            let n = log
                .iter()
                .filter(|s| s.method == seen.method && s.path.eq_ignore_ascii_case(&seen.path))
                .count();
            log.push(seen.clone());
            drop(log);
            script(&seen, n)
        };
        let (status, headers, body) = match answer {
            Answer::Reply {
                status,
                headers,
                body,
            } => (status, headers, body),
            Answer::Reset => return,
            Answer::Endless => return endless(reader.get_mut()).await,
            Answer::Trickle { len, every } => return trickle(reader.get_mut(), len, every).await,
        };
        let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.push_str(&body);
        if reader.get_mut().write_all(out.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Headers of a 200 JSON answer, then spaces (valid JSON whitespace) until the client hangs up.
async fn endless<W: AsyncWrite + Unpin>(out: &mut W) {
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
    if out.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let chunk = vec![b' '; 64 * 1024];
    while out.write_all(&chunk).await.is_ok() {}
}

/// A 200 declaring `len` bytes of body and sending one byte per `every`.
async fn trickle<W: AsyncWrite + Unpin>(out: &mut W, len: usize, every: Duration) {
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n"
    );
    if out.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    for _ in 0..len {
        tokio::time::sleep(every).await;
        if out.write_all(b" ").await.is_err() || out.flush().await.is_err() {
            return;
        }
    }
}

/// A server configuration for 127.0.0.1 signed by a fresh CA, and the CA's PEM.
fn tls_config() -> (Arc<rustls::ServerConfig>, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().expect("leaf key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("leaf params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf certificate");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![CertificateDer::from(leaf.der().to_vec())], key)
        .expect("server certificate");
    (Arc::new(config), ca_cert.pem())
}

pub const SUB: &str = "12345678-1234-1234-1234-123456789098";

/// The ARM path of cluster `stubcluster` in resource group `rg` (what `one_cluster_file` manages).
pub fn c1() -> String {
    format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Kusto/clusters/stubcluster")
}

/// A desired-state file managing cluster `stubcluster` with one admin app.
pub fn one_cluster_file(env: &TestEnv) -> String {
    env.write(
        "stub.yaml",
        &format!(
            "version: 1\ndefaults:\n  subscription: {SUB}\n  resource_group: rg\nclusters:\n  - name: stubcluster\n    principals:\n      - app: 87654321-1234-1234-1234-123456789123\n        role: AllDatabasesAdmin\n"
        ),
    )
    .to_str()
    .expect("utf-8 path")
    .to_string()
}

/// An assignment as ARM lists it.
pub fn listed(name: &str, principal_id: &str, role: &str) -> serde_json::Value {
    serde_json::json!({
        "id": format!("{}/PrincipalAssignments/{name}", c1()),
        "name": format!("stubcluster/{name}"),
        "type": "Microsoft.Kusto/Clusters/PrincipalAssignments",
        "properties": {
            "principalId": principal_id,
            "principalType": "App",
            "role": role,
            "provisioningState": "Succeeded",
        }
    })
}

/// A run of the binary against `stub` as the ARM endpoint (tokens still from the emulator).
pub fn run_on_stub(env: &TestEnv, stub: &Stub, args: &[&str]) -> Run {
    env.run_with(
        args,
        &[("KUSTO_PRINCIPALS_ARM_ENDPOINT", stub.url.as_str())],
        &[],
    )
}
