//! The axum glue for `/graphql`: reads the body and the bearer token, runs
//! the schema, and renders the response. `POST` takes single or batched
//! requests; `GET ?query=` runs queries only; a plain `GET` serves GraphiQL.

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, BatchResponse, ServerError, Value};
use async_graphql_axum::GraphQLResponse;
use axum::Router;
use axum::extract::{ConnectInfo, FromRef, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use crate::auth::bearer_token;
use crate::error::{AppError, ErrorCode};
use crate::graphql::{Executor, RequestContext, codes};
use crate::http::body::{BufferedBody, content_type_essence};
use crate::http::json::{self, JsonError};
use crate::rest::{BEARER_CHALLENGE, status_of};

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
{
    Router::new().route("/graphql", get(query_or_graphiql).post(execute_post))
}

async fn execute_post(
    State(endpoint): State<GraphqlEndpoint>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<BufferedBody, AppError>,
) -> Response {
    let batch = match decode_body(&headers, body) {
        Ok(batch) => batch,
        Err(error) => return request_error(&error, error.code().as_str()),
    };
    let size = match &batch {
        BatchRequest::Single(_) => 1,
        BatchRequest::Batch(requests) => requests.len(),
    };
    if size == 0 || size > endpoint.max_batch {
        let message = format!("A batch must hold 1 to {} operations.", endpoint.max_batch);
        return request_error(
            &AppError::new(ErrorCode::InvalidRequest, message),
            codes::BATCH_LIMIT,
        );
    }
    if let Err(error) = batch
        .iter()
        .try_for_each(|request| endpoint.executor.check_query_size(&request.query))
    {
        return request_error(&error, error.code().as_str());
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
    ConnectInfo(client): ConnectInfo<SocketAddr>,
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
            return request_error(&error, error.code().as_str());
        }
    };
    if let Err(error) = endpoint.executor.check_query_size(&request.query) {
        return request_error(&error, error.code().as_str());
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

fn request_context(headers: &HeaderMap, client: SocketAddr) -> RequestContext {
    RequestContext {
        bearer_token: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .map(str::to_owned),
        client: client.ip(),
    }
}

/// GraphQL answers 200 even with errors, except: a mutation over GET is 405.
/// The headers REST sends with an error are sent here too: an `INVALID_TOKEN`
/// adds `WWW-Authenticate`, a `RATE_LIMITED` adds `Retry-After`.
fn render(response: BatchResponse) -> Response {
    let errors: Vec<&ServerError> = match &response {
        BatchResponse::Single(r) => r.errors.iter().collect(),
        BatchResponse::Batch(rs) => rs.iter().flat_map(|r| &r.errors).collect(),
    };
    let extension = |error: &ServerError, name: &str| {
        error.extensions.as_ref().and_then(|e| e.get(name)).cloned()
    };
    let codes: Vec<Value> = errors.iter().filter_map(|e| extension(e, "code")).collect();
    let retry_after = errors
        .iter()
        .filter_map(|e| match extension(e, "retryAfter") {
            Some(Value::Number(n)) => n.as_u64(),
            _ => None,
        })
        .max();
    let has = |code: &str| codes.iter().any(|c| *c == Value::from(code));
    let mut http = GraphQLResponse::from(response).into_response();
    if has(codes::MUTATION_OVER_GET) {
        *http.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        http.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    if has(ErrorCode::InvalidToken.as_str()) {
        http.headers_mut()
            .insert(header::WWW_AUTHENTICATE, BEARER_CHALLENGE);
    }
    if let Some(seconds) = retry_after {
        http.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    http
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
fn request_error(error: &AppError, code: &str) -> Response {
    let body = ErrorsBody {
        errors: [ErrorEntry {
            message: error.message(),
            extensions: CodeOnly { code },
        }],
    };
    (status_of(error.code()), axum::Json(body)).into_response()
}
