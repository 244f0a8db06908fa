//! Limits checked before a document runs, on what it would be with every
//! fragment spread written out: aliases, depth, complexity and the work its
//! validation takes (measured in `cost.rs` without writing anything out),
//! and mutations over GET. The query's length and nesting are checked on
//! its text before it is parsed (`pipeline.rs`), batch size by the transport.

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{ServerResult, Variables};

use super::cost::{self, Connections, MAX_SPREAD_NESTING, Unmeasurable};
use super::errors::server_error;
use crate::error::{AppError, ErrorCode};

/// A refusal of the whole document, before any of it runs.
fn refused(code: ErrorCode, message: String) -> async_graphql::ServerError {
    server_error(AppError::new(code, message), Vec::new())
}

/// Most selections a document may hold with its fragment spreads written
/// out, summed over its operations and fragment definitions: async-graphql
/// validates the written-out form, so this bounds its work. Real documents
/// stay far below (the standard introspection query holds about 400), and
/// any operation under the complexity limit holds at most that many fields.
pub const MAX_EXPANDED_SELECTIONS: u64 = 10_000;

/// Deepest nesting of selection sets, counting fragment spreads and inline
/// fragments as levels: async-graphql's own recursion limit (its default,
/// kept), checked here so that its uncoded error never occurs.
pub const MAX_LEVELS: u64 = 32;

/// Configured limits for GraphQL documents.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest allowed field nesting (the standard introspection query needs ~13).
    pub max_depth: usize,
    /// Highest allowed cost: 1 per field, a connection's items per item.
    pub max_complexity: usize,
    /// Most aliases one document may use.
    pub max_aliases: usize,
    /// Most operations in one batch.
    pub max_batch: usize,
    /// Longest query text, in bytes.
    pub max_query_bytes: usize,
}

/// Refuses, before any of it runs, a document with a mutation when the
/// request came over GET (`read_only`), or one over a limit. `variables`
/// give `first` where it is a variable.
pub fn check_document(
    document: &ExecutableDocument,
    variables: &Variables,
    read_only: bool,
    limits: &Limits,
    connections: Connections,
) -> ServerResult<()> {
    if read_only
        && document
            .operations
            .iter()
            .any(|(_, op)| op.node.ty == OperationType::Mutation)
    {
        return Err(refused(
            ErrorCode::MethodNotAllowed,
            "Mutations are not allowed over GET; use POST.".to_owned(),
        ));
    }
    let cost = cost::measure(document, variables, connections).map_err(|error| match error {
        Unmeasurable::FragmentCycle(name) => refused(
            ErrorCode::GraphqlValidationFailed,
            format!("Fragment \"{name}\" spreads itself."),
        ),
        Unmeasurable::SpreadsTooDeep => refused(
            ErrorCode::GraphqlDepthLimitExceeded,
            format!("Fragment spreads nest more than {MAX_SPREAD_NESTING} deep."),
        ),
    })?;
    let over = |value: u64, limit: usize| value > u64::try_from(limit).unwrap_or(u64::MAX);
    if over(cost.aliases, limits.max_aliases) {
        return Err(refused(
            ErrorCode::GraphqlAliasLimitExceeded,
            format!(
                "The document uses {} aliases, counting fragments where they are spread; \
                 at most {} are allowed.",
                cost.aliases, limits.max_aliases
            ),
        ));
    }
    if over(cost.depth, limits.max_depth) {
        return Err(refused(
            ErrorCode::GraphqlDepthLimitExceeded,
            format!(
                "The document nests fields {} deep; at most {} is allowed.",
                cost.depth, limits.max_depth
            ),
        ));
    }
    if cost.levels > MAX_LEVELS {
        return Err(refused(
            ErrorCode::GraphqlDepthLimitExceeded,
            format!(
                "The document nests selections {} deep, counting fragments; at most \
                 {MAX_LEVELS} is allowed.",
                cost.levels
            ),
        ));
    }
    if over(cost.complexity, limits.max_complexity) {
        return Err(refused(
            ErrorCode::GraphqlComplexityLimitExceeded,
            format!(
                "The document's complexity is {}; at most {} is allowed \
                 (1 per field, fragments counted where they are spread, and a \
                 connection's edges and nodes once per item of the page).",
                cost.complexity, limits.max_complexity
            ),
        ));
    }
    if cost.expanded_selections > MAX_EXPANDED_SELECTIONS {
        return Err(refused(
            ErrorCode::GraphqlComplexityLimitExceeded,
            format!(
                "The document holds {} selections with its fragment spreads written out; \
                 at most {MAX_EXPANDED_SELECTIONS} are allowed.",
                cost.expanded_selections
            ),
        ));
    }
    Ok(())
}
