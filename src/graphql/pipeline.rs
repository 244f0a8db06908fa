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

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{BatchResponse, Request, Response, ServerError, ServerResult};

use super::client_request::{ClientBatch, ClientRequest};
use super::cost::Connections;
use super::document_cache::{CachedDocument, DocumentCache};
use super::errors::{code_uncoded_errors, server_error};
use super::limits::{Limits, check_document};
use super::nesting::{MAX_NESTING, bracket_depth};
use super::persisted::PersistedQueries;
use super::{AppSchema, RequestContext};
use crate::error::{AppError, ErrorCode};

/// The schema with the parsed-document cache and the document checks.
pub struct Executor {
    schema: AppSchema,
    /// The same schema with async-graphql's `Fast` validation, for queries
    /// whose document has passed the full validation before (see `execute`).
    revalidating_less: AppSchema,
    documents: DocumentCache,
    persisted: PersistedQueries,
    limits: Limits,
    connections: Connections,
}

impl Executor {
    /// Wraps `schema` (built without depth or complexity limits: `limits`
    /// are checked here) and its copy in `Fast` validation mode with a cache of parsed documents holding up to
    /// `cache_bytes`, and a store of persisted query texts holding up to
    /// `persisted_bytes`. `connections` names the schema's connection fields.
    pub fn new(
        schema: AppSchema,
        revalidating_less: AppSchema,
        limits: Limits,
        connections: Connections,
        cache_bytes: usize,
        persisted_bytes: usize,
    ) -> Self {
        Self {
            schema,
            revalidating_less,
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

    /// Runs one request for the caller `context`; `read_only` (a GET)
    /// refuses mutations. A request that carries only a persisted query's
    /// hash runs the remembered text.
    ///
    /// async-graphql validates every document on every request, which was
    /// a third of a small query's time. Validation depends on the document
    /// and, for arguments given as variables, on the variables' values. So
    /// a query whose document has passed the full validation once runs
    /// with the `Fast` rules (cycles and limits only); a variable of the
    /// wrong type then fails when its resolver reads it, as an error
    /// without an [`AppError`](crate::error::AppError), and the query runs
    /// again with every rule, so the answer is exactly the full
    /// validation's. Queries only: a mutation's first field could have
    /// written before a later one failed, so mutations are always validated
    /// in full.
    pub async fn execute(
        &self,
        client_request: ClientRequest,
        context: RequestContext,
        read_only: bool,
    ) -> Response {
        let persisted =
            (self.persisted).resolve(&client_request.query, client_request.persisted_query());
        let remembered = match persisted {
            Ok(remembered) => remembered,
            Err(error) => return Response::from_errors(vec![server_error(error, Vec::new())]),
        };
        let ClientRequest {
            query: own,
            operation_name,
            variables,
            ..
        } = client_request;
        // The text runs from one of two places; neither is copied.
        let query: &str = remembered.as_deref().unwrap_or(&own);
        let cached = match self.document(query) {
            Ok(cached) => cached,
            Err(error) => return Response::from_errors(vec![error]),
        };
        let checked = check_document(
            &cached.document,
            &variables,
            read_only,
            &self.limits,
            self.connections,
        );
        if let Err(error) = checked {
            return Response::from_errors(vec![error]);
        }
        let request = |variables, operation_name| {
            let mut request = Request::new(String::new()).variables(variables);
            request.operation_name = operation_name;
            request
        };
        let mut response = if cached.validated && only_queries(&cached.document) {
            // The variables are copied only here: a second run may need them.
            let first = request(variables.clone(), operation_name.clone());
            let response = (self.revalidating_less)
                .execute(parsed(first, cached.document, context.clone()))
                .await;
            match self.documents.get(query) {
                Some(fresh) if !response.errors.iter().all(has_app_error) => {
                    let again = request(variables, operation_name);
                    (self.schema)
                        .execute(parsed(again, fresh.document, context))
                        .await
                }
                _ => response,
            }
        } else {
            let response = (self.schema)
                .execute(parsed(
                    request(variables, operation_name),
                    cached.document,
                    context,
                ))
                .await;
            // An error without a path may be validation's; anything else ran.
            if response.errors.iter().all(|error| !error.path.is_empty()) {
                self.documents.mark_validated(query);
            }
            response
        };
        code_uncoded_errors(&mut response);
        response
    }

    /// Runs a batch's requests one after another, as async-graphql does.
    pub async fn execute_batch(
        &self,
        batch: ClientBatch,
        context: RequestContext,
        read_only: bool,
    ) -> BatchResponse {
        match batch {
            ClientBatch::Single(request) => {
                BatchResponse::Single(self.execute(request, context, read_only).await)
            }
            ClientBatch::Batch(requests) => {
                let mut responses = Vec::with_capacity(requests.len());
                for request in requests {
                    responses.push(self.execute(request, context.clone(), read_only).await);
                }
                BatchResponse::Batch(responses)
            }
        }
    }

    /// The parsed document, from the cache or parsed now (and remembered).
    fn document(&self, query: &str) -> ServerResult<CachedDocument> {
        if let Some(cached) = self.documents.get(query) {
            return Ok(cached);
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
        Ok(CachedDocument {
            document,
            validated: false,
        })
    }
}

/// `request` ready to run: its parsed `document` and its caller's `context`.
fn parsed(mut request: Request, document: ExecutableDocument, context: RequestContext) -> Request {
    request.set_parsed_query(document);
    request.data(context)
}

/// True when every operation of `document` is a query (no mutation can
/// have run when a later field fails).
fn only_queries(document: &ExecutableDocument) -> bool {
    document
        .operations
        .iter()
        .all(|(_, operation)| operation.node.ty == OperationType::Query)
}

/// True for an error raised by datakeep's own code (a resolver, a limit),
/// false for one async-graphql raised itself, such as a variable of the
/// wrong type found only when its resolver read it.
fn has_app_error(error: &ServerError) -> bool {
    error.source::<crate::error::AppError>().is_some()
}
