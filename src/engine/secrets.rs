//! Generated passwords (`generatePassword: true`): random and policy-compliant.

use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};

use super::run::Known;
use super::step::Step;
use crate::api::Sensitive;
use crate::model::SecretSource;
use crate::validate::password;

const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const DIGITS: &[u8] = b"23456789";
const SYMBOLS: &[u8] = b"!#$%*+-=?@^_";

/// A random password of at least `min_length` (and at least 16) characters that passes the
/// portals' policy for `username`: all four character classes, never the username.
pub fn generate_password(min_length: u32, username: &str) -> Sensitive {
    let len = usize::try_from(min_length.max(16)).unwrap_or(16);
    let mut rng = rand::rng();
    loop {
        let mut chars: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS]
            .iter()
            .filter_map(|set| set.choose(&mut rng).copied())
            .collect();
        let all: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS].concat();
        while chars.len() < len {
            chars.push(all[rng.random_range(0..all.len())]);
        }
        chars.shuffle(&mut rng);
        let candidate = String::from_utf8(chars).unwrap_or_default();
        if password::check(&candidate, username, min_length).is_empty() {
            return Sensitive::new(candidate);
        }
    }
}

/// Generates a password for every `generatePassword` secret the steps will write, as the CLI
/// does before an apply (the portal e-mails the temporary password; tenantry keeps none).
pub fn generate_secrets(steps: &[Step], known: &mut Known) {
    for resource in steps.iter().filter_map(Step::resource) {
        let user = ["username", "adminUser"]
            .iter()
            .find_map(|f| resource.spec.get(*f).and_then(|v| v.as_str()))
            .unwrap_or_default();
        let generated: Vec<_> = resource
            .secrets
            .iter()
            .filter(|s| s.source == SecretSource::Generated)
            .map(|s| (s.field, generate_password(16, user)))
            .collect();
        if !generated.is_empty() {
            known.generated.insert(resource.address.clone(), generated);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_pass_the_policy_and_differ() {
        let a = generate_password(8, "jroe");
        let b = generate_password(24, "jroe");
        assert!(password::check(a.expose(), "jroe", 8).is_empty());
        assert!(password::check(b.expose(), "jroe", 24).is_empty());
        assert_eq!(a.expose().len(), 16);
        assert_eq!(b.expose().len(), 24);
        assert_ne!(a, generate_password(8, "jroe"));
    }
}
