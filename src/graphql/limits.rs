//! Limits checked before a document runs: depth and complexity (enforced by
//! async-graphql), aliases and mutations over GET (checked here on the
//! parsed document), and batch size (checked by the transport).

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{ServerResult, Variables};

use super::RequestContext;
use super::errors::{coded_error, codes};

/// Configured limits for GraphQL documents.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest allowed selection nesting (the standard introspection query needs ~13).
    pub max_depth: usize,
    /// Highest allowed cost: 1 per field, `first` x selection for a listing.
    pub max_complexity: usize,
    /// Most aliases one document may use.
    pub max_aliases: usize,
    /// Most operations in one batch.
    pub max_batch: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 16,
            max_complexity: 1000,
            max_aliases: 100,
            max_batch: 16,
        }
    }
}

/// Rejects documents with too many aliases, and mutations sent over GET,
/// right after parsing, so nothing of them runs.
pub struct DocumentLimits {
    max_aliases: usize,
}

impl DocumentLimits {
    /// The extension for these limits.
    pub fn new(limits: Limits) -> Self {
        Self {
            max_aliases: limits.max_aliases,
        }
    }
}

impl ExtensionFactory for DocumentLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentLimits {
            max_aliases: self.max_aliases,
        })
    }
}

#[async_trait::async_trait]
impl Extension for DocumentLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let read_only = ctx
            .data_opt::<RequestContext>()
            .is_some_and(|request| request.read_only);
        if read_only
            && document
                .operations
                .iter()
                .any(|(_, op)| op.node.ty == OperationType::Mutation)
        {
            return Err(coded_error(
                "Mutations are not allowed over GET; use POST.",
                codes::MUTATION_OVER_GET,
            ));
        }
        let aliases = count_aliases(&document);
        if aliases > self.max_aliases {
            return Err(coded_error(
                format!(
                    "The document uses {aliases} aliases; at most {} are allowed.",
                    self.max_aliases
                ),
                codes::ALIAS_LIMIT,
            ));
        }
        Ok(document)
    }
}

/// Aliases in every operation and fragment of a document.
fn count_aliases(document: &ExecutableDocument) -> usize {
    let in_operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| aliases_in(&op.node.selection_set.node))
        .sum();
    let in_fragments: usize = document
        .fragments
        .values()
        .map(|fragment| aliases_in(&fragment.node.selection_set.node))
        .sum();
    in_operations + in_fragments
}

fn aliases_in(selection_set: &SelectionSet) -> usize {
    selection_set
        .items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some()) + aliases_in(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => aliases_in(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}
