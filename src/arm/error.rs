//! ARM failures, with everything an operator needs to find the request again.

/// A failed ARM call.
#[derive(Debug, thiserror::Error)]
#[error("{operation} `{resource}` failed: {message}")]
pub struct ArmError {
    pub operation: String,
    pub resource: String,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: String,
    pub request_id: Option<String>,
}
