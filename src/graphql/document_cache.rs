//! Remembers parsed documents by their text. Clients send the same few
//! queries over and over, and parsing (a PEG parser) was the largest single
//! cost of a small GraphQL request; a clone of the parsed document is far
//! cheaper. Validation and the limits still run on every request.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::ExecutableDocument;
use lru::LruCache;

/// Documents longer than this are parsed every time, so the cache's memory
/// stays bounded by `capacity` x this.
const MAX_CACHED_QUERY_BYTES: usize = 16 * 1024;

/// A bounded LRU cache of parsed documents, shared by all requests.
pub struct DocumentCache {
    documents: Mutex<LruCache<Arc<str>, ExecutableDocument>>,
}

impl DocumentCache {
    /// A cache holding up to `capacity` documents.
    pub fn new(capacity: NonZeroUsize) -> Self {
        Self {
            documents: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The parsed document for `query`, if remembered.
    pub fn get(&self, query: &str) -> Option<ExecutableDocument> {
        self.lock().get(query).cloned()
    }

    /// Remembers a document that parsed (errors are cheap to redo), unless
    /// its text is too long to be worth the memory.
    pub fn put(&self, query: &str, document: &ExecutableDocument) {
        if query.len() <= MAX_CACHED_QUERY_BYTES {
            self.lock().put(Arc::from(query), document.clone());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Arc<str>, ExecutableDocument>> {
        // A panic while holding the lock cannot leave the cache inconsistent
        // in a way that matters: at worst an entry is missing.
        self.documents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
