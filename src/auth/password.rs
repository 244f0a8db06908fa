//! bcrypt hashing, always off the async worker threads and never more at
//! once than there are permits, so a login storm queues fairly (tokio's
//! semaphore is FIFO) instead of starving every other request. The queue is
//! bounded: past its limit a hash is refused at once (503), since every
//! place in it adds a hash's time to the wait of all behind it.
//!
//! Hashes run on their own threads at a lower scheduling priority (nice
//! [`HASHING_NICENESS`]): with the machine idle they get all of it, and
//! when requests compete for the cores the requests go first. Measured in
//! a 64-connection login storm: reads kept about 0.6 of their quiet rate at
//! equal priority, about 0.9 at nice 10.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::{Semaphore, oneshot};

use crate::error::{AppError, AppResult};

/// bcrypt's input limit. Longer passwords are refused, never truncated.
pub const MAX_PASSWORD_BYTES: usize = 72;

/// How much lower than the server's other threads hashing threads run
/// (Linux nice values: 0 is normal, 19 the lowest).
const HASHING_NICENESS: i32 = 10;

/// Hashes and verifies passwords on a bounded pool of low-priority threads.
#[derive(Clone)]
pub struct PasswordHasher {
    cost: u32,
    /// Taken before a hash is handed to `threads`, one per thread, so waiting
    /// happens here, in FIFO order.
    permits: Arc<Semaphore>,
    /// Hashes waiting for a permit now.
    waiting: Arc<AtomicUsize>,
    /// Most hashes that may wait.
    queue_limit: usize,
    threads: Arc<rayon::ThreadPool>,
    /// A hash of a random password at the configured cost, verified when the
    /// username is unknown so that answer takes as long as a wrong password.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// Creates a hasher that hashes at `cost` on `concurrency` threads, with
    /// room for `queue_limit` hashes waiting for them. The dummy hash, for
    /// unknown usernames, is made at `dummy_cost`: the cost most stored hashes
    /// have, so that an unknown username costs what a known one does.
    pub async fn new(
        cost: u32,
        dummy_cost: u32,
        concurrency: usize,
        queue_limit: usize,
    ) -> anyhow::Result<Self> {
        let concurrency = concurrency.max(1);
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(concurrency)
            .thread_name(|i| format!("bcrypt-{i}"))
            .start_handler(|_| lower_this_threads_priority())
            // A panicking hash drops its reply, which the caller reports as
            // an internal error; without a handler rayon would abort.
            .panic_handler(|_| tracing::error!("a password hash panicked"))
            .build()?;
        // Built without its dummy hash first, only to compute that hash on
        // the hashing threads; never handed out like this.
        let unfinished = Self {
            cost,
            permits: Arc::new(Semaphore::new(concurrency)),
            waiting: Arc::default(),
            queue_limit,
            threads: Arc::new(threads),
            dummy_hash: Arc::from(""),
        };
        let dummy_password: [u8; 24] = rand::random();
        let dummy_hash = unfinished
            .run(move || bcrypt::non_truncating_hash(dummy_password, dummy_cost))
            .await??;
        Ok(Self {
            dummy_hash: dummy_hash.into(),
            ..unfinished
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

    /// True when a stored hash was made at another cost than the configured
    /// one (after `BCRYPT_COST` changed): a login hashes the password again.
    pub fn needs_rehash(&self, hash: &str) -> bool {
        cost_of(hash) != Some(self.cost)
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
        let _permit = self.permit().await?;
        let (reply, result) = oneshot::channel();
        self.threads.spawn(move || {
            // The caller may have gone away; the result is then not needed.
            let _ = reply.send(work());
        });
        result
            .await
            .map_err(|_| AppError::internal("a password hash panicked"))
    }
}

impl PasswordHasher {
    /// A hashing thread's permit, waited for in the queue, or 503 when the
    /// queue is full.
    async fn permit(&self) -> AppResult<tokio::sync::SemaphorePermit<'_>> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        let queued = QueuePlace::take(&self.waiting);
        if queued.ahead >= self.queue_limit {
            return Err(AppError::overloaded("the password hashing queue is full"));
        }
        self.permits.acquire().await.map_err(AppError::internal)
    }
}

/// A place in the hashing queue, given up when dropped (when the wait ends,
/// or the request goes away).
struct QueuePlace<'a> {
    waiting: &'a AtomicUsize,
    /// Hashes that were already waiting.
    ahead: usize,
}

impl<'a> QueuePlace<'a> {
    fn take(waiting: &'a AtomicUsize) -> Self {
        let ahead = waiting.fetch_add(1, Ordering::Relaxed);
        Self { waiting, ahead }
    }
}

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.waiting.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The cost a bcrypt hash was made with (`$2b$12$…` is 12).
pub fn cost_of(hash: &str) -> Option<u32> {
    hash.split('$').nth(2)?.parse().ok()
}

/// Lowers the calling thread's priority to [`HASHING_NICENESS`]. On Linux
/// the nice value belongs to each thread; elsewhere this would lower the
/// whole process, so it does nothing there.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: setpriority only reads its integer arguments; who = 0 names
        // the calling thread. Raising a nice value needs no privilege.
        let failed = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICENESS) } != 0;
        if failed {
            tracing::warn!(
                error = %std::io::Error::last_os_error(),
                "could not lower the hashing threads' priority"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_round_trips_on_the_hashing_threads() {
        let hasher = PasswordHasher::new(4, 4, 2, 8).await.unwrap();
        let hash = hasher.hash("Lantern-Marmot-42".to_owned()).await.unwrap();
        assert!(
            hasher
                .verify("Lantern-Marmot-42".to_owned(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("lantern-marmot-42".to_owned(), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("Lantern-Marmot-42".to_owned(), None)
                .await
                .unwrap()
        );
    }

    #[tokio::test]
    async fn a_hash_at_another_cost_needs_rehashing() {
        let hasher = PasswordHasher::new(4, 4, 1, 1).await.unwrap();
        let at_four = hasher.hash("Lantern-Marmot-42".to_owned()).await.unwrap();
        assert_eq!(cost_of(&at_four), Some(4));
        assert!(!hasher.needs_rehash(&at_four));
        let at_five = bcrypt::hash("Lantern-Marmot-42", 5).unwrap();
        assert!(hasher.needs_rehash(&at_five));
    }

    #[tokio::test]
    async fn past_the_queue_limit_a_hash_is_refused_at_once() {
        let hasher = PasswordHasher::new(4, 4, 1, 1).await.unwrap();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let busy = {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.run(move || released.recv()).await })
        };
        // Wait until the only hashing thread is taken.
        while hasher.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let queued = {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.run(|| ()).await })
        };
        while hasher.waiting.load(Ordering::Relaxed) == 0 {
            tokio::task::yield_now().await;
        }
        let refused = hasher.run(|| ()).await.unwrap_err();
        assert_eq!(refused.code(), crate::error::ErrorCode::ServiceUnavailable);
        assert!(refused.retry_after().is_some());
        release.send(()).unwrap();
        busy.await.unwrap().unwrap().unwrap();
        queued.await.unwrap().unwrap();
        assert_eq!(hasher.waiting.load(Ordering::Relaxed), 0);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn hashing_threads_run_at_the_lower_priority() {
        let hasher = PasswordHasher::new(4, 4, 2, 8).await.unwrap();
        // SAFETY: getpriority only reads its integer arguments.
        let nice = hasher
            .run(|| unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) })
            .await
            .unwrap();
        assert_eq!(nice, HASHING_NICENESS);
    }
}
