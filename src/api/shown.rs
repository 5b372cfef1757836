//! User input quoted in a message, cut to a readable length: a hostile value can be megabytes
//! long, and every error path that quotes input (our messages, serde's and the YAML crate's)
//! goes through here so that an error never echoes it whole.

use std::borrow::Cow;

/// Characters of a value a message shows before cutting it.
pub const SHOWN_CHARS: usize = 60;

/// `value` unquoted, or its first [`SHOWN_CHARS`] characters followed by `… (N characters)`.
pub fn clip(value: &str) -> Cow<'_, str> {
    match value.char_indices().nth(SHOWN_CHARS) {
        None => value.into(),
        Some((end, _)) => {
            format!("{}… ({} characters)", &value[..end], value.chars().count()).into()
        }
    }
}

/// What a message says instead of a value found in a field about a secret.
pub const HIDDEN_VALUE: &str =
    "text (not shown: the field is about a secret; reference a Secret instead of a value)";

/// True when the field at `path` (e.g. `spec.passwordSecretRef`) holds or names a secret, so
/// a value found there is never quoted: a password pasted where a reference belongs.
pub fn about_secret(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    ["password", "secret", "token", "credential", "invitation"]
        .iter()
        .any(|word| lower.contains(word))
}

/// `value` quoted (as Rust's `{:?}`, so control characters show as escapes), cut like [`clip`].
pub fn shown(value: &str) -> String {
    match value.char_indices().nth(SHOWN_CHARS) {
        None => format!("{value:?}"),
        Some((end, _)) => format!(
            "{:?}… ({} characters)",
            &value[..end],
            value.chars().count()
        ),
    }
}

/// A message of another crate (serde, the YAML crate) with every quoted part (`` `…` `` or
/// `"…"`) longer than [`SHOWN_CHARS`] cut like [`clip`], and the whole message bounded too.
pub fn clip_quoted(message: &str) -> Cow<'_, str> {
    /// Longest message kept whole: the words around the quotes are the crate's own.
    const MAX_MESSAGE: usize = 4 * SHOWN_CHARS + 200;
    if message.len() <= SHOWN_CHARS {
        return message.into();
    }
    let mut out = String::with_capacity(message.len().min(MAX_MESSAGE + 64));
    let mut rest = message;
    while let Some(open) = rest.find(['`', '"']) {
        let quote = &rest[open..=open];
        out.push_str(&rest[..=open]);
        let inner = &rest[open + 1..];
        let Some(close) = inner.find(quote) else {
            out.push_str(&clip(inner));
            rest = "";
            break;
        };
        out.push_str(&clip(&inner[..close]));
        out.push_str(quote);
        rest = &inner[close + 1..];
    }
    out.push_str(rest);
    if out.len() > MAX_MESSAGE {
        let head = clip_chars(&out, MAX_MESSAGE);
        return format!("{head}… (message cut)").into();
    }
    out.into()
}

/// The first `max` characters of `text`.
fn clip_chars(text: &str, max: usize) -> &str {
    text.char_indices()
        .nth(max)
        .map_or(text, |(end, _)| &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_stay_whole() {
        assert_eq!(clip("kenton"), "kenton");
        assert_eq!(shown("abc"), "\"abc\"");
        assert_eq!(shown(""), "\"\"");
        assert_eq!(shown("a\u{0}b"), "\"a\\0b\"");
    }

    #[test]
    fn long_values_are_cut_with_their_length() {
        let long = "é".repeat(10_000);
        let s = shown(&long);
        assert!(s.ends_with("… (10000 characters)"), "{s}");
        assert!(s.chars().count() < 100);
        assert_eq!(
            clip(&long).chars().count(),
            60 + "… (10000 characters)".chars().count()
        );
    }

    #[test]
    fn quoted_parts_of_foreign_messages_are_cut() {
        let x = "x".repeat(20_000);
        for (message, kept) in [
            (
                format!("unknown variant `{x}`, expected one of `A`, `B`"),
                "expected one of `A`, `B`",
            ),
            (
                format!("invalid type: string \"{x}\", expected u32"),
                "expected u32",
            ),
            (format!("spec.a: unknown field `{x}"), "(20000 characters)"),
        ] {
            let cut = clip_quoted(&message);
            assert!(cut.len() < 400, "{cut}");
            assert!(cut.contains(kept), "{cut}");
            assert!(cut.contains("(20000 characters)"), "{cut}");
        }
        assert_eq!(
            clip_quoted("missing field `email`"),
            "missing field `email`"
        );
        let words = "word ".repeat(10_000);
        assert!(clip_quoted(&words).ends_with("… (message cut)"));
    }
}

#[cfg(test)]
mod secret_paths {
    use super::about_secret;

    #[test]
    fn fields_about_secrets_are_recognised() {
        for path in [
            "spec.passwordSecretRef",
            "spec.auth.clientCredentials.clientSecretRef",
            "data.token",
            "spec.credentialsSecretRef",
        ] {
            assert!(about_secret(path), "{path}");
        }
        for path in ["spec.displayName", "spec.contact.email", "metadata.name"] {
            assert!(!about_secret(path), "{path}");
        }
    }
}
