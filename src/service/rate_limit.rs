//! Limits token requests per client address and username, so a password
//! cannot be guessed at speed. Keyed by both: one attacker cannot lock a
//! user out from everywhere, and parallel clients do not share a budget.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::{AppError, AppResult};

/// Usernames are at most 32 bytes, so longer ones (which match no account)
/// share a bucket instead of growing the limiter's memory.
const KEY_BYTES: usize = 32;

/// A keyed token-bucket limiter for token requests.
pub struct TokenRateLimiter {
    limiter: DefaultKeyedRateLimiter<(IpAddr, String)>,
}

impl TokenRateLimiter {
    /// Allows `per_minute` attempts a minute for each (address, username),
    /// in a burst or spread out.
    pub fn new(per_minute: NonZeroU32) -> Self {
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
        }
    }

    /// Counts one attempt; fails with `RATE_LIMITED` and a retry delay when over the limit.
    pub fn check(&self, client: IpAddr, username: &str) -> AppResult<()> {
        let mut name = username.to_lowercase();
        if name.len() > KEY_BYTES {
            name.clear();
        }
        self.limiter
            .check_key(&(client, name))
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                // Retry-After is in whole seconds: round up so a retry at that time succeeds.
                AppError::rate_limited(Duration::from_secs(wait.as_secs() + 1))
            })
    }

    /// Forgets buckets that are full again, bounding memory.
    pub fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}
