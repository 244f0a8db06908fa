//! Remembers parsed documents by their text. Clients send the same few
//! queries over and over, and parsing (a PEG parser) was the largest single
//! cost of a small GraphQL request; a clone of the parsed document is far
//! cheaper. Validation and the limits still run on every request.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{ServerResult, Variables};
use lru::LruCache;

/// Documents longer than this are parsed every time, so the cache's memory
/// stays bounded by `capacity` x this.
const MAX_CACHED_QUERY_BYTES: usize = 16 * 1024;

/// A bounded LRU cache of parsed documents, shared by all requests.
pub struct DocumentCache {
    documents: Arc<Mutex<LruCache<Arc<str>, ExecutableDocument>>>,
}

impl DocumentCache {
    /// A cache holding up to `capacity` documents.
    pub fn new(capacity: NonZeroUsize) -> Self {
        Self {
            documents: Arc::new(Mutex::new(LruCache::new(capacity))),
        }
    }
}

impl ExtensionFactory for DocumentCache {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Self {
            documents: Arc::clone(&self.documents),
        })
    }
}

#[async_trait::async_trait]
impl Extension for DocumentCache {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        if query.len() > MAX_CACHED_QUERY_BYTES {
            return next.run(ctx, query, variables).await;
        }
        let cached = self.lock().get(query).cloned();
        if let Some(document) = cached {
            return Ok(document);
        }
        // Only documents that parse are remembered; errors are cheap to redo.
        let document = next.run(ctx, query, variables).await?;
        self.lock().put(Arc::from(query), document.clone());
        Ok(document)
    }
}

impl DocumentCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Arc<str>, ExecutableDocument>> {
        // A panic while holding the lock cannot leave the cache inconsistent
        // in a way that matters: at worst an entry is missing.
        self.documents
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
