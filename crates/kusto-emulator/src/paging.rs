//! `nextLink` paging of list results (`--page-size`), with an offset in `$skiptoken`.

use serde_json::{Value, json};

use super::ctx::Ctx;

/// One page of `items`, starting at `ctx.skip`; `nextLink` when more follow.
pub fn page(items: Vec<Value>, ctx: &Ctx<'_>) -> Value {
    let Some(size) = ctx.page_size else {
        return json!({ "value": items });
    };
    let total = items.len();
    let end = (ctx.skip + size).min(total);
    let value: Vec<Value> = items.into_iter().skip(ctx.skip).take(size).collect();
    if end < total {
        let next = format!(
            "{}{}?api-version={}&$skiptoken={end}",
            ctx.endpoint, ctx.path, ctx.api_version
        );
        json!({ "value": value, "nextLink": next })
    } else {
        json!({ "value": value })
    }
}
