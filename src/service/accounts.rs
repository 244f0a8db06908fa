//! Accounts: registration, the caller's profile, password changes and
//! account deletion.

use super::sessions::end_sessions_of;
use super::{Service, auth_log, now, rate_limit, validation};
use crate::db::{self, UniqueIndex, Violation};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::model::{Caller, ClientInfo, NewAccount, ProfileChanges, User, UserId};

impl Service {
    /// Creates an account after checking every rule of the contract, in the
    /// contract's order, and the registration limit of the client's
    /// address; the unique indexes decide clashes, so of two racing
    /// registrations exactly one wins.
    pub async fn register(&self, account: NewAccount, client: &ClientInfo) -> AppResult<User> {
        validation::username(&account.username)?;
        validation::email(&account.email)?;
        validation::password(&account.password, &account.username, &account.email)?;
        validation::full_name(&account.full_name)?;
        let age = validation::age(account.age)?;
        let gender = validation::gender(account.gender.as_deref())?.to_owned();
        // Counted after validation: only an attempt that would cost a hash counts.
        if let Err(limited) = self.limits.check_registration(client.address) {
            auth_log::login("registration_limited", &account.username, client);
            return rate_limit::after_pause(limited).await;
        }

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
        let id = db::users::insert(&mut conn, &row)
            .await
            .map_err(uniqueness_error)?;
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

    /// The caller's account.
    pub async fn me(&self, user: UserId) -> AppResult<User> {
        let mut conn = self.db.conn().await?;
        db::users::find(&mut conn, user)
            .await?
            .map(User::from)
            .ok_or_else(AppError::invalid_token)
    }

    /// Changes the caller's profile, field by field in the contract's order
    /// of rules; nothing to change is `INVALID_REQUEST`.
    pub async fn update_me(&self, user: UserId, changes: ProfileChanges) -> AppResult<User> {
        if changes.is_empty() {
            return Err(AppError::new(
                ErrorCode::InvalidRequest,
                "Give at least one of email, full_name, age and gender.",
            ));
        }
        if let Some(email) = &changes.email {
            validation::email(email)?;
        }
        if let Some(full_name) = &changes.full_name {
            validation::full_name(full_name)?;
        }
        let age = changes.age.map(validation::age).transpose()?;
        let gender = changes
            .gender
            .as_deref()
            .map(|gender| validation::gender(Some(gender)))
            .transpose()?;
        let email_key = changes.email.as_ref().map(|email| email.to_lowercase());
        let changeset = db::users::ProfileChangeset {
            email: changes.email.as_deref(),
            email_key: email_key.as_deref().map(str::as_bytes),
            full_name: changes.full_name.as_deref(),
            age,
            gender,
            updated_at: now(),
        };
        let mut conn = self.db.conn().await?;
        let changed = db::users::update_profile(&mut conn, user, &changeset)
            .await
            .map_err(uniqueness_error)?;
        if changed == 0 {
            return Err(AppError::invalid_token());
        }
        db::users::find(&mut conn, user)
            .await?
            .map(User::from)
            .ok_or_else(AppError::invalid_token)
    }

    /// Replaces the caller's password after checking the current one, and
    /// ends every other session of the account.
    pub async fn change_password(
        &self,
        caller: Caller,
        current_password: &str,
        new_password: &str,
        client: &ClientInfo,
    ) -> AppResult<()> {
        let (me, hash) = self.account_with_password_hash(caller.user).await?;
        validation::password(new_password, &me.username, &me.email)?;
        self.confirm_password(current_password, hash).await?;
        let hash = self.passwords.hash(new_password.to_owned()).await?;
        let mut conn = self.db.conn().await?;
        let ended = conn
            .write_transaction(async |conn| {
                db::users::set_password_hash(conn, caller.user, &hash, now()).await?;
                end_sessions_of(conn, caller.user, Some(caller.session)).await
            })
            .await?;
        self.sessions_ended("password_changed", caller.user, &ended, client);
        Ok(())
    }

    /// Deletes the caller's account, its entries and sessions, after checking
    /// its password; the username and email are free again.
    pub async fn delete_account(
        &self,
        caller: Caller,
        password: &str,
        client: &ClientInfo,
    ) -> AppResult<()> {
        let (_, hash) = self.account_with_password_hash(caller.user).await?;
        self.confirm_password(password, hash).await?;
        let mut conn = self.db.conn().await?;
        let ended = conn
            .write_transaction(async |conn| {
                let ended = end_sessions_of(conn, caller.user, None).await?;
                db::users::delete(conn, caller.user).await?;
                Ok::<_, AppError>(ended)
            })
            .await?;
        self.sessions_ended("account_deleted", caller.user, &ended, client);
        Ok(())
    }

    /// The caller's account and its password hash, in one read.
    async fn account_with_password_hash(
        &self,
        user: UserId,
    ) -> AppResult<(db::users::UserRow, String)> {
        let mut conn = self.db.conn().await?;
        db::users::find_with_password_hash(&mut conn, user)
            .await?
            .ok_or_else(AppError::invalid_token)
    }

    /// Checks a password given to confirm an account change against the
    /// account's `hash`: wrong is 403 `INVALID_CREDENTIALS` (the access token
    /// itself is fine).
    async fn confirm_password(&self, password: &str, hash: String) -> AppResult<()> {
        if self
            .passwords
            .verify(password.to_owned(), Some(hash))
            .await?
        {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorCode::WrongPassword,
                "The password is not right.",
            ))
        }
    }
}

/// A write that ran into a unique index, as the contract's code.
fn uniqueness_error(err: diesel::result::Error) -> AppError {
    match db::violation(&err) {
        Some(Violation::Unique(UniqueIndex::Email)) => {
            AppError::new(ErrorCode::EmailExists, "This email is already registered.")
        }
        Some(Violation::Unique(UniqueIndex::Username)) => {
            AppError::new(ErrorCode::UsernameExists, "This username is already taken.")
        }
        _ => err.into(),
    }
}
