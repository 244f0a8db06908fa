//! How `/graphql` answers, in the media type the client negotiated
//! (GraphQL over HTTP): with `application/graphql-response+json`, a request
//! that fails before it executes gets its error's status (400 for parse,
//! validation, coercion and limits) and no `data`; with `application/json`,
//! every GraphQL result is 200, as older clients expect.

use async_graphql::{BatchResponse, ServerError, Value};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::negotiation::ResponseFormat;
use crate::error::{AppError, ErrorCode};
use crate::http::errors;

/// One response as the client sees it. `data` is left out, not null, when
/// the request never executed and the media type says so.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, Value>,
}

/// True when the request failed before any resolver ran: nothing was
/// produced, and no error belongs to a field (resolver errors carry a path).
fn failed_before_execution(response: &async_graphql::Response) -> bool {
    response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
}

/// The status of a response that failed before it executed, under
/// `graphql-response+json`: its first error's (400 for parse, validation
/// and limits; 200 for `PERSISTED_QUERY_NOT_FOUND`, as the contract and
/// Apollo's protocol have it). `None` for everything else: 200.
fn status_before_execution(
    response: &async_graphql::Response,
    format: ResponseFormat,
) -> Option<StatusCode> {
    if format != ResponseFormat::GraphqlResponseJson || !failed_before_execution(response) {
        return None;
    }
    let first = response.errors.first()?.source::<AppError>()?;
    Some(errors::status_of(first.code()))
}

/// The body of one response. `data` is left out only when the status says
/// the request failed (GraphQL over HTTP: a 2xx answer carries `data`).
fn body_of(response: &async_graphql::Response, format: ResponseFormat) -> Body<'_> {
    let failed = status_before_execution(response, format).is_some_and(|s| !s.is_success());
    Body {
        data: (!failed).then_some(&response.data),
        errors: &response.errors,
        extensions: &response.extensions,
    }
}

/// The HTTP response for what the schema answered. A mutation over GET is
/// 405 in either media type. Each error's [`AppError`] adds its headers
/// (`WWW-Authenticate` for `INVALID_TOKEN`, `Retry-After`) and log detail.
pub fn render(response: &BatchResponse, format: ResponseFormat) -> Response {
    let failures: Vec<AppError> = match response {
        BatchResponse::Single(r) => sources(&r.errors),
        BatchResponse::Batch(rs) => rs.iter().flat_map(|r| sources(&r.errors)).collect(),
    };
    let (json, status) = match response {
        BatchResponse::Single(r) => (
            serde_json::to_vec(&body_of(r, format)),
            status_before_execution(r, format).unwrap_or(StatusCode::OK),
        ),
        // Batching is outside the spec: every result rides in one 200.
        BatchResponse::Batch(rs) => (
            serde_json::to_vec(&rs.iter().map(|r| body_of(r, format)).collect::<Vec<_>>()),
            StatusCode::OK,
        ),
    };
    let Ok(json) = json else {
        return AppError::internal("a GraphQL response could not be serialised").into_response();
    };
    let mut http = (
        status,
        [(header::CONTENT_TYPE, format.content_type())],
        json,
    )
        .into_response();
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
fn sources(errors: &[ServerError]) -> Vec<AppError> {
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

/// A request that never reached the schema (a bad body, a batch or text
/// over its limit, an unacceptable `Accept`), in GraphQL's error shape with
/// the contract's HTTP status, in the negotiated media type: Apollo Client
/// reads the body of a non-2xx answer only as `graphql-response+json`.
pub fn request_error(error: &AppError, format: ResponseFormat) -> Response {
    let body = ErrorsBody {
        errors: [ErrorEntry {
            message: error.message(),
            extensions: CodeOnly {
                code: error.code().as_str(),
            },
        }],
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    let mut response = (
        errors::status_of(error.code()),
        [(header::CONTENT_TYPE, format.content_type())],
        json,
    )
        .into_response();
    errors::apply(&mut response, [error]);
    response
}
