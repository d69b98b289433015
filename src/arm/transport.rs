//! The HTTP transport handed to `azure_identity`: the product's client (no redirects), with the same
//! bounds as ARM calls (`http::exchange`: body cap, one deadline per attempt). A token endpoint that
//! answers 3xx gets an error naming it, and the form (client secret or assertion) goes nowhere else.

use std::time::Duration;

use std::sync::Arc;

use azure_core::cloud::{CloudConfiguration, CustomConfiguration};
use azure_core::error::ErrorKind;
use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::{
    AsyncRawResponse, Body, ClientOptions, HttpClient, Method, Request, RetryOptions, Transport,
};

use super::http::{Failure, display_url, exchange};

/// `azure_core`'s `HttpClient` over the shared, bounded `reqwest` client.
#[derive(Debug, Clone)]
pub struct BoundedTransport {
    pub http: reqwest::Client,
    pub timeout: Duration,
    /// The one origin (the authority) this credential's requests may go to, when it has only one:
    /// a client secret or assertion is never sent anywhere else.
    pub only: Option<url::Url>,
}

fn same_origin(a: &url::Url, b: &url::Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

fn method(m: Method) -> Option<reqwest::Method> {
    Some(match m {
        Method::Delete => reqwest::Method::DELETE,
        Method::Get => reqwest::Method::GET,
        Method::Head => reqwest::Method::HEAD,
        Method::Patch => reqwest::Method::PATCH,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        _ => return None,
    })
}

#[async_trait::async_trait]
impl HttpClient for BoundedTransport {
    async fn execute_request(&self, request: &Request) -> azure_core::Result<AsyncRawResponse> {
        let url = request.url().clone();
        if let Some(only) = self.only.as_ref().filter(|o| !same_origin(o, &url)) {
            return Err(azure_core::Error::with_message(
                ErrorKind::Credential,
                format!(
                    "refusing to send a token request to `{}`: only the authority `{}` gets one",
                    display_url(&url),
                    display_url(only)
                ),
            ));
        }
        let method = method(request.method()).ok_or_else(|| {
            azure_core::Error::with_message(ErrorKind::Other, "unsupported HTTP method")
        })?;
        let mut req = self.http.request(method, url.clone());
        for (name, value) in request.headers().iter() {
            req = req.header(name.as_str(), value.as_str());
        }
        req = match request.body() {
            Body::Bytes(bytes) => req.body(bytes.to_vec()),
            // Token requests are small forms; a streamed body is never built by the credentials.
            Body::SeekableStream(_) => {
                return Err(azure_core::Error::with_message(
                    ErrorKind::Other,
                    "streamed request bodies are not supported by this transport",
                ));
            }
        };
        let answer = exchange(req, &url, self.timeout).await.map_err(|f| {
            let kind = match f {
                Failure::Connection(_) | Failure::TimedOut(_) => ErrorKind::Io,
                Failure::Redirect(_) | Failure::TooLarge(_) => ErrorKind::Credential,
            };
            tracing::debug!(url = %display_url(&url), "token request failed: {}", f.message());
            azure_core::Error::with_message(kind, f.message().to_string())
        })?;
        let mut headers = Headers::new();
        for (k, v) in &answer.headers {
            if let Ok(v) = v.to_str() {
                headers.insert(
                    HeaderName::from(k.as_str().to_owned()),
                    HeaderValue::from(v.to_owned()),
                );
            }
        }
        Ok(AsyncRawResponse::from_bytes(
            answer.status.into(),
            headers,
            answer.body,
        ))
    }
}

/// `azure_identity`'s options: our bounded transport, the authority, no SDK retries. With
/// `only_authority`, the transport refuses every other origin (credentials that talk to nothing
/// else: client secret, workload identity, client assertion).
pub fn client_options(
    http: &reqwest::Client,
    authority: &str,
    timeout: Duration,
    only_authority: bool,
) -> ClientOptions {
    let mut cloud = CustomConfiguration::default();
    cloud.authority_host = authority.to_string();
    let transport = BoundedTransport {
        http: http.clone(),
        timeout,
        only: url::Url::parse(authority).ok().filter(|_| only_authority),
    };
    ClientOptions {
        transport: Some(Transport::new(Arc::new(transport))),
        cloud: Some(Arc::new(CloudConfiguration::Custom(cloud))),
        // Our own retry loop handles ARM; for tokens a short budget keeps failures quick to report.
        retry: RetryOptions::none(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let u = |s: &str| url::Url::parse(s).unwrap();
        assert!(same_origin(
            &u("https://Login.Example"),
            &u("https://login.example:443/t/oauth2/v2.0/token?x=1")
        ));
        assert!(!same_origin(
            &u("https://login.example"),
            &u("https://evil.example/t")
        ));
        assert!(!same_origin(
            &u("https://login.example"),
            &u("https://login.example:444/t")
        ));
        assert!(!same_origin(
            &u("https://login.example"),
            &u("http://login.example/t")
        ));
    }

    #[tokio::test]
    async fn a_request_to_another_origin_never_leaves() {
        let t = BoundedTransport {
            http: reqwest::Client::new(),
            timeout: Duration::from_secs(1),
            only: Some(url::Url::parse("https://login.example").unwrap()),
        };
        let req = Request::new(
            url::Url::parse("https://127.0.0.1:9/t?sig=S3CRET").unwrap(),
            Method::Post,
        );
        let err = t.execute_request(&req).await.unwrap_err().to_string();
        assert!(
            err.contains("only the authority `https://login.example/`"),
            "{err}"
        );
        assert!(!err.contains("S3CRET"), "{err}");
    }
}
