//! The HTTP transport handed to `azure_identity`: the product's client (no redirects), with the same
//! bounds as ARM calls (`http::exchange`: body cap, one deadline per attempt). A token endpoint that
//! answers 3xx gets an error naming it, and the form (client secret or assertion) goes nowhere else.

use std::time::Duration;

use azure_core::error::ErrorKind;
use azure_core::http::headers::{HeaderName, HeaderValue, Headers};
use azure_core::http::{AsyncRawResponse, Body, HttpClient, Method, Request};

use super::http::{Failure, display_url, exchange};

/// `azure_core`'s `HttpClient` over the shared, bounded `reqwest` client.
#[derive(Debug, Clone)]
pub struct BoundedTransport {
    pub http: reqwest::Client,
    pub timeout: Duration,
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
