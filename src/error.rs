//! The one error type of the service.
//!
//! Layering, after crates.io: `db` functions return diesel's `QueryResult`; the
//! service turns those into [`AppResult`] and adds the contract's codes; each
//! transport renders an [`AppError`] in exactly one place (`rest::error` for
//! REST). Internal detail is logged where the error is created and never sent:
//! a client only ever sees the code and a human message.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use diesel::result::Error as DieselError;

use crate::request_log::current_request_id;

/// Result type of the service layer.
pub type AppResult<T> = Result<T, AppError>;

/// The error codes of the API contract (section 3), plus those only the
/// HTTP layer raises (`NOT_FOUND`, `METHOD_NOT_ALLOWED`, `REQUEST_TIMEOUT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidUsername,
    InvalidEmail,
    InvalidPassword,
    InvalidAge,
    GenderRequired,
    MissingFields,
    InvalidKey,
    InvalidValue,
    InvalidCredentials,
    InvalidToken,
    KeyNotFound,
    NotFound,
    MethodNotAllowed,
    UsernameExists,
    EmailExists,
    KeyExists,
    PayloadTooLarge,
    RequestTimeout,
    RateLimited,
    InternalServerError,
    ServiceUnavailable,
}

impl ErrorCode {
    /// The code exactly as clients see it on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::InvalidUsername => "INVALID_USERNAME",
            Self::InvalidEmail => "INVALID_EMAIL",
            Self::InvalidPassword => "INVALID_PASSWORD",
            Self::InvalidAge => "INVALID_AGE",
            Self::GenderRequired => "GENDER_REQUIRED",
            Self::MissingFields => "MISSING_FIELDS",
            Self::InvalidKey => "INVALID_KEY",
            Self::InvalidValue => "INVALID_VALUE",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::KeyNotFound => "KEY_NOT_FOUND",
            Self::NotFound => "NOT_FOUND",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::UsernameExists => "USERNAME_EXISTS",
            Self::EmailExists => "EMAIL_EXISTS",
            Self::KeyExists => "KEY_EXISTS",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::RequestTimeout => "REQUEST_TIMEOUT",
            Self::RateLimited => "RATE_LIMITED",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure a client is told about: a contract code and a human message.
#[derive(Debug, Clone)]
pub struct AppError {
    code: ErrorCode,
    message: Cow<'static, str>,
    retry_after: Option<Duration>,
}

impl AppError {
    /// An error with a message written for the client.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The bearer token is missing, malformed, expired, forged, or its account is gone.
    pub fn invalid_token() -> Self {
        Self::new(
            ErrorCode::InvalidToken,
            "The access token is missing, invalid or expired.",
        )
    }

    /// No entry with this key belongs to the caller (also what another account's key looks like).
    pub fn key_not_found() -> Self {
        Self::new(ErrorCode::KeyNotFound, "No data found for this key.")
    }

    /// Too many attempts; the client may retry after `retry_after`.
    pub fn rate_limited(retry_after: Duration) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                ErrorCode::RateLimited,
                "Too many token requests. Try again later.",
            )
        }
    }

    /// A bug or an unexpected failure: the detail is logged, the client gets a generic message.
    pub fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(error = %detail, request_id = %current_request_id(), "internal error");
        Self::new(
            ErrorCode::InternalServerError,
            "An internal error occurred.",
        )
    }

    /// The database cannot be reached or did not answer in time: the
    /// detail is logged, the client is told to retry (in a second: the
    /// request failed fast, and the pool heals as soon as the database answers).
    pub fn unavailable(detail: impl fmt::Display) -> Self {
        tracing::warn!(error = %detail, request_id = %current_request_id(), "database unavailable");
        Self {
            retry_after: Some(Duration::from_secs(1)),
            ..Self::new(
                ErrorCode::ServiceUnavailable,
                "The service is temporarily unavailable. Please retry shortly.",
            )
        }
    }

    /// The server is over a bounded queue: the detail is logged, the client
    /// is told to retry.
    pub fn overloaded(detail: impl fmt::Display) -> Self {
        tracing::warn!(error = %detail, request_id = %current_request_id(), "overloaded");
        Self {
            retry_after: Some(Duration::from_secs(1)),
            ..Self::new(
                ErrorCode::ServiceUnavailable,
                "The service is busy. Please retry shortly.",
            )
        }
    }

    /// The contract code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human-readable message (safe to send to the client).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How long a rate-limited client, or one refused while the database is
    /// unavailable, should wait.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AppError {}

/// Database errors that no rule anticipated: a lost connection means the
/// database is unavailable; everything else is a bug.
impl From<DieselError> for AppError {
    fn from(err: DieselError) -> Self {
        if crate::db::is_connection_failure(&err) {
            Self::unavailable(err)
        } else {
            Self::internal(err)
        }
    }
}

/// Failing to get a pooled connection (timeout, refused, unreachable) is always a 503.
impl From<crate::db::PoolError> for AppError {
    fn from(err: crate::db::PoolError) -> Self {
        Self::unavailable(err)
    }
}
