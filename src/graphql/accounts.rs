//! Accounts: `me`, `register`, `updateMe`, `changePassword`, `deleteAccount`.

use async_graphql::{Context, ID, InputObject, Object, Result, ResultExt};

use super::scalars::Timestamp;
use super::{caller, client, service};
use crate::model::{NewAccount, ProfileChanges, User};

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
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
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
        let user = caller(ctx).extend()?.user;
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
        let client = client(ctx).extend()?;
        let user = service(ctx).register(account, client).await.extend()?;
        Ok(UserObject(user))
    }

    /// Changes the caller's email, full name, age or gender (at least one).
    async fn update_me(&self, ctx: &Context<'_>, input: UpdateMeInput) -> Result<UserObject> {
        let user = caller(ctx).extend()?.user;
        let changes = ProfileChanges {
            email: input.email,
            full_name: input.full_name,
            age: input.age.map(|age| Some(i64::from(age))),
            gender: input.gender,
        };
        let user = service(ctx).update_me(user, changes).await.extend()?;
        Ok(UserObject(user))
    }

    /// Replaces the caller's password after checking the current one (403
    /// INVALID_CREDENTIALS when wrong); every other session ends.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> Result<bool> {
        let caller = caller(ctx).extend()?;
        service(ctx)
            .change_password(
                caller,
                &current_password,
                &new_password,
                client(ctx).extend()?,
            )
            .await
            .extend()?;
        Ok(true)
    }

    /// Deletes the caller's account, entries and sessions, after checking
    /// its password; the username and email are free again.
    async fn delete_account(&self, ctx: &Context<'_>, password: String) -> Result<bool> {
        let caller = caller(ctx).extend()?;
        service(ctx)
            .delete_account(caller, &password, client(ctx).extend()?)
            .await
            .extend()?;
        Ok(true)
    }
}

/// Changes to the caller's profile; a field left out stays as it is. The
/// rules are those of registration.
#[derive(InputObject)]
pub struct UpdateMeInput {
    /// A valid address of at most 254 characters.
    email: Option<String>,
    /// 1-255 characters, not only whitespace.
    full_name: Option<String>,
    /// 1 to 150.
    age: Option<i32>,
    /// Free text, 1-64 characters.
    gender: Option<String>,
}
