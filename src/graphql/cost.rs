//! What a document costs, measured without expanding it.
//!
//! The limits count every fragment spread each time it is used (and every
//! `__typename`), as if the document were written out in full. Writing it
//! out is exponential: `F1 { ...F0 ...F0 }`, `F2 { ...F1 ...F1 }`, … makes
//! a 1.1 KB document whose thirty levels expand to 2^30 fields.
//! async-graphql measures complexity and depth exactly that way (its
//! `Inline` visit), which kept the server busy for minutes on such a
//! document before refusing it. Here each fragment is measured once per
//! context (at most twice) and its figures are reused wherever it is spread,
//! so measuring costs work linear in the document's size, and a document
//! over a limit is refused before async-graphql sees it.

use std::collections::{HashMap, HashSet};

use async_graphql::Name;
use async_graphql::Variables;
use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql_value::{ConstValue, Value};

/// What is known of the schema's connections: which fields are connections
/// and how many items a page holds when `first` is not given.
#[derive(Debug, Clone, Copy)]
pub struct Connections {
    /// Names of the fields that return a Relay connection.
    pub fields: &'static [&'static str],
    /// Page size when `first` is not given.
    pub default_page: u64,
    /// Largest page size; a bigger `first` is charged as this (the resolver
    /// refuses it anyway).
    pub max_page: u64,
}

/// A document's figures, every fragment spread counted where it is used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocumentCost {
    /// 1 per field (`__typename` included); a connection's `edges` and
    /// `nodes` cost their selection once per item of the page.
    pub complexity: u64,
    /// Aliased fields.
    pub aliases: u64,
    /// Deepest field nesting.
    pub depth: u64,
    /// Deepest nesting of selection sets, fragment spreads and inline
    /// fragments counting as a level each (async-graphql's own recursion
    /// limit counts this way).
    pub levels: u64,
    /// Selections (fields, spreads, inline fragments) the operations and
    /// fragment definitions hold when every spread is written out: the
    /// work async-graphql's validation does on the document.
    pub expanded_selections: u64,
    /// How many times a fragment's own selections were walked here: at most
    /// twice per fragment, whatever the document's spreads do.
    pub fragment_walks: u64,
}

/// Why a document could not be measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmeasurable {
    /// A fragment spreads itself, directly or through others.
    FragmentCycle(String),
    /// Spreads inside fragments inside fragments … nest deeper than
    /// [`MAX_SPREAD_NESTING`].
    SpreadsTooDeep,
}

/// How deeply fragment spreads may nest (a spread inside a fragment spread
/// inside …). The checks here and async-graphql's validation both recurse
/// once per level, so the nesting must stay far from the thread's stack
/// size; 64 is the parser's own limit on nested selection sets.
pub const MAX_SPREAD_NESTING: usize = 64;

/// Measures `document` as it would run with `variables` (whose values give
/// `first` when it is a variable).
pub fn measure(
    document: &ExecutableDocument,
    variables: &Variables,
    connections: Connections,
) -> Result<DocumentCost, Unmeasurable> {
    let mut meter = Meter {
        document,
        variables,
        defaults: variable_defaults(document),
        connections,
        measured: HashMap::new(),
        in_progress: HashSet::new(),
        spread_nesting: 0,
        fragment_walks: 0,
    };
    let mut cost = DocumentCost::default();
    for (_, operation) in document.operations.iter() {
        let figures = meter.selection_set(&operation.node.selection_set.node, Context::Plain)?;
        cost.complexity = cost.complexity.saturating_add(figures.total());
        cost.aliases = cost.aliases.saturating_add(figures.aliases);
        cost.depth = cost.depth.max(figures.depth);
        cost.levels = cost.levels.max(figures.levels);
        cost.expanded_selections = cost.expanded_selections.saturating_add(figures.selections);
    }
    // async-graphql validates each fragment definition too, and within
    // each, writes out the spreads of its selection sets.
    for (name, _) in document.fragments.iter() {
        let figures = meter.fragment(name, Context::Plain)?;
        cost.expanded_selections = cost.expanded_selections.saturating_add(figures.selections);
    }
    cost.fragment_walks = meter.fragment_walks;
    Ok(cost)
}

/// Where a selection set sits: directly inside a connection field (whose
/// `edges` and `nodes` are lists of a page's items) or anywhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Context {
    Plain,
    Connection,
}

/// A selection set's figures. Its cost is `fixed` plus `per_item` for each
/// item of the page it belongs to (`per_item` is 0 outside a connection).
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    fixed: u64,
    per_item: u64,
    aliases: u64,
    depth: u64,
    levels: u64,
    selections: u64,
    /// How deeply fragment spreads nest inside it.
    spread_depth: usize,
}

impl Figures {
    /// The cost outside a connection, where there is one "item".
    fn total(&self) -> u64 {
        self.fixed.saturating_add(self.per_item)
    }

    fn add(&mut self, other: &Figures) {
        self.fixed = self.fixed.saturating_add(other.fixed);
        self.per_item = self.per_item.saturating_add(other.per_item);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.depth = self.depth.max(other.depth);
        self.levels = self.levels.max(other.levels);
        self.selections = self.selections.saturating_add(other.selections);
        self.spread_depth = self.spread_depth.max(other.spread_depth);
    }
}

struct Meter<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Default values of the operations' variables, for `first: $n` when
    /// the request does not give `n`.
    defaults: HashMap<&'a str, &'a ConstValue>,
    connections: Connections,
    /// Each fragment's figures, per context, once measured.
    measured: HashMap<(&'a str, Context), Figures>,
    /// Fragments being measured, to detect a cycle instead of recursing forever.
    in_progress: HashSet<&'a str>,
    spread_nesting: usize,
    fragment_walks: u64,
}

impl<'a> Meter<'a> {
    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        context: Context,
    ) -> Result<Figures, Unmeasurable> {
        let mut figures = Figures::default();
        for item in &set.items {
            let mut item_figures = match &item.node {
                Selection::Field(field) => self.field(&field.node, context)?,
                Selection::FragmentSpread(spread) => {
                    self.fragment(&spread.node.fragment_name.node, context)?
                }
                Selection::InlineFragment(inline) => {
                    self.selection_set(&inline.node.selection_set.node, context)?
                }
            };
            // A spread and an inline fragment are a level of their own, as
            // is a field's selection set (see `field`).
            if !matches!(item.node, Selection::Field(_)) {
                item_figures.levels = item_figures.levels.saturating_add(1);
            }
            figures.add(&item_figures);
            figures.selections = figures.selections.saturating_add(1);
        }
        Ok(figures)
    }

    /// A field's figures as part of a selection set in `context`.
    fn field(&mut self, field: &'a Field, context: Context) -> Result<Figures, Unmeasurable> {
        let name = field.name.node.as_str();
        let is_connection = self.connections.fields.contains(&name);
        let children = self.selection_set(
            &field.selection_set.node,
            if is_connection {
                Context::Connection
            } else {
                Context::Plain
            },
        )?;
        let own = if is_connection {
            let page = self.page_size(field);
            children
                .fixed
                .saturating_add(page.saturating_mul(children.per_item))
        } else {
            children.total()
        };
        let cost = own.saturating_add(1);
        let is_item_list = context == Context::Connection && matches!(name, "edges" | "nodes");
        Ok(Figures {
            // A list of a page's items: the field once, its selection per item.
            fixed: if is_item_list { 1 } else { cost },
            per_item: if is_item_list { own } else { 0 },
            aliases: children
                .aliases
                .saturating_add(u64::from(field.alias.is_some())),
            depth: children.depth.saturating_add(1),
            levels: if field.selection_set.node.items.is_empty() {
                0
            } else {
                children.levels.saturating_add(1)
            },
            selections: children.selections,
            spread_depth: children.spread_depth,
        })
    }

    /// A fragment's figures in `context`, measured on first use.
    fn fragment(&mut self, name: &'a Name, context: Context) -> Result<Figures, Unmeasurable> {
        let key = (name.as_str(), context);
        let figures = match self.measured.get(&key) {
            Some(figures) => *figures,
            None => self.measure_fragment(name, context)?,
        };
        // Checked on every use: a fragment measured where it nested shallowly
        // may be spread again somewhere deeper.
        if self.spread_nesting + figures.spread_depth > MAX_SPREAD_NESTING {
            return Err(Unmeasurable::SpreadsTooDeep);
        }
        Ok(figures)
    }

    fn measure_fragment(
        &mut self,
        name: &'a Name,
        context: Context,
    ) -> Result<Figures, Unmeasurable> {
        // An unknown fragment adds nothing; validation reports it.
        let Some(fragment) = self.document.fragments.get(name) else {
            return Ok(Figures::default());
        };
        if !self.in_progress.insert(name.as_str()) {
            return Err(Unmeasurable::FragmentCycle(name.to_string()));
        }
        // Bounds this walk's own recursion before any figures exist.
        if self.spread_nesting == MAX_SPREAD_NESTING {
            return Err(Unmeasurable::SpreadsTooDeep);
        }
        self.spread_nesting += 1;
        self.fragment_walks += 1;
        let figures = self.selection_set(&fragment.node.selection_set.node, context);
        self.spread_nesting -= 1;
        self.in_progress.remove(name.as_str());
        let mut figures = figures?;
        figures.spread_depth += 1;
        self.measured.insert((name.as_str(), context), figures);
        Ok(figures)
    }

    /// The page size a connection field asks for, as it will be charged:
    /// `first` within 1..=max (out-of-range values are refused when the
    /// field runs, so they are charged as the nearest allowed size), the
    /// default when absent, and the largest page when not an integer.
    fn page_size(&self, field: &Field) -> u64 {
        let Some(value) = field.get_argument("first") else {
            return self.connections.default_page;
        };
        let number = match &value.node {
            Value::Number(n) => n.as_i64(),
            Value::Null => return self.connections.default_page,
            Value::Variable(var) => match self
                .variables
                .get(var)
                .or_else(|| self.defaults.get(var.as_str()).copied())
            {
                None | Some(ConstValue::Null) => {
                    return self.connections.default_page;
                }
                Some(ConstValue::Number(n)) => n.as_i64(),
                Some(_) => None,
            },
            _ => None,
        };
        number.map_or(self.connections.max_page, |n| {
            n.clamp(1, self.connections.max_page as i64) as u64
        })
    }
}

/// The default values of every operation's variables (the first operation
/// that declares a name wins: documents rarely hold several operations, and
/// fewer still declare one variable with different defaults).
fn variable_defaults(document: &ExecutableDocument) -> HashMap<&str, &ConstValue> {
    let mut defaults = HashMap::new();
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            if let Some(default) = &definition.node.default_value {
                defaults
                    .entry(definition.node.name.node.as_str())
                    .or_insert(&default.node);
            }
        }
    }
    defaults
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONNECTIONS: Connections = Connections {
        fields: &["entries"],
        default_page: 20,
        max_page: 100,
    };

    fn cost(text: &str) -> DocumentCost {
        let document = async_graphql::parser::parse_query(text).unwrap();
        measure(&document, &Variables::default(), CONNECTIONS).unwrap()
    }

    #[test]
    fn fields_cost_one_each_and_typename_counts() {
        let figures = cost("{ me { id username __typename } }");
        assert_eq!(figures.complexity, 4);
        assert_eq!(figures.depth, 2);
        assert_eq!(figures.levels, 1);
        assert_eq!(figures.aliases, 0);
    }

    #[test]
    fn levels_count_spreads_and_inline_fragments_too() {
        let figures = cost("{ ... on Query { ...F } } fragment F on Query { me { id } }");
        assert_eq!(figures.depth, 2);
        // inline fragment, spread, `me`'s selection set.
        assert_eq!(figures.levels, 3);
    }

    #[test]
    fn a_full_page_fits_the_default_limit() {
        // edges (1) + 100 x (cursor, node and node's seven fields: 9),
        // pageInfo and its four fields (5), entries itself (1).
        let figures = cost(
            "{ entries(first: 100) {
                edges { cursor node { id key value version createdAt updatedAt expiresAt } }
                pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } }",
        );
        assert_eq!(figures.complexity, 1 + 900 + 5 + 1);
    }

    #[test]
    fn page_size_comes_from_first_its_variable_or_the_default() {
        assert_eq!(cost("{ entries { nodes { key } } }").complexity, 1 + 1 + 20);
        assert_eq!(
            cost("{ entries(first: 5) { nodes { key } } }").complexity,
            1 + 1 + 5
        );
        assert_eq!(
            cost("query($n: Int = 7) { entries(first: $n) { nodes { key } } }").complexity,
            1 + 1 + 7
        );
        let document = async_graphql::parser::parse_query(
            "query($n: Int) { entries(first: $n) { nodes { key } } }",
        )
        .unwrap();
        let variables = Variables::from_json(serde_json::json!({ "n": 3 }));
        let figures = measure(&document, &variables, CONNECTIONS).unwrap();
        assert_eq!(figures.complexity, 1 + 1 + 3);
        // Out of range is charged as the nearest allowed size.
        assert_eq!(
            cost("{ entries(first: 1000) { nodes { key } } }").complexity,
            1 + 1 + 100
        );
    }

    #[test]
    fn spreads_count_each_time_they_are_used() {
        let figures =
            cost("{ ...A ...A a: me { id } } fragment A on Query { b: me { id } c: me { id } }");
        assert_eq!(figures.complexity, 2 * 4 + 2);
        assert_eq!(figures.aliases, 2 * 2 + 1);
        // The operation's 3 selections, `a`'s `id`, A's 4 (two fields of one
        // child each) twice, and A's 4 once more for its definition.
        assert_eq!(figures.expanded_selections, 3 + 1 + 2 * 4 + 4);
    }

    #[test]
    fn a_fragment_inside_a_connection_is_charged_per_item() {
        let figures = cost(
            "{ entries(first: 10) { ...Page } }
             fragment Page on EntryConnection { nodes { key } pageInfo { hasNextPage } }",
        );
        assert_eq!(figures.complexity, 1 + (1 + 10) + 2);
    }

    /// `F0` is one field; `Fk` spreads `F(k-1)` twice. The document is
    /// about a kilobyte and expands to 2^n fields.
    fn doubling(levels: usize) -> String {
        let mut text = format!("{{ ...F{levels} }} fragment F0 on Query {{ me {{ id }} }}");
        for level in 1..=levels {
            let below = level - 1;
            text.push_str(&format!(
                " fragment F{level} on Query {{ ...F{below} ...F{below} }}"
            ));
        }
        text
    }

    #[test]
    fn doubling_fragments_are_measured_in_linear_work() {
        for levels in [10, 30, 60] {
            let figures = cost(&doubling(levels));
            // Each fragment's selections are walked once, however often it is spread.
            assert_eq!(figures.fragment_walks, levels as u64 + 1);
            let expected = 2u64.saturating_pow(levels as u32).saturating_mul(2);
            assert_eq!(figures.complexity, expected, "{levels} levels");
        }
    }

    #[test]
    fn cycles_and_deep_spread_chains_are_unmeasurable() {
        let document = async_graphql::parser::parse_query(
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
        )
        .unwrap();
        assert!(matches!(
            measure(&document, &Variables::default(), CONNECTIONS),
            Err(Unmeasurable::FragmentCycle(_))
        ));

        let mut chain = String::from("{ ...F0 } ");
        for level in 0..100 {
            chain.push_str(&format!(
                "fragment F{level} on Query {{ ...F{} }} ",
                level + 1
            ));
        }
        chain.push_str("fragment F100 on Query { me { id } }");
        let document = async_graphql::parser::parse_query(&chain).unwrap();
        assert_eq!(
            measure(&document, &Variables::default(), CONNECTIONS),
            Err(Unmeasurable::SpreadsTooDeep)
        );
        // Measured first where it nests shallowly, the chain's lower half
        // is still refused where it is spread deeper.
        let halves = chain.replacen("{ ...F0 }", "{ ...F50 ...F0 }", 1);
        let document = async_graphql::parser::parse_query(&halves).unwrap();
        assert_eq!(
            measure(&document, &Variables::default(), CONNECTIONS),
            Err(Unmeasurable::SpreadsTooDeep)
        );
    }
}
