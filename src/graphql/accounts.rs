//! Accounts: `me`, `register`, `token`.

use async_graphql::{Context, ErrorExtensions, ID, InputObject, Object, Result, ResultExt};
use chrono::{DateTime, Utc};

use super::{RequestContext, caller, service};
use crate::model::{AccessToken, NewAccount, User};

struct UserObject(User);

/// A registered account. The password (and its hash) is never exposed.
#[Object(name = "User")]
impl UserObject {
    /// The account's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The unique username (unique regardless of case).
    async fn username(&self) -> &str {
        &self.0.username
    }

    /// The unique email address (unique regardless of case).
    async fn email(&self) -> &str {
        &self.0.email
    }

    /// The account holder's full name.
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }

    /// Age in years, 1 to 150.
    async fn age(&self) -> i32 {
        self.0.age
    }

    /// Gender, free text.
    async fn gender(&self) -> &str {
        &self.0.gender
    }

    /// When the account was created (RFC 3339).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

struct AccessTokenObject(AccessToken);

/// A bearer token to send as `Authorization: Bearer <accessToken>`.
#[Object(name = "AccessToken")]
impl AccessTokenObject {
    /// The signed token (a JWT).
    async fn access_token(&self) -> &str {
        &self.0.access_token
    }

    /// Always `Bearer`.
    async fn token_type(&self) -> &str {
        "Bearer"
    }

    /// Seconds until the token expires.
    async fn expires_in(&self) -> i32 {
        i32::try_from(self.0.expires_in).unwrap_or(i32::MAX)
    }
}

/// What a new account needs. Rules: username 3-32 of `A-Z a-z 0-9 _ . -`;
/// a valid email of at most 254 characters; password 8-72 bytes, not the
/// username or email and not a common password; full name 1-255
/// characters; age 1-150; gender non-empty, at most 64 characters.
#[derive(InputObject)]
pub struct RegisterInput {
    /// 3-32 characters from `A-Z a-z 0-9 _ . -`.
    username: String,
    /// A valid address of at most 254 characters.
    email: String,
    /// 8-72 bytes.
    password: String,
    /// 1-255 characters, not only whitespace.
    full_name: String,
    /// 1 to 150.
    age: i32,
    /// Free text, 1-64 characters.
    gender: String,
}

/// Account queries.
#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The account the bearer token belongs to.
    async fn me(&self, ctx: &Context<'_>) -> Result<UserObject> {
        let user = caller(ctx).extend()?;
        let me = service(ctx).me(user).await.extend()?;
        Ok(UserObject(me))
    }
}

/// Account mutations.
#[derive(Default)]
pub struct AccountsMutation;

#[Object]
impl AccountsMutation {
    /// Creates an account.
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> Result<UserObject> {
        let account = NewAccount {
            username: input.username,
            email: input.email,
            password: input.password,
            full_name: input.full_name,
            age: Some(i64::from(input.age)),
            gender: Some(input.gender),
        };
        let user = service(ctx).register(account).await.extend()?;
        Ok(UserObject(user))
    }

    /// Exchanges a username (any case) and password for an access token.
    async fn token(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> Result<AccessTokenObject> {
        let request = ctx.data::<RequestContext>().map_err(|e| e.extend())?;
        let token = service(ctx)
            .issue_token(&username, &password, request.client)
            .await
            .extend()?;
        Ok(AccessTokenObject(token))
    }
}
