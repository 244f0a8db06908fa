//! What an [`AppError`] does to any HTTP response that carries it, on
//! either transport: the contract's status, the headers (`WWW-Authenticate`
//! with `INVALID_TOKEN`, `Retry-After` when the client should wait), and
//! its detail, handed to the request log (never to the client).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::error::{AppError, ErrorCode};

/// The `WWW-Authenticate` challenge sent with every `INVALID_TOKEN` (RFC 6750).
const BEARER_CHALLENGE: HeaderValue =
    HeaderValue::from_static("Bearer realm=\"datakeep\", error=\"invalid_token\"");

/// The HTTP status of each code (contract section 3).
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        InvalidRequest | InvalidUsername | InvalidEmail | InvalidPassword | InvalidAge
        | GenderRequired | MissingFields | InvalidKey | InvalidValue | InvalidTtl => {
            StatusCode::BAD_REQUEST
        }
        GraphqlParseFailed
        | GraphqlValidationFailed
        | GraphqlDepthLimitExceeded
        | GraphqlComplexityLimitExceeded
        | GraphqlAliasLimitExceeded
        | GraphqlBatchLimitExceeded
        | PersistedQueryHashMismatch => StatusCode::BAD_REQUEST,
        // Apollo's protocol: the client reads the code and retries with the text.
        PersistedQueryNotFound => StatusCode::OK,
        NotAcceptable => StatusCode::NOT_ACCEPTABLE,
        VersionMismatch => StatusCode::PRECONDITION_FAILED,
        InvalidCredentials | InvalidToken => StatusCode::UNAUTHORIZED,
        WrongPassword => StatusCode::FORBIDDEN,
        KeyNotFound | SessionNotFound | NotFound => StatusCode::NOT_FOUND,
        MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        UsernameExists | EmailExists | KeyExists => StatusCode::CONFLICT,
        PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        RateLimited => StatusCode::TOO_MANY_REQUESTS,
        InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The details of the errors a response carries, for its log line.
#[derive(Debug, Clone)]
pub struct ErrorDetails(pub String);

/// Adds to `response` what `errors` call for: the challenge when a token
/// was refused, the longest `Retry-After`, and their details for the log.
pub fn apply<'a>(response: &mut Response, errors: impl IntoIterator<Item = &'a AppError>) {
    let mut details = Vec::new();
    let mut retry_after = None;
    for error in errors {
        if error.code() == ErrorCode::InvalidToken {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, BEARER_CHALLENGE);
        }
        retry_after = retry_after.max(error.retry_after());
        details.extend(error.detail_for_log());
    }
    if let Some(wait) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs()));
    }
    if !details.is_empty() {
        response
            .extensions_mut()
            .insert(ErrorDetails(details.join("; ")));
    }
}
