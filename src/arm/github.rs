//! GitHub Actions OIDC: the client assertion is an id token fetched from the runner's
//! `ACTIONS_ID_TOKEN_REQUEST_URL` for the audience Entra ID expects.

use azure_core::http::ClientMethodOptions;
use azure_identity::ClientAssertion;
use url::Url;

/// The audience of federated credentials in Entra ID.
pub const AUDIENCE: &str = "api://AzureADTokenExchange";

/// Fetches a fresh GitHub id token each time the credential needs one.
pub struct GithubOidcAssertion {
    http: reqwest::Client,
    timeout: std::time::Duration,
    url: Url,
    request_token: String,
}

impl std::fmt::Debug for GithubOidcAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubOidcAssertion")
            .field("host", &self.url.host_str())
            .finish_non_exhaustive()
    }
}

impl GithubOidcAssertion {
    /// `request_url` must be https (or http on loopback, for tests); the error says why it is not.
    pub fn new(
        http: reqwest::Client,
        timeout: std::time::Duration,
        request_url: &str,
        request_token: &str,
    ) -> Result<Self, String> {
        let mut url = Url::parse(request_url)
            .map_err(|e| format!("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL: {e}"))?;
        super::endpoint::check_scheme(&url)
            .map_err(|e| format!("ACTIONS_ID_TOKEN_REQUEST_URL: {e}"))?;
        url.query_pairs_mut().append_pair("audience", AUDIENCE);
        Ok(GithubOidcAssertion {
            http,
            timeout,
            url,
            request_token: request_token.to_string(),
        })
    }
}

#[derive(serde::Deserialize)]
struct IdToken {
    value: String,
}

#[async_trait::async_trait]
impl ClientAssertion for GithubOidcAssertion {
    async fn secret(&self, _: Option<ClientMethodOptions<'_>>) -> azure_core::Result<String> {
        let fail = |m: String| {
            azure_core::Error::with_message(azure_core::error::ErrorKind::Credential, m)
        };
        let req = self
            .http
            .get(self.url.clone())
            .bearer_auth(&self.request_token)
            .header("accept", "application/json");
        let resp = super::http::exchange(req, &self.url, self.timeout)
            .await
            .map_err(|f| fail(format!("fetching the GitHub OIDC token: {}", f.message())))?;
        if !(200..300).contains(&resp.status) {
            return Err(fail(format!(
                "the GitHub OIDC token endpoint answered HTTP {}; does the workflow have `permissions: id-token: write`?",
                resp.status
            )));
        }
        let token: IdToken = serde_json::from_slice(&resp.body)
            .map_err(|e| fail(format!("the GitHub OIDC token reply is not JSON: {e}")))?;
        Ok(token.value)
    }
}
