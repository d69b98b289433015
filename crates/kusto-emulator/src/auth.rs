//! Access tokens: issued by the emulator's Entra ID token endpoint, checked on every ARM call.
//!
//! Tokens are JWTs signed with HMAC-SHA256 under a key made at start, so a token from anywhere
//! else (or from another emulator) is refused. ARM's answers for missing, malformed, foreign,
//! expired and wrong-audience tokens are 401s with its `ErrorResponse` bodies.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::b64;
use super::reply::ErrorResponse;

/// The audiences of Microsoft Graph tokens (its URI and its well-known application id).
pub const GRAPH_AUDIENCES: [&str; 3] = [
    "https://graph.microsoft.com",
    "https://graph.microsoft.com/",
    "00000003-0000-0000-c000-000000000000",
];

/// The claims the emulator puts in (and reads back from) its tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    pub appid: String,
    pub tid: String,
    pub sub: String,
    pub idtyp: String,
    pub ver: String,
}

/// Issues and checks tokens with one secret key.
pub struct TokenAuthority {
    key: [u8; 32],
    tenant_id: String,
    /// Audiences ARM accepts: the emulator's endpoint (both host spellings) and the public cloud's.
    audiences: Vec<String>,
}

impl TokenAuthority {
    pub fn new(key: [u8; 32], tenant_id: &str, endpoint: &str, port: u16) -> TokenAuthority {
        let mut audiences = vec![
            endpoint.to_string(),
            format!("https://localhost:{port}"),
            "https://management.azure.com".to_string(),
            "https://management.core.windows.net".to_string(),
        ];
        let slashed: Vec<String> = audiences.iter().map(|a| format!("{a}/")).collect();
        audiences.extend(slashed);
        TokenAuthority {
            key,
            tenant_id: tenant_id.to_string(),
            audiences,
        }
    }

    pub fn set_tenant(&mut self, tenant_id: &str) {
        self.tenant_id = tenant_id.to_string();
    }

    /// A signed token for `client_id`, valid for `lifetime`, for the resource `audience`.
    pub fn issue(&self, client_id: &str, audience: &str, lifetime: Duration) -> String {
        let now = unix_now();
        let claims = Claims {
            aud: audience.to_string(),
            iss: format!("https://sts.windows.net/{}/", self.tenant_id),
            iat: now,
            nbf: now,
            exp: now + lifetime.as_secs(),
            appid: client_id.to_string(),
            tid: self.tenant_id.clone(),
            sub: client_id.to_string(),
            idtyp: "app".to_string(),
            ver: "1.0".to_string(),
        };
        let header =
            b64::encode(br#"{"typ":"JWT","alg":"HS256","kid":"kusto-principals-emulator"}"#);
        let payload = b64::encode(serde_json::to_vec(&claims).expect("claims serialise"));
        let signing_input = format!("{header}.{payload}");
        let sig = b64::encode(hmac_sha256(&self.key, signing_input.as_bytes()));
        format!("{signing_input}.{sig}")
    }

    /// Checks an `Authorization` header as ARM does.
    pub fn check(&self, authorization: Option<&str>) -> Result<Claims, ErrorResponse> {
        self.check_for(authorization, &self.audiences)
    }

    /// Checks an `Authorization` header for Microsoft Graph (its audience, not ARM's).
    pub fn check_graph(&self, authorization: Option<&str>) -> Result<Claims, ErrorResponse> {
        let graph: Vec<String> = GRAPH_AUDIENCES.iter().map(|a| a.to_string()).collect();
        self.check_for(authorization, &graph)
    }

    fn check_for(
        &self,
        authorization: Option<&str>,
        audiences: &[String],
    ) -> Result<Claims, ErrorResponse> {
        let Some(value) = authorization else {
            return Err(unauthorized(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            ));
        };
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(unauthorized(
                    "AuthenticationFailed",
                    "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                ));
            }
        };
        let claims = self.verify(token)?;
        let now = unix_now();
        if claims.exp <= now {
            return Err(unauthorized(
                "ExpiredAuthenticationToken",
                format!(
                    "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
                    rfc3339(claims.exp),
                    rfc3339(now)
                ),
            ));
        }
        if !claims.tid.eq_ignore_ascii_case(&self.tenant_id) {
            return Err(unauthorized(
                "InvalidAuthenticationTokenTenant",
                format!(
                    "The access token is from the wrong issuer '{}'. It must match the tenant 'https://sts.windows.net/{}/' associated with this subscription.",
                    claims.iss, self.tenant_id
                ),
            ));
        }
        if !audiences
            .iter()
            .any(|a| a.eq_ignore_ascii_case(&claims.aud))
        {
            return Err(unauthorized(
                "InvalidAuthenticationToken",
                format!(
                    "The access token has been obtained for wrong audience or resource '{}'. It should exactly match with one of the allowed audiences '{}'.",
                    claims.aud,
                    audiences.join("','")
                ),
            ));
        }
        Ok(claims)
    }

    /// Signature and shape only.
    fn verify(&self, token: &str) -> Result<Claims, ErrorResponse> {
        let malformed =
            || unauthorized("InvalidAuthenticationToken", "The access token is invalid.");
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, sig] = parts[..] else {
            return Err(malformed());
        };
        let sig = b64::decode(sig).ok_or_else(malformed)?;
        let claims: Claims = b64::decode(payload)
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or_else(malformed)?;
        let expected = hmac_sha256(&self.key, format!("{header}.{payload}").as_bytes());
        if sig.len() != expected.len() || !constant_time_eq(&sig, &expected) {
            return Err(unauthorized(
                "InvalidAuthenticationToken",
                "The access token is invalid: its signature could not be verified.",
            ));
        }
        Ok(claims)
    }
}

/// A 401 with ARM's error body.
pub fn unauthorized(code: &str, message: impl Into<String>) -> ErrorResponse {
    ErrorResponse::new(StatusCode::UNAUTHORIZED, code, message)
}

/// HMAC (RFC 2104) over SHA-256.
fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    k[..32].copy_from_slice(key);
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&ipad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&opad)
        .chain_update(inner)
        .finalize()
        .into()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn rfc3339(unix: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix as i64)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authority(key: u8) -> TokenAuthority {
        TokenAuthority::new([key; 32], "tid", "https://127.0.0.1:1", 1)
    }

    #[test]
    fn issued_tokens_pass_and_others_fail() {
        let a = authority(1);
        let t = a.issue("cid", "https://127.0.0.1:1", Duration::from_secs(60));
        let claims = a.check(Some(&format!("Bearer {t}"))).unwrap();
        assert_eq!(claims.appid, "cid");
        let code = |h: Option<&str>| a.check(h).unwrap_err().code;
        assert_eq!(code(None), "AuthenticationFailed");
        assert_eq!(code(Some("Basic x")), "AuthenticationFailed");
        assert_eq!(code(Some("Bearer abc")), "InvalidAuthenticationToken");
        let foreign = authority(2).issue("cid", "https://127.0.0.1:1", Duration::from_secs(60));
        assert_eq!(
            code(Some(&format!("Bearer {foreign}"))),
            "InvalidAuthenticationToken"
        );
        let expired = a.issue("cid", "https://127.0.0.1:1", Duration::ZERO);
        assert_eq!(
            code(Some(&format!("Bearer {expired}"))),
            "ExpiredAuthenticationToken"
        );
        let wrong_aud = a.issue("cid", "https://vault.azure.net", Duration::from_secs(60));
        assert_eq!(
            code(Some(&format!("Bearer {wrong_aud}"))),
            "InvalidAuthenticationToken"
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_shape() {
        // Same key and message give the same tag; a different message does not.
        let k = [7u8; 32];
        assert_eq!(hmac_sha256(&k, b"a"), hmac_sha256(&k, b"a"));
        assert_ne!(hmac_sha256(&k, b"a"), hmac_sha256(&k, b"b"));
    }
}
