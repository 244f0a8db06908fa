//! How much memory a parsed document holds, so the document cache can be
//! bounded in bytes rather than in documents.
//!
//! A parsed document is far larger than its text: every field is a node of
//! a couple of hundred bytes, so a 16 KiB text of one-letter fields parses
//! into about 1.7 MiB, while a 16 KiB string literal parses into little
//! more than 16 KiB. A limit on the number of cached documents therefore
//! bounds nothing. This walks the document and adds up its allocations;
//! the test below holds the estimate to what the allocator really hands out.

use std::collections::HashMap;
use std::mem::size_of;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    BaseType, Directive, DocumentOperations, ExecutableDocument, Field, FragmentDefinition,
    FragmentSpread, InlineFragment, OperationDefinition, Selection, SelectionSet, Type,
    TypeCondition, VariableDefinition,
};
use async_graphql::{Name, Positioned};
use async_graphql_value::{ConstValue, Value};

/// The bytes `document` holds on the heap (not counting the
/// `ExecutableDocument` value itself).
pub fn heap_bytes(document: &ExecutableDocument) -> usize {
    document.heap()
}

/// Heap memory owned by a value, beyond its own `size_of`.
trait Heap {
    fn heap(&self) -> usize;
}

impl<T: Heap> Heap for Positioned<T> {
    fn heap(&self) -> usize {
        self.node.heap()
    }
}

impl<T: Heap> Heap for Vec<T> {
    fn heap(&self) -> usize {
        self.capacity() * size_of::<T>() + self.iter().map(Heap::heap).sum::<usize>()
    }
}

impl<T: Heap> Heap for Box<T> {
    fn heap(&self) -> usize {
        size_of::<T>() + (**self).heap()
    }
}

impl<T: Heap> Heap for Option<T> {
    fn heap(&self) -> usize {
        self.as_ref().map_or(0, Heap::heap)
    }
}

impl<A: Heap, B: Heap> Heap for (A, B) {
    fn heap(&self) -> usize {
        self.0.heap() + self.1.heap()
    }
}

/// An `Arc<str>`: two reference counts and the text.
impl Heap for Name {
    fn heap(&self) -> usize {
        2 * size_of::<usize>() + self.len()
    }
}

impl Heap for String {
    fn heap(&self) -> usize {
        self.capacity()
    }
}

/// hashbrown: one slot and one control byte per bucket.
impl<K: Heap, V: Heap> Heap for HashMap<K, V> {
    fn heap(&self) -> usize {
        let buckets = if self.capacity() == 0 {
            0
        } else {
            (self.capacity() * 8 / 7).next_power_of_two()
        };
        buckets * (size_of::<(K, V)>() + 1)
            + self.iter().map(|(k, v)| k.heap() + v.heap()).sum::<usize>()
    }
}

/// indexmap: its entries (with their hashes) and an index table of one
/// `usize` and one control byte per bucket.
impl<K: Heap, V: Heap> Heap for IndexMap<K, V> {
    fn heap(&self) -> usize {
        let entries = self.capacity() * (size_of::<(K, V)>() + size_of::<usize>());
        let buckets = if self.capacity() == 0 {
            0
        } else {
            (self.capacity() * 8 / 7).next_power_of_two()
        };
        entries
            + buckets * (size_of::<usize>() + 1)
            + self.iter().map(|(k, v)| k.heap() + v.heap()).sum::<usize>()
    }
}

impl Heap for Value {
    fn heap(&self) -> usize {
        match self {
            Value::Variable(name) | Value::Enum(name) => name.heap(),
            Value::String(text) => text.heap(),
            Value::Binary(bytes) => bytes.len(),
            Value::List(items) => items.heap(),
            Value::Object(fields) => fields.heap(),
            Value::Null | Value::Number(_) | Value::Boolean(_) => 0,
        }
    }
}

impl Heap for ConstValue {
    fn heap(&self) -> usize {
        match self {
            ConstValue::Enum(name) => name.heap(),
            ConstValue::String(text) => text.heap(),
            ConstValue::Binary(bytes) => bytes.len(),
            ConstValue::List(items) => items.heap(),
            ConstValue::Object(fields) => fields.heap(),
            ConstValue::Null | ConstValue::Number(_) | ConstValue::Boolean(_) => 0,
        }
    }
}

impl Heap for ExecutableDocument {
    fn heap(&self) -> usize {
        let operations = match &self.operations {
            DocumentOperations::Single(operation) => operation.heap(),
            DocumentOperations::Multiple(operations) => operations.heap(),
        };
        operations + self.fragments.heap()
    }
}

impl Heap for OperationDefinition {
    fn heap(&self) -> usize {
        self.variable_definitions.heap() + self.directives.heap() + self.selection_set.heap()
    }
}

impl Heap for VariableDefinition {
    fn heap(&self) -> usize {
        self.name.heap() + self.var_type.heap() + self.directives.heap() + self.default_value.heap()
    }
}

impl Heap for Type {
    fn heap(&self) -> usize {
        match &self.base {
            BaseType::Named(name) => name.heap(),
            BaseType::List(item) => item.heap(),
        }
    }
}

impl Heap for Directive {
    fn heap(&self) -> usize {
        self.name.heap() + self.arguments.heap()
    }
}

impl Heap for SelectionSet {
    fn heap(&self) -> usize {
        self.items.heap()
    }
}

impl Heap for Selection {
    fn heap(&self) -> usize {
        match self {
            Selection::Field(field) => field.heap(),
            Selection::FragmentSpread(spread) => spread.heap(),
            Selection::InlineFragment(inline) => inline.heap(),
        }
    }
}

impl Heap for Field {
    fn heap(&self) -> usize {
        self.alias.heap()
            + self.name.heap()
            + self.arguments.heap()
            + self.directives.heap()
            + self.selection_set.heap()
    }
}

impl Heap for FragmentSpread {
    fn heap(&self) -> usize {
        self.fragment_name.heap() + self.directives.heap()
    }
}

impl Heap for InlineFragment {
    fn heap(&self) -> usize {
        self.type_condition.heap() + self.directives.heap() + self.selection_set.heap()
    }
}

impl Heap for FragmentDefinition {
    fn heap(&self) -> usize {
        self.type_condition.heap() + self.directives.heap() + self.selection_set.heap()
    }
}

impl Heap for TypeCondition {
    fn heap(&self) -> usize {
        self.on.heap()
    }
}

#[cfg(test)]
mod tests {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    use super::heap_bytes;

    /// The system allocator, counting the bytes this thread holds.
    struct Counting;

    thread_local! {
        static HELD: Cell<isize> = const { Cell::new(0) };
    }

    // SAFETY: every call is passed straight to the system allocator; the
    // counter is a thread-local `Cell` with a const initialiser, which
    // itself never allocates.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            HELD.with(|held| held.set(held.get() + layout.size() as isize));
            unsafe { System.alloc(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            HELD.with(|held| held.set(held.get() - layout.size() as isize));
            unsafe { System.dealloc(ptr, layout) }
        }
    }

    #[global_allocator]
    static ALLOCATOR: Counting = Counting;

    /// Bytes the allocator hands out for a copy of the document parsed
    /// from `text` (a clone allocates exactly what the copy keeps).
    fn measured(text: &str) -> (usize, usize) {
        let document = async_graphql::parser::parse_query(text).unwrap();
        let before = HELD.with(Cell::get);
        let copy = document.clone();
        let held = HELD.with(Cell::get) - before;
        let estimate = heap_bytes(&copy);
        drop(copy);
        (usize::try_from(held).unwrap(), estimate)
    }

    #[test]
    fn the_estimate_is_close_to_what_the_allocator_hands_out() {
        let documents = [
            format!("{{ {} }}", "a ".repeat(8000)),
            format!("{{ {} }}", "me { id username } ".repeat(500)),
            format!("{{ me(a: [{}]) {{ id }} }}", "1, ".repeat(4000)),
            format!(
                "{{ me(a: {{ {} }}) {{ id }} }}",
                (0..2000)
                    .map(|i| format!("k{i}: \"v\" "))
                    .collect::<String>()
            ),
            format!("{{ me(a: \"{}\") {{ id }} }}", "x".repeat(16_000)),
            format!(
                "query Q($a: [[Int!]]! = [[1]]) @skip(if: false) {{ ...F ... on Query {{ me {{ id }} }} }} {}",
                (0..200)
                    .map(|i| format!(
                        "fragment F{i} on Query {{ me @include(if: true) {{ id }} }} "
                    ))
                    .collect::<String>()
            ),
            (0..300)
                .map(|i| format!("query Q{i} {{ me {{ id }} }} "))
                .collect::<String>(),
        ];
        for text in &documents {
            let (held, estimate) = measured(text);
            let ratio = estimate as f64 / held as f64;
            assert!(
                (0.9..=1.25).contains(&ratio),
                "estimated {estimate} bytes, the allocator handed out {held}, for a {}-byte text",
                text.len()
            );
        }
    }
}
