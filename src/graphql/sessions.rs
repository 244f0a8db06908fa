//! Tokens and sessions: `token`, `refreshToken`, `logout`, `logoutAll`,
//! `sessions`, `endSession`.

use async_graphql::{Context, ID, Object, Result, ResultExt};

use super::scalars::Timestamp;
use super::{caller, client, service};
use crate::model::{AccessToken, Session};

struct AccessTokenObject(AccessToken);

/// Tokens for a session: send `accessToken` as `Authorization: Bearer
/// <accessToken>`, and before it expires exchange `refreshToken` (once) for
/// the next pair with `refreshToken`.
#[Object(name = "AccessToken")]
impl AccessTokenObject {
    /// The signed access token (a JWT).
    async fn access_token(&self) -> &str {
        &self.0.access_token
    }

    /// Always `Bearer`.
    async fn token_type(&self) -> &str {
        "Bearer"
    }

    /// Seconds until the access token expires.
    async fn expires_in(&self) -> i32 {
        i32::try_from(self.0.expires_in).unwrap_or(i32::MAX)
    }

    /// An opaque token that gets the next pair, once.
    async fn refresh_token(&self) -> &str {
        &self.0.refresh_token
    }

    /// Seconds the session lasts without a refresh.
    async fn refresh_expires_in(&self) -> i32 {
        i32::try_from(self.0.refresh_expires_in).unwrap_or(i32::MAX)
    }
}

struct SessionObject(Session);

/// A signed-in session of the caller's account.
#[Object(name = "Session")]
impl SessionObject {
    /// The session's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// When it started (the login).
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }

    /// When its tokens were last refreshed (or it started).
    async fn last_used_at(&self) -> Timestamp {
        Timestamp(self.0.last_used_at)
    }

    /// The `User-Agent` it logged in with.
    async fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }

    /// True for the session of the token that asks.
    async fn current(&self) -> bool {
        self.0.current
    }
}

/// Session queries.
#[derive(Default)]
pub struct SessionsQuery;

#[Object]
impl SessionsQuery {
    /// The caller's sessions, newest first.
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Vec<SessionObject>> {
        let caller = caller(ctx).extend()?;
        let sessions = service(ctx).sessions(caller).await.extend()?;
        Ok(sessions.into_iter().map(SessionObject).collect())
    }
}

/// Session mutations.
#[derive(Default)]
pub struct SessionsMutation;

#[Object]
impl SessionsMutation {
    /// Exchanges a username (any case) and password for a new session's tokens.
    async fn token(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<AccessTokenObject> {
        let token = service(ctx)
            .issue_token(&username, &password, client(ctx).extend()?)
            .await
            .extend()?;
        Ok(AccessTokenObject(token))
    }

    /// Exchanges a refresh token for the next pair; a token used twice ends
    /// its session.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> Result<AccessTokenObject> {
        let token = service(ctx)
            .refresh(&refresh_token, client(ctx).extend()?)
            .await
            .extend()?;
        Ok(AccessTokenObject(token))
    }

    /// Ends the caller's session.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool> {
        let caller = caller(ctx).extend()?;
        service(ctx)
            .logout(caller, client(ctx).extend()?)
            .await
            .extend()?;
        Ok(true)
    }

    /// Ends every session of the caller's account.
    async fn logout_all(&self, ctx: &Context<'_>) -> Result<bool> {
        let caller = caller(ctx).extend()?;
        service(ctx)
            .logout_all(caller, client(ctx).extend()?)
            .await
            .extend()?;
        Ok(true)
    }

    /// Ends one of the caller's sessions; SESSION_NOT_FOUND for another
    /// account's or an unknown id.
    async fn end_session(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        let caller = caller(ctx).extend()?;
        service(ctx)
            .end_session(caller, &id, client(ctx).extend()?)
            .await
            .extend()?;
        Ok(true)
    }
}
