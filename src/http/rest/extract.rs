//! Request extractors whose failures are contract errors in the JSON
//! envelope (axum's own rejections answer in plain text), and the readers
//! of a JSON body's fields that every route shares.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header, request::Parts};
use serde_json::{Map, Value};

use crate::auth::bearer_token;
use crate::error::{AppError, ErrorCode};
use crate::http::body::{BufferedBody, content_type_essence};
use crate::http::json::{self, JsonError};
use crate::model::{Caller, Precondition};
use crate::service::Service;

/// A request body that must be a JSON object sent as `application/json`,
/// naming each member once.
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            return Err(invalid_request("Content-Type must be application/json."));
        }
        let BufferedBody(bytes) = BufferedBody::from_request(req, state).await?;
        match json::from_slice(&bytes) {
            Ok(Value::Object(object)) => Ok(Self(object)),
            Ok(_) => Err(invalid_request("The request body must be a JSON object.")),
            Err(JsonError::DuplicateMember(_)) => Err(invalid_request(
                "The request body names a member more than once.",
            )),
            Err(JsonError::Invalid(_)) => {
                Err(invalid_request("The request body is not valid JSON."))
            }
        }
    }
}

/// `application/json` or any `application/*+json`, with or without parameters.
fn is_json(headers: &HeaderMap) -> bool {
    content_type_essence(headers).is_some_and(|essence| {
        essence == "application/json"
            || (essence.starts_with("application/") && essence.ends_with("+json"))
    })
}

fn invalid_request(message: &'static str) -> AppError {
    AppError::new(ErrorCode::InvalidRequest, message)
}

/// The caller (an account, in one of its sessions), proven by a valid
/// bearer token whose session has not ended.
pub struct AuthUser(pub Caller);

impl<S> FromRequestParts<S> for AuthUser
where
    S: Send + Sync,
    Arc<Service>: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let service = Arc::<Service>::from_ref(state);
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token);
        service.authenticate(token).map(Self)
    }
}

/// The `{key}` of `/api/data/{key}`, percent-decoded strictly: a malformed
/// escape or bytes that are not UTF-8 are `INVALID_KEY`, never guessed at.
pub struct EntryKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for EntryKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        // The router matched `/api/data/{key}`, and a raw `/` cannot be inside
        // a segment, so the key is the last segment of the raw path.
        let raw = parts.uri.path().rsplit('/').next().unwrap_or_default();
        decode_segment(raw).map(Self).ok_or_else(|| {
            AppError::new(
                ErrorCode::InvalidKey,
                "The key in the path is not valid percent-encoded UTF-8.",
            )
        })
    }
}

/// `If-Match` on `PUT`/`DELETE /api/data/{key}` (contract section 8): `*`
/// (the entry must exist) or one strong entity tag holding a version,
/// `"3"`, as `GET` sends it in `ETag`. A weak tag, a list or anything else
/// is `INVALID_REQUEST`: no version is ever sent that way, so it could only
/// fail, and saying why helps more than a 412.
pub struct IfMatch(pub Precondition);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        let mut values = parts.headers.get_all(header::IF_MATCH).iter();
        let Some(value) = values.next() else {
            return Ok(Self(Precondition::None));
        };
        let refused = || {
            invalid_request("If-Match must be * or one version in quotes, as ETag gives it: \"3\".")
        };
        if values.next().is_some() {
            return Err(refused());
        }
        let text = value.to_str().map_err(|_| refused())?.trim();
        if text == "*" {
            return Ok(Self(Precondition::Exists));
        }
        let version = text
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse::<i64>().ok())
            .ok_or_else(refused)?;
        Ok(Self(Precondition::Version(version)))
    }
}

fn decode_segment(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return None;
    }
    percent_encoding::percent_decode(bytes)
        .decode_utf8()
        .ok()
        .map(|key| key.into_owned())
}

/// A field that must be a string.
pub fn required_string(body: &mut Map<String, Value>, field: &str) -> Result<String, AppError> {
    optional_string(body, field)?.ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidRequest,
            format!("'{field}' is required and must be a string."),
        )
    })
}

/// `ttl_seconds`: absent, or an integer (its range is the service's rule);
/// anything else, null included, is `INVALID_TTL`.
pub fn optional_ttl(body: &mut Map<String, Value>) -> Result<Option<i64>, AppError> {
    match body.remove("ttl_seconds") {
        None => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
        Some(_) => Err(AppError::new(
            ErrorCode::InvalidTtl,
            "ttl_seconds must be an integer from 1 to 31536000.",
        )),
    }
}

/// A field that may be absent, or else must be a string (null is not one).
pub fn optional_string(
    body: &mut Map<String, Value>,
    field: &str,
) -> Result<Option<String>, AppError> {
    match body.remove(field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(AppError::new(
            ErrorCode::InvalidRequest,
            format!("'{field}' must be a string."),
        )),
    }
}

/// A string field, with absent or null read as empty.
pub fn string_or_empty(body: &mut Map<String, Value>, field: &str) -> Result<String, AppError> {
    if body.get(field).is_some_and(Value::is_null) {
        body.remove(field);
    }
    Ok(optional_string(body, field)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::decode_segment;

    #[test]
    fn decodes_strictly() {
        assert_eq!(decode_segment("a%2Fb").as_deref(), Some("a/b"));
        assert_eq!(decode_segment("k%C3%A9y").as_deref(), Some("kéy"));
        assert_eq!(decode_segment("a+b").as_deref(), Some("a+b"));
        assert_eq!(decode_segment("%zz"), None);
        assert_eq!(decode_segment("abc%2"), None);
        assert_eq!(decode_segment("%FF"), None);
    }
}
