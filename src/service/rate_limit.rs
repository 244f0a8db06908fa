//! Rate limits on logins and registrations (contract section 11), each a
//! keyed token bucket (governor's GCRA), refilled continuously:
//!
//! - token requests per (client address, username), so a password cannot be
//!   guessed at speed, while one attacker cannot lock a user out from
//!   everywhere and parallel clients do not share a budget;
//! - token requests per client address across usernames, so one address
//!   cannot spray a password over many accounts;
//! - registrations per client address, each of which costs a bcrypt hash.
//!
//! (Failed logins per username across all addresses are counted in the
//! database, so every server sharing it sees them: `accounts.rs`.)

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::{AppError, AppResult};

/// Usernames are at most 32 bytes, so longer ones (which match no account)
/// share a bucket instead of growing the limiter's memory.
const KEY_BYTES: usize = 32;

/// Most keys one limiter tracks (about 100 bytes each). Past it, idle keys
/// are forgotten at once; if it is still full, new keys are refused until
/// the next prune, so memory stays bounded under a flood of addresses.
const MAX_TRACKED_KEYS: usize = 100_000;

/// How long a refused attempt waits for its answer. A client hammering past
/// its limit then sends at most a few attempts per connection per second, so
/// a storm of refusals costs the server (and the requests beside it) almost
/// nothing; answered at once, 64 connections drew 16,700 refusals a second
/// and cut other requests to 0.29 x their rate (BENCHMARKS.md).
pub const REFUSAL_PAUSE: Duration = Duration::from_millis(250);

/// `refusal`, after [`REFUSAL_PAUSE`].
pub async fn after_pause<T>(refusal: AppError) -> AppResult<T> {
    tokio::time::sleep(REFUSAL_PAUSE).await;
    Err(refusal)
}

/// A keyed limiter that tracks a bounded number of keys.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    what: &'static str,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// Allows `quota` for each key; `what` names the limit in its error.
    fn new(quota: Quota, what: &'static str) -> Self {
        Self {
            limiter: RateLimiter::keyed(quota),
            what,
        }
    }

    /// Counts one attempt for `key`; `RATE_LIMITED` with a retry delay when
    /// over the limit.
    fn check(&self, key: &K) -> AppResult<()> {
        if self.limiter.len() >= MAX_TRACKED_KEYS {
            self.limiter.retain_recent();
            if self.limiter.len() >= MAX_TRACKED_KEYS {
                return Err(AppError::rate_limited(self.what, Duration::from_secs(60)));
            }
        }
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            // Retry-After is in whole seconds: round up so a retry at that time succeeds.
            AppError::rate_limited(self.what, Duration::from_secs(wait.as_secs() + 1))
        })
    }

    /// Forgets buckets that are full again, bounding memory.
    fn prune(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
    }
}

/// The configured login and registration limits; `None` turns one off.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoginLimits {
    /// Token requests per minute per client address and username.
    pub per_address_and_username: Option<NonZeroU32>,
    /// Token requests per minute per client address.
    pub per_address: Option<NonZeroU32>,
    /// Registrations per hour per client address.
    pub registrations_per_address: Option<NonZeroU32>,
}

/// The limiters of [`LoginLimits`].
pub struct RateLimits {
    per_address_and_username: Option<KeyedLimit<(IpAddr, String)>>,
    per_address: Option<KeyedLimit<IpAddr>>,
    registrations: Option<KeyedLimit<IpAddr>>,
}

impl RateLimits {
    /// Limiters for `limits`.
    pub fn new(limits: LoginLimits) -> Self {
        Self {
            per_address_and_username: limits
                .per_address_and_username
                .map(|n| KeyedLimit::new(Quota::per_minute(n), "token requests")),
            per_address: limits
                .per_address
                .map(|n| KeyedLimit::new(Quota::per_minute(n), "token requests")),
            registrations: limits
                .registrations_per_address
                .map(|n| KeyedLimit::new(Quota::per_hour(n), "registrations")),
        }
    }

    /// Counts a token request from `client` for `username`.
    pub fn check_token_request(&self, client: IpAddr, username: &str) -> AppResult<()> {
        if let Some(limit) = &self.per_address {
            limit.check(&client)?;
        }
        if let Some(limit) = &self.per_address_and_username {
            let mut name = username.to_lowercase();
            if name.len() > KEY_BYTES {
                name.clear();
            }
            limit.check(&(client, name))?;
        }
        Ok(())
    }

    /// Counts a registration from `client`.
    pub fn check_registration(&self, client: IpAddr) -> AppResult<()> {
        match &self.registrations {
            Some(limit) => limit.check(&client),
            None => Ok(()),
        }
    }

    /// Forgets idle buckets, bounding memory.
    pub fn prune(&self) {
        if let Some(limit) = &self.per_address_and_username {
            limit.prune();
        }
        for limit in [&self.per_address, &self.registrations]
            .into_iter()
            .flatten()
        {
            limit.prune();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limit_counts_its_own_key() {
        let limits = RateLimits::new(LoginLimits {
            per_address_and_username: NonZeroU32::new(2),
            per_address: NonZeroU32::new(3),
            registrations_per_address: NonZeroU32::new(1),
        });
        let one: IpAddr = "192.0.2.1".parse().unwrap();
        let two: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(limits.check_token_request(one, "alice").is_ok());
        assert!(limits.check_token_request(one, "ALICE").is_ok());
        // The third for (one, alice): over the per-username limit.
        assert!(limits.check_token_request(one, "alice").is_err());
        // Spraying: the address's own limit (3) is spent.
        assert!(limits.check_token_request(one, "bob").is_err());
        assert!(limits.check_token_request(two, "alice").is_ok());
        assert!(limits.check_registration(one).is_ok());
        let refused = limits.check_registration(one).unwrap_err();
        assert!(refused.retry_after().is_some());
    }
}
