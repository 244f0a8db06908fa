//! Remembers parsed documents by their text. Clients send the same few
//! queries over and over, and parsing (a PEG parser) was the largest single
//! cost of a small GraphQL request; a clone of the parsed document is far
//! cheaper. The limits and validation still run on every request.
//!
//! The cache is bounded by the bytes its documents hold, not by their
//! number: 512 cached 16 KiB documents of one-letter fields once took the
//! server from 11 MB to 906 MB resident.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

use super::document_size::heap_bytes;

/// A bounded LRU cache of parsed documents, shared by all requests.
pub struct DocumentCache {
    inner: Mutex<Inner>,
    /// Most bytes the cached documents (and their texts) may hold.
    capacity_bytes: usize,
}

struct Inner {
    documents: LruCache<Arc<str>, Arc<Cached>>,
    held_bytes: usize,
}

/// Shared, so that a request copies its document after the lock is let go
/// (copying it under the lock made the requests of both cores queue).
struct Cached {
    document: ExecutableDocument,
    /// What this entry holds: the parsed document and its text.
    bytes: usize,
    /// The document has passed async-graphql's full validation once.
    validated: AtomicBool,
}

/// A remembered document, and whether it has passed full validation.
pub struct CachedDocument {
    /// A copy of the parsed document, for the request to own.
    pub document: ExecutableDocument,
    /// See [`DocumentCache::mark_validated`].
    pub validated: bool,
}

impl DocumentCache {
    /// A cache holding documents of up to `capacity_bytes` in all.
    pub fn new(capacity_bytes: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                documents: LruCache::unbounded(),
                held_bytes: 0,
            }),
            capacity_bytes,
        }
    }

    /// The parsed document for `query`, if remembered.
    pub fn get(&self, query: &str) -> Option<CachedDocument> {
        let cached = Arc::clone(self.lock().documents.get(query)?);
        Some(CachedDocument {
            document: cached.document.clone(),
            validated: cached.validated.load(Ordering::Relaxed),
        })
    }

    /// Records that `query`'s document passed every validation rule (with
    /// the variables of one request; only variable values can still fail).
    pub fn mark_validated(&self, query: &str) {
        if let Some(cached) = self.lock().documents.peek(query) {
            cached.validated.store(true, Ordering::Relaxed);
        }
    }

    /// Remembers a document that parsed (errors are cheap to redo), making
    /// room by forgetting the least recently used ones. A document bigger
    /// than a sixteenth of the cache is not kept, so one huge document
    /// cannot flush every common one.
    pub fn put(&self, query: &str, document: &ExecutableDocument) {
        // The copy kept is measured: a clone's vectors hold no spare
        // capacity, unlike the parser's, so it is often half the size.
        let document = document.clone();
        let bytes = heap_bytes(&document) + query.len();
        if bytes > self.capacity_bytes / 16 {
            return;
        }
        let mut inner = self.lock();
        if inner.documents.contains(query) {
            return;
        }
        while inner.held_bytes + bytes > self.capacity_bytes {
            let Some((_, evicted)) = inner.documents.pop_lru() else {
                break;
            };
            inner.held_bytes -= evicted.bytes;
        }
        inner.held_bytes += bytes;
        let cached = Cached {
            document,
            bytes,
            validated: AtomicBool::new(false),
        };
        inner.documents.put(Arc::from(query), Arc::new(cached));
    }

    /// Bytes the cached documents hold now.
    #[cfg(test)]
    fn held_bytes(&self) -> usize {
        self.lock().held_bytes
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the cache inconsistent
        // in a way that matters: at worst an entry is missing.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(text).unwrap()
    }

    #[test]
    fn stays_within_its_bytes_and_keeps_the_most_recent() {
        let cache = DocumentCache::new(256 * 1024);
        let texts: Vec<String> = (0..500)
            .map(|i| format!("query Q{i} {{ {} }}", "me { id } ".repeat(20)))
            .collect();
        for text in &texts {
            cache.put(text, &parsed(text));
            assert!(cache.held_bytes() <= 256 * 1024);
        }
        assert!(
            cache
                .get(&texts[499])
                .is_some_and(|cached| !cached.validated)
        );
        cache.mark_validated(&texts[499]);
        assert!(
            cache
                .get(&texts[499])
                .is_some_and(|cached| cached.validated)
        );
        assert!(cache.get(&texts[0]).is_none());
    }

    #[test]
    fn a_document_over_a_sixteenth_is_not_kept() {
        let cache = DocumentCache::new(64 * 1024);
        let huge = format!("{{ {} }}", "a ".repeat(4000));
        cache.put(&huge, &parsed(&huge));
        assert_eq!(cache.held_bytes(), 0);
        assert!(cache.get(&huge).is_none());
    }
}
