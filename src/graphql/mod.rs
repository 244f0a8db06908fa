//! The GraphQL schema (contract section 5). This module knows nothing of
//! HTTP: `http::graphql` reads the request and hands the caller's identity
//! in as [`RequestContext`]. Resolvers are thin: one service call each.

mod accounts;
mod client_request;
mod cost;
mod document_cache;
mod document_size;
mod entries;
mod errors;
mod limits;
mod nesting;
mod persisted;
mod pipeline;
mod scalars;
mod sessions;

use std::sync::Arc;

use async_graphql::{
    Context, EmptySubscription, MergedObject, SDLExportOptions, Schema, ValidationMode,
};

use crate::error::AppError;
use crate::model::{Caller, ClientInfo};
use crate::service::{Service, validation};

pub use client_request::{ClientBatch, ClientRequest, PersistedQuery, RequestExtensions};
pub use limits::Limits;
pub use pipeline::Executor;

/// Bytes the parsed-document cache may hold: room for hundreds of typical
/// documents (a few KiB parsed each), small beside the process's memory.
const DOCUMENT_CACHE_BYTES: usize = 8 * 1024 * 1024;

/// The schema's connections, for the complexity limit.
const CONNECTIONS: cost::Connections = cost::Connections {
    fields: &["entries"],
    default_page: validation::DEFAULT_PAGE_SIZE as u64,
    max_page: validation::MAX_PAGE_SIZE as u64,
};

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Root query type, merged from the domains.
#[derive(MergedObject, Default)]
pub struct Query(
    accounts::AccountsQuery,
    entries::EntriesQuery,
    sessions::SessionsQuery,
);

/// Root mutation type, merged from the domains.
#[derive(MergedObject, Default)]
pub struct Mutation(
    accounts::AccountsMutation,
    entries::EntriesMutation,
    sessions::SessionsMutation,
);

/// Who is asking, read once per HTTP request by the transport.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The bearer token from the `Authorization` header, if any.
    pub bearer_token: Option<String>,
    /// Where the request comes from, for rate limits, sessions and the auth log.
    pub client: ClientInfo,
}

/// Builds the schema over the service, with the configured limits and a
/// persisted query store of `persisted_bytes`, ready to run requests.
pub fn build_executor(service: Arc<Service>, limits: Limits, persisted_bytes: usize) -> Executor {
    // No `limit_depth` or `limit_complexity`: the executor checks both,
    // without expanding fragment spreads as async-graphql would.
    let schema = |mode| {
        Schema::build(Query::default(), Mutation::default(), EmptySubscription)
            .data(Arc::clone(&service))
            .validation_mode(mode)
            .finish()
    };
    Executor::new(
        schema(ValidationMode::Strict),
        schema(ValidationMode::Fast),
        limits,
        CONNECTIONS,
        DOCUMENT_CACHE_BYTES,
        persisted_bytes,
    )
}

/// The schema as SDL, exactly what `schema.graphql` holds.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl_with_options(SDLExportOptions::new().include_specified_by())
}

fn service<'a>(ctx: &Context<'a>) -> &'a Arc<Service> {
    ctx.data_unchecked::<Arc<Service>>()
}

/// The one auth check every protected resolver calls.
fn caller(ctx: &Context<'_>) -> Result<Caller, AppError> {
    let token = ctx
        .data_opt::<RequestContext>()
        .and_then(|request| request.bearer_token.as_deref());
    service(ctx).authenticate(token)
}

/// Where the request comes from (set by the transport on every request).
fn client<'a>(ctx: &Context<'a>) -> Result<&'a ClientInfo, AppError> {
    ctx.data_opt::<RequestContext>()
        .map(|request| &request.client)
        .ok_or_else(|| AppError::internal("a GraphQL request without its context"))
}
