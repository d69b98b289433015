//! The Entra ID v2.0 token endpoint, `POST /{tenant}/oauth2/v2.0/token`: the client-credentials
//! grant with a client secret or a client assertion, answered as Entra ID answers (`access_token`,
//! `expires_in`; errors with `error`, `error_description`, `error_codes`).

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;

use super::auth::TokenAuthority;
use super::reply::Reply;
use super::state::Credentials;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What the token endpoint needs to know about the tenant.
pub struct TokenContext<'a> {
    pub tenant_id: &'a str,
    pub tenant_name: &'a str,
    pub credentials: &'a Credentials,
    pub authority: &'a TokenAuthority,
    pub lifetime: Duration,
}

/// Answers one token request (`form` is the raw `application/x-www-form-urlencoded` body).
pub fn token(ctx: &TokenContext<'_>, tenant: &str, form: &[u8]) -> Reply {
    let field = |name: &str| {
        url::form_urlencoded::parse(form)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let client_id = match check_client(ctx, tenant, &field) {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    if let Some(reply) = check_client_proof(ctx, &client_id, &field) {
        return reply;
    }
    let scope = field("scope").unwrap_or_default();
    let Some(resource) = scope.strip_suffix("/.default").filter(|r| !r.contains(' ')) else {
        return entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            &format!(
                "AADSTS1002012: The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        );
    };
    let secs = ctx.lifetime.as_secs();
    Reply::json(
        StatusCode::OK,
        json!({
            "token_type": "Bearer",
            "expires_in": secs,
            "ext_expires_in": secs,
            "access_token": ctx.authority.issue(&client_id, resource, ctx.lifetime),
        }),
    )
}

/// The tenant must be the emulator's, the grant client credentials and the client the configured
/// one; the client id when they are.
fn check_client(
    ctx: &TokenContext<'_>,
    tenant: &str,
    field: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Reply> {
    if !tenant.eq_ignore_ascii_case(ctx.tenant_id) {
        return Err(entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            &format!(
                "AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        ));
    }
    if field("grant_type").as_deref() != Some("client_credentials") {
        return Err(entra_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "AADSTS70003: The app requested an unsupported grant type. The emulator supports client_credentials only.",
        ));
    }
    let client_id = field("client_id").unwrap_or_default();
    if client_id != ctx.credentials.client_id {
        return Err(entra_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            &format!(
                "AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.",
                ctx.tenant_name
            ),
        ));
    }
    Ok(client_id)
}

/// The secret must match; an assertion must be a JWT of the right type. `None` when fine.
fn check_client_proof(
    ctx: &TokenContext<'_>,
    client_id: &str,
    field: &dyn Fn(&str) -> Option<String>,
) -> Option<Reply> {
    match (field("client_secret"), field("client_assertion")) {
        (Some(secret), _) if secret == ctx.credentials.client_secret => None,
        (Some(_), _) => Some(entra_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            &format!(
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        )),
        (None, Some(assertion)) => {
            let typed = field("client_assertion_type").as_deref() == Some(JWT_BEARER);
            let parts: Vec<&str> = assertion.split('.').collect();
            if typed && parts.len() == 3 && parts.iter().take(2).all(|p| !p.is_empty()) {
                None
            } else {
                Some(entra_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_client",
                    50027,
                    "AADSTS50027: JWT token is invalid or malformed.",
                ))
            }
        }
        (None, None) => Some(entra_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            7000218,
            "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        )),
    }
}

pub fn entra_error(status: StatusCode, error: &str, code: u32, description: &str) -> Reply {
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let trace = uuid::Uuid::new_v4().to_string();
    Reply::json(
        status,
        json!({
            "error": error,
            "error_description": format!("{description}\r\nTrace ID: {trace}\r\nTimestamp: {now}"),
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": uuid::Uuid::new_v4().to_string(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_ctx(f: impl FnOnce(&TokenContext<'_>)) {
        let creds = Credentials {
            client_id: "cid".into(),
            client_secret: "sec".into(),
            object_id: None,
            display_name: None,
        };
        let authority = TokenAuthority::new([1; 32], "tid", "https://127.0.0.1:1", 1);
        f(&TokenContext {
            tenant_id: "tid",
            tenant_name: "Contoso",
            credentials: &creds,
            authority: &authority,
            lifetime: Duration::from_secs(60),
        });
    }

    fn error_of(r: &Reply) -> String {
        match &r.body {
            super::super::reply::Body::Json(v) => v["error"].as_str().unwrap_or("").to_string(),
            _ => String::new(),
        }
    }

    #[test]
    fn secrets_and_assertions() {
        with_ctx(|ctx| {
            let ok = token(ctx, "tid", b"grant_type=client_credentials&client_id=cid&client_secret=sec&scope=https%3A%2F%2F127.0.0.1%3A1%2F.default");
            assert_eq!(ok.status, StatusCode::OK);
            let bad = token(
                ctx,
                "tid",
                b"grant_type=client_credentials&client_id=cid&client_secret=nope&scope=x/.default",
            );
            assert_eq!(
                (bad.status, error_of(&bad).as_str()),
                (StatusCode::UNAUTHORIZED, "invalid_client")
            );
            let assertion = format!(
                "grant_type=client_credentials&client_id=cid&client_assertion=a.b.c&client_assertion_type={}&scope=x/.default",
                url::form_urlencoded::byte_serialize(JWT_BEARER.as_bytes()).collect::<String>()
            );
            assert_eq!(
                token(ctx, "tid", assertion.as_bytes()).status,
                StatusCode::OK
            );
            let other = token(
                ctx,
                "tid",
                b"grant_type=client_credentials&client_id=x&client_secret=sec&scope=x/.default",
            );
            assert_eq!(error_of(&other), "unauthorized_client");
            assert_eq!(error_of(&token(ctx, "other", b"")), "invalid_request");
            let scope = token(
                ctx,
                "tid",
                b"grant_type=client_credentials&client_id=cid&client_secret=sec&scope=x",
            );
            assert_eq!(error_of(&scope), "invalid_scope");
        });
    }
}
