//! Turning the YAML crate's errors into a file line, a field path and a message.

use std::sync::LazyLock;

use regex::Regex;

use super::keys::{Rejected, SENTINEL};
use super::rules;
use super::split::Chunk;
use crate::api::{HIDDEN_VALUE, about_secret, clip as cut, clip_quoted};

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
    let mut line = err
        .location()
        .map_or(chunk.start_line, |l| to_file_line(l.line()));
    // The YAML crate quotes values whole (`unknown variant `…``): cut them first.
    let mut text = clip_quoted(&err.to_string()).into_owned();
    // libyaml's reader refuses a control character before parsing and gives no position.
    if rule == rules::YAML_SYNTAX
        && text.contains("control characters are not allowed")
        && let Some((at, column, c)) = control_character(chunk.text)
    {
        line = chunk.first_line + at;
        text = format!(
            "control character U+{:04X} at column {column} is not allowed: delete it, or write \
             it as an escape (\"\\u{:04X}\") inside a double-quoted string",
            u32::from(c),
            u32::from(c)
        );
    }
    let (field, message) = if rule == rules::TYPE_ERROR {
        split_path(strip_marks(&text, to_file_line).as_str())
    } else {
        (String::new(), strip_marks(&text, to_file_line))
    };
    let message = if message.starts_with("recursion limit exceeded") {
        "the document nests deeper than 128 levels here; a manifest needs a handful: \
         flatten it"
            .to_owned()
    } else if message.starts_with("repetition limit exceeded") {
        // An alias bomb: a few `*name` references that expand to millions of values.
        "aliases (`*name`) here expand to too many values; write the values out instead".to_owned()
    } else if rule == rules::YAML_SYNTAX {
        format!("YAML syntax error: {}", plain_syntax(&message))
    } else if kind == Some("Secret") {
        secret_message(&field).unwrap_or_else(|| plain(&message, false))
    } else {
        plain(&message, about_secret(&field))
    };
    (line, field, message)
}

static INVALID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^invalid (?:type|value): (.+?), expected (.+)$").expect("a constant, valid regex")
});

static UNKNOWN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^unknown (variant|field) `((?:[^`]|``)*)`, (?:expected one of |expected )?(.*)$")
        .expect("a constant, valid regex")
});

/// A serde message in the user's words: what the field expects and what it found, without
/// Rust type names (`u32`, `struct TenantSpec`, `a sequence`).
/// With `hide`, a text value found is not quoted: the field is about a secret.
fn plain(message: &str, hide: bool) -> String {
    if let Some(caps) = INVALID.captures(message) {
        let found = match &caps[1] {
            text if hide && text.starts_with("string ") => HIDDEN_VALUE.to_owned(),
            other => found(other),
        };
        return format!("expected {}, found {found}", expected(&caps[2]));
    }
    if let Some(caps) = UNKNOWN.captures(message) {
        let what = if &caps[1] == "variant" {
            "value"
        } else {
            "field"
        };
        let choices = caps[3].replace('`', "");
        let choices = match choices.as_str() {
            "there are no variants" | "there are no fields" => "nothing is allowed here".to_owned(),
            list => format!("expected one of: {}", list.replace(" or ", ", ")),
        };
        return format!("unknown {what} `{}`; {choices}", cut(&caps[2]));
    }
    if let Some(field) = message
        .strip_prefix("duplicate field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        return format!("the field `{field}` appears twice; keep one");
    }
    message.to_owned()
}

/// libyaml's words for collections, as a YAML author knows them.
fn plain_syntax(message: &str) -> String {
    message
        .replace("flow sequence", "list in [brackets]")
        .replace("flow mapping", "mapping in {braces}")
        .replace("block sequence", "list")
        .replace("block mapping", "mapping")
}

/// What serde says a field expects, as the user would say it.
fn expected(what: &str) -> String {
    let range = |lo: &str, hi: &str| format!("a whole number between {lo} and {hi}");
    match what {
        "u8" => range("0", "255"),
        "u16" => range("0", "65535"),
        "u32" => range("0", "4294967295"),
        "u64" | "usize" => range("0", "18446744073709551615"),
        "i8" => range("-128", "127"),
        "i16" => range("-32768", "32767"),
        "i32" => range("-2147483648", "2147483647"),
        "i64" | "isize" => range("-9223372036854775808", "9223372036854775807"),
        "f32" | "f64" => "a number".to_owned(),
        "a boolean" | "bool" => "true or false".to_owned(),
        "a string" | "a borrowed string" | "string" | "a character" | "char" => "text".to_owned(),
        "a sequence" | "sequence" => "a list".to_owned(),
        "a map" | "map" | "ObjectMeta" => "a mapping".to_owned(),
        "null" | "unit" => "nothing (null)".to_owned(),
        // An enum given a mapping or list: serde_yaml reads those as tagged variants.
        "a YAML tag starting with '!'" => "one of the listed values".to_owned(),
        other if other.starts_with("struct ") => "a mapping".to_owned(),
        other if other.starts_with("enum ") => "one of the listed values".to_owned(),
        other => other.to_owned(),
    }
}

/// What serde says it found, as the user would say it.
fn found(what: &str) -> String {
    let quoted = |s: &str| s.trim_matches('`').to_owned();
    if let Some(n) = what.strip_prefix("integer ") {
        return format!("the number {}", quoted(n));
    }
    if let Some(n) = what.strip_prefix("floating point ") {
        return format!("the number {}", quoted(n));
    }
    if let Some(b) = what.strip_prefix("boolean ") {
        return quoted(b);
    }
    if let Some(text) = what.strip_prefix("string ") {
        let text = text.trim_matches('"');
        return format!("the text \"{}\"", cut(text));
    }
    match what {
        "sequence" => "a list".to_owned(),
        "map" => "a mapping".to_owned(),
        "unit value" | "null" => "nothing (null)".to_owned(),
        "enum" => "a tagged value".to_owned(),
        other => other.to_owned(),
    }
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
        Rejected::Merge => (
            line,
            rules::MERGE_KEY,
            join("<<"),
            "YAML merge keys (`<<`) are not supported: write the fields out in this mapping \
             (an anchor and alias `*name` may still repeat a whole value)"
                .to_owned(),
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

/// The first character YAML refuses in a stream, as (line within the chunk from 0, 1-based
/// column, character): C0 and C1 controls other than tab, line feed, carriage return and NEL,
/// and DEL.
fn control_character(text: &str) -> Option<(usize, usize, char)> {
    let refused =
        |c: char| (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{85}')) || c == '\u{7f}';
    let (offset, c) = text.char_indices().find(|(_, c)| refused(*c))?;
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    Some((line, column, c))
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
    fn serde_messages_in_the_users_words() {
        for (serde, want) in [
            (
                "invalid type: string \"abc\", expected u32",
                "expected a whole number between 0 and 4294967295, found the text \"abc\"",
            ),
            (
                "invalid value: integer `-1`, expected u16",
                "expected a whole number between 0 and 65535, found the number -1",
            ),
            (
                "invalid type: sequence, expected struct TenantSpec",
                "expected a mapping, found a list",
            ),
            (
                "invalid type: map, expected a YAML tag starting with '!'",
                "expected one of the listed values, found a mapping",
            ),
            (
                "unknown variant `X`, expected one of `A`, `B`",
                "unknown value `X`; expected one of: A, B",
            ),
            (
                "unknown variant `7`, expected `A` or `B`",
                "unknown value `7`; expected one of: A, B",
            ),
            (
                "unknown field `x`, there are no fields",
                "unknown field `x`; nothing is allowed here",
            ),
        ] {
            assert_eq!(plain(serde, false), want, "{serde}");
        }
    }

    #[test]
    fn secret_values_are_described_without_their_value() {
        assert!(secret_message("data.password").is_some());
        assert!(secret_message("stringData").is_some());
        assert!(secret_message("metadata.name").is_none());
    }
}
