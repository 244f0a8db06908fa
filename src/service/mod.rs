//! The rules of datakeep, written once. REST and GraphQL are thin transports
//! over [`Service`]: they decode a request, call one method, and render the
//! result or the [`AppError`](crate::error::AppError).

mod accounts;
mod auth_log;
mod common_passwords;
pub mod cursor;
mod db_errors;
mod entries;
mod rate_limit;
mod revocations;
mod sessions;
pub mod validation;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDateTime, SubsecRound, TimeDelta, Utc};

use crate::auth::{PasswordHasher, TokenCodec};
use crate::db::{self, Database, EntryReader};

pub use entries::{EntryPage, PageRequest, VersionedValue};
pub use rate_limit::LoginLimits;
use rate_limit::RateLimits;
use revocations::Revocations;

/// Everything a request needs: the database, credentials, and limits.
pub struct Service {
    db: Database,
    entry_reader: EntryReader,
    passwords: PasswordHasher,
    tokens: TokenCodec,
    revocations: Arc<Revocations>,
    limits: RateLimits,
    login_failures_per_day: Option<NonZeroU32>,
    refresh_ttl: TimeDelta,
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
    /// The per-address limits on token requests and registrations.
    pub login: LoginLimits,
    /// Failed token requests per username in 24 h; `None` turns it off.
    pub login_failures_per_day: Option<NonZeroU32>,
    /// How long a session lasts without a refresh.
    pub refresh_ttl: Duration,
    /// Largest entry value, in bytes.
    pub max_value_bytes: usize,
}

impl Service {
    /// Assembles the service: reads the session revocations, and starts the
    /// entry readers and the revocation poll on the current tokio runtime
    /// (see [`EntryReader`] and `revocations.rs`).
    pub async fn new(parts: ServiceParts, limits: ServiceLimits) -> diesel::QueryResult<Self> {
        // An ended session is remembered for as long as its access tokens live.
        let token_lifetime = Duration::from_secs(parts.tokens.ttl_secs());
        let revocations = Revocations::start(parts.db.clone(), token_lifetime).await?;
        Ok(Self {
            entry_reader: EntryReader::start(parts.db.clone(), limits.entry_readers),
            revocations,
            db: parts.db,
            passwords: parts.passwords,
            tokens: parts.tokens,
            limits: RateLimits::new(limits.login),
            login_failures_per_day: limits.login_failures_per_day,
            refresh_ttl: TimeDelta::from_std(limits.refresh_ttl).unwrap_or(TimeDelta::MAX),
            max_value_bytes: limits.max_value_bytes,
        })
    }

    /// True when the database answers, within its timeout.
    pub async fn is_ready(&self) -> bool {
        self.db.is_ready().await
    }

    /// Periodic housekeeping: forgets idle rate-limit buckets, and deletes a
    /// bounded batch (no long locks) each of sessions idle past the refresh
    /// lifetime, of refresh tokens retired that long ago, and of
    /// revocations no server needs any more.
    pub async fn prune(&self) {
        const BATCH: i64 = 1000;
        self.limits.prune();
        let now = now();
        let idle_before = now - self.refresh_ttl;
        let pruned = async {
            let mut conn = self.db.conn().await?;
            let sessions = db::sessions::prune_idle(&mut conn, idle_before, BATCH).await?;
            let tokens = db::sessions::prune_retired_tokens(&mut conn, idle_before, BATCH).await?;
            let revocations = self.revocations.forgettable_before(now);
            let revocations =
                db::sessions::prune_revocations(&mut conn, revocations, BATCH).await?;
            Ok::<_, diesel::result::Error>((sessions, tokens, revocations))
        };
        match pruned.await {
            Ok((0, 0, 0)) => {}
            Ok((sessions, tokens, revocations)) => tracing::info!(
                sessions,
                tokens,
                revocations,
                "pruned idle sessions, old refresh tokens and old revocations"
            ),
            Err(err) => tracing::warn!(error = %err, "could not prune sessions"),
        }
    }
}

/// The current time at the database's precision (microseconds), so what a
/// write returns equals what a later read returns.
fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}
