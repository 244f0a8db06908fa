//! The HTTP layer, above the GraphQL schema and the service: serving
//! connections with their limits (`server`, `connection`), the state the
//! handlers extract, the router and its layers, the request log, what both
//! transports share (reading bodies, strict JSON, how an error sets a
//! response's status, headers and log detail), and the two transports: the
//! REST compatibility routes (`rest/`) and the `/graphql` glue (`graphql`).

pub mod body;
mod client;
pub mod connection;
mod errors;
mod graphiql;
pub mod graphql;
pub mod json;
mod request_log;
mod rest;
pub mod server;
mod state;

use std::convert::Infallible;
use std::time::Duration;

use anyhow::Context;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use axum::{Router, middleware};
use tower::{Service, ServiceBuilder};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
pub use state::AppState;

/// Every route with its layers, ready for [`server::serve`].
pub fn app(
    state: AppState,
    cors: CorsLayer,
) -> impl Service<Request, Response = Response, Error = Infallible, Future: Send> + Clone + Send + 'static
{
    // Layers added later wrap the earlier ones: panics become JSON 500s
    // inside the request log, so those are logged with their status too.
    let graphiql_on = state.graphql.graphiql;
    let router = rest::router()
        .merge(graphql::router(graphiql_on))
        .fallback(rest::not_found)
        .method_not_allowed_fallback(rest::method_not_allowed)
        .with_state(state)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(request_log::log_request));
    // Layers that need no route go around the router once: a layer added
    // with `Router::layer` wraps (and boxes) every route separately. The
    // headers go outermost, so CORS answers carry them too.
    ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Tokens and data must not stay in a browser's or proxy's cache.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(cors)
        .service::<Router>(router)
}

/// CORS for browser apps on other origins: any origin unless `origins` (a
/// comma-separated list, `CORS_ORIGINS`) names them. Tokens travel in a
/// header, so credentials (cookies) are not allowed.
pub fn cors(origins: Option<&str>) -> anyhow::Result<CorsLayer> {
    let allow_origin = match origins {
        None => AllowOrigin::any(),
        Some(list) => AllowOrigin::list(
            list.split(',')
                .map(str::trim)
                .filter(|origin| !origin.is_empty())
                .map(|origin| {
                    HeaderValue::from_str(origin)
                        .with_context(|| format!("CORS_ORIGINS: invalid origin {origin:?}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        ),
    };
    Ok(CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        // What GraphQL clients send (contract section 10): Apollo names
        // itself and forces a preflight with its own headers.
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("apollographql-client-name"),
            HeaderName::from_static("apollographql-client-version"),
            HeaderName::from_static("apollo-require-preflight"),
            request_log::REQUEST_ID,
        ])
        .expose_headers([
            header::RETRY_AFTER,
            header::WWW_AUTHENTICATE,
            request_log::REQUEST_ID,
        ])
        .max_age(Duration::from_secs(3600)))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    AppError::internal("a request handler panicked").into_response()
}
