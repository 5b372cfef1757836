//! Syntax of the values the portals accept: e-mail, domain, E.164 numbers, portal names.

/// A DNS domain name: labels of letters, digits and hyphens, a dot-separated TLD, ≤ 253 chars.
pub fn is_domain(s: &str) -> bool {
    if s.is_empty() || s.len() > 253 || !s.contains('.') {
        return false;
    }
    let labels: Vec<&str> = s.split('.').collect();
    let tld_ok = labels
        .last()
        .is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()));
    tld_ok
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// A plain `local@domain` address (no display names or quoted locals), ≤ 254 chars.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && is_domain(domain)
}

/// An E.164 telephone number: `+`, a non-zero digit, then 7 to 14 more digits.
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && !digits.starts_with('0')
        && digits.chars().all(|c| c.is_ascii_digit())
}

/// Letters and digits only (ASCII), not empty: contact-center tenant names and short names.
pub fn is_letters_and_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// True for North American Numbering Plan numbers (`+1…`), where 10DLC rules apply.
pub fn is_us_number(e164: &str) -> bool {
    e164.starts_with("+1")
}

/// A DNS domain in lower case, as the tenant's `spec.domains` must be written.
pub fn is_lower_domain(s: &str) -> bool {
    is_domain(s) && !s.bytes().any(|b| b.is_ascii_uppercase())
}

/// A DaaS customer code: a letter or digit, then 1 to 31 letters, digits or hyphens.
pub fn is_tenant_code(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && (2..=32).contains(&s.len())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A 10DLC campaign id of The Campaign Registry: `C` and six upper-case letters or digits.
pub fn is_campaign_id(s: &str) -> bool {
    s.len() == 7
        && s.starts_with('C')
        && s[1..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// A GUID such as a Microsoft tenant id: 8-4-4-4-12 hexadecimal digits.
pub fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A DaaS logon name: lower-case letter or digit, then up to 63 of `a-z 0-9 . _ -`.
pub fn is_username(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && s.len() <= 64
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

/// A contact-center admin user name: 1 to 64 of `A-Z a-z 0-9 . _ -`.
pub fn is_admin_user(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

/// A Kubernetes object name (RFC 1123 subdomain): lower-case alphanumerics, `-` and `.`, ≤ 253.
pub fn is_object_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// A Kubernetes namespace (RFC 1123 label): lower-case alphanumerics and `-`, ≤ 63.
pub fn is_namespace(s: &str) -> bool {
    s.len() <= 63 && !s.contains('.') && is_object_name(s)
}

/// An ISO 3166-1 alpha-2 country code in upper case, e.g. `US`.
pub fn is_country_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())
}

/// A drive letter the DaaS portal accepts for CorpShare: one of `D` to `Z`.
pub fn is_drive_letter(s: &str) -> bool {
    matches!(s.as_bytes(), [b'D'..=b'Z'])
}

/// An absolute `http://` or `https://` URL with a host.
pub fn is_http_url(s: &str) -> bool {
    reqwest::Url::parse(s).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && u.host_str().is_some_and(|h| !h.is_empty())
            && !s.chars().any(char::is_whitespace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains() {
        for ok in ["kenton-electronics.com", "a.io", "x1.sub.example.co.uk"] {
            assert!(is_domain(ok), "{ok}");
        }
        let long_label = format!("{}.com", "a".repeat(64));
        for bad in [
            "",
            "localhost",
            "-a.com",
            "a-.com",
            "a..com",
            "a.c",
            "a.c0m",
            "ké.com",
            "a b.com",
            &long_label,
        ] {
            assert!(!is_domain(bad), "{bad}");
        }
    }

    #[test]
    fn emails() {
        for ok in ["jane@kenton-electronics.com", "jane.roe+it@example.net"] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "",
            "jane",
            "@example.com",
            "jane@",
            "jane@localhost",
            "ja..ne@x.com",
            ".j@x.com",
            "jané@x.com",
            "a b@x.com",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

    #[test]
    fn e164() {
        for ok in ["+15555550100", "+442071838750", "+12345678"] {
            assert!(is_e164(ok), "{ok}");
        }
        for bad in [
            "",
            "15555550100",
            "+0555",
            "+1555",
            "+1 555 555 0100",
            "+1234567890123456",
            "+1555555010a",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }

    #[test]
    fn letters_and_digits() {
        assert!(is_letters_and_digits("KentonElectronics2"));
        for bad in ["", "Kenton Electronics", "kenton_el", "ké", "a-b"] {
            assert!(!is_letters_and_digits(bad), "{bad}");
        }
    }
    #[test]
    fn tenant_codes() {
        for ok in ["KE", "ke-2024", "A1"] {
            assert!(is_tenant_code(ok), "{ok}");
        }
        let long = "a".repeat(33);
        for bad in ["", "a", "-ab", "ab_c", "ké", long.as_str()] {
            assert!(!is_tenant_code(bad), "{bad}");
        }
    }

    #[test]
    fn campaign_ids() {
        assert!(is_campaign_id("CABC123"));
        for bad in [
            "", "C12345", "CABC1234", "cABC123", "CAbc123", "XABC123", "CÄBC12",
        ] {
            assert!(!is_campaign_id(bad), "{bad}");
        }
    }

    #[test]
    fn guids() {
        assert!(is_guid("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
        for bad in [
            "",
            "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg",
        ] {
            assert!(!is_guid(bad), "{bad}");
        }
    }

    #[test]
    fn usernames_and_admin_users() {
        assert!(is_username("jroe"));
        assert!(is_username("j.roe_2-x"));
        for bad in ["", "JRoe", ".jroe", "j roe", "jrö"] {
            assert!(!is_username(bad), "{bad}");
        }
        assert!(is_admin_user("keAdmin"));
        for bad in ["", "ke admin", "ké"] {
            assert!(!is_admin_user(bad), "{bad}");
        }
    }

    #[test]
    fn object_names_and_namespaces() {
        assert!(is_object_name("kenton-electronics"));
        assert!(is_object_name("a.b-c"));
        for bad in ["", "Kenton", "-a", "a-", "a..b", "a_b"] {
            assert!(!is_object_name(bad), "{bad}");
        }
        assert!(is_namespace("customers"));
        assert!(!is_namespace("a.b"));
        assert!(!is_namespace(&"a".repeat(64)));
    }

    #[test]
    fn urls_countries_drives() {
        assert!(is_http_url("https://portal.example.net"));
        assert!(is_http_url("http://127.0.0.1:8080/v1"));
        for bad in [
            "",
            "portal.example.net",
            "ftp://x.example",
            "https://",
            "https://a b.com",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
        assert!(is_country_code("US"));
        assert!(!is_country_code("us"));
        assert!(is_drive_letter("X"));
        for bad in ["", "C", "x", "XY"] {
            assert!(!is_drive_letter(bad), "{bad}");
        }
    }
}
