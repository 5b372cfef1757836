//! Syntax of the values the portals accept: e-mail, domain, E.164 numbers, portal names.

/// Byte classes of the value syntaxes below, looked up instead of matched: these checks run for
/// every name, domain and e-mail address of an input of tens of thousands of objects.
const LOWER: u8 = 1;
const UPPER: u8 = 2;
const DIGIT: u8 = 4;
const HYPHEN: u8 = 8;
const EMAIL_LOCAL: u8 = 16;

const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if c.is_ascii_lowercase() {
            LOWER | EMAIL_LOCAL
        } else if c.is_ascii_uppercase() {
            UPPER | EMAIL_LOCAL
        } else if c.is_ascii_digit() {
            DIGIT | EMAIL_LOCAL
        } else if c == b'-' {
            HYPHEN | EMAIL_LOCAL
        } else {
            match c {
                b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'/' | b'=' | b'?'
                | b'^' | b'_' | b'`' | b'{' | b'|' | b'}' | b'~' | b'.' => EMAIL_LOCAL,
                _ => 0,
            }
        };
        i += 1;
    }
    t
};

fn class(c: u8) -> u8 {
    CLASSES[c as usize]
}

/// A DNS domain name: labels of letters, digits and hyphens, a dot-separated TLD, ≤ 253 chars.
pub fn is_domain(s: &str) -> bool {
    // One pass over the bytes, no allocation: this runs for every e-mail address of the input.
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 253 {
        return false;
    }
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'.' {
            if !is_label(&b[start..i]) {
                return false;
            }
            start = i + 1;
        } else if class(c) & (LOWER | UPPER | DIGIT | HYPHEN) == 0 {
            return false;
        }
    }
    let tld = &b[start..];
    start > 0 && is_label(tld) && tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic)
}

/// A DNS label whose bytes are already known to be letters, digits or hyphens.
fn is_label(label: &[u8]) -> bool {
    matches!(label, [first, .., last] if *first != b'-' && *last != b'-' && label.len() <= 63)
        || matches!(label, [only] if *only != b'-')
}

/// A plain `local@domain` address (no display names or quoted locals), ≤ 254 chars.
pub fn is_email(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(at) = b.iter().rposition(|c| *c == b'@') else {
        return false;
    };
    let (local, domain) = (&b[..at], &s[at + 1..]);
    b.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && local[0] != b'.'
        && local[local.len() - 1] != b'.'
        && !local.windows(2).any(|w| w == b"..")
        && local.iter().all(|c| class(*c) & EMAIL_LOCAL != 0)
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
    s.len() == 36
        && s.bytes().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
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
    // One pass over the bytes: this runs for every object of the input.
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 253 {
        return false;
    }
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'.' {
            if !is_name_label(&b[start..i]) {
                return false;
            }
            start = i + 1;
        } else if class(c) & (LOWER | DIGIT | HYPHEN) == 0 {
            return false;
        }
    }
    is_name_label(&b[start..])
}

/// A label of an object name, its bytes already checked: not empty, no hyphen at either end.
fn is_name_label(label: &[u8]) -> bool {
    label.first().is_some_and(|c| *c != b'-') && label.last().is_some_and(|c| *c != b'-')
}

/// A Kubernetes namespace (RFC 1123 label): lower-case alphanumerics and `-`, ≤ 63.
pub fn is_namespace(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=63).contains(&b.len())
        && b.iter().all(|c| class(*c) & (LOWER | DIGIT | HYPHEN) != 0)
        && is_name_label(b)
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
