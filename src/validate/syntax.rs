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
}
