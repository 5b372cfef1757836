//! Checks shared by every kind: text fields, e-mail addresses, phone numbers, contacts, addresses.

use super::problem::Problem;
use super::rule;
use super::subject::{Subject, shown};
use super::syntax;
use crate::api::{Address, Contact};

/// A required text: not blank, at most `max` characters, no control characters.
pub fn text(s: &Subject, field: &str, value: &str, max: usize, what: &str, out: &mut Vec<Problem>) {
    if value.trim().is_empty() {
        out.push(s.error(field, rule::REQUIRED, format!("{what} is empty: set it")));
        return;
    }
    length(s, field, value, max, what, out);
    if value.chars().any(char::is_control) {
        out.push(s.error(
            field,
            rule::CONTROL_CHARACTERS,
            format!("{what} contains line breaks, tabs or other control characters: write it on one line"),
        ));
    }
}

/// An optional text: when present, the same checks as [`text`].
pub fn optional_text(
    s: &Subject,
    field: &str,
    value: Option<&str>,
    max: usize,
    what: &str,
    out: &mut Vec<Problem>,
) {
    if let Some(value) = value {
        text(s, field, value, max, what, out);
    }
}

/// At most `max` characters (counted as characters, not bytes).
pub fn length(
    s: &Subject,
    field: &str,
    value: &str,
    max: usize,
    what: &str,
    out: &mut Vec<Problem>,
) {
    // Bytes bound characters from above: skip the count for the usual short value.
    if value.len() <= max {
        return;
    }
    let count = value.chars().count();
    if count > max {
        out.push(s.error(
            field,
            rule::LENGTH,
            format!("{what} has {count} characters; the portal accepts at most {max}: shorten it"),
        ));
    }
}

/// An e-mail address.
pub fn email(s: &Subject, field: &str, value: &str, out: &mut Vec<Problem>) {
    if value.trim().is_empty() {
        out.push(s.error(
            field,
            rule::REQUIRED,
            "the e-mail address is empty: set one such as name@example.com",
        ));
    } else if !syntax::is_email(value) {
        out.push(s.error(
            field,
            rule::EMAIL_SYNTAX,
            format!(
                "{} is not an e-mail address: write it as name@example.com (ASCII, no spaces or display name)",
                shown(value)
            ),
        ));
    }
}

/// An optional e-mail address.
pub fn optional_email(s: &Subject, field: &str, value: Option<&str>, out: &mut Vec<Problem>) {
    if let Some(value) = value {
        email(s, field, value, out);
    }
}

/// A phone number in E.164 form; `what` names it in the message (e.g. "the ANI").
pub fn phone(s: &Subject, field: &str, value: &str, what: &str, out: &mut Vec<Problem>) {
    if !syntax::is_e164(value) {
        out.push(s.error(
            field,
            rule::PHONE_SYNTAX,
            format!(
                "{what} {} is not an E.164 number: write + and the country code, then the number without spaces, e.g. +15555550100",
                shown(value)
            ),
        ));
    }
}

/// An optional phone number.
pub fn optional_phone(s: &Subject, field: &str, value: Option<&str>, out: &mut Vec<Problem>) {
    if let Some(value) = value {
        phone(s, field, value, "the phone number", out);
    }
}

/// A contact: name, e-mail and optional phone.
pub fn contact(s: &Subject, prefix: &str, c: &Contact, out: &mut Vec<Problem>) {
    text(
        s,
        &format!("{prefix}.name"),
        &c.name,
        128,
        "the contact's name",
        out,
    );
    email(s, &format!("{prefix}.email"), &c.email, out);
    optional_phone(s, &format!("{prefix}.phone"), c.phone.as_deref(), out);
}

/// A postal address.
pub fn address(s: &Subject, prefix: &str, a: &Address, out: &mut Vec<Problem>) {
    text(
        s,
        &format!("{prefix}.line1"),
        &a.line1,
        256,
        "the street",
        out,
    );
    optional_text(
        s,
        &format!("{prefix}.line2"),
        a.line2.as_deref(),
        256,
        "the second address line",
        out,
    );
    text(s, &format!("{prefix}.city"), &a.city, 128, "the city", out);
    optional_text(
        s,
        &format!("{prefix}.region"),
        a.region.as_deref(),
        128,
        "the region",
        out,
    );
    text(
        s,
        &format!("{prefix}.postalCode"),
        &a.postal_code,
        16,
        "the postal code",
        out,
    );
    if !syntax::is_country_code(&a.country) {
        out.push(s.error(
            format!("{prefix}.country"),
            rule::COUNTRY_CODE,
            format!(
                "country {} is not an ISO 3166-1 alpha-2 code: write two upper-case letters such as US or GB",
                shown(&a.country)
            ),
        ));
    }
}

/// The values of a list that must be distinct; reports each repeat (compared by `key`).
pub fn distinct<'v, K: Eq + std::hash::Hash>(
    s: &Subject,
    prefix: &str,
    values: impl IntoIterator<Item = &'v str>,
    key: impl Fn(&str) -> K,
    out: &mut Vec<Problem>,
) {
    let mut seen = std::collections::HashMap::new();
    for (i, v) in values.into_iter().enumerate() {
        if let Some(first) = seen.insert(key(v), i) {
            // Keep the first index for later repeats.
            seen.insert(key(v), first);
            out.push(s.error(
                format!("{prefix}[{i}]"),
                rule::DUPLICATE_ENTRY,
                format!("{} repeats {prefix}[{first}]: remove one", shown(v)),
            ));
        }
    }
}

/// Repeats in a short list of values compared by equality (a few entries: no hashing needed).
pub fn distinct_small<T: PartialEq + std::fmt::Debug>(
    s: &Subject,
    prefix: &str,
    values: &[T],
    out: &mut Vec<Problem>,
) {
    for (i, v) in values.iter().enumerate() {
        if let Some(first) = values[..i].iter().position(|w| w == v) {
            out.push(s.error(
                format!("{prefix}[{i}]"),
                rule::DUPLICATE_ENTRY,
                format!("{v:?} repeats {prefix}[{first}]: remove one"),
            ));
        }
    }
}
