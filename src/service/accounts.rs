//! Registration, token issuance and the caller's identity.

use std::net::IpAddr;

use super::{Service, now, validation};
use crate::db::{self, UniqueIndex, Violation};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::model::{AccessToken, NewAccount, User, UserId};

impl Service {
    /// Creates an account after checking every rule of the contract, in the
    /// contract's order; the unique indexes decide clashes, so of two racing
    /// registrations exactly one wins.
    pub async fn register(&self, account: NewAccount) -> AppResult<User> {
        validation::username(&account.username)?;
        validation::email(&account.email)?;
        validation::password(&account.password, &account.username, &account.email)?;
        validation::full_name(&account.full_name)?;
        let age = validation::age(account.age)?;
        let gender = validation::gender(account.gender.as_deref())?.to_owned();

        let password_hash = self.passwords.hash(account.password).await?;
        let username_key = account.username.to_lowercase();
        let email_key = account.email.to_lowercase();
        let created_at = now();
        let row = db::users::NewUserRow {
            username: &account.username,
            username_key: username_key.as_bytes(),
            email: &account.email,
            email_key: email_key.as_bytes(),
            password_hash: &password_hash,
            full_name: &account.full_name,
            age,
            gender: &gender,
            created_at,
            updated_at: created_at,
        };
        let mut conn = self.db.conn().await?;
        let id =
            db::users::insert(&mut conn, &row)
                .await
                .map_err(|err| match db::violation(&err) {
                    Some(Violation::Unique(UniqueIndex::Email)) => {
                        AppError::new(ErrorCode::EmailExists, "This email is already registered.")
                    }
                    Some(Violation::Unique(UniqueIndex::Username)) => {
                        AppError::new(ErrorCode::UsernameExists, "This username is already taken.")
                    }
                    _ => err.into(),
                })?;
        Ok(User {
            id,
            username: account.username,
            email: account.email,
            full_name: account.full_name,
            age: i32::from(age),
            gender,
            created_at: created_at.and_utc(),
        })
    }

    /// Exchanges a username (any case) and password for an access token.
    /// Unknown usernames and wrong passwords get the same answer after the
    /// same bcrypt work.
    pub async fn issue_token(
        &self,
        username: &str,
        password: &str,
        client: IpAddr,
    ) -> AppResult<AccessToken> {
        if username.is_empty() || password.is_empty() {
            return Err(AppError::new(
                ErrorCode::MissingFields,
                "Both username and password are required.",
            ));
        }
        if let Some(limiter) = &self.token_limiter {
            limiter.check(client, username)?;
        }
        let stored = {
            let mut conn = self.db.conn().await?;
            db::users::credentials(&mut conn, username.to_lowercase().as_bytes()).await?
        };
        let (id, hash) = stored.map_or((None, None), |(id, hash)| (Some(id), Some(hash)));
        let verified = self.passwords.verify(password.to_owned(), hash).await?;
        match id {
            Some(id) if verified => self.tokens.issue(UserId(id)),
            _ => Err(AppError::new(
                ErrorCode::InvalidCredentials,
                "Invalid username or password.",
            )),
        }
    }

    /// Checks a bearer token's signature and expiry. The account's existence
    /// is checked by the query each operation runs anyway, saving a round trip.
    pub fn authenticate(&self, bearer_token: Option<&str>) -> AppResult<UserId> {
        self.tokens
            .verify(bearer_token.ok_or_else(AppError::invalid_token)?)
    }

    /// The caller's account.
    pub async fn me(&self, user: UserId) -> AppResult<User> {
        let mut conn = self.db.conn().await?;
        db::users::find(&mut conn, user)
            .await?
            .map(User::from)
            .ok_or_else(AppError::invalid_token)
    }
}
