//! `POST /api/register` and the caller's account: `GET`/`PATCH`/`DELETE
//! /api/me` and `POST /api/me/password`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::envelope;
use super::extract::{AuthUser, JsonObject, optional_string, required_string};
use crate::error::{AppError, ErrorCode};
use crate::http::client::Client;
use crate::model::{NewAccount, ProfileChanges, User};
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

/// The account as `GET /api/me` shows it.
#[derive(Serialize)]
struct Me {
    #[serde(flatten)]
    user: RegisteredUser,
    created_at: DateTime<Utc>,
}

impl From<User> for Me {
    fn from(user: User) -> Self {
        Self {
            created_at: user.created_at,
            user: RegisteredUser::from(user),
        }
    }
}

/// Creates an account.
pub async fn register(
    State(service): State<Arc<Service>>,
    Client(client): Client,
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
    let user = service.register(account, &client).await?;
    Ok(envelope::data(
        StatusCode::CREATED,
        Some("User successfully registered!"),
        RegisteredUser::from(user),
    ))
}

/// `GET /api/me`.
pub async fn me(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
) -> Result<Response, AppError> {
    let user = service.me(caller.user).await?;
    Ok(envelope::data(StatusCode::OK, None, Me::from(user)))
}

/// `PATCH /api/me` with any of `email`, `full_name`, `age`, `gender`.
pub async fn update_me(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    JsonObject(mut body): JsonObject,
) -> Result<Response, AppError> {
    let changes = ProfileChanges {
        email: optional_string(&mut body, "email")?,
        full_name: optional_string(&mut body, "full_name")?,
        // Given but not a JSON integer: INVALID_AGE, as at registration.
        age: body.remove("age").map(|age| age.as_i64()),
        gender: match body.remove("gender") {
            None => None,
            Some(Value::String(gender)) => Some(gender),
            // Null or not a string counts as missing: GENDER_REQUIRED.
            Some(_) => Some(String::new()),
        },
    };
    if let Some(field) = body.keys().next() {
        return Err(AppError::new(
            ErrorCode::InvalidRequest,
            format!("'{field}' is not a field of the account that can change."),
        ));
    }
    let user = service.update_me(caller.user, changes).await?;
    Ok(envelope::data(
        StatusCode::OK,
        Some("Account updated successfully."),
        Me::from(user),
    ))
}

/// `POST /api/me/password` with `current_password` and `new_password`.
pub async fn change_password(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    Client(client): Client,
    JsonObject(mut body): JsonObject,
) -> Result<Response, AppError> {
    let current = required_string(&mut body, "current_password")?;
    let new = required_string(&mut body, "new_password")?;
    service
        .change_password(caller, &current, &new, &client)
        .await?;
    Ok(envelope::message(
        StatusCode::OK,
        "Password changed successfully.",
    ))
}

/// `DELETE /api/me` with the account's `password`.
pub async fn delete_me(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    Client(client): Client,
    JsonObject(mut body): JsonObject,
) -> Result<Response, AppError> {
    let password = required_string(&mut body, "password")?;
    service.delete_account(caller, &password, &client).await?;
    Ok(envelope::message(
        StatusCode::OK,
        "Account deleted successfully.",
    ))
}
