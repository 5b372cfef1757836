//! Values as people read them: JSON scalars, `(sensitive)`, `(known after apply)`, and
//! unified diffs for multi-line strings.

use serde_json::Value;
use similar::TextDiff;

use crate::plan::FieldValue;

/// What a redacted secret looks like in every rendering.
pub const SENSITIVE: &str = "(sensitive)";
/// What a value filled in at apply time looks like.
pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";

/// A field value on one line: strings quoted, lists and objects as compact JSON.
pub fn inline(v: &FieldValue) -> String {
    match v {
        FieldValue::Absent => "(absent)".to_owned(),
        FieldValue::Sensitive => SENSITIVE.to_owned(),
        FieldValue::KnownAfterApply => KNOWN_AFTER_APPLY.to_owned(),
        FieldValue::Value(v) => v.to_string(),
    }
}

/// The string of a value when it spans several lines.
pub fn multi_line(v: &FieldValue) -> Option<&str> {
    match v {
        FieldValue::Value(Value::String(s)) if s.contains('\n') => Some(s),
        _ => None,
    }
}

/// A unified diff of two multi-line strings (`before`/`after` headers, 3 lines of context).
pub fn unified(before: &str, after: &str) -> Vec<String> {
    let diff = TextDiff::from_lines(before, after);
    diff.unified_diff()
        .context_radius(3)
        .header("before", "after")
        .to_string()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{FieldValue, inline, multi_line, unified};

    #[test]
    fn inline_forms() {
        for (v, want) in [
            (FieldValue::Value(json!("RQ-1")), "\"RQ-1\""),
            (FieldValue::Value(json!(["a", "b"])), "[\"a\",\"b\"]"),
            (FieldValue::Value(json!(8)), "8"),
            (FieldValue::Sensitive, "(sensitive)"),
            (FieldValue::KnownAfterApply, "(known after apply)"),
            (FieldValue::Absent, "(absent)"),
        ] {
            assert_eq!(inline(&v), want);
        }
    }

    #[test]
    fn multi_line_strings_diff_by_line() {
        let v = FieldValue::Value(json!("a\nb\nc\n"));
        assert_eq!(multi_line(&v), Some("a\nb\nc\n"));
        assert_eq!(multi_line(&FieldValue::Value(json!("a"))), None);
        let lines = unified("a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(
            lines,
            [
                "--- before",
                "+++ after",
                "@@ -1,3 +1,3 @@",
                " a",
                "-b",
                "+B",
                " c"
            ]
        );
    }
}
