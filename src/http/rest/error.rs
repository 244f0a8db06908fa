//! How an [`AppError`] looks over REST: the contract's status for its code
//! (`http/errors.rs`) and `{"status":"error","code","message"}`.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::AppError;
use crate::http::errors;

#[derive(Serialize)]
struct ErrorBody<'a> {
    status: &'static str,
    code: &'static str,
    message: &'a str,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            status: "error",
            code: self.code().as_str(),
            message: self.message(),
        };
        let mut response = (errors::status_of(self.code()), Json(body)).into_response();
        errors::apply(&mut response, [&self]);
        response
    }
}
