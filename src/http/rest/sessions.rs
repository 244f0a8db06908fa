//! Tokens and sessions: `POST /api/token`, `/api/token/refresh`,
//! `/api/logout`, `/api/logout/all`, and `GET`/`DELETE /api/sessions`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::envelope;
use super::extract::{AuthUser, JsonObject, string_or_empty};
use crate::error::AppError;
use crate::http::client::Client;
use crate::model::{AccessToken, Session};
use crate::service::Service;

#[derive(Serialize)]
struct IssuedTokens {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    refresh_expires_in: u64,
}

impl From<AccessToken> for IssuedTokens {
    fn from(token: AccessToken) -> Self {
        Self {
            access_token: token.access_token,
            token_type: "Bearer",
            expires_in: token.expires_in,
            refresh_token: token.refresh_token,
            refresh_expires_in: token.refresh_expires_in,
        }
    }
}

#[derive(Serialize)]
struct SessionView {
    id: String,
    created_at: DateTime<Utc>,
    last_used_at: DateTime<Utc>,
    user_agent: Option<String>,
    current: bool,
}

impl From<Session> for SessionView {
    fn from(session: Session) -> Self {
        Self {
            id: session.id.to_string(),
            created_at: session.created_at,
            last_used_at: session.last_used_at,
            user_agent: session.user_agent,
            current: session.current,
        }
    }
}

#[derive(Serialize)]
struct SessionList {
    sessions: Vec<SessionView>,
}

/// Exchanges credentials for a new session's tokens.
pub async fn token(
    State(service): State<Arc<Service>>,
    Client(client): Client,
    JsonObject(mut body): JsonObject,
) -> Result<Response, AppError> {
    // Absent or null counts as empty, which the service answers MISSING_FIELDS.
    let username = string_or_empty(&mut body, "username")?;
    let password = string_or_empty(&mut body, "password")?;
    let token = service.issue_token(&username, &password, &client).await?;
    Ok(envelope::data(
        StatusCode::OK,
        Some("Access token generated successfully."),
        IssuedTokens::from(token),
    ))
}

/// Exchanges a refresh token for the next pair.
pub async fn refresh(
    State(service): State<Arc<Service>>,
    Client(client): Client,
    JsonObject(mut body): JsonObject,
) -> Result<Response, AppError> {
    let refresh_token = string_or_empty(&mut body, "refresh_token")?;
    let token = service.refresh(&refresh_token, &client).await?;
    Ok(envelope::data(
        StatusCode::OK,
        Some("Access token refreshed successfully."),
        IssuedTokens::from(token),
    ))
}

/// Ends the caller's session.
pub async fn logout(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    Client(client): Client,
) -> Result<Response, AppError> {
    service.logout(caller, &client).await?;
    Ok(envelope::message(
        StatusCode::OK,
        "Logged out successfully.",
    ))
}

/// Ends every session of the caller's account.
pub async fn logout_all(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    Client(client): Client,
) -> Result<Response, AppError> {
    service.logout_all(caller, &client).await?;
    Ok(envelope::message(
        StatusCode::OK,
        "Logged out of every session.",
    ))
}

/// The account's sessions, newest first.
pub async fn list(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
) -> Result<Response, AppError> {
    let sessions = service.sessions(caller).await?;
    Ok(envelope::data(
        StatusCode::OK,
        None,
        SessionList {
            sessions: sessions.into_iter().map(SessionView::from).collect(),
        },
    ))
}

/// Ends one of the account's sessions.
pub async fn end(
    State(service): State<Arc<Service>>,
    AuthUser(caller): AuthUser,
    Client(client): Client,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    service.end_session(caller, &id, &client).await?;
    Ok(envelope::message(
        StatusCode::OK,
        "Session ended successfully.",
    ))
}
