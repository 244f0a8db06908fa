//! The success envelope of the Express system:
//! `{"status":"success","message"?,"data"?}`, serialized straight from typed
//! structs (no intermediate JSON tree).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Serialize)]
struct Envelope<T> {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
}

/// A success answer with a message and no data.
pub fn message(status: StatusCode, message: &'static str) -> Response {
    reply::<()>(status, Some(message), None)
}

/// A success answer with data and an optional message.
pub fn data<T: Serialize>(status: StatusCode, message: Option<&'static str>, data: T) -> Response {
    reply(status, message, Some(data))
}

fn reply<T: Serialize>(
    status: StatusCode,
    message: Option<&'static str>,
    data: Option<T>,
) -> Response {
    let body = Envelope {
        status: "success",
        message,
        data,
    };
    (status, Json(body)).into_response()
}
