//! The rules of datakeep, written once. REST and GraphQL are thin transports
//! over [`Service`]: they decode a request, call one method, and render the
//! result or the [`AppError`](crate::error::AppError).

mod accounts;
mod common_passwords;
mod db_errors;
mod entries;
mod rate_limit;
pub mod validation;

use std::num::NonZeroU32;

use chrono::{NaiveDateTime, SubsecRound, Utc};

use crate::auth::{PasswordHasher, TokenCodec};
use crate::db::{Database, EntryReader};

pub use entries::EntryPage;
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

/// The parts a [`Service`] is built from.
pub struct ServiceParts {
    /// The connection pool.
    pub db: Database,
    /// bcrypt, on its own threads.
    pub passwords: PasswordHasher,
    /// Issues and checks access tokens.
    pub tokens: TokenCodec,
}

/// The configured limits the rules apply.
#[derive(Debug, Clone, Copy)]
pub struct ServiceLimits {
    /// Entry-read queries run at once (see [`EntryReader`]).
    pub entry_readers: usize,
    /// Token requests per minute per client address and username; `None`
    /// turns the limit off.
    pub token_requests_per_minute: Option<NonZeroU32>,
    /// Largest entry value, in bytes.
    pub max_value_bytes: usize,
}

impl Service {
    /// Assembles the service; starts the entry readers on the current tokio
    /// runtime (see [`EntryReader`]).
    pub fn new(parts: ServiceParts, limits: ServiceLimits) -> Self {
        Self {
            entry_reader: EntryReader::start(parts.db.clone(), limits.entry_readers),
            db: parts.db,
            passwords: parts.passwords,
            tokens: parts.tokens,
            token_limiter: limits.token_requests_per_minute.map(TokenRateLimiter::new),
            max_value_bytes: limits.max_value_bytes,
        }
    }

    /// True when the database answers, within its timeout.
    pub async fn is_ready(&self) -> bool {
        self.db.is_ready().await
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
