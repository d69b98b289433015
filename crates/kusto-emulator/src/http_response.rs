//! A `Reply` → one HTTP response: the headers every ARM answer carries (`x-ms-request-id`,
//! `x-ms-correlation-request-id`, `x-ms-routing-request-id`, no-cache, HSTS) and the serialised body.

use axum::body::Body as HttpBody;
use axum::http::{HeaderMap, Response, StatusCode};
use time::OffsetDateTime;

use super::reply::{Body, Reply};

/// Adds the headers every response carries and serialises the body.
pub fn to_response(reply: Reply, req_headers: &HeaderMap, arm: bool) -> Response<HttpBody> {
    let correlation = req_headers
        .get("x-ms-correlation-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let mut b = Response::builder().status(reply.status);
    let (content_type, bytes) = match reply.body {
        Body::Empty => (None, Vec::new()),
        Body::Json(v) => (
            Some("application/json; charset=utf-8"),
            serde_json::to_vec(&v).unwrap_or_default(),
        ),
        Body::Text { content_type, text } => (Some(content_type), text.into_bytes()),
    };
    if let Some(ct) = content_type {
        b = b.header("Content-Type", ct);
    }
    b = b
        .header("Cache-Control", "no-cache")
        .header("Pragma", "no-cache")
        .header("Expires", "-1")
        .header("x-ms-request-id", uuid::Uuid::new_v4().to_string());
    if arm {
        let now = OffsetDateTime::now_utc();
        let stamp = format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second()
        );
        b = b
            .header("x-ms-correlation-request-id", &correlation)
            .header(
                "x-ms-routing-request-id",
                format!("LOCAL:{stamp}:{correlation}"),
            )
            .header(
                "Strict-Transport-Security",
                "max-age=31536000; includeSubDomains",
            )
            .header("X-Content-Type-Options", "nosniff");
    }
    for (name, value) in &reply.headers {
        b = b.header(name.as_str(), value.as_str());
    }
    b.body(HttpBody::from(bytes)).unwrap_or_else(|_| {
        let mut r = Response::new(HttpBody::empty());
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}
