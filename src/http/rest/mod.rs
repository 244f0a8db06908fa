//! The REST compatibility layer: the routes of the Node/Express system, byte
//! for byte, as thin handlers over the service.

mod accounts;
mod entries;
mod envelope;
mod error;
mod extract;
mod health;
mod sessions;

use axum::Router;
use axum::routing::{delete, get, post};

use super::AppState;
use crate::error::{AppError, ErrorCode};

/// The REST routes, the service endpoints, and JSON answers for unknown routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/register", post(accounts::register))
        .route("/api/token", post(sessions::token))
        .route("/api/token/refresh", post(sessions::refresh))
        .route("/api/logout", post(sessions::logout))
        .route("/api/logout/all", post(sessions::logout_all))
        .route(
            "/api/me",
            get(accounts::me)
                .patch(accounts::update_me)
                .delete(accounts::delete_me),
        )
        .route("/api/me/password", post(accounts::change_password))
        .route("/api/sessions", get(sessions::list))
        .route("/api/sessions/{id}", delete(sessions::end))
        .route("/api/data", get(entries::list).post(entries::create))
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
