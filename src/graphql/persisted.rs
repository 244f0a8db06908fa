//! Automatic persisted queries, Apollo's protocol: a client sends
//! `extensions.persistedQuery {version: 1, sha256Hash}` without the text;
//! when the hash is unknown it gets `PERSISTED_QUERY_NOT_FOUND` and sends
//! the text with the hash, which is checked and remembered. Texts are kept
//! by hash in an LRU bounded by the bytes they hold, so no sequence of
//! requests can grow it past `capacity_bytes`.

use std::sync::{Mutex, MutexGuard, PoisonError};

use async_graphql::{Request, Value};
use lru::LruCache;
use sha2::{Digest, Sha256};

use crate::error::{AppError, ErrorCode};

/// What a kept text costs besides its bytes: its key, the LRU's node and
/// the map's slot (measured loosely; the bound is what matters).
const ENTRY_OVERHEAD_BYTES: usize = 160;

/// The store of query texts by their SHA-256, shared by all requests.
pub struct PersistedQueries {
    inner: Mutex<Inner>,
    capacity_bytes: usize,
}

struct Inner {
    /// Lower-case hex SHA-256 → the query text.
    texts: LruCache<String, String>,
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

    /// Fills in the text of a hash-only request, or checks and remembers
    /// the text a request sends with its hash. Requests without the
    /// extension pass untouched.
    pub fn resolve(&self, request: &mut Request) -> Result<(), AppError> {
        let Some(extension) = request.extensions.get("persistedQuery") else {
            return Ok(());
        };
        let hash = requested_hash(extension)?;
        if request.query.is_empty() {
            let text = self.lock().texts.get(&hash).cloned();
            request.query = text.ok_or_else(|| {
                // Apollo's clients recognise this exact message as well as the code.
                AppError::new(ErrorCode::PersistedQueryNotFound, "PersistedQueryNotFound")
            })?;
            return Ok(());
        }
        let actual = format!("{:x}", Sha256::digest(request.query.as_bytes()));
        if actual != hash {
            return Err(AppError::new(
                ErrorCode::PersistedQueryHashMismatch,
                "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query text.",
            ));
        }
        self.remember(hash, &request.query);
        Ok(())
    }

    fn remember(&self, hash: String, text: &str) {
        let bytes = text.len() + hash.len() + ENTRY_OVERHEAD_BYTES;
        // One text may take a sixteenth of the store at most, so a few huge
        // documents cannot flush every common one.
        if bytes > self.capacity_bytes / 16 {
            return;
        }
        let mut inner = self.lock();
        if inner.texts.contains(&hash) {
            inner.texts.promote(&hash);
            return;
        }
        while inner.held_bytes + bytes > self.capacity_bytes {
            let Some((old_hash, old_text)) = inner.texts.pop_lru() else {
                break;
            };
            inner.held_bytes -= old_text.len() + old_hash.len() + ENTRY_OVERHEAD_BYTES;
        }
        inner.texts.put(hash, text.to_owned());
        inner.held_bytes += bytes;
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The map stays consistent whatever panicked while it was held.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The lower-case hash of a well-formed `persistedQuery` extension.
fn requested_hash(extension: &Value) -> Result<String, AppError> {
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
    let hash = match fields.get("sha256Hash") {
        Some(Value::String(hash)) => hash,
        _ => return Err(malformed()),
    };
    if !version_is_1 || hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed());
    }
    Ok(hash.to_ascii_lowercase())
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
        let error = store.resolve(&mut with_hash("", &hash)).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PersistedQueryNotFound);
        store.resolve(&mut with_hash(QUERY, &hash)).unwrap();
        let mut hash_only = with_hash("", &hash.to_ascii_uppercase());
        store.resolve(&mut hash_only).unwrap();
        assert_eq!(hash_only.query, QUERY);
    }

    #[test]
    fn a_text_with_another_texts_hash_is_refused_and_not_kept() {
        let store = PersistedQueries::new(1 << 20);
        let wrong = hash_of("{ other }");
        let error = store.resolve(&mut with_hash(QUERY, &wrong)).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PersistedQueryHashMismatch);
        let error = store.resolve(&mut with_hash("", &wrong)).unwrap_err();
        assert_eq!(error.code(), ErrorCode::PersistedQueryNotFound);
    }

    #[test]
    fn malformed_extensions_are_invalid_requests() {
        let store = PersistedQueries::new(1 << 20);
        for hash in ["", "abc", &"g".repeat(64)] {
            let error = store.resolve(&mut with_hash(QUERY, hash)).unwrap_err();
            assert_eq!(error.code(), ErrorCode::InvalidRequest, "{hash:?}");
        }
        let mut request = Request::new(QUERY);
        let extension = serde_json::json!({ "version": 2, "sha256Hash": hash_of(QUERY) });
        request.extensions.insert(
            "persistedQuery".to_owned(),
            Value::from_json(extension).unwrap(),
        );
        assert_eq!(
            store.resolve(&mut request).unwrap_err().code(),
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn the_store_stays_within_its_bytes() {
        let capacity = 64 * 1024;
        let store = PersistedQueries::new(capacity);
        for n in 0..2_000 {
            let text = format!("{{ entry(key: \"{n:0>200}\") {{ value }} }}");
            store
                .resolve(&mut with_hash(&text, &hash_of(&text)))
                .unwrap();
            assert!(store.lock().held_bytes <= capacity);
        }
        let newest = format!("{{ entry(key: \"{:0>200}\") {{ value }} }}", 1_999);
        let mut hash_only = with_hash("", &hash_of(&newest));
        store.resolve(&mut hash_only).unwrap();
        let oldest = format!("{{ entry(key: \"{:0>200}\") {{ value }} }}", 0);
        assert!(
            store
                .resolve(&mut with_hash("", &hash_of(&oldest)))
                .is_err()
        );
    }
}
