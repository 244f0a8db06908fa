//! Remembers tokens whose signature has already checked out. A client sends
//! the same token with every request until it expires, and decoding and
//! HMAC-checking it again was ~6% of a REST GET's CPU in the profile (in an
//! A/B run, GET went 0.86 x as fast without this cache: BENCHMARKS.md item
//! 22). A hit still checks expiry against the same clock, so a remembered token is
//! accepted exactly when a full check would accept it: the secret cannot
//! change while the process runs, and tokens are never revoked early.

use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use lru::LruCache;

use crate::model::Caller;

/// Tokens longer than this are checked every time; ours are ~150 bytes, so
/// this only keeps the cache's memory bounded by `capacity` x this.
const MAX_CACHED_TOKEN_BYTES: usize = 512;

/// A bounded LRU cache from a verified token to the account it names.
pub struct VerifiedTokens {
    tokens: Mutex<LruCache<Box<str>, Verified>>,
}

#[derive(Clone, Copy)]
struct Verified {
    caller: Caller,
    /// The token's `exp`: valid while `now <= expires_at`, as jsonwebtoken
    /// checks with zero leeway.
    expires_at: u64,
}

impl VerifiedTokens {
    /// A cache holding up to `capacity` tokens.
    pub fn new(capacity: NonZeroUsize) -> Self {
        Self {
            tokens: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// Who a remembered token speaks for, unless it has expired by `now`
    /// (seconds since the Unix epoch); an expired token is forgotten.
    pub fn get(&self, token: &str, now: u64) -> Option<Caller> {
        let mut tokens = self.lock();
        let verified = *tokens.get(token)?;
        if now <= verified.expires_at {
            Some(verified.caller)
        } else {
            tokens.pop(token);
            None
        }
    }

    /// Remembers a token that passed the full check.
    pub fn put(&self, token: &str, caller: Caller, expires_at: u64) {
        if token.len() <= MAX_CACHED_TOKEN_BYTES {
            self.lock()
                .put(Box::from(token), Verified { caller, expires_at });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Box<str>, Verified>> {
        // The cache holds no invariant a panicking holder could break.
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> VerifiedTokens {
        VerifiedTokens::new(NonZeroUsize::new(2).unwrap())
    }

    fn caller(id: i64) -> Caller {
        Caller {
            user: crate::model::UserId(id),
            session: crate::model::SessionId([0; 16]),
        }
    }

    #[test]
    fn a_remembered_token_is_valid_up_to_and_including_its_expiry_second() {
        let tokens = cache();
        tokens.put("t", caller(7), 100);
        assert_eq!(tokens.get("t", 99), Some(caller(7)));
        assert_eq!(tokens.get("t", 100), Some(caller(7)));
        assert_eq!(tokens.get("t", 101), None);
        // Forgotten once expired, even if the clock were to step back.
        assert_eq!(tokens.get("t", 100), None);
    }

    #[test]
    fn only_the_exact_token_matches() {
        let tokens = cache();
        tokens.put("token", caller(1), 100);
        assert_eq!(tokens.get("token ", 50), None);
        assert_eq!(tokens.get("tokem", 50), None);
    }

    #[test]
    fn the_least_recently_used_token_is_evicted_and_long_tokens_are_not_kept() {
        let tokens = cache();
        tokens.put("a", caller(1), 100);
        tokens.put("b", caller(2), 100);
        tokens.get("a", 50);
        tokens.put("c", caller(3), 100);
        assert_eq!(tokens.get("b", 50), None);
        assert_eq!(tokens.get("a", 50), Some(caller(1)));
        let long = "x".repeat(MAX_CACHED_TOKEN_BYTES + 1);
        tokens.put(&long, caller(4), 100);
        assert_eq!(tokens.get(&long, 50), None);
    }
}
