//! An ARM answer, buffered (`Response`), and what it means: its JSON body (`parse_json`), or for a
//! non-2xx answer the `ArmError` with ARM's code, message and request id (`error_from`).

use reqwest::header::HeaderMap;

use super::error::ArmError;
use super::wire::ErrorResponse;

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

pub(super) fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

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
