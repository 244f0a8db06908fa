//! The axum glue for `/graphql`: reads the body and the bearer token, runs
//! the schema, and renders the response. `POST` takes single or batched
//! requests; `GET ?query=` runs queries only; a plain `GET` serves GraphiQL.

use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse};
use async_graphql_axum::GraphQLResponse;
use axum::Router;
use axum::extract::{FromRef, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::body::{BufferedBody, content_type_essence};
use super::client::Client;
use super::errors;
use super::json::{self, JsonError};
use super::state::TrustedProxies;
use crate::auth::bearer_token;
use crate::error::{AppError, ErrorCode};
use crate::graphql::{Executor, RequestContext};
use crate::model::ClientInfo;

/// What the `/graphql` route needs: the schema and the batch limit.
#[derive(Clone)]
pub struct GraphqlEndpoint {
    /// Runs requests against the schema.
    pub executor: Arc<Executor>,
    /// Most operations accepted in one batch.
    pub max_batch: usize,
}

/// The `/graphql` route.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    GraphqlEndpoint: FromRef<S>,
    TrustedProxies: FromRef<S>,
{
    Router::new().route("/graphql", get(query_or_graphiql).post(execute_post))
}

async fn execute_post(
    State(endpoint): State<GraphqlEndpoint>,
    Client(client): Client,
    headers: HeaderMap,
    body: Result<BufferedBody, AppError>,
) -> Response {
    let batch = match decode_body(&headers, body) {
        Ok(batch) => batch,
        Err(error) => return request_error(&error),
    };
    let size = match &batch {
        BatchRequest::Single(_) => 1,
        BatchRequest::Batch(requests) => requests.len(),
    };
    if size == 0 || size > endpoint.max_batch {
        let message = format!("A batch must hold 1 to {} operations.", endpoint.max_batch);
        return request_error(&AppError::new(
            ErrorCode::GraphqlBatchLimitExceeded,
            message,
        ));
    }
    if let Err(error) = batch
        .iter()
        .try_for_each(|request| endpoint.executor.check_query_size(&request.query))
    {
        return request_error(&error);
    }
    let context = request_context(&headers, client);
    let response = endpoint
        .executor
        .execute_batch(batch.data(context), false)
        .await;
    render(response)
}

async fn query_or_graphiql(
    State(endpoint): State<GraphqlEndpoint>,
    Client(client): Client,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Html(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("datakeep GraphiQL")
                .finish(),
        )
        .into_response();
    };
    let request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(err) => {
            let error = AppError::new(
                ErrorCode::InvalidRequest,
                format!("Invalid GraphQL GET request: {err}"),
            );
            return request_error(&error);
        }
    };
    if let Err(error) = endpoint.executor.check_query_size(&request.query) {
        return request_error(&error);
    }
    let context = request_context(&headers, client);
    let response = endpoint.executor.execute(request.data(context), true).await;
    render(BatchResponse::Single(response))
}

/// A JSON body holding one GraphQL request or an array of them.
fn decode_body(
    headers: &HeaderMap,
    body: Result<BufferedBody, AppError>,
) -> Result<BatchRequest, AppError> {
    if content_type_essence(headers).as_deref() != Some("application/json") {
        return Err(AppError::new(
            ErrorCode::InvalidRequest,
            "Content-Type must be application/json.",
        ));
    }
    let BufferedBody(body) = body?;
    // `BatchRequest` is an untagged enum, which serde can only decode by
    // buffering the whole body into an intermediate tree and trying each
    // shape; the first byte already says which shape it is.
    let is_batch = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    let decoded = if is_batch {
        json::from_slice(&body).map(BatchRequest::Batch)
    } else {
        json::from_slice(&body).map(BatchRequest::Single)
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

/// GraphQL answers 200 even with errors, except: a mutation over GET is 405.
/// Each error's [`AppError`] adds what it adds over REST (`WWW-Authenticate`
/// for `INVALID_TOKEN`, `Retry-After`, its detail for the log).
fn render(response: BatchResponse) -> Response {
    let failures: Vec<AppError> = match &response {
        BatchResponse::Single(r) => sources(&r.errors),
        BatchResponse::Batch(rs) => rs.iter().flat_map(|r| sources(&r.errors)).collect(),
    };
    let mut http = GraphQLResponse::from(response).into_response();
    if failures
        .iter()
        .any(|f| f.code() == ErrorCode::MethodNotAllowed)
    {
        *http.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        http.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    errors::apply(&mut http, &failures);
    http
}

/// The [`AppError`]s behind a response's errors (every error has one; see
/// `graphql/errors.rs`).
fn sources(errors: &[async_graphql::ServerError]) -> Vec<AppError> {
    errors
        .iter()
        .filter_map(|error| error.source::<AppError>().cloned())
        .collect()
}

#[derive(Serialize)]
struct ErrorsBody<'a> {
    errors: [ErrorEntry<'a>; 1],
}

#[derive(Serialize)]
struct ErrorEntry<'a> {
    message: &'a str,
    extensions: CodeOnly<'a>,
}

#[derive(Serialize)]
struct CodeOnly<'a> {
    code: &'a str,
}

/// A request that never reached the schema, in GraphQL's error shape with
/// the contract's HTTP status (400 for a bad body, 413 for a large one).
fn request_error(error: &AppError) -> Response {
    let body = ErrorsBody {
        errors: [ErrorEntry {
            message: error.message(),
            extensions: CodeOnly {
                code: error.code().as_str(),
            },
        }],
    };
    let mut response = (errors::status_of(error.code()), axum::Json(body)).into_response();
    errors::apply(&mut response, [error]);
    response
}
