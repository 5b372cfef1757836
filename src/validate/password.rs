//! The portals' password policy (seed 000, and the contact-center admin password of seed 001).

use std::fmt;

/// The floor every portal enforces, whatever a tenant's policy says.
pub const ABSOLUTE_MIN_LENGTH: u32 = 8;

/// One way a password breaks the policy. Never carries the password itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    /// Shorter than the policy minimum (and at least [`ABSOLUTE_MIN_LENGTH`]).
    TooShort { min: u32, actual: usize },
    /// Fewer than two of: upper+lower case letters, digits, symbols.
    TooFewClasses { found: u8 },
    /// Contains the username, ignoring case.
    ContainsUsername,
    /// A disguised form of the username (reversed, leetspeak, padded with digits or symbols).
    VariantOfUsername,
}

impl fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { min, actual } => write!(
                f,
                "the password has {actual} characters; the policy needs at least {min}"
            ),
            Self::TooFewClasses { found } => write!(
                f,
                "the password uses {found} of the 3 character classes; use at least 2 of: \
                 upper- and lower-case letters, digits 0-9, symbols such as !@#$%^&*()"
            ),
            Self::ContainsUsername => {
                write!(
                    f,
                    "the password contains the username; choose one that does not"
                )
            }
            Self::VariantOfUsername => write!(
                f,
                "the password is a variant of the username (reversed, character substitutions \
                 or added digits); choose an unrelated password"
            ),
        }
    }
}

/// Checks `password` against the policy for `username` with the tenant's `min_length`.
///
/// Returns every problem found (empty when the password is acceptable).
pub fn check(password: &str, username: &str, min_length: u32) -> Vec<PasswordProblem> {
    let mut problems = Vec::new();
    let min = min_length.max(ABSOLUTE_MIN_LENGTH);
    let actual = password.chars().count();
    if actual < min as usize {
        problems.push(PasswordProblem::TooShort { min, actual });
    }
    let found = character_classes(password);
    if found < 2 {
        problems.push(PasswordProblem::TooFewClasses { found });
    }
    if let Some(problem) = username_problem(password, username) {
        problems.push(problem);
    }
    problems
}

/// Counts the classes present: (upper and lower letters), digits, symbols.
fn character_classes(password: &str) -> u8 {
    let has_upper = password.chars().any(char::is_uppercase);
    let has_lower = password.chars().any(char::is_lowercase);
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    let has_symbol = password
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace());
    u8::from(has_upper && has_lower) + u8::from(has_digit) + u8::from(has_symbol)
}

fn username_problem(password: &str, username: &str) -> Option<PasswordProblem> {
    let user = username.trim().to_lowercase();
    // Very short usernames would match by accident ("jo" in "majority").
    if user.chars().count() < 3 {
        return None;
    }
    let lower = password.to_lowercase();
    if lower.contains(&user) {
        return Some(PasswordProblem::ContainsUsername);
    }
    let user_letters = letters_only(&user);
    if user_letters.chars().count() < 3 {
        return None;
    }
    let unleeted = letters_only(&unleet(&lower));
    let reversed: String = user_letters.chars().rev().collect();
    if unleeted.contains(&user_letters) || unleeted.contains(&reversed) {
        return Some(PasswordProblem::VariantOfUsername);
    }
    None
}

/// Maps common character substitutions back to the letters they stand for.
fn unleet(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0' => 'o',
            '1' | '!' | '|' => 'l',
            '3' => 'e',
            '4' | '@' => 'a',
            '5' | '$' => 's',
            '7' | '+' => 't',
            '8' => 'b',
            '9' => 'g',
            other => other,
        })
        .collect()
}

fn letters_only(s: &str) -> String {
    s.chars().filter(|c| c.is_alphabetic()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_policy_compliant_passwords() {
        for pw in [
            "Summer-Harbor-42",
            "correct horse 9!",
            "ABCdefg1",
            "abcd!234",
            "ABCDefgh!",
        ] {
            assert_eq!(check(pw, "jroe", 8), vec![], "{pw}");
        }
    }

    #[test]
    fn table_of_problems() {
        use PasswordProblem::*;
        let cases: &[(&str, &str, u32, &[PasswordProblem])] = &[
            ("Ab1!", "jroe", 8, &[TooShort { min: 8, actual: 4 }]),
            ("Abcdefg1x", "jroe", 12, &[TooShort { min: 12, actual: 9 }]),
            // A policy below the absolute floor is raised to 8.
            ("Abc1!xy", "jroe", 4, &[TooShort { min: 8, actual: 7 }]),
            ("abcdefghij", "jroe", 8, &[TooFewClasses { found: 0 }]),
            ("ABCDEFGHIJ", "jroe", 8, &[TooFewClasses { found: 0 }]),
            ("abcdefghi1", "jroe", 8, &[TooFewClasses { found: 1 }]),
            ("JROE-2024-x", "jroe", 8, &[ContainsUsername]),
            ("xxJRoexx99", "jroe", 8, &[ContainsUsername]),
            ("jr0e!2024Ab", "jroe", 8, &[VariantOfUsername]),
            ("Eorj#2024ab", "jroe", 8, &[VariantOfUsername]),
            ("j-r-o-e-2024A", "jroe", 8, &[VariantOfUsername]),
            // The password equal to the username in another case.
            (
                "JROEJROE",
                "jroejroe",
                8,
                &[TooFewClasses { found: 0 }, ContainsUsername],
            ),
        ];
        for (pw, user, min, want) in cases {
            assert_eq!(
                &check(pw, user, *min),
                want,
                "password {pw:?} user {user:?}"
            );
        }
    }

    #[test]
    fn counts_unicode_by_characters_not_bytes() {
        // 8 characters, 16 bytes: long enough.
        assert_eq!(check("Ééééééé1", "jroe", 8), vec![]);
        assert_eq!(
            check("Éé1", "jroe", 8),
            vec![PasswordProblem::TooShort { min: 8, actual: 3 }]
        );
    }

    #[test]
    fn short_usernames_do_not_match_by_accident() {
        assert_eq!(check("Majority-2024", "jo", 8), vec![]);
        assert_eq!(check("Anything-2024", "", 8), vec![]);
    }

    #[test]
    fn problems_never_contain_the_password() {
        let pw = "jr0e";
        for p in check(pw, "jroe", 8) {
            assert!(!p.to_string().contains(pw));
        }
    }
}
