//! Automatic persisted queries, Apollo's protocol: a client sends
//! `extensions.persistedQuery {version: 1, sha256Hash}` without the text;
//! when the hash is unknown it gets `PERSISTED_QUERY_NOT_FOUND` and sends
//! the text with the hash, which is checked and remembered. Texts are kept
//! by hash in an LRU bounded by the bytes they hold, so no sequence of
//! requests can grow it past `capacity_bytes`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lru::LruCache;
use sha2::{Digest, Sha256};

use super::client_request::PersistedQuery;
use crate::error::{AppError, ErrorCode};

/// What a kept text costs besides its bytes: its key, the `Arc`'s counts,
/// the LRU's node and the map's slot (measured loosely; the bound is what
/// matters).
const ENTRY_OVERHEAD_BYTES: usize = 160;

/// A SHA-256 digest, the store's key.
type Digest32 = [u8; 32];

/// The store of query texts by their SHA-256, shared by all requests.
pub struct PersistedQueries {
    inner: Mutex<Inner>,
    capacity_bytes: usize,
}

struct Inner {
    /// SHA-256 → the query text.
    texts: LruCache<Digest32, Arc<str>>,
    held_bytes: usize,
}

impl PersistedQueries {
    /// A store holding texts of up to `capacity_bytes` in all.
    pub fn new(capacity_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                texts: LruCache::unbounded(),
                held_bytes: 0,
            }),
            capacity_bytes,
        }
    }

    /// The text a request runs: for a hash-only request (empty `query`),
    /// the remembered text (`PERSISTED_QUERY_NOT_FOUND` when there is
    /// none); for a text sent with its hash, the text, checked and
    /// remembered. `None` for a request without the extension: it runs
    /// its own `query`.
    pub fn resolve(
        &self,
        query: &str,
        extension: Option<&PersistedQuery>,
    ) -> Result<Option<Arc<str>>, AppError> {
        let hash = match extension {
            None => return Ok(None),
            Some(PersistedQuery::Sha256(hash)) => *hash,
            Some(PersistedQuery::Malformed) => {
                return Err(AppError::new(
                    ErrorCode::InvalidRequest,
                    "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": <64 hex digits>}.",
                ));
            }
        };
        if query.is_empty() {
            let text = self.lock().texts.get(&hash).cloned();
            return text.map(Some).ok_or_else(|| {
                // Apollo's clients recognise this exact message as well as the code.
                AppError::new(ErrorCode::PersistedQueryNotFound, "PersistedQueryNotFound")
            });
        }
        if Sha256::digest(query.as_bytes())[..] != hash[..] {
            return Err(AppError::new(
                ErrorCode::PersistedQueryHashMismatch,
                "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query text.",
            ));
        }
        Ok(Some(self.remember(hash, query)))
    }

    /// Keeps `text` under `hash` (unless it is too big to keep) and returns it.
    fn remember(&self, hash: Digest32, text: &str) -> Arc<str> {
        let bytes = text.len() + ENTRY_OVERHEAD_BYTES;
        let mut inner = self.lock();
        if let Some(kept) = inner.texts.get(&hash) {
            return Arc::clone(kept);
        }
        let text: Arc<str> = Arc::from(text);
        // One text may take a sixteenth of the store at most, so a few huge
        // documents cannot flush every common one.
        if bytes > self.capacity_bytes / 16 {
            return text;
        }
        while inner.held_bytes + bytes > self.capacity_bytes {
            let Some((_, old_text)) = inner.texts.pop_lru() else {
                break;
            };
            inner.held_bytes -= old_text.len() + ENTRY_OVERHEAD_BYTES;
        }
        inner.texts.put(hash, Arc::clone(&text));
        inner.held_bytes += bytes;
        text
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The map stays consistent whatever panicked while it was held.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: &str = "{ me { id } }";

    fn digest_of(text: &str) -> [u8; 32] {
        Sha256::digest(text.as_bytes()).into()
    }

    fn sha256(text: &str) -> Option<PersistedQuery> {
        Some(PersistedQuery::Sha256(digest_of(text)))
    }

    #[test]
    fn a_hash_only_request_is_unknown_until_its_text_is_sent() {
        let store = PersistedQueries::new(1 << 20);
        let error = store.resolve("", sha256(QUERY).as_ref()).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PersistedQueryNotFound);
        let sent = store.resolve(QUERY, sha256(QUERY).as_ref()).unwrap();
        assert_eq!(sent.as_deref(), Some(QUERY));
        let remembered = store.resolve("", sha256(QUERY).as_ref()).unwrap();
        assert_eq!(remembered.as_deref(), Some(QUERY));
        assert_eq!(store.resolve(QUERY, None).unwrap(), None);
    }

    #[test]
    fn a_text_with_another_texts_hash_is_refused_and_not_kept() {
        let store = PersistedQueries::new(1 << 20);
        let wrong = sha256("{ other }");
        let error = store.resolve(QUERY, wrong.as_ref()).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PersistedQueryHashMismatch);
        let error = store.resolve("", wrong.as_ref()).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PersistedQueryNotFound);
    }

    #[test]
    fn a_malformed_extension_is_an_invalid_request() {
        let store = PersistedQueries::new(1 << 20);
        let error = store
            .resolve(QUERY, Some(&PersistedQuery::Malformed))
            .unwrap_err();
        assert_eq!(error.code(), ErrorCode::InvalidRequest);
    }

    #[test]
    fn the_store_stays_within_its_bytes() {
        let capacity = 64 * 1024;
        let store = PersistedQueries::new(capacity);
        let text = |n: usize| format!("{{ entry(key: \"{n:0>200}\") {{ value }} }}");
        for n in 0..2_000 {
            store.resolve(&text(n), sha256(&text(n)).as_ref()).unwrap();
            assert!(store.lock().held_bytes <= capacity);
        }
        let newest = store.resolve("", sha256(&text(1_999)).as_ref()).unwrap();
        assert_eq!(newest.as_deref(), Some(text(1_999).as_str()));
        assert!(store.resolve("", sha256(&text(0)).as_ref()).is_err());
    }
}
