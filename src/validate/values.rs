//! Checks shared by every kind: text fields, e-mail addresses, phone numbers, contacts, addresses.
//!
//! Field paths are [`Field`]s, rendered only when a problem is found, so checking a large input
//! allocates nothing for the values that are fine.

use super::rule;
use super::subject::{Field, Subject, shown};
use super::syntax;
use crate::api::Problem;
use crate::api::{Address, Contact};

/// True for the empty string and whitespace only (stops at the first other character).
pub fn is_blank(value: &str) -> bool {
    value.chars().all(char::is_whitespace)
}

/// True when `value` holds a control character (line break, tab, C0 or C1 control).
fn has_control(value: &str) -> bool {
    // The usual ASCII value is checked byte by byte; others decode characters.
    if value.is_ascii() {
        value.bytes().any(|b| b < 0x20 || b == 0x7f)
    } else {
        value.chars().any(char::is_control)
    }
}

/// What breaks the rule of a one-line text such as a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFault {
    /// Empty, or whitespace only.
    Blank,
    /// A line break, tab, NUL or other control character.
    ControlCharacters,
}

/// The rule of every required one-line text (names, titles): not blank, no control
/// characters. The CLI's validation and the sandbox's contract apply this one function, so
/// the two edges accept the same names.
pub fn one_line_text(value: &str) -> Result<(), TextFault> {
    if is_blank(value) {
        Err(TextFault::Blank)
    } else if has_control(value) {
        Err(TextFault::ControlCharacters)
    } else {
        Ok(())
    }
}

/// A required text: not blank, at most `max` characters, no control characters.
pub fn text<'f>(
    s: &Subject,
    field: impl Into<Field<'f>>,
    value: &str,
    max: usize,
    what: &str,
    out: &mut Vec<Problem>,
) {
    let field = field.into();
    let fault = one_line_text(value);
    if fault == Err(TextFault::Blank) {
        out.push(s.error(
            field.path(),
            rule::REQUIRED,
            format!("{what} is empty: set it"),
        ));
        return;
    }
    length(s, field, value, max, what, out);
    if fault == Err(TextFault::ControlCharacters) {
        out.push(s.error(
            field.path(),
            rule::CONTROL_CHARACTERS,
            format!(
                "{what} contains line breaks, tabs or other control characters: write it on one line"
            ),
        ));
    }
}

/// An optional text: when present, the same checks as [`text`].
pub fn optional_text<'f>(
    s: &Subject,
    field: impl Into<Field<'f>>,
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
pub fn length<'f>(
    s: &Subject,
    field: impl Into<Field<'f>>,
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
            field.into().path(),
            rule::LENGTH,
            format!("{what} has {count} characters; the portal accepts at most {max}: shorten it"),
        ));
    }
}

/// An e-mail address.
pub fn email<'f>(s: &Subject, field: impl Into<Field<'f>>, value: &str, out: &mut Vec<Problem>) {
    if syntax::is_email(value) {
        return;
    }
    let field = field.into().path();
    if is_blank(value) {
        out.push(s.error(
            field,
            rule::REQUIRED,
            "the e-mail address is empty: set one such as name@example.com",
        ));
    } else {
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
pub fn optional_email<'f>(
    s: &Subject,
    field: impl Into<Field<'f>>,
    value: Option<&str>,
    out: &mut Vec<Problem>,
) {
    if let Some(value) = value {
        email(s, field, value, out);
    }
}

/// A phone number in E.164 form; `what` names it in the message (e.g. "the ANI").
pub fn phone<'f>(
    s: &Subject,
    field: impl Into<Field<'f>>,
    value: &str,
    what: &str,
    out: &mut Vec<Problem>,
) {
    if !syntax::is_e164(value) {
        out.push(s.error(
            field.into().path(),
            rule::PHONE_SYNTAX,
            format!(
                "{what} {} is not an E.164 number: write + and the country code, then the number without spaces, e.g. +15555550100",
                shown(value)
            ),
        ));
    }
}

/// An optional phone number.
pub fn optional_phone<'f>(
    s: &Subject,
    field: impl Into<Field<'f>>,
    value: Option<&str>,
    out: &mut Vec<Problem>,
) {
    if let Some(value) = value {
        phone(s, field, value, "the phone number", out);
    }
}

/// A contact: name, e-mail and optional phone.
pub fn contact(s: &Subject, at: Field, c: &Contact, out: &mut Vec<Problem>) {
    text(
        s,
        at.member("name"),
        &c.name,
        128,
        "the contact's name",
        out,
    );
    email(s, at.member("email"), &c.email, out);
    optional_phone(s, at.member("phone"), c.phone.as_deref(), out);
}

/// A postal address.
pub fn address(s: &Subject, at: Field, a: &Address, out: &mut Vec<Problem>) {
    text(s, at.member("line1"), &a.line1, 256, "the street", out);
    let line2 = a.line2.as_deref();
    optional_text(
        s,
        at.member("line2"),
        line2,
        256,
        "the second address line",
        out,
    );
    text(s, at.member("city"), &a.city, 128, "the city", out);
    let region = a.region.as_deref();
    optional_text(s, at.member("region"), region, 128, "the region", out);
    let postal_code = a.postal_code.as_deref();
    optional_text(
        s,
        at.member("postalCode"),
        postal_code,
        16,
        "the postal code",
        out,
    );
    if !syntax::is_country_code(&a.country) {
        out.push(s.error(
            at.member("country").path(),
            rule::COUNTRY_CODE,
            format!(
                "country {} is not an ISO 3166-1 alpha-2 code: write two upper-case letters such as US or GB",
                shown(&a.country)
            ),
        ));
    }
}

/// The values of a list that must be distinct (compared exactly); reports each repeat.
pub fn distinct<'v>(
    s: &Subject,
    prefix: &str,
    values: impl ExactSizeIterator<Item = &'v str> + Clone,
    out: &mut Vec<Problem>,
) {
    // Short lists (the usual case) are compared pairwise: no allocation.
    const SHORT: usize = 16;
    let mut report = |i: usize, first: usize, v: &str| {
        out.push(s.error(
            format!("{prefix}[{i}]"),
            rule::DUPLICATE_ENTRY,
            format!("{} repeats {prefix}[{first}]: remove one", shown(v)),
        ));
    };
    if values.len() <= SHORT {
        for (i, v) in values.clone().enumerate() {
            if let Some(first) = values.clone().take(i).position(|w| w == v) {
                report(i, first, v);
            }
        }
        return;
    }
    let mut seen =
        <foldhash::HashMap<&str, usize> as foldhash::HashMapExt>::with_capacity(values.len());
    for (i, v) in values.enumerate() {
        match seen.entry(v) {
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(i);
            }
            std::collections::hash_map::Entry::Occupied(first) => report(i, *first.get(), v),
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
