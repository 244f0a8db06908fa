//! Liveness and readiness probes.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::envelope;
use crate::error::AppError;
use crate::service::Service;

/// `GET /healthz`: 200 while the process serves.
pub async fn live() -> Response {
    envelope::message(StatusCode::OK, "ok")
}

/// `GET /readyz`: 200 when the database answers, 503 otherwise.
pub async fn ready(State(service): State<Arc<Service>>) -> Result<Response, AppError> {
    if service.is_ready().await {
        Ok(envelope::message(StatusCode::OK, "ready"))
    } else {
        Err(AppError::unavailable(
            "readiness check: database did not answer",
        ))
    }
}
