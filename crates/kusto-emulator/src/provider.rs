//! The resource provider's routing table: a route and a method → the handler that answers, after
//! the world has completed the operations nobody polled in time.

use axum::http::{Method, StatusCode};

use super::assignments;
use super::ctx::Ctx;
use super::databases;
use super::dataplane;
use super::operation_status;
use super::power;
use super::reply::{ErrorResponse, Reply};
use super::resources;
use super::route::Route;
use super::shared::{Shared, lock};

/// The resource provider proper.
pub fn provider(
    shared: &Shared,
    route: &Route,
    method: &Method,
    ctx: &Ctx<'_>,
    raw: &[u8],
    location_form: bool,
) -> Reply {
    let mut w = lock(&shared.world);
    w.tick(shared.opts.lro_timeout);
    match (route, method.as_str()) {
        (Route::AssignmentList(s), "GET") => assignments::list(&w, ctx, s),
        (Route::Assignment(s, n), "GET") => assignments::get(&w, s, n),
        (Route::Assignment(s, n), "PUT") => assignments::put(&mut w, ctx, s, n, raw),
        (Route::Assignment(s, n), "DELETE") => assignments::delete(&mut w, ctx, s, n),
        (Route::CheckName(s), "POST") => assignments::check_name(&w, s, raw),
        (
            Route::OperationResult {
                subscription, id, ..
            },
            "GET",
        ) => operation_status::poll(
            &mut w,
            subscription,
            id,
            location_form,
            ctx.endpoint,
            ctx.api_version,
        ),
        (
            Route::ClusterList {
                subscription,
                resource_group,
            },
            "GET",
        ) => resources::list_clusters(&w, ctx, subscription, resource_group.as_deref()),
        (Route::Cluster(c), "GET") => resources::get_cluster(&w, c),
        (Route::ClusterPower(c, a), "POST") => power::power(&mut w, ctx, c, *a),
        (Route::DatabaseList(c), "GET") => resources::list_databases(&w, ctx, c),
        (Route::Database(c, d), "GET") => resources::get_database(&w, c, d),
        (Route::Database(c, d), "PUT") => databases::put(&mut w, ctx, c, d, raw),
        (Route::Database(c, d), "DELETE") => databases::delete(&mut w, ctx, c, d),
        (Route::Principals(s, a), "POST") => dataplane::handle(&mut w, ctx, s, *a, raw),
        _ => ErrorResponse::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The requested resource does not support http method '{method}'."),
        )
        .reply(),
    }
}
