//! Portal-generated identifiers: object and operation ids, customer codes, invitation codes.
//!
//! Each is derived from the configured seed and a persisted counter, so a run is reproducible
//! from its seed and a restarted sandbox never reuses an id.

use rusqlite::Transaction;
use sha2::{Digest, Sha256};

use super::store::next_counter;

const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// `len` characters (≤ 51) of a lower-case base-32 digest of (seed, purpose, n).
pub(crate) fn token(seed: u64, purpose: &str, n: i64, len: usize) -> String {
    let mut hasher = Sha256::new();
    hasher.update(seed.to_le_bytes());
    hasher.update(purpose.as_bytes());
    hasher.update(n.to_le_bytes());
    let digest = hasher.finalize();
    let mut out = String::with_capacity(len);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for byte in digest {
        acc = (acc << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 && out.len() < len {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
    }
    out
}

/// A new id `{prefix}_{10 chars}` for an object or operation.
pub(crate) fn new_id(tx: &Transaction<'_>, seed: u64, prefix: &str) -> rusqlite::Result<String> {
    let n = next_counter(tx, "ids")?;
    Ok(format!("{prefix}_{}", token(seed, "id", n, 10)))
}

/// A candidate customer code: up to three letters of the name and four digits (`KEN4821`).
pub(crate) fn customer_code(seed: u64, name: &str, n: i64) -> String {
    let mut letters: String = name
        .chars()
        .filter(char::is_ascii_alphabetic)
        .take(3)
        .collect::<String>()
        .to_ascii_uppercase();
    while letters.len() < 3 {
        letters.push('X');
    }
    let digest = token(seed, "code", n, 8);
    let number: u32 = digest.bytes().fold(0u32, |acc, b| {
        acc.wrapping_mul(31).wrapping_add(u32::from(b))
    }) % 9000
        + 1000;
    format!("{letters}{number}")
}

/// An invitation code `XXXX-XXXX` (upper case).
pub(crate) fn invitation_code(seed: u64, n: i64) -> String {
    let t = token(seed, "invitation", n, 8).to_ascii_uppercase();
    format!("{}-{}", &t[..4], &t[4..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_reproducible_and_distinct() {
        assert_eq!(token(7, "id", 1, 10), token(7, "id", 1, 10));
        assert_ne!(token(7, "id", 1, 10), token(7, "id", 2, 10));
        assert_ne!(token(7, "id", 1, 10), token(8, "id", 1, 10));
        assert_eq!(token(1, "x", 1, 51).len(), 51);
    }

    #[test]
    fn customer_codes_take_the_name() {
        let code = customer_code(0, "Kenton Electronics", 1);
        assert!(code.starts_with("KEN"), "{code}");
        assert_eq!(code.len(), 7);
        assert!(customer_code(0, "A1", 1).starts_with("AXX"));
    }

    #[test]
    fn invitation_codes_have_two_groups() {
        let code = invitation_code(3, 9);
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
    }
}
