//! Entra ID's discovery documents, which MSAL-based clients (Python azure-identity, JavaScript
//! @azure/identity) read before their first token request when instance discovery is off:
//! `GET /{tenant}/v2.0/.well-known/openid-configuration` and the `jwks_uri` it names,
//! `GET /{tenant}/discovery/v2.0/keys`. Shaped as Entra ID's v2.0 document, every endpoint on
//! this emulator.

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::reply::Reply;
use super::token::entra_error;

/// The OpenID configuration of `tenant`, or Entra ID's 400 for a tenant it does not know.
pub fn configuration(endpoint: &str, tenant_id: &str, tenant: &str) -> Reply {
    if !tenant.eq_ignore_ascii_case(tenant_id) {
        return unknown_tenant(tenant);
    }
    Reply::json(StatusCode::OK, document(endpoint, tenant_id))
}

/// The signing keys document. The emulator's tokens are signed with a secret key that is never
/// published, so the set is empty: clients of ARM do not validate ARM's tokens.
pub fn keys(tenant_id: &str, tenant: &str) -> Reply {
    if !tenant.eq_ignore_ascii_case(tenant_id) {
        return unknown_tenant(tenant);
    }
    Reply::json(StatusCode::OK, json!({ "keys": [] }))
}

fn unknown_tenant(tenant: &str) -> Reply {
    entra_error(
        StatusCode::BAD_REQUEST,
        "invalid_tenant",
        90002,
        &format!(
            "AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
        ),
    )
}

fn document(endpoint: &str, tid: &str) -> Value {
    let base = format!("{endpoint}/{tid}");
    json!({
        "token_endpoint": format!("{base}/oauth2/v2.0/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": format!("{base}/discovery/v2.0/keys"),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": format!("{base}/v2.0"),
        "request_uri_parameter_supported": false,
        "userinfo_endpoint": format!("{endpoint}/oidc/userinfo"),
        "authorization_endpoint": format!("{base}/oauth2/v2.0/authorize"),
        "device_authorization_endpoint": format!("{base}/oauth2/v2.0/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{base}/oauth2/v2.0/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "oid", "tid", "ver"],
        "kerberos_endpoint": format!("{base}/kerberos"),
        "tenant_region_scope": "WW",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    #[test]
    fn the_document_points_every_endpoint_at_the_emulator() {
        let r = configuration("https://127.0.0.1:9", TID, &TID.to_uppercase());
        assert_eq!(r.status, StatusCode::OK);
        let crate::reply::Body::Json(doc) = r.body else {
            panic!("json")
        };
        let base = format!("https://127.0.0.1:9/{TID}");
        assert_eq!(doc["token_endpoint"], format!("{base}/oauth2/v2.0/token"));
        assert_eq!(
            doc["authorization_endpoint"],
            format!("{base}/oauth2/v2.0/authorize")
        );
        assert_eq!(doc["issuer"], format!("{base}/v2.0"));
        assert_eq!(doc["jwks_uri"], format!("{base}/discovery/v2.0/keys"));
    }

    #[test]
    fn an_unknown_tenant_gets_entra_ids_error() {
        let r = configuration("https://127.0.0.1:9", TID, "contoso");
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(keys(TID, "other").status, StatusCode::BAD_REQUEST);
        assert_eq!(keys(TID, TID).status, StatusCode::OK);
    }
}
