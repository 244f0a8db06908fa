//! How an [`AppError`] looks over HTTP: the contract's status for its code and
//! `{"status":"error","code","message"}`. The only place statuses are chosen.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::{AppError, ErrorCode};

/// The `WWW-Authenticate` challenge sent with every `INVALID_TOKEN` (RFC 6750).
pub const BEARER_CHALLENGE: HeaderValue =
    HeaderValue::from_static("Bearer realm=\"datakeep\", error=\"invalid_token\"");

/// The HTTP status of each contract code (contract section 3).
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        InvalidRequest | InvalidUsername | InvalidEmail | InvalidPassword | InvalidAge
        | GenderRequired | MissingFields | InvalidKey | InvalidValue => StatusCode::BAD_REQUEST,
        InvalidCredentials | InvalidToken => StatusCode::UNAUTHORIZED,
        KeyNotFound | NotFound => StatusCode::NOT_FOUND,
        MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        UsernameExists | EmailExists | KeyExists => StatusCode::CONFLICT,
        PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        RateLimited => StatusCode::TOO_MANY_REQUESTS,
        InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    status: &'static str,
    code: &'static str,
    message: &'a str,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            status: "error",
            code: self.code().as_str(),
            message: self.message(),
        };
        let mut response = (status_of(self.code()), Json(body)).into_response();
        let headers = response.headers_mut();
        if self.code() == ErrorCode::InvalidToken {
            headers.insert(header::WWW_AUTHENTICATE, BEARER_CHALLENGE);
        }
        if let Some(wait) = self.retry_after() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
        }
        response
    }
}
