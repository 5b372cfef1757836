//! Names of imported objects: tenantry's own `externalRef`s read back, anything else
//! sanitised to a DNS-1123 label.

/// Longest Kubernetes name tenantry writes for an object that has none (a DNS-1123 label).
const MAX_LABEL: usize = 63;

/// `namespace/name[/part]` of an object created by tenantry, read back from its `externalRef`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnRef<'a> {
    /// The declaring object's namespace.
    pub namespace: &'a str,
    /// The declaring object's name.
    pub name: &'a str,
    /// The part after the name, when the declaration expands to several objects.
    pub part: Option<&'a str>,
}

/// Reads an `externalRef` as tenantry writes it: a namespace that is a DNS-1123 label, a name
/// that is a DNS-1123 subdomain and, when `with_part`, exactly one more segment.
///
/// Anything else was made by hand (or by another tool) and cannot become a declaration that
/// expands to the same reference.
pub fn own_ref(external_ref: &str, with_part: bool) -> Option<OwnRef<'_>> {
    let mut segments = external_ref.splitn(3, '/');
    let namespace = segments.next()?;
    let name = segments.next()?;
    let part = segments.next();
    if part.is_some() != with_part || !is_label(namespace) || !is_subdomain(name) {
        return None;
    }
    if part.is_some_and(|p| p.is_empty() || p.contains('/')) {
        return None;
    }
    Some(OwnRef {
        namespace,
        name,
        part,
    })
}

/// True for a DNS-1123 label: 1–63 of `a-z0-9-`, starting and ending with a letter or digit.
pub fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_LABEL
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// True for a DNS-1123 subdomain: labels joined by dots, at most 253 characters.
pub fn is_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_label)
}

/// A DNS-1123 label made from any text: lower case, every run of other characters one `-`,
/// cut to 63 characters; `fallback` when nothing usable is left.
///
/// `Kenton Electronics, Inc.` → `kenton-electronics-inc`; `Zoë` → `zo`.
pub fn sanitise(text: &str, fallback: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_LABEL));
    let mut dash = false;
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(c);
        } else {
            dash = true;
        }
        if out.len() >= MAX_LABEL {
            break;
        }
    }
    out.truncate(MAX_LABEL);
    let trimmed = out.trim_end_matches('-');
    if trimmed.is_empty() {
        if fallback.is_empty() || is_label(fallback) {
            fallback.to_owned()
        } else {
            sanitise(fallback, "imported")
        }
    } else {
        trimmed.to_owned()
    }
}

/// The domain of an e-mail address, lower-cased.
pub fn email_domain(email: &str) -> Option<String> {
    email
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase())
        .filter(|d| !d.is_empty())
}

/// A name not yet in `taken`: `base`, else `base-2`, `base-3`, … (kept within 63 characters).
pub fn unique(base: &str, taken: &std::collections::BTreeSet<String>) -> String {
    if !taken.contains(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| {
            let suffix = format!("-{n}");
            let keep = base.len().min(MAX_LABEL - suffix.len());
            format!("{}{suffix}", base[..keep].trim_end_matches('-'))
        })
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| base.to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::{OwnRef, is_label, own_ref, sanitise, unique};

    #[test]
    fn own_refs_are_read_back() {
        let own = |ns, name, part| {
            Some(OwnRef {
                namespace: ns,
                name,
                part,
            })
        };
        for (reference, with_part, want) in [
            (
                "customers/kenton-electronics",
                false,
                own("customers", "kenton-electronics", None),
            ),
            (
                "customers/kenton-meet/ann@kenton.example",
                true,
                own("customers", "kenton-meet", Some("ann@kenton.example")),
            ),
            ("customers/kenton-meet/ann@kenton.example", false, None),
            ("customers/kenton", true, None),
            ("CRM/Acme_1", false, None),
            ("crm/12345", false, own("crm", "12345", None)),
            ("a/b.c", false, own("a", "b.c", None)),
            ("a/-b", false, None),
            ("a/b/c/d", true, None),
            ("only-one", false, None),
        ] {
            assert_eq!(own_ref(reference, with_part), want, "{reference}");
        }
    }

    #[test]
    fn sanitising() {
        for (text, want) in [
            ("Kenton Electronics, Inc.", "kenton-electronics-inc"),
            ("  --Zoë__", "zo"),
            ("jane.roe", "jane-roe"),
            ("ÄÖÜ", "imported"),
            ("", "imported"),
            (&"x".repeat(80), &"x".repeat(63)),
        ] {
            assert_eq!(sanitise(text, "imported"), want, "{text:?}");
        }
        assert_eq!(sanitise("???", "Cus 17"), "cus-17");
    }

    #[test]
    fn unique_names_get_a_counter() {
        let taken: BTreeSet<String> = ["acme".into(), "acme-2".into()].into();
        assert_eq!(unique("acme", &taken), "acme-3");
        assert_eq!(unique("beta", &taken), "beta");
        let long = "y".repeat(63);
        let taken: BTreeSet<String> = [long.clone()].into();
        assert!(is_label(&unique(&long, &taken)));
    }

    proptest! {
        #[test]
        fn sanitised_names_are_labels(text in ".{0,100}", fallback in "[a-z]{1,10}") {
            prop_assert!(is_label(&sanitise(&text, &fallback)));
        }
    }
}
