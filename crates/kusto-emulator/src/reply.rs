//! What a handler answers: a status, extra headers and a body (`Reply`), and ARM's error body
//! (`ErrorResponse`, as the common-types spec names it).
//!
//! Handlers build a `Reply`; `http_response` adds the headers every ARM response carries and turns
//! it into one HTTP response. Nothing here touches the network.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

/// A response before the common headers are added.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

/// A response body.
#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Json(Value),
    Text {
        content_type: &'static str,
        text: String,
    },
}

impl Reply {
    pub fn json(status: StatusCode, body: impl Serialize) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Json(serde_json::to_value(body).expect("bodies serialise")),
        }
    }

    pub fn empty(status: StatusCode) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn text(status: StatusCode, content_type: &'static str, text: String) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Text { content_type, text },
        }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The ARM error code of an error reply.
    pub fn error_code(&self) -> Option<String> {
        match &self.body {
            Body::Json(v) => v
                .pointer("/error/code")
                .and_then(Value::as_str)
                .map(str::to_string),
            Body::Empty | Body::Text { .. } => None,
        }
    }
}

/// ARM's error body, common-types `ErrorResponse` `{error:{code,message}}`, with its HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorResponse {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ErrorResponse {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ErrorResponse {
        ErrorResponse {
            status,
            code: code.to_string(),
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ErrorResponse {
        ErrorResponse::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// `{"error":{"code","message"}}`
    pub fn body(&self) -> Value {
        json!({"error": {"code": self.code, "message": self.message}})
    }

    pub fn reply(&self) -> Reply {
        Reply::json(self.status, self.body())
    }
}

impl From<ErrorResponse> for Reply {
    fn from(e: ErrorResponse) -> Reply {
        e.reply()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_errors_have_the_common_types_shape() {
        let r = ErrorResponse::bad_request("no").reply();
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.error_code().as_deref(), Some("BadRequest"));
        match r.body {
            Body::Json(v) => assert_eq!(v["error"]["message"], "no"),
            Body::Empty | Body::Text { .. } => panic!("expected json"),
        }
    }
}
