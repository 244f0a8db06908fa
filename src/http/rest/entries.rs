//! `/api/data` and `/api/data/{key}`.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::envelope;
use super::extract::{AuthUser, EntryKey, IfMatch, JsonObject, optional_ttl};
use crate::error::{AppError, ErrorCode};
use crate::service::{PageRequest, Service, VersionedValue};

#[derive(Serialize)]
struct KeyValue {
    key: String,
    value: String,
    version: i64,
}

/// `POST /api/data` with `{"key","value"}` and optionally `"ttl_seconds"`.
pub async fn create(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    JsonObject(mut body): JsonObject,
) -> Result<Response, AppError> {
    let key = string_field(&mut body, "key", ErrorCode::InvalidKey)?;
    let value = string_field(&mut body, "value", ErrorCode::InvalidValue)?;
    let ttl_secs = optional_ttl(&mut body)?;
    service
        .create_entry(caller.user, &key, &value, ttl_secs)
        .await?;
    Ok(envelope::message(
        StatusCode::CREATED,
        "Data stored successfully.",
    ))
}

/// `GET /api/data?prefix=&limit=&cursor=`: the query string.
#[derive(Deserialize)]
pub struct ListParams {
    prefix: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

#[derive(Serialize)]
struct ListedEntry {
    key: String,
    value: String,
    version: i64,
    /// Null: the entry does not expire.
    expires_at: Option<DateTime<Utc>>,
}

#[derive(Serialize)]
struct Listing {
    entries: Vec<ListedEntry>,
    next_cursor: Option<String>,
}

/// `GET /api/data?prefix=&limit=&cursor=` (contract section 8): a page of
/// the caller's entries in byte order of their keys, as GraphQL `entries`
/// lists them, with the cursor of the next page (null after the last).
pub async fn list(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(params) = params.map_err(|rejection| {
        AppError::new(
            ErrorCode::InvalidRequest,
            format!("Invalid query string: {}", rejection.body_text()),
        )
    })?;
    let size = params
        .limit
        .as_deref()
        .map(|limit| {
            limit.parse::<i64>().map_err(|_| {
                AppError::new(
                    ErrorCode::InvalidRequest,
                    "limit must be between 1 and 100.",
                )
            })
        })
        .transpose()?;
    let request = PageRequest {
        prefix: params.prefix.as_deref(),
        size,
        cursor: params.cursor.as_deref(),
        names: ("limit", "cursor"),
    };
    let page = service.list_entries(caller.user, request).await?;
    let next_cursor = page.next_cursor();
    let entries = page
        .entries
        .into_iter()
        .map(|entry| ListedEntry {
            key: entry.key,
            value: entry.value,
            version: entry.version,
            expires_at: entry.expires_at,
        })
        .collect();
    Ok(envelope::data(
        StatusCode::OK,
        None,
        Listing {
            entries,
            next_cursor,
        },
    ))
}

/// `GET /api/data/{key}`.
pub async fn read(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    EntryKey(key): EntryKey,
) -> Result<Response, AppError> {
    let VersionedValue { value, version } = service.read_entry_value(caller.user, &key).await?;
    let mut response = envelope::data(
        StatusCode::OK,
        None,
        KeyValue {
            key,
            value,
            version,
        },
    );
    // The version is the entity tag: `If-Match` on PUT and DELETE takes it back.
    if let Ok(tag) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, tag);
    }
    Ok(response)
}

/// `PUT /api/data/{key}` with `{"value"}` and optionally `"ttl_seconds"`
/// (without it the entry no longer expires), honouring `If-Match`.
pub async fn update(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    EntryKey(key): EntryKey,
    IfMatch(precondition): IfMatch,
    JsonObject(mut body): JsonObject,
) -> Result<Response, AppError> {
    let value = string_field(&mut body, "value", ErrorCode::InvalidValue)?;
    let ttl_secs = optional_ttl(&mut body)?;
    service
        .update_entry(caller.user, &key, &value, precondition, ttl_secs)
        .await?;
    Ok(envelope::message(
        StatusCode::OK,
        "Data updated successfully.",
    ))
}

/// `DELETE /api/data/{key}`, honouring `If-Match`.
pub async fn delete(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    EntryKey(key): EntryKey,
    IfMatch(precondition): IfMatch,
) -> Result<Response, AppError> {
    service
        .delete_entry(caller.user, &key, precondition)
        .await?;
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
