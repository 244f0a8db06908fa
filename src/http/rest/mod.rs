//! The REST compatibility layer: the routes of the Node/Express system, byte
//! for byte, as thin handlers over the service.

mod accounts;
mod entries;
mod envelope;
mod error;
mod extract;
mod health;

use axum::Router;
use axum::routing::{get, post};

use super::AppState;
use crate::error::{AppError, ErrorCode};

/// The REST routes, the service endpoints, and JSON answers for unknown routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/register", post(accounts::register))
        .route("/api/token", post(accounts::token))
        .route("/api/data", post(entries::create))
        .route(
            "/api/data/{key}",
            get(entries::read)
                .put(entries::update)
                .delete(entries::delete),
        )
        .route("/healthz", get(health::live))
        .route("/readyz", get(health::ready))
}

/// Unknown routes answer in the JSON envelope, never with an empty body.
pub async fn not_found() -> AppError {
    AppError::new(ErrorCode::NotFound, "No such route.")
}

/// A known route called with a method it does not serve.
pub async fn method_not_allowed() -> AppError {
    AppError::new(
        ErrorCode::MethodNotAllowed,
        "This method is not allowed on this route.",
    )
}
