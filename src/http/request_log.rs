//! One log line per request, and the request id that ties it to the client:
//! `x-request-id` is kept from the request when given, made up otherwise, and
//! always sent back. When the response carries errors with a detail (what
//! went wrong inside: a failed query, a timeout), the detail is written on
//! this same line, so it is logged once and with the request's id.
//!
//! This is one middleware, with no tracing span, rather than tower-http's
//! trace and request-id layers: a span per request (a registry slot, its
//! fields formatted into a string, an enter and exit on every poll) and two
//! more layers cost ~8% of a REST GET's CPU in the profile.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use uuid::Uuid;

use super::errors::ErrorDetails;

/// The header carrying the request id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request's id, for handlers that log it (the auth log).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Serves the request, sends its id back, and logs method, route template
/// (never the path: keys are user data), status, latency, id, and the
/// detail of any error: at `error` level for a 500, `warn` for another 5xx.
pub async fn log_request(mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .cloned()
        .unwrap_or_else(new_request_id);
    let id = request_id.to_str().unwrap_or("-").to_owned();
    request.extensions_mut().insert(RequestId(id));
    let mut response = next.run(request).await;
    let status = response.status();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    // Quoted and escaped: the client may choose it.
    let id = request_id.to_str().unwrap_or("-");
    match response.extensions_mut().remove::<ErrorDetails>() {
        None => tracing::info!(
            method = %method, route, status = status.as_u16(), latency_us, request_id = id,
            "request"
        ),
        Some(ErrorDetails(error)) if status.as_u16() == 500 => tracing::error!(
            method = %method, route, status = status.as_u16(), latency_us, request_id = id,
            error, "request"
        ),
        Some(ErrorDetails(error)) => tracing::warn!(
            method = %method, route, status = status.as_u16(), latency_us, request_id = id,
            error, "request"
        ),
    }
    response.headers_mut().insert(REQUEST_ID, request_id);
    response
}

/// A random (v4) UUID, drawn from a user-space generator (uuid's `fast-rng`).
fn new_request_id() -> HeaderValue {
    let mut text = [0; uuid::fmt::Hyphenated::LENGTH];
    let text = Uuid::new_v4().hyphenated().encode_lower(&mut text);
    HeaderValue::from_str(text).expect("a UUID is a valid header value")
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex, PoisonError};

    use axum::body::Body;
    use axum::routing::get;
    use axum::{Router, middleware};
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    use tracing_subscriber::fmt::MakeWriter;

    use super::*;
    use crate::error::AppError;

    /// Log output kept in memory.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            kept.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Self;

        fn make_writer(&'a self) -> Self {
            self.clone()
        }
    }

    #[tokio::test]
    async fn an_errors_detail_is_logged_once_on_its_request_line_and_never_sent() {
        let logs = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(logs.clone())
            .with_ansi(false)
            .finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let app = Router::new()
            .route(
                "/boom",
                get(|| async { AppError::internal("the disk is on fire") }),
            )
            .layer(middleware::from_fn(log_request));
        let request = Request::get("/boom")
            .header(REQUEST_ID, "req-42")
            .body(Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 500);
        assert!(response.extensions().get::<ErrorDetails>().is_none());
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(!String::from_utf8_lossy(&body).contains("disk"), "{body:?}");

        let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = logs.lines().collect();
        assert_eq!(lines.len(), 1, "{logs}");
        for part in ["ERROR", "status=500", "req-42", "the disk is on fire"] {
            assert!(lines[0].contains(part), "{part} missing from {logs}");
        }
    }
}
