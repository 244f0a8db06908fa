//! How errors look in GraphQL: every error carries `extensions.code`.
//! Service errors carry the contract's codes; the failures async-graphql
//! raises itself (parse, validation, limits) get codes here, since it gives
//! them none; anything left without a code is treated as a bad input.

use async_graphql::{ErrorExtensions, Response, ServerError};

use crate::error::AppError;

/// Codes of failures that happen before any resolver runs.
pub mod codes {
    /// The document is not valid GraphQL syntax.
    pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    /// The document does not fit the schema (unknown field, wrong argument type, …).
    pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    /// The document nests deeper than the depth limit.
    pub const DEPTH_LIMIT: &str = "GRAPHQL_DEPTH_LIMIT_EXCEEDED";
    /// The document's cost is over the complexity limit.
    pub const COMPLEXITY_LIMIT: &str = "GRAPHQL_COMPLEXITY_LIMIT_EXCEEDED";
    /// The document uses more aliases than allowed.
    pub const ALIAS_LIMIT: &str = "GRAPHQL_ALIAS_LIMIT_EXCEEDED";
    /// A batch holds more operations than allowed.
    pub const BATCH_LIMIT: &str = "GRAPHQL_BATCH_LIMIT_EXCEEDED";
    /// A mutation was sent with `GET`.
    pub const MUTATION_OVER_GET: &str = "METHOD_NOT_ALLOWED";
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.message()).extend_with(|_, extensions| {
            extensions.set("code", self.code().as_str());
            if let Some(wait) = self.retry_after() {
                extensions.set("retryAfter", wait.as_secs());
            }
        })
    }
}

/// Builds a coded error for failures outside the resolvers.
pub fn coded_error(message: impl Into<String>, code: &'static str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

fn set_code_if_missing(error: &mut ServerError, code: &'static str) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code);
    }
}

/// Codes a parse failure.
pub fn code_parse_error(error: &mut ServerError) {
    set_code_if_missing(error, codes::PARSE_FAILED);
}

/// Codes every error still without one after execution. Service errors
/// carry theirs; what is left are async-graphql's own failures: its depth
/// and complexity limits, which it reports with fixed messages, and
/// validation or argument and variable coercion failures, which are the
/// caller's input, not a server fault.
pub fn code_uncoded_errors(response: &mut Response) {
    for error in &mut response.errors {
        let message = error.message.as_str();
        let code = if message == "Query is nested too deep."
            || message.starts_with("The recursion depth of the query cannot be greater than")
        {
            codes::DEPTH_LIMIT
        } else if message == "Query is too complex." {
            codes::COMPLEXITY_LIMIT
        } else {
            codes::VALIDATION_FAILED
        };
        set_code_if_missing(error, code);
    }
}
