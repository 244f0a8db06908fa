//! How one GraphQL request runs: its document comes from the parsed-document
//! cache (on a miss, its text's nesting is checked, then it is parsed and
//! remembered), the limits are checked on it (`limits.rs`: aliases, depth,
//! complexity and validation work, with fragment spreads counted where they
//! are used, and mutations over GET), the schema validates and executes it,
//! and every error leaves with a code. async-graphql's own depth and
//! complexity limits are not used: they expand every fragment spread.
//!
//! This is plain code around `Schema::execute` rather than an async-graphql
//! extension: with any extension installed, async-graphql creates it anew
//! for every request, boxes a future per hook, and sends every field
//! resolution through the extension chain (a boxed future and a schema
//! lookup by type name per field). The profile showed that, not the checks,
//! as the cost.

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{BatchRequest, BatchResponse, Request, Response, ServerError, ServerResult};

use super::AppSchema;
use super::cost::Connections;
use super::document_cache::DocumentCache;
use super::errors::{code_uncoded_errors, server_error};
use super::limits::{Limits, check_document};
use super::nesting::{MAX_NESTING, bracket_depth};
use super::persisted::PersistedQueries;
use crate::error::{AppError, ErrorCode};

/// The schema with the parsed-document cache and the document checks.
pub struct Executor {
    schema: AppSchema,
    documents: DocumentCache,
    persisted: PersistedQueries,
    limits: Limits,
    connections: Connections,
}

impl Executor {
    /// Wraps `schema` (built without depth or complexity limits: `limits`
    /// are checked here) with a cache of parsed documents holding up to
    /// `cache_bytes`, and a store of persisted query texts holding up to
    /// `persisted_bytes`. `connections` names the schema's connection fields.
    pub fn new(
        schema: AppSchema,
        limits: Limits,
        connections: Connections,
        cache_bytes: usize,
        persisted_bytes: usize,
    ) -> Self {
        Self {
            schema,
            documents: DocumentCache::new(cache_bytes),
            persisted: PersistedQueries::new(persisted_bytes),
            limits,
            connections,
        }
    }

    /// Refuses a query text over `GRAPHQL_MAX_QUERY_BYTES`; transports call
    /// it on every request of a batch before running any.
    pub fn check_query_size(&self, query: &str) -> Result<(), AppError> {
        if query.len() > self.limits.max_query_bytes {
            return Err(AppError::new(
                ErrorCode::PayloadTooLarge,
                format!(
                    "The query text is {} bytes; at most {} are allowed.",
                    query.len(),
                    self.limits.max_query_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Runs one request; `read_only` (a GET) refuses mutations. A request
    /// that carries only a persisted query's hash runs the remembered text.
    pub async fn execute(&self, mut request: Request, read_only: bool) -> Response {
        if let Err(error) = self.persisted.resolve(&mut request) {
            return Response::from_errors(vec![server_error(error, Vec::new())]);
        }
        let document = match self.document(&request.query) {
            Ok(document) => document,
            Err(error) => return Response::from_errors(vec![error]),
        };
        let checked = check_document(
            &document,
            &request.variables,
            read_only,
            &self.limits,
            self.connections,
        );
        if let Err(error) = checked {
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
        let nesting = bracket_depth(query);
        if nesting > MAX_NESTING {
            let message = format!(
                "The document nests brackets {nesting} deep; at most {MAX_NESTING} are allowed."
            );
            let error = AppError::new(ErrorCode::GraphqlDepthLimitExceeded, message);
            return Err(server_error(error, Vec::new()));
        }
        let document = async_graphql::parser::parse_query(query).map_err(|error| {
            let error = ServerError::from(error);
            let coded = AppError::new(ErrorCode::GraphqlParseFailed, error.message);
            server_error(coded, error.locations)
        })?;
        self.documents.put(query, &document);
        Ok(document)
    }
}
