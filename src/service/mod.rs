//! The rules of datakeep, written once. REST and GraphQL are thin transports
//! over [`Service`]: they decode a request, call one method, and render the
//! result or the [`AppError`](crate::error::AppError).

mod accounts;
mod common_passwords;
mod entries;
pub use entries::EntryPage;
mod rate_limit;
pub mod validation;

use std::num::NonZeroU32;

use chrono::{NaiveDateTime, SubsecRound, Utc};

use crate::auth::{PasswordHasher, TokenCodec};
use crate::db::{Database, EntryReader};

pub use rate_limit::TokenRateLimiter;

/// Everything a request needs: the database, credentials, and limits.
pub struct Service {
    db: Database,
    entry_reader: EntryReader,
    passwords: PasswordHasher,
    tokens: TokenCodec,
    token_limiter: Option<TokenRateLimiter>,
    max_value_bytes: usize,
}

impl Service {
    /// Assembles the service from its parts; starts `readers` tasks for
    /// entry reads on the current tokio runtime (see [`EntryReader`]).
    pub fn new(
        db: Database,
        readers: usize,
        passwords: PasswordHasher,
        tokens: TokenCodec,
        token_rate_limit: u32,
        max_value_bytes: usize,
    ) -> Self {
        Self {
            entry_reader: EntryReader::start(db.clone(), readers),
            db,
            passwords,
            tokens,
            token_limiter: NonZeroU32::new(token_rate_limit).map(TokenRateLimiter::new),
            max_value_bytes,
        }
    }

    /// The database, for readiness checks.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Periodic housekeeping: forgets idle rate-limit buckets.
    pub fn prune(&self) {
        if let Some(limiter) = &self.token_limiter {
            limiter.prune();
        }
    }
}

/// The current time at the database's precision (microseconds), so what a
/// write returns equals what a later read returns.
fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}
