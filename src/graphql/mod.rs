//! The GraphQL schema (contract section 5). This module knows nothing of
//! HTTP: `graphql_http` reads the request and hands the caller's identity
//! in as [`RequestContext`]. Resolvers are thin: one service call each.

mod accounts;
mod document_cache;
mod entries;
mod errors;
mod limits;
mod pipeline;

use std::net::IpAddr;
use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, MergedObject, Schema};

use crate::error::AppError;
use crate::model::UserId;
use crate::service::Service;

pub use errors::codes;
pub use limits::Limits;
pub use pipeline::Executor;

/// How many distinct parsed documents are kept.
const DOCUMENT_CACHE_SIZE: std::num::NonZeroUsize = std::num::NonZeroUsize::new(512).unwrap();

/// The schema type served at `/graphql`.
pub type AppSchema = Schema<Query, Mutation, EmptySubscription>;

/// Root query type, merged from the domains.
#[derive(MergedObject, Default)]
pub struct Query(accounts::AccountsQuery, entries::EntriesQuery);

/// Root mutation type, merged from the domains.
#[derive(MergedObject, Default)]
pub struct Mutation(accounts::AccountsMutation, entries::EntriesMutation);

/// Who is asking, read once per HTTP request by the transport.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The bearer token from the `Authorization` header, if any.
    pub bearer_token: Option<String>,
    /// The client's address, for rate limiting token requests.
    pub client: IpAddr,
}

/// Builds the schema over the service, with the configured limits, ready
/// to run requests.
pub fn build_executor(service: Arc<Service>, limits: Limits) -> Executor {
    let schema = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .data(service)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .finish();
    Executor::new(schema, limits, DOCUMENT_CACHE_SIZE)
}

/// The schema as SDL, exactly what `schema.graphql` holds.
pub fn sdl() -> String {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .finish()
        .sdl()
}

fn service<'a>(ctx: &Context<'a>) -> &'a Arc<Service> {
    ctx.data_unchecked::<Arc<Service>>()
}

/// The one auth check every protected resolver calls.
fn caller(ctx: &Context<'_>) -> Result<UserId, AppError> {
    let token = ctx
        .data_opt::<RequestContext>()
        .and_then(|request| request.bearer_token.as_deref());
    service(ctx).authenticate(token)
}
