//! Request bodies, read in full before a handler decodes them: refused at
//! once with 413 when their declared length is over the limit (rather than
//! waiting for bytes that will be refused anyway), cut off at the limit when
//! no length was declared, and given up on with 408 when they have not
//! arrived within the body timeout of the request's head.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::error::{AppError, ErrorCode};

/// How much of a body is read, and for how long. Put on every request by
/// the server (`server.rs`).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Largest body accepted, in bytes.
    pub max_bytes: usize,
    /// How long after its head the whole body may take to arrive.
    pub timeout: Duration,
}

/// A request body, read in full within the [`BodyLimits`].
pub struct BufferedBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for BufferedBody {
    type Rejection = AppError;

    async fn from_request(request: Request, _: &S) -> Result<Self, AppError> {
        let Some(&limits) = request.extensions().get::<BodyLimits>() else {
            return Err(AppError::internal("a request arrived without body limits"));
        };
        if declared_length(request.headers()).is_some_and(|length| length > limits.max_bytes as u64)
        {
            return Err(too_large());
        }
        let body = Limited::new(request.into_body(), limits.max_bytes);
        match tokio::time::timeout(limits.timeout, body.collect()).await {
            Ok(Ok(collected)) => Ok(Self(collected.to_bytes())),
            Ok(Err(err)) if err.is::<LengthLimitError>() => Err(too_large()),
            Ok(Err(_)) => Err(AppError::new(
                ErrorCode::InvalidRequest,
                "The request body could not be read.",
            )),
            Err(_) => Err(AppError::new(
                ErrorCode::RequestTimeout,
                format!(
                    "The request body did not arrive within {} seconds.",
                    limits.timeout.as_secs()
                ),
            )),
        }
    }
}

/// The `Content-Length` the client declared, if any.
fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

fn too_large() -> AppError {
    AppError::new(ErrorCode::PayloadTooLarge, "The request body is too large.")
}

/// The media type of the request, lower-cased, without parameters
/// (`application/json; charset=utf-8` is `application/json`).
pub fn content_type_essence(headers: &HeaderMap) -> Option<String> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = content_type.split(';').next().unwrap_or_default();
    Some(essence.trim().to_ascii_lowercase())
}
