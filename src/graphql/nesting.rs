//! How deeply a document's brackets nest, read from its text before it is
//! parsed.
//!
//! async-graphql's parser (pest) descends recursively into every `{`, `[`
//! and `(`, and only limits the nesting of selection sets after that
//! descent. A value nested 2,000 deep (`{me(a:{a:{a:…}}})}`, 8 KB of text)
//! overflowed a 2 MiB thread stack in a release build, about 400 deep in a
//! debug build, which aborts the whole process. Counting the brackets first
//! is linear, cannot overflow, and refuses such a document before the
//! parser sees it.

/// Deepest bracket nesting a document may have: twice what the parser
/// itself allows for selection sets (64), and well under the ~400 levels
/// at which the parser overflowed a 2 MiB stack in a debug build.
pub const MAX_NESTING: usize = 128;

/// The deepest nesting of `{`, `[` and `(` in `text`, not counting those
/// inside strings, block strings and comments. Unbalanced closing brackets
/// are left for the parser to report.
pub fn bracket_depth(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut i, mut depth, mut deepest) = (0, 0usize, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'#' => i = end_of_comment(bytes, i),
            b'"' if bytes[i..].starts_with(b"\"\"\"") => i = end_of_block_string(bytes, i + 3),
            b'"' => i = end_of_string(bytes, i + 1),
            _ => {}
        }
        i += 1;
    }
    deepest
}

/// The index of the line break that ends the comment starting at `start`
/// (or the end of the text).
fn end_of_comment(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')
        .map_or(bytes.len(), |offset| start + offset)
}

/// The index of the quote that closes a string whose content starts at
/// `start`; a backslash escapes the byte after it.
fn end_of_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' => return i,
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The index of the last quote of the `"""` that closes a block string
/// whose content starts at `start`; `\"""` is an escaped, not a closing,
/// triple quote.
fn end_of_block_string(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"\\\"\"\"") {
            i += 4;
        } else if bytes[i..].starts_with(b"\"\"\"") {
            return i + 2;
        } else {
            i += 1;
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::bracket_depth;

    #[test]
    fn counts_brackets_of_every_kind() {
        assert_eq!(bracket_depth("{ me { id } }"), 2);
        assert_eq!(bracket_depth("{ a(b: [{c: 1}]) }"), 4);
        assert_eq!(bracket_depth("query($a: [[Int]]) { me }"), 3);
        assert_eq!(bracket_depth(&"[".repeat(5000)), 5000);
    }

    #[test]
    fn ignores_strings_and_comments() {
        assert_eq!(bracket_depth(r#"{ a(v: "{{{[[[(((") }"#), 2);
        assert_eq!(bracket_depth(r#"{ a(v: "\"{{{") }"#), 2);
        assert_eq!(bracket_depth("{ a(v: \"\"\"{{{ \\\"\"\" {{{\"\"\") }"), 2);
        assert_eq!(bracket_depth("{ a # {{{{ \n b }"), 1);
        assert_eq!(bracket_depth("{ a } # {{{{"), 1);
    }
}
