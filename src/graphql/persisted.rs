//! Automatic persisted queries, Apollo's protocol: a client sends
//! `extensions.persistedQuery {version: 1, sha256Hash}` without the text;
//! when the hash is unknown it gets `PERSISTED_QUERY_NOT_FOUND` and sends
//! the text with the hash, which is checked and remembered. Texts are kept
//! by hash in an LRU bounded by the bytes they hold, so no sequence of
//! requests can grow it past `capacity_bytes`.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_graphql::{Request, Value};
use lru::LruCache;
use sha2::{Digest, Sha256};

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

    /// The text a request runs: for a hash-only request, the remembered
    /// text (`PERSISTED_QUERY_NOT_FOUND` when there is none); for a text
    /// sent with its hash, the text, checked and remembered. `None` for a
    /// request without the extension: it runs its own `query`.
    pub fn resolve(&self, request: &Request) -> Result<Option<Arc<str>>, AppError> {
        let Some(extension) = request.extensions.get("persistedQuery") else {
            return Ok(None);
        };
        let hash = requested_hash(extension)?;
        if request.query.is_empty() {
            let text = self.lock().texts.get(&hash).cloned();
            return text.map(Some).ok_or_else(|| {
                // Apollo's clients recognise this exact message as well as the code.
                AppError::new(ErrorCode::PersistedQueryNotFound, "PersistedQueryNotFound")
            });
        }
        if Sha256::digest(request.query.as_bytes())[..] != hash[..] {
            return Err(AppError::new(
                ErrorCode::PersistedQueryHashMismatch,
                "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query text.",
            ));
        }
        Ok(Some(self.remember(hash, &request.query)))
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

/// The digest a well-formed `persistedQuery` extension names (its hex in
/// either case).
fn requested_hash(extension: &Value) -> Result<Digest32, AppError> {
    let malformed = || {
        AppError::new(
            ErrorCode::InvalidRequest,
            "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": <64 hex digits>}.",
        )
    };
    let Value::Object(fields) = extension else {
        return Err(malformed());
    };
    let version_is_1 =
        matches!(fields.get("version"), Some(Value::Number(n)) if n.as_u64() == Some(1));
    let Some(Value::String(hex)) = fields.get("sha256Hash") else {
        return Err(malformed());
    };
    let mut digest = [0u8; 32];
    let decoded = hex.len() == 64
        && hex.is_ascii()
        && digest.iter_mut().enumerate().all(|(i, byte)| {
            u8::from_str_radix(&hex[2 * i..2 * i + 2], 16)
                .map(|b| *byte = b)
                .is_ok()
        });
    if !version_is_1 || !decoded {
        return Err(malformed());
    }
    Ok(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hash(query: &str, hash: &str) -> Request {
        let mut request = Request::new(query);
        let extension = serde_json::json!({ "version": 1, "sha256Hash": hash });
        request.extensions.insert(
            "persistedQuery".to_owned(),
            Value::from_json(extension).unwrap(),
        );
        request
    }

    const QUERY: &str = "{ me { id } }";

    fn hash_of(text: &str) -> String {
        format!("{:x}", Sha256::digest(text.as_bytes()))
    }

    #[test]
    fn a_hash_only_request_is_unknown_until_its_text_is_sent() {
        let store = PersistedQueries::new(1 << 20);
        let hash = hash_of(QUERY);
        let error = store.resolve(&with_hash("", &hash)).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PersistedQueryNotFound);
        store.resolve(&with_hash(QUERY, &hash)).unwrap();
        let hash_only = with_hash("", &hash.to_ascii_uppercase());
        assert_eq!(store.resolve(&hash_only).unwrap().as_deref(), Some(QUERY));
        assert_eq!(store.resolve(&Request::new(QUERY)).unwrap(), None);
    }

    #[test]
    fn a_text_with_another_texts_hash_is_refused_and_not_kept() {
        let store = PersistedQueries::new(1 << 20);
        let wrong = hash_of("{ other }");
        let error = store.resolve(&with_hash(QUERY, &wrong)).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PersistedQueryHashMismatch);
        let error = store.resolve(&with_hash("", &wrong)).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PersistedQueryNotFound);
    }

    #[test]
    fn malformed_extensions_are_invalid_requests() {
        let store = PersistedQueries::new(1 << 20);
        for hash in ["", "abc", &"g".repeat(64)] {
            let error = store.resolve(&with_hash(QUERY, hash)).unwrap_err();
            assert_eq!(error.code(), ErrorCode::InvalidRequest, "{hash:?}");
        }
        let mut request = Request::new(QUERY);
        let extension = serde_json::json!({ "version": 2, "sha256Hash": hash_of(QUERY) });
        request.extensions.insert(
            "persistedQuery".to_owned(),
            Value::from_json(extension).unwrap(),
        );
        assert_eq!(
            store.resolve(&request).unwrap_err().code(),
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn the_store_stays_within_its_bytes() {
        let capacity = 64 * 1024;
        let store = PersistedQueries::new(capacity);
        for n in 0..2_000 {
            let text = format!("{{ entry(key: \"{n:0>200}\") {{ value }} }}");
            store.resolve(&with_hash(&text, &hash_of(&text))).unwrap();
            assert!(store.lock().held_bytes <= capacity);
        }
        let newest = format!("{{ entry(key: \"{:0>200}\") {{ value }} }}", 1_999);
        let hash_only = with_hash("", &hash_of(&newest));
        let kept = store.resolve(&hash_only).unwrap();
        assert_eq!(kept.as_deref(), Some(newest.as_str()));
        let oldest = format!("{{ entry(key: \"{:0>200}\") {{ value }} }}", 0);
        assert!(store.resolve(&with_hash("", &hash_of(&oldest))).is_err());
    }
}
