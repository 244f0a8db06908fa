//! `/api/data` and `/api/data/{key}`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::{Map, Value};

use super::envelope;
use super::extract::{AuthUser, EntryKey, JsonObject};
use crate::error::{AppError, ErrorCode};
use crate::service::Service;

#[derive(Serialize)]
struct KeyValue {
    key: String,
    value: String,
}

/// `POST /api/data` with `{"key","value"}`.
pub async fn create(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    JsonObject(mut body): JsonObject,
) -> Result<Response, AppError> {
    let key = string_field(&mut body, "key", ErrorCode::InvalidKey)?;
    let value = string_field(&mut body, "value", ErrorCode::InvalidValue)?;
    service.create_entry(caller.user, &key, &value).await?;
    Ok(envelope::message(
        StatusCode::CREATED,
        "Data stored successfully.",
    ))
}

/// `GET /api/data/{key}`.
pub async fn read(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    EntryKey(key): EntryKey,
) -> Result<Response, AppError> {
    let value = service.read_entry_value(caller.user, &key).await?;
    Ok(envelope::data(
        StatusCode::OK,
        None,
        KeyValue { key, value },
    ))
}

/// `PUT /api/data/{key}` with `{"value"}`.
pub async fn update(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    EntryKey(key): EntryKey,
    JsonObject(mut body): JsonObject,
) -> Result<Response, AppError> {
    let value = string_field(&mut body, "value", ErrorCode::InvalidValue)?;
    service.update_entry(caller.user, &key, &value).await?;
    Ok(envelope::message(
        StatusCode::OK,
        "Data updated successfully.",
    ))
}

/// `DELETE /api/data/{key}`.
pub async fn delete(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    EntryKey(key): EntryKey,
) -> Result<Response, AppError> {
    service.delete_entry(caller.user, &key).await?;
    Ok(envelope::message(
        StatusCode::OK,
        "Data deleted successfully.",
    ))
}

/// A field that must be a JSON string; anything else is `code`.
fn string_field(
    body: &mut Map<String, Value>,
    field: &str,
    code: ErrorCode,
) -> Result<String, AppError> {
    match body.remove(field) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(AppError::new(
            code,
            format!("'{field}' is required and must be a string."),
        )),
    }
}
