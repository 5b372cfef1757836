//! Turning the YAML crate's errors into a file line, a field path and a message.

use std::sync::LazyLock;

use regex::Regex;

use super::keys::{Rejected, SENTINEL};
use super::rules;
use super::split::Chunk;
use crate::api::{clip as cut, clip_quoted};

/// Describes a YAML error of `rule` as (file line, field path, message); `kind` is the
/// document's kind when it was read before the error.
pub(super) fn describe(
    chunk: &Chunk<'_>,
    err: &serde_yaml::Error,
    rule: &'static str,
    kind: Option<&str>,
) -> (usize, String, String) {
    // An error at the end of input points just past the document: keep it on its last line.
    let last_line = chunk.first_line + chunk.text.trim_end_matches('\n').matches('\n').count();
    let to_file_line = |line: usize| (chunk.first_line + line.saturating_sub(1)).min(last_line);
    let line = err
        .location()
        .map_or(chunk.start_line, |l| to_file_line(l.line()));
    // The YAML crate quotes values whole (`unknown variant `…``): cut them first.
    let text = clip_quoted(&err.to_string()).into_owned();
    let (field, message) = if rule == rules::TYPE_ERROR {
        split_path(strip_marks(&text, to_file_line).as_str())
    } else {
        (String::new(), strip_marks(&text, to_file_line))
    };
    let message = if message.starts_with("recursion limit exceeded") {
        "the document nests deeper than 128 levels here; a manifest needs a handful: \
         flatten it"
            .to_owned()
    } else if rule == rules::YAML_SYNTAX {
        format!("YAML syntax error: {message}")
    } else if kind == Some("Secret") {
        secret_message(&field).unwrap_or(message)
    } else {
        message
    };
    (line, field, message)
}

/// Describes a key the adapter of [`super::keys`] refused as (file line, rule, field path,
/// message). `err` is the YAML crate's error, marked with the key's line and the path of its
/// mapping; without it the problem is put at the document's start.
pub(super) fn describe_rejected(
    chunk: &Chunk<'_>,
    err: Option<&serde_yaml::Error>,
    rejected: &Rejected,
) -> (usize, &'static str, String, String) {
    let last_line = chunk.first_line + chunk.text.trim_end_matches('\n').matches('\n').count();
    let line = err
        .and_then(serde_yaml::Error::location)
        .map_or(chunk.start_line, |l| {
            (chunk.first_line + l.line().saturating_sub(1)).min(last_line)
        });
    // The YAML crate writes `spec.contact: rejected key at line 5 column 3`.
    let text = err
        .map(|e| strip_marks(&e.to_string(), |l| l))
        .unwrap_or_default();
    let parent = text
        .strip_suffix(SENTINEL)
        .and_then(|p| p.strip_suffix(": "))
        .unwrap_or_default();
    let join = |key: &str| {
        if parent.is_empty() {
            cut(key).into_owned()
        } else {
            format!("{parent}.{}", cut(key))
        }
    };
    match rejected {
        Rejected::Duplicate { key } => (
            line,
            rules::DUPLICATE_KEY,
            join(key),
            format!(
                "the key `{}` appears twice in this mapping, and YAML would silently keep only \
                 the last one; delete one of them or merge the two",
                cut(key)
            ),
        ),
        Rejected::Unknown { key, hint } => {
            let hint = hint
                .map(|h| format!(" (did you mean `{h}`?)"))
                .unwrap_or_default();
            let within = if parent.is_empty() { "here" } else { parent };
            (
                line,
                rules::UNKNOWN_FIELD,
                join(key),
                format!(
                    "unknown field `{}` in {within}{hint}; metadata holds name, namespace, \
                     labels, annotations and the other fields of a Kubernetes ObjectMeta",
                    cut(key)
                ),
            )
        }
    }
}

/// A message for a malformed Secret value that, unlike serde's, never quotes the value.
fn secret_message(field: &str) -> Option<String> {
    let root = field.split(['.', '[']).next().unwrap_or_default();
    let message = match root {
        "data" => "must map keys to base64-encoded values; put plain text under stringData",
        "stringData" => "must map keys to text values",
        _ => return None,
    };
    Some(message.to_owned())
}

static MARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r" at (?:line (\d+) column \d+|position \d+)").expect("a constant, valid regex")
});

/// Drops the first position (the problem's own line, reported separately) and rewrites the
/// others, which count from the document, as file lines.
fn strip_marks(text: &str, to_file_line: impl Fn(usize) -> usize) -> String {
    let mut first = true;
    MARK.replace_all(text, |caps: &regex::Captures<'_>| {
        if std::mem::take(&mut first) {
            return String::new();
        }
        match caps.get(1).and_then(|m| m.as_str().parse::<usize>().ok()) {
            Some(line) => format!(" at line {}", to_file_line(line)),
            None => String::new(),
        }
    })
    .into_owned()
}

/// Splits `spec.contact: missing field `email`` into the field path and the message; a
/// missing field's own name joins the path.
fn split_path(text: &str) -> (String, String) {
    let (path, message) = match text.split_once(": ") {
        Some((path, rest)) if !path.is_empty() && !path.contains(' ') => (path, rest),
        _ => ("", text),
    };
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        let field = if path.is_empty() {
            name.to_owned()
        } else {
            format!("{path}.{name}")
        };
        return (field, "required field is missing".to_owned());
    }
    (path.to_owned(), message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_messages() {
        for (text, field, message) in [
            (
                "spec.type: unknown variant `X`",
                "spec.type",
                "unknown variant `X`",
            ),
            (
                "spec.contact: missing field `email`",
                "spec.contact.email",
                "required field is missing",
            ),
            ("missing field `spec`", "spec", "required field is missing"),
            (
                "invalid type: sequence, expected a map",
                "",
                "invalid type: sequence, expected a map",
            ),
            (
                "spec.domains[1]: invalid type: map",
                "spec.domains[1]",
                "invalid type: map",
            ),
        ] {
            assert_eq!(
                split_path(text),
                (field.to_owned(), message.to_owned()),
                "{text}"
            );
        }
    }

    #[test]
    fn marks_are_dropped_or_moved_to_file_lines() {
        let to_file = |line: usize| line + 10;
        for (text, want) in [
            ("x at line 3 column 4", "x"),
            (
                "x at line 3 column 4, while parsing y at line 1 column 1",
                "x, while parsing y at line 11",
            ),
            ("x at position 7", "x"),
            ("x", "x"),
        ] {
            assert_eq!(strip_marks(text, to_file), want);
        }
    }

    #[test]
    fn secret_values_are_described_without_their_value() {
        assert!(secret_message("data.password").is_some());
        assert!(secret_message("stringData").is_some());
        assert!(secret_message("metadata.name").is_none());
    }
}
