//! The one async-graphql extension of the schema. async-graphql calls every
//! extension on every hook, field resolutions included, so the checks live
//! as plain functions in their own modules and this single extension calls
//! them: error codes (`errors`), document limits (`limits`), and the parsed
//! document cache (`document_cache`).

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};

use super::RequestContext;
use super::document_cache::DocumentCache;
use super::errors::{code_parse_error, code_remaining_errors, code_validation_errors};
use super::limits::{Limits, check_document};

/// Hooks the checks of this module's siblings into async-graphql.
pub struct Pipeline {
    max_aliases: usize,
    documents: Arc<DocumentCache>,
}

impl Pipeline {
    /// The extension for these limits, with a parsed-document cache of `cache_size`.
    pub fn new(limits: Limits, cache_size: std::num::NonZeroUsize) -> Self {
        Self {
            max_aliases: limits.max_aliases,
            documents: Arc::new(DocumentCache::new(cache_size)),
        }
    }
}

impl ExtensionFactory for Pipeline {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Self {
            max_aliases: self.max_aliases,
            documents: Arc::clone(&self.documents),
        })
    }
}

#[async_trait::async_trait]
impl Extension for Pipeline {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        code_remaining_errors(&mut response);
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = match self.documents.get(query) {
            Some(document) => document,
            None => {
                let document = next.run(ctx, query, variables).await.map_err(|mut error| {
                    code_parse_error(&mut error);
                    error
                })?;
                self.documents.put(query, &document);
                document
            }
        };
        // Per request, cached or not: whether it came over GET differs.
        let read_only = ctx
            .data_opt::<RequestContext>()
            .is_some_and(|request| request.read_only);
        check_document(&document, read_only, self.max_aliases)?;
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|mut errors| {
            code_validation_errors(&mut errors);
            errors
        })
    }
}
