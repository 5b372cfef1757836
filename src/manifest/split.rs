//! Splitting a YAML stream into its documents, keeping each one's line numbers.
//!
//! YAML forbids `---` and `...` at the start of a line inside any scalar, so a line scan finds
//! exactly the document boundaries the parser would. Parsing each document on its own gives
//! every document its own start line and lets a syntax error in one leave the others readable.

/// One document of a stream: its text and where it sits in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chunk<'a> {
    /// The document's text, including its `---` marker and leading comments.
    pub text: &'a str,
    /// 1-based file line of the first line of `text`.
    pub first_line: usize,
    /// 1-based file line of the document's first content (not blank, comment or bare marker).
    pub start_line: usize,
}

/// The documents of `text` that have content; comments-only and empty documents are dropped.
pub(crate) fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut current = Builder::new(0, 1);
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = index + 1;
        let bare = line.trim_end_matches(['\n', '\r']);
        if let Some(rest) = marker_rest(bare, "---") {
            // A marker ends the current document unless nothing but comments preceded it.
            if current.content_line.is_some() || current.seen_marker {
                chunks.extend(current.finish(text, offset));
                current = Builder::new(offset, number);
            }
            current.seen_marker = true;
            if is_content(rest) {
                current.content_line.get_or_insert(number);
            }
        } else if marker_rest(bare, "...").is_some() {
            // A document end marker belongs to its document; what follows starts afresh.
            chunks.extend(current.finish(text, offset + line.len()));
            current = Builder::new(offset + line.len(), number + 1);
        } else if is_content(bare) && !bare.starts_with('%') {
            current.content_line.get_or_insert(number);
        }
        offset += line.len();
    }
    chunks.extend(current.finish(text, text.len()));
    chunks
}

/// A document being collected.
struct Builder {
    start: usize,
    first_line: usize,
    content_line: Option<usize>,
    seen_marker: bool,
}

impl Builder {
    fn new(start: usize, first_line: usize) -> Self {
        Self {
            start,
            first_line,
            content_line: None,
            seen_marker: false,
        }
    }

    fn finish(self, text: &str, end: usize) -> Option<Chunk<'_>> {
        let start_line = self.content_line?;
        Some(Chunk {
            text: &text[self.start..end],
            first_line: self.first_line,
            start_line,
        })
    }
}

/// The rest of `line` after a document marker at column 0, or `None` if it is not one.
fn marker_rest<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(marker)?;
    (rest.is_empty() || rest.starts_with([' ', '\t'])).then_some(rest)
}

/// True unless the line is blank or a comment.
fn is_content(line: &str) -> bool {
    let trimmed = line.trim_start();
    !trimmed.is_empty() && !trimmed.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (first_line, start_line, text) of every chunk.
    fn split(text: &str) -> Vec<(usize, usize, &str)> {
        split_documents(text)
            .into_iter()
            .map(|c| (c.first_line, c.start_line, c.text))
            .collect()
    }

    #[test]
    fn table() {
        type Case<'a> = (&'a str, &'a [(usize, usize, &'a str)]);
        let cases: &[Case<'_>] = &[
            ("", &[]),
            ("# only a comment\n\n", &[]),
            ("---\n---\n# nothing\n", &[]),
            ("a: 1\n", &[(1, 1, "a: 1\n")]),
            ("a: 1", &[(1, 1, "a: 1")]),
            (
                "# c\na: 1\n---\nb: 2\n",
                &[(1, 2, "# c\na: 1\n"), (3, 4, "---\nb: 2\n")],
            ),
            (
                "# header\n---\na: 1\n---\n\n---\nb: 2\n",
                &[(1, 3, "# header\n---\na: 1\n"), (6, 7, "---\nb: 2\n")],
            ),
            ("--- {a: 1}\n", &[(1, 1, "--- {a: 1}\n")]),
            ("---   # c\na: 1\n", &[(1, 2, "---   # c\na: 1\n")]),
            (
                "a: 1\n...\n# after\nb: 2\n",
                &[(1, 1, "a: 1\n...\n"), (3, 4, "# after\nb: 2\n")],
            ),
            (
                "%YAML 1.2\n---\na: 1\n",
                &[(1, 3, "%YAML 1.2\n---\na: 1\n")],
            ),
            (
                "a: 1\r\n---\r\nb: 2\r\n",
                &[(1, 1, "a: 1\r\n"), (2, 3, "---\r\nb: 2\r\n")],
            ),
            // Not markers: indented, or followed by other characters.
            (
                "a: |\n  ---\nb: ---x\n----\n",
                &[(1, 1, "a: |\n  ---\nb: ---x\n----\n")],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(split(text), *want, "{text:?}");
        }
    }

    #[test]
    fn chunks_cover_every_content_line_once() {
        let text = "# a\nx: 1\n---\ny: 2\n...\n---\nz: 3\n";
        let joined: String = split_documents(text).iter().map(|c| c.text).collect();
        assert_eq!(joined, text);
    }
}
