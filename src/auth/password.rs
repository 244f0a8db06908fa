//! bcrypt hashing, always off the async worker threads and never more at
//! once than there are permits, so a login storm queues fairly (tokio's
//! semaphore is FIFO) instead of starving every other request.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// bcrypt's input limit. Longer passwords are refused, never truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// Hashes and verifies passwords with a bounded number of blocking threads.
#[derive(Clone)]
pub struct PasswordHasher {
    cost: u32,
    permits: Arc<Semaphore>,
    /// A hash of a random password at the configured cost, verified when the
    /// username is unknown so that answer takes as long as a wrong password.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// Creates a hasher; computes the dummy hash once, off the async threads.
    pub async fn new(cost: u32, concurrency: usize) -> anyhow::Result<Self> {
        let dummy_password: [u8; 24] = rand::random();
        let dummy_hash =
            tokio::task::spawn_blocking(move || bcrypt::non_truncating_hash(dummy_password, cost))
                .await??;
        Ok(Self {
            cost,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy_hash.into(),
        })
    }

    /// Hashes a password that validation has already limited to 72 bytes.
    ///
    /// bcrypt reads at most 72 bytes of `password + NUL`. The crate's
    /// `non_truncating_*` functions count that NUL and so refuse a 72-byte
    /// password the contract allows; with the length checked first, the
    /// plain functions drop only the NUL, never a byte of the password.
    pub async fn hash(&self, password: String) -> AppResult<String> {
        if password.len() > MAX_PASSWORD_BYTES {
            return Err(AppError::internal(
                "hash called with a password over 72 bytes",
            ));
        }
        let cost = self.cost;
        self.run(move || bcrypt::hash(password, cost))
            .await?
            .map_err(AppError::internal)
    }

    /// Checks a password against a stored hash, or against the dummy hash
    /// when there is no account (`None`), which always fails but costs the
    /// same time.
    pub async fn verify(&self, password: String, hash: Option<String>) -> AppResult<bool> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = self
            .run(move || {
                // Over 72 bytes can never match: spend the same work on a
                // password that fits rather than answering early.
                let candidate = if password.len() > MAX_PASSWORD_BYTES {
                    &password.as_bytes()[..MAX_PASSWORD_BYTES]
                } else {
                    password.as_bytes()
                };
                let ok = bcrypt::verify(candidate, &hash).unwrap_or(false);
                ok && password.len() <= MAX_PASSWORD_BYTES
            })
            .await?;
        Ok(known && matches)
    }

    async fn run<T, F>(&self, work: F) -> AppResult<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(AppError::internal)
    }
}
