//! A nesting limit checked before the YAML crate sees a document.
//!
//! The YAML scanner rechecks every open flow collection (`[`, `{`) on each token, so 50,000
//! nested brackets took 44 s. One linear pass over the text finds the flow depth first and
//! stops the document at the line where it passes [`MAX_DEPTH`]; block nesting (indentation)
//! costs the scanner nothing extra and is stopped by the YAML crate's own limit of 128.
//!
//! The pass knows just enough YAML to skip brackets that are not structure: comments, quoted
//! scalars (a quote opens one only where a value starts) and block scalars (`|`, `>`). Where it
//! is unsure it counts: a false alarm needs more than [`MAX_DEPTH`] unbalanced brackets in
//! plain text, while a miss would let the slow case through.

/// Deepest flow nesting a manifest may use; a Kubernetes object needs a handful of levels.
pub(crate) const MAX_DEPTH: usize = 64;

/// The 1-based line of `text` where flow nesting first passes [`MAX_DEPTH`], if it does.
pub(crate) fn too_deep(text: &str) -> Option<usize> {
    let mut scan = Scan::default();
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if scan.line(line.trim_end_matches(['\n', '\r'])) {
            return Some(index + 1);
        }
    }
    None
}

/// What a scalar spanning lines is, when a line ends inside one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    None,
    Double,
    Single,
    /// A `|` or `>` scalar: lines indented deeper than `parent` (or blank) are its text.
    Block {
        parent: usize,
    },
}

#[derive(Debug)]
struct Scan {
    depth: usize,
    open: Open,
}

impl Default for Scan {
    fn default() -> Self {
        Self {
            depth: 0,
            open: Open::None,
        }
    }
}

impl Scan {
    /// Scans one line; true when the depth passed the limit on it.
    fn line(&mut self, line: &str) -> bool {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|b| **b == b' ').count();
        if let Open::Block { parent } = self.open {
            if indent > parent || bytes[indent..].iter().all(u8::is_ascii_whitespace) {
                return false;
            }
            self.open = Open::None;
        }
        let mut i = 0;
        // A value may start here: at the start of a line, after an indicator.
        let mut node_start = true;
        if self.open == Open::None
            && (line.starts_with("---") || line.starts_with("..."))
            && bytes.get(3).is_none_or(|b| *b == b' ' || *b == b'\t')
        {
            i = 3;
        }
        while i < bytes.len() {
            let b = bytes[i];
            match self.open {
                Open::Double => {
                    match b {
                        b'\\' => i += 1,
                        b'"' => self.open = Open::None,
                        _ => {}
                    }
                    i += 1;
                    continue;
                }
                Open::Single => {
                    if b == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            self.open = Open::None;
                        }
                    }
                    i += 1;
                    continue;
                }
                Open::Block { .. } | Open::None => {}
            }
            let after_space = i == 0 || matches!(bytes[i - 1], b' ' | b'\t');
            match b {
                b' ' | b'\t' => {}
                b'#' if after_space => return false,
                b'[' | b'{' => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        return true;
                    }
                    node_start = true;
                }
                b']' | b'}' => {
                    self.depth = self.depth.saturating_sub(1);
                    node_start = false;
                }
                b',' if self.depth > 0 => node_start = true,
                b':' => {
                    // `key: value`, and in flow `"key":value` (JSON).
                    node_start = self.depth > 0
                        || bytes.get(i + 1).is_none_or(|n| matches!(n, b' ' | b'\t'));
                }
                b'"' if node_start => {
                    self.open = Open::Double;
                    node_start = false;
                }
                b'\'' if node_start => {
                    self.open = Open::Single;
                    node_start = false;
                }
                b'|' | b'>' if node_start && self.depth == 0 => {
                    self.open = Open::Block { parent: indent };
                    return false;
                }
                b'-' | b'?'
                    if node_start && bytes.get(i + 1).is_none_or(|n| matches!(n, b' ' | b'\t')) => {
                }
                b'&' | b'!' if node_start => {
                    // An anchor or a tag: the value comes after it.
                    while i + 1 < bytes.len() && !matches!(bytes[i + 1], b' ' | b'\t') {
                        i += 1;
                    }
                }
                _ => node_start = false,
            }
            i += 1;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_yaml_is_shallow() {
        for text in [
            "a: [1, [2, {b: [3]}]]\n",
            "a: \"[[[[[[[[\"\n",
            "a: '[[[[''[[[['\n",
            "a: | \n  [[[[[[[[[[\n  {{{{{{{{{\nb: 1\n",
            "- >\n  [[[[\n",
            "a: b # [[[[[[[\n",
            "{\"a\":\"[[[[\", \"b\": [1]}\n",
            "a: &x [1]\nb: !!seq [2]\n",
        ] {
            let deep = text.replace("[[[[", &"[".repeat(100));
            assert_eq!(too_deep(&deep), None, "{deep}");
        }
    }

    #[test]
    fn deep_flow_nesting_is_found_on_its_line() {
        let brackets = format!("a: 1\nb: {}{}\n", "[".repeat(50_000), "]".repeat(50_000));
        assert_eq!(too_deep(&brackets), Some(2));
        let maps = format!("x:\n  y: {}1{}\n", "{a: ".repeat(65), "}".repeat(65));
        assert_eq!(too_deep(&maps), Some(2));
        let ok = format!("x: {}1{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(too_deep(&ok), None);
        // Across lines, after a block scalar ends, and where a quote cannot start a value.
        let lines = format!("a: |\n  text\nb: {}\n", "[\n".repeat(70));
        assert_eq!(too_deep(&lines), Some(3 + MAX_DEPTH));
        let mid_quote = format!("a: [x\"y, {}]\n", "[".repeat(70));
        assert_eq!(too_deep(&mid_quote), Some(1));
    }
}
