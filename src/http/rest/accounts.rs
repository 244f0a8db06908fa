//! `POST /api/register` and `POST /api/token`.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::{Map, Value};

use super::envelope;
use super::extract::JsonObject;
use crate::error::{AppError, ErrorCode};
use crate::model::{NewAccount, User};
use crate::service::Service;

#[derive(Serialize)]
struct RegisteredUser {
    user_id: String,
    username: String,
    email: String,
    full_name: String,
    age: i32,
    gender: String,
}

impl From<User> for RegisteredUser {
    fn from(user: User) -> Self {
        Self {
            user_id: user.id.to_string(),
            username: user.username,
            email: user.email,
            full_name: user.full_name,
            age: user.age,
            gender: user.gender,
        }
    }
}

#[derive(Serialize)]
struct IssuedToken {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

/// Creates an account.
pub async fn register(
    State(service): State<Arc<Service>>,
    JsonObject(mut body): JsonObject,
) -> Result<Response, AppError> {
    let account = NewAccount {
        username: required_string(&mut body, "username")?,
        email: required_string(&mut body, "email")?,
        password: required_string(&mut body, "password")?,
        full_name: required_string(&mut body, "full_name")?,
        // Only a JSON integer counts: 30.5, "30" and 30.0 are all INVALID_AGE.
        age: body.get("age").and_then(Value::as_i64),
        gender: match body.remove("gender") {
            Some(Value::String(gender)) => Some(gender),
            _ => None,
        },
    };
    let user = service.register(account).await?;
    Ok(envelope::data(
        StatusCode::CREATED,
        Some("User successfully registered!"),
        RegisteredUser::from(user),
    ))
}

/// Exchanges credentials for an access token.
pub async fn token(
    State(service): State<Arc<Service>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    JsonObject(mut body): JsonObject,
) -> Result<Response, AppError> {
    // Absent or null counts as empty, which the service answers MISSING_FIELDS.
    let username = optional_string(&mut body, "username")?.unwrap_or_default();
    let password = optional_string(&mut body, "password")?.unwrap_or_default();
    let token = service
        .issue_token(&username, &password, client.ip())
        .await?;
    Ok(envelope::data(
        StatusCode::OK,
        Some("Access token generated successfully."),
        IssuedToken {
            access_token: token.access_token,
            token_type: "Bearer",
            expires_in: token.expires_in,
        },
    ))
}

fn required_string(body: &mut Map<String, Value>, field: &str) -> Result<String, AppError> {
    optional_string(body, field)?.ok_or_else(|| {
        AppError::new(
            ErrorCode::InvalidRequest,
            format!("'{field}' is required and must be a string."),
        )
    })
}

fn optional_string(body: &mut Map<String, Value>, field: &str) -> Result<Option<String>, AppError> {
    match body.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(AppError::new(
            ErrorCode::InvalidRequest,
            format!("'{field}' must be a string."),
        )),
    }
}
