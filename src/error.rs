//! The one error type of the service.
//!
//! Layering, after crates.io: `db` functions return diesel's `QueryResult`;
//! the service turns those into [`AppResult`] (`service/db_errors.rs`) and
//! adds the contract's codes; each transport renders an [`AppError`] in one
//! place (`http/rest/error.rs`, `http/graphql.rs`), with the headers of
//! `http/errors.rs`. An error's detail (what went wrong inside) is
//! never rendered: the request log writes it once, on the request's line,
//! with the request's id, so errors raised in background tasks are logged
//! with the request that met them.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// Result type of the service layer.
pub type AppResult<T> = Result<T, AppError>;

/// The error codes of the API contract (section 3), the GraphQL-level codes
/// of failures before a document runs (section 5), and those only the HTTP
/// layer raises (`NOT_FOUND`, `METHOD_NOT_ALLOWED`, `REQUEST_TIMEOUT`).
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
    /// A password given to confirm an account change was wrong: the code
    /// is `INVALID_CREDENTIALS`, but with 403, since the token is fine.
    WrongPassword,
    InvalidToken,
    KeyNotFound,
    SessionNotFound,
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
    /// The document is not valid GraphQL syntax.
    GraphqlParseFailed,
    /// The document does not fit the schema (unknown field, wrong argument type, …).
    GraphqlValidationFailed,
    /// The document nests deeper than the depth limit.
    GraphqlDepthLimitExceeded,
    /// The document's cost is over the complexity limit.
    GraphqlComplexityLimitExceeded,
    /// The document uses more aliases than allowed.
    GraphqlAliasLimitExceeded,
    /// A batch holds more operations than allowed.
    GraphqlBatchLimitExceeded,
    /// An automatic persisted query's hash the server does not know (yet):
    /// the client sends it again with its text.
    PersistedQueryNotFound,
    /// An automatic persisted query's hash is not the SHA-256 of its text.
    PersistedQueryHashMismatch,
    /// The client's `Accept` allows no media type the endpoint answers in.
    NotAcceptable,
    /// A version precondition failed (`expectedVersion`, `If-Match`);
    /// nothing was written.
    VersionMismatch,
    /// `ttlSeconds` / `ttl_seconds` is not an integer in 1..=31,536,000.
    InvalidTtl,
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
            Self::InvalidCredentials | Self::WrongPassword => "INVALID_CREDENTIALS",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::KeyNotFound => "KEY_NOT_FOUND",
            Self::SessionNotFound => "SESSION_NOT_FOUND",
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
            Self::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            Self::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Self::GraphqlDepthLimitExceeded => "GRAPHQL_DEPTH_LIMIT_EXCEEDED",
            Self::GraphqlComplexityLimitExceeded => "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED",
            Self::GraphqlAliasLimitExceeded => "GRAPHQL_ALIAS_LIMIT_EXCEEDED",
            Self::GraphqlBatchLimitExceeded => "GRAPHQL_BATCH_LIMIT_EXCEEDED",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::PersistedQueryHashMismatch => "PERSISTED_QUERY_HASH_MISMATCH",
            Self::NotAcceptable => "NOT_ACCEPTABLE",
            Self::VersionMismatch => "VERSION_MISMATCH",
            Self::InvalidTtl => "INVALID_TTL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure a client is told about: a contract code and a human message,
/// and, for failures inside the server, a detail that only the log sees.
#[derive(Debug, Clone)]
pub struct AppError {
    code: ErrorCode,
    message: Cow<'static, str>,
    /// What went wrong inside; logged on the request's line, never sent.
    detail: Option<String>,
    retry_after: Option<Duration>,
    /// The entry key the error is about, where one of several could be
    /// (`atomicWrite`'s failed check); GraphQL sends it as `extensions.key`.
    key: Option<String>,
}

impl AppError {
    /// An error with a message written for the client.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            detail: None,
            retry_after: None,
            key: None,
        }
    }

    /// The same error, naming the entry key it is about.
    pub fn about_key(mut self, key: &str) -> Self {
        self.key = Some(key.to_owned());
        self
    }

    /// The entry key the error is about, if it names one.
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
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

    /// The entry is at another version than the one the write expected
    /// (`None`: it does not exist, where an upsert expected it to).
    pub fn version_mismatch(actual: Option<i64>) -> Self {
        let message = match actual {
            Some(version) => format!(
                "The entry is at version {version}, not the expected one; nothing was written."
            ),
            None => "The entry does not exist, unlike expected; nothing was written.".to_owned(),
        };
        Self::new(ErrorCode::VersionMismatch, message)
    }

    /// Too many attempts (of `what`, e.g. "token requests"); the client may
    /// retry after `retry_after`.
    pub fn rate_limited(what: &str, retry_after: Duration) -> Self {
        Self::new(
            ErrorCode::RateLimited,
            format!("Too many {what}. Try again later."),
        )
        .with_retry_after(retry_after)
    }

    /// A bug or an unexpected failure: the client gets a generic message,
    /// the log gets `detail`.
    pub fn internal(detail: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::InternalServerError,
            "An internal error occurred.",
        )
        .with_detail(detail)
    }

    /// The database cannot be reached or did not answer in time: the
    /// client is told to retry (in a second: the request failed fast, and
    /// the pool heals as soon as the database answers), the log gets `detail`.
    pub fn unavailable(detail: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::ServiceUnavailable,
            "The service is temporarily unavailable. Please retry shortly.",
        )
        .with_retry_after(Duration::from_secs(1))
        .with_detail(detail)
    }

    /// The server is over a bounded queue: the client is told to retry,
    /// the log gets `detail`.
    pub fn overloaded(detail: impl fmt::Display) -> Self {
        Self::new(
            ErrorCode::ServiceUnavailable,
            "The service is busy. Please retry shortly.",
        )
        .with_retry_after(Duration::from_secs(1))
        .with_detail(detail)
    }

    /// Adds what went wrong inside, for the log.
    pub fn with_detail(mut self, detail: impl fmt::Display) -> Self {
        self.detail = Some(detail.to_string());
        self
    }

    fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// The contract code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human-readable message (safe to send to the client).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// What went wrong inside, for the request's log line only: never
    /// rendered to a client.
    pub fn detail_for_log(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// How long a rate-limited client, or one refused while the service is
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
