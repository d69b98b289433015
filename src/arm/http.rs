//! One bounded HTTP exchange, shared by ARM calls and the credential's transport: redirects are
//! never followed (a 3xx is an error naming the host), the body is read incrementally up to
//! `MAX_BODY_BYTES`, and sending plus reading the whole body has one deadline per attempt. Also the
//! one way a URL is shown to people (`display_url`): never with its query string.

use std::time::Duration;

use url::Url;

use super::diagnose::{error_chain, unreachable};
use super::error::SetupError;

/// The most any answer may hold. Real pages are well under 1 MiB (ARM pages hold at most a few
/// hundred assignments); a body past this is a broken or hostile server, not a big estate.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// A buffered answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

/// Why an exchange produced no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Could not connect, or the connection broke: worth another attempt.
    Connection(String),
    /// The attempt's deadline passed before the whole answer arrived: worth another attempt.
    TimedOut(String),
    /// A 3xx: never followed, never retried.
    Redirect(String),
    /// The body is larger than `MAX_BODY_BYTES`: never retried.
    TooLarge(String),
}

impl Failure {
    pub fn message(&self) -> &str {
        match self {
            Failure::Connection(m)
            | Failure::TimedOut(m)
            | Failure::Redirect(m)
            | Failure::TooLarge(m) => m,
        }
    }

    /// True for the failures another attempt may cure.
    pub fn is_transient(&self) -> bool {
        matches!(self, Failure::Connection(_) | Failure::TimedOut(_))
    }
}

/// `scheme://host[:port]/path`: what a URL looks like in every message, error and log line. The
/// query (signed poll parameters, skip tokens, api-version) and the fragment are never shown.
pub fn display_url(url: &Url) -> String {
    let mut out = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(url.path());
    out
}

/// `host[:port]` of a URL, for messages.
pub fn display_host(url: &Url) -> String {
    match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_string(),
    }
}

/// Sends `request` and reads the whole answer within `timeout`.
pub async fn exchange(
    request: reqwest::RequestBuilder,
    url: &Url,
    timeout: Duration,
) -> Result<Answer, Failure> {
    match tokio::time::timeout(timeout, send_and_read(request, url, timeout)).await {
        Ok(result) => result,
        Err(_) => Err(timed_out(url, timeout)),
    }
}

fn timed_out(url: &Url, timeout: Duration) -> Failure {
    Failure::TimedOut(format!(
        "`{}` sent no complete answer within {} (--request-timeout)",
        display_host(url),
        humantime::format_duration(timeout)
    ))
}

async fn send_and_read(
    request: reqwest::RequestBuilder,
    url: &Url,
    timeout: Duration,
) -> Result<Answer, Failure> {
    let broken = |e: reqwest::Error| {
        if e.is_timeout() {
            timed_out(url, timeout)
        } else {
            let message = unreachable(&e, &display_host(url));
            // The library's own words, for -vv (without the URL: its query may be signed).
            tracing::debug!(error = %error_chain(&e.without_url()), "{message}");
            Failure::Connection(message)
        }
    };
    // -vvv: every exchange, ARM's and the token endpoint's. Never a header value but the request
    // id and throttling budget, never a body (a token answer holds the token), never a query.
    tracing::trace!("http → {}", display_url(url));
    let mut resp = request.send().await.map_err(broken)?;
    let status = resp.status().as_u16();
    trace_answer(url, status, resp.headers());
    if (300..400).contains(&status) {
        return Err(redirect(url, status, resp.headers()));
    }
    let too_large = || {
        Failure::TooLarge(format!(
            "`{}` sent an answer larger than {} MiB; refusing to read it",
            display_host(url),
            MAX_BODY_BYTES / (1024 * 1024)
        ))
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(too_large());
    }
    // Reserve what the server declares, up to 1 MiB: a lie costs little, the truth saves copies.
    let declared = resp.content_length().unwrap_or(0).min(1 << 20) as usize;
    let mut body = Vec::with_capacity(declared);
    while let Some(chunk) = resp.chunk().await.map_err(broken)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer {
        status,
        headers: resp.headers().clone(),
        body,
    })
}

fn trace_answer(url: &Url, status: u16, headers: &reqwest::header::HeaderMap) {
    if !tracing::enabled!(tracing::Level::TRACE) {
        return;
    }
    let shown: Vec<String> = headers
        .iter()
        .filter(|(k, _)| {
            let k = k.as_str();
            k == "x-ms-request-id"
                || k == "retry-after"
                || k.starts_with("x-ms-ratelimit-remaining")
        })
        .filter_map(|(k, v)| v.to_str().ok().map(|v| format!("{k}={v}")))
        .collect();
    tracing::trace!("http ← {} {status} {}", display_url(url), shown.join(" "));
}

/// The error for a 3xx, naming the host that sent it and where it pointed (without the query).
pub fn redirect(url: &Url, status: u16, headers: &reqwest::header::HeaderMap) -> Failure {
    let target = headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|l| url.join(l).ok())
        .map(|t| format!(" to `{}`", display_url(&t)))
        .unwrap_or_default();
    Failure::Redirect(format!(
        "`{}` answered HTTP {status}, a redirect{target}; redirects are not followed (nothing was sent there)",
        display_host(url)
    ))
}

/// The product's one HTTP client builder: no redirects, bounded connect and request time.
/// `extra_roots` (PEM) are trusted in addition to the platform's roots.
pub fn build_client(
    extra_roots: Option<&[u8]>,
    request_timeout: Duration,
) -> Result<reqwest::Client, SetupError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("kusto-principals/", env!("CARGO_PKG_VERSION")))
        // A redirect would re-send a token request's form (client secret included) or a bearer
        // token to wherever the server points; neither ARM nor Entra ID redirects API calls.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(request_timeout.min(Duration::from_secs(30)))
        .timeout(request_timeout)
        .pool_idle_timeout(Duration::from_secs(60))
        .tcp_nodelay(true);
    if let Some(pem) = extra_roots {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| SetupError::CaCertificate(e.to_string()))?;
        if certs.is_empty() {
            return Err(SetupError::NoCaCertificate);
        }
        builder = builder.tls_certs_merge(certs);
    }
    Ok(builder.build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_query_or_fragment() {
        let u = |s: &str| display_url(&Url::parse(s).unwrap());
        assert_eq!(
            u("https://management.azure.com/subscriptions/s/op?api-version=1&sig=SECRET#frag"),
            "https://management.azure.com/subscriptions/s/op"
        );
        assert_eq!(
            u("https://127.0.0.1:8443/x?$skiptoken=abc"),
            "https://127.0.0.1:8443/x"
        );
        // Userinfo never shows either.
        assert_eq!(
            u("https://user:pass@host.example/p?q"),
            "https://host.example/p"
        );
        assert_eq!(
            display_host(&Url::parse("https://h.example:444/a?b").unwrap()),
            "h.example:444"
        );
    }

    #[test]
    fn a_redirect_names_the_host_and_target_without_the_query() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            "location",
            "https://evil.example/steal?sig=SECRET".parse().unwrap(),
        );
        let url = Url::parse("https://login.example/t/oauth2/v2.0/token").unwrap();
        let f = redirect(&url, 307, &h);
        let m = f.message();
        assert!(!f.is_transient());
        assert!(m.contains("`login.example` answered HTTP 307"), "{m}");
        assert!(m.contains("https://evil.example/steal"), "{m}");
        assert!(m.contains("redirects are not followed"), "{m}");
        assert!(!m.contains("SECRET"), "{m}");
    }
}
