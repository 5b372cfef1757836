//! Generated passwords (`generatePassword: true`): random and policy-compliant.

use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};

use crate::api::Sensitive;
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
