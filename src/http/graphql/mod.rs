//! The axum glue for `/graphql` (GraphQL over HTTP): negotiates the media
//! type, reads the body or the query string and the bearer token, runs the
//! schema, and renders the response. `POST` takes single or batched
//! requests; `GET ?query=` runs queries only; a plain `GET` serves GraphiQL
//! (unless turned off).

mod get_request;
mod negotiation;
mod render;

use std::sync::Arc;

use async_graphql::BatchResponse;
use axum::Router;
use axum::extract::{FromRef, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use axum::routing::get;

use super::body::{BufferedBody, content_type_essence};
use super::client::Client;
use super::graphiql;
use super::json::{self, JsonError};
use super::state::TrustedProxies;
use crate::auth::bearer_token;
use crate::error::{AppError, ErrorCode};
use crate::graphql::{ClientBatch, Executor, RequestContext};
use crate::model::ClientInfo;
use negotiation::ResponseFormat;
use render::{render, request_error};

/// What the `/graphql` route needs: the schema, the batch limit and
/// whether the playground is on.
#[derive(Clone)]
pub struct GraphqlEndpoint {
    /// Runs requests against the schema.
    pub executor: Arc<Executor>,
    /// Most operations accepted in one batch.
    pub max_batch: usize,
    /// Serve GraphiQL at a plain `GET /graphql` (`GRAPHIQL`).
    pub graphiql: bool,
}

/// The `/graphql` route, and the playground's assets when it is on.
pub fn router<S>(graphiql_on: bool) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    GraphqlEndpoint: FromRef<S>,
    TrustedProxies: FromRef<S>,
{
    let router = Router::new().route("/graphql", get(query_or_graphiql).post(execute_post));
    if graphiql_on {
        router.merge(graphiql::assets_router())
    } else {
        router
    }
}

async fn execute_post(
    State(endpoint): State<GraphqlEndpoint>,
    Client(client): Client,
    headers: HeaderMap,
    body: Result<BufferedBody, AppError>,
) -> Response {
    let format = match ResponseFormat::negotiate(&headers) {
        Ok(format) => format,
        Err(error) => return request_error(&error, ResponseFormat::Json),
    };
    let batch = match decode_body(&headers, body) {
        Ok(batch) => batch,
        Err(error) => return request_error(&error, format),
    };
    if batch.is_empty() || batch.len() > endpoint.max_batch {
        let message = format!("A batch must hold 1 to {} operations.", endpoint.max_batch);
        let error = AppError::new(ErrorCode::GraphqlBatchLimitExceeded, message);
        return request_error(&error, format);
    }
    if let Err(error) = batch
        .iter()
        .try_for_each(|request| endpoint.executor.check_query_size(&request.query))
    {
        return request_error(&error, format);
    }
    let context = request_context(&headers, client);
    let response = endpoint.executor.execute_batch(batch, context, false).await;
    render(&response, format)
}

async fn query_or_graphiql(
    State(endpoint): State<GraphqlEndpoint>,
    Client(client): Client,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        if endpoint.graphiql {
            return graphiql::page();
        }
        let error = AppError::new(
            ErrorCode::InvalidRequest,
            "GET /graphql needs a query parameter (the playground is turned off).",
        );
        return request_error(&error, ResponseFormat::Json);
    };
    let format = match ResponseFormat::negotiate(&headers) {
        Ok(format) => format,
        Err(error) => return request_error(&error, ResponseFormat::Json),
    };
    let request = match get_request::decode(&query) {
        Ok(request) => request,
        Err(error) => return request_error(&error, format),
    };
    if let Err(error) = endpoint.executor.check_query_size(&request.query) {
        return request_error(&error, format);
    }
    let context = request_context(&headers, client);
    let response = endpoint.executor.execute(request, context, true).await;
    render(&BatchResponse::Single(response), format)
}

/// A JSON body holding one GraphQL request or an array of them.
fn decode_body(
    headers: &HeaderMap,
    body: Result<BufferedBody, AppError>,
) -> Result<ClientBatch, AppError> {
    if content_type_essence(headers).as_deref() != Some("application/json") {
        return Err(AppError::new(
            ErrorCode::InvalidRequest,
            "Content-Type must be application/json.",
        ));
    }
    let BufferedBody(body) = body?;
    // The first byte says which shape it is (serde's untagged enums would
    // buffer the whole body into an intermediate tree and try each).
    let is_batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let decoded = if is_batch {
        json::from_slice(&body).map(ClientBatch::Batch)
    } else {
        json::from_slice(&body).map(ClientBatch::Single)
    };
    decoded.map_err(|err| {
        let message = match err {
            JsonError::DuplicateMember(err) => {
                format!("The body names a member more than once: {err}")
            }
            JsonError::Invalid(err) => format!("The body is not a GraphQL request: {err}"),
        };
        AppError::new(ErrorCode::InvalidRequest, message)
    })
}

fn request_context(headers: &HeaderMap, client: ClientInfo) -> RequestContext {
    RequestContext {
        bearer_token: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .map(str::to_owned),
        client,
    }
}
