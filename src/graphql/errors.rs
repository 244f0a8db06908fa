//! How errors look in GraphQL: every error carries `extensions.code`, and
//! keeps the [`AppError`] it came from as its source, so the transport reads
//! codes, headers and log details from the error itself, never from text.
//! Service errors carry their code; failures before any resolver runs
//! (parse, limits) are coded where they are raised; what async-graphql's
//! validation and coercion leave uncoded is the caller's input, coded
//! `GRAPHQL_VALIDATION_FAILED`.

use std::sync::Arc;

use async_graphql::{ErrorExtensionValues, ErrorExtensions, Pos, Response, ServerError};

use crate::error::{AppError, ErrorCode};

/// The extensions every error carries: its code, and `retryAfter` when the
/// client should wait.
fn extensions_of(error: &AppError) -> ErrorExtensionValues {
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", error.code().as_str());
    if let Some(wait) = error.retry_after() {
        extensions.set("retryAfter", wait.as_secs());
    }
    if let Some(key) = error.key() {
        extensions.set("key", key);
    }
    extensions
}

impl ErrorExtensions for AppError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error {
            message: self.message().to_owned(),
            source: Some(Arc::new(self.clone())),
            extensions: Some(extensions_of(self)),
        }
    }
}

/// A failure outside the resolvers, at `positions` of the document.
pub fn server_error(error: AppError, positions: Vec<Pos>) -> ServerError {
    ServerError {
        message: error.message().to_owned(),
        locations: positions,
        path: Vec::new(),
        extensions: Some(extensions_of(&error)),
        source: Some(Arc::new(error)),
    }
}

/// Gives every error still without an [`AppError`] one: what async-graphql
/// reports itself (validation, argument and variable coercion) is a fault
/// of the caller's input.
pub fn code_uncoded_errors(response: &mut Response) {
    for error in &mut response.errors {
        if error.source::<AppError>().is_none() {
            let coded = AppError::new(ErrorCode::GraphqlValidationFailed, error.message.clone());
            *error = server_error(coded, std::mem::take(&mut error.locations));
        }
    }
}
