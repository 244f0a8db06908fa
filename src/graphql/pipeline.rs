//! How one GraphQL request runs: its document comes from the parsed-document
//! cache (parsed and remembered on a miss), the checks async-graphql does
//! not do itself run on it (aliases, mutations over GET), the schema
//! validates and executes it, and every error leaves with a code.
//!
//! This is plain code around `Schema::execute` rather than an async-graphql
//! extension: with any extension installed, async-graphql creates it anew
//! for every request, boxes a future per hook, and sends every field
//! resolution through the extension chain (a boxed future and a schema
//! lookup by type name per field). The profile showed that, not the checks,
//! as the cost.

use std::num::NonZeroUsize;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{BatchRequest, BatchResponse, Request, Response, ServerError, ServerResult};

use super::AppSchema;
use super::document_cache::DocumentCache;
use super::errors::{code_parse_error, code_uncoded_errors};
use super::limits::{Limits, check_document};

/// The schema with the parsed-document cache and the document checks.
pub struct Executor {
    schema: AppSchema,
    documents: DocumentCache,
    max_aliases: usize,
}

impl Executor {
    /// Wraps `schema` (built with `limits`' depth and complexity) with a
    /// cache of up to `cache_size` parsed documents.
    pub fn new(schema: AppSchema, limits: Limits, cache_size: NonZeroUsize) -> Self {
        Self {
            schema,
            documents: DocumentCache::new(cache_size),
            max_aliases: limits.max_aliases,
        }
    }

    /// Runs one request; `read_only` (a GET) refuses mutations.
    pub async fn execute(&self, mut request: Request, read_only: bool) -> Response {
        let document = match self.document(&request.query) {
            Ok(document) => document,
            Err(error) => return Response::from_errors(vec![error]),
        };
        if let Err(error) = check_document(&document, read_only, self.max_aliases) {
            return Response::from_errors(vec![error]);
        }
        request.set_parsed_query(document);
        let mut response = self.schema.execute(request).await;
        code_uncoded_errors(&mut response);
        response
    }

    /// Runs a batch's requests one after another, as async-graphql does.
    pub async fn execute_batch(&self, batch: BatchRequest, read_only: bool) -> BatchResponse {
        match batch {
            BatchRequest::Single(request) => {
                BatchResponse::Single(self.execute(request, read_only).await)
            }
            BatchRequest::Batch(requests) => {
                let mut responses = Vec::with_capacity(requests.len());
                for request in requests {
                    responses.push(self.execute(request, read_only).await);
                }
                BatchResponse::Batch(responses)
            }
        }
    }

    /// The parsed document, from the cache or parsed now (and remembered).
    fn document(&self, query: &str) -> ServerResult<ExecutableDocument> {
        if let Some(document) = self.documents.get(query) {
            return Ok(document);
        }
        let document = async_graphql::parser::parse_query(query).map_err(|error| {
            let mut error = ServerError::from(error);
            code_parse_error(&mut error);
            error
        })?;
        self.documents.put(query, &document);
        Ok(document)
    }
}
