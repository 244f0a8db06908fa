//! Limits checked before a document runs: depth and complexity (enforced by
//! async-graphql), aliases and mutations over GET (checked here on the
//! parsed document), and batch size (checked by the transport).

use async_graphql::ServerResult;
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};

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

/// Rejects, right after parsing so nothing of it runs, a document with
/// more than `max_aliases` aliases, or with a mutation when the request came
/// over GET (`read_only`).
pub fn check_document(
    document: &ExecutableDocument,
    read_only: bool,
    max_aliases: usize,
) -> ServerResult<()> {
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
    let aliases = count_aliases(document);
    if aliases > max_aliases {
        return Err(coded_error(
            format!("The document uses {aliases} aliases; at most {max_aliases} are allowed."),
            codes::ALIAS_LIMIT,
        ));
    }
    Ok(())
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
