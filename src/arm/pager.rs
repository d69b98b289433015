//! Following `nextLink` until a list is complete. A `nextLink` must stay on the ARM endpoint (`send`
//! refuses any other origin before the token goes anywhere) and may not repeat a page already read:
//! a server that loops its links ends the scope with an error instead of paging forever.

use std::collections::HashSet;

use reqwest::Method;
use serde::de::DeserializeOwned;
use url::Url;

use super::client::ArmClient;
use super::error::ArmError;
use super::http::display_url;
use super::response::parse_json;
use super::wire::ListResult;

/// Upper bound on pages, for a server that invents a new `nextLink` for every page.
const MAX_PAGES: usize = 10_000;

impl ArmClient {
    /// GETs `first` and every `nextLink` after it, collecting `value`. A `nextLink` on another host is
    /// refused by `send` before the token goes anywhere.
    pub(super) async fn list_all<T: DeserializeOwned>(
        &self,
        operation: &str,
        resource: &str,
        first: Url,
    ) -> Result<Vec<T>, ArmError> {
        let mut items = Vec::new();
        let mut next = Some(first);
        let mut pages = 0;
        let mut seen: HashSet<String> = HashSet::new();
        while let Some(url) = next.take() {
            pages += 1;
            if !seen.insert(url.as_str().to_string()) {
                return Err(ArmError::new(
                    operation,
                    resource,
                    format!(
                        "ARM's nextLink points back to a page already read (`{}`, page {pages}); the listing loops, so this scope is not planned",
                        display_url(&url)
                    ),
                ));
            }
            if pages > MAX_PAGES {
                return Err(ArmError::new(
                    operation,
                    resource,
                    format!("more than {MAX_PAGES} pages; is the server looping its nextLink?"),
                ));
            }
            let resp = self
                .send(operation, resource, Method::GET, url, None)
                .await?;
            let page: ListResult<T> = parse_json(operation, resource, &resp)?;
            items.extend(page.value);
            next = match page.next_link.filter(|l| !l.is_empty()) {
                Some(link) => Some(Url::parse(&link).map_err(|e| {
                    ArmError::new(operation, resource, format!("invalid nextLink: {e}"))
                })?),
                None => None,
            };
        }
        Ok(items)
    }
}
