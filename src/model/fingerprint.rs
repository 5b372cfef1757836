//! Fingerprints of write-only secrets: a change shows in the plan without revealing the value.

use sha2::{Digest, Sha256};

use crate::api::Sensitive;

/// Salt prefix, versioned so the scheme can change without colliding with old fingerprints.
const SALT: &str = "tenantry/v1";

/// The `{field}Fingerprint` value of a secret: the first 32 hex digits of
/// sha256("tenantry/v1" NUL externalRef NUL field NUL value).
///
/// Salting with the object's `externalRef` and the field name makes equal passwords of two
/// objects (or two fields) fingerprint differently, so a fingerprint reveals no reuse.
pub fn fingerprint(external_ref: &str, field: &str, value: &Sensitive) -> String {
    let mut hasher = Sha256::new();
    for part in [SALT, external_ref, field, value.expose()] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    let digest = hasher.finalize();
    let mut out = format!("{digest:x}");
    out.truncate(32);
    out
}

/// The spec field that carries the fingerprint of secret `field`, e.g. `passwordFingerprint`.
pub fn fingerprint_field(field: &str) -> String {
    format!("{field}Fingerprint")
}

#[cfg(test)]
mod tests {
    use super::{Sensitive, fingerprint, fingerprint_field};

    #[test]
    fn stable_and_salted_per_object_and_field() {
        let pw = Sensitive::new("Kenton-Admin-2026");
        let a = fingerprint("customers/jroe", "password", &pw);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a, fingerprint("customers/jroe", "password", &pw));
        assert_ne!(a, fingerprint("customers/asmith", "password", &pw));
        assert_ne!(a, fingerprint("customers/jroe", "pin", &pw));
        assert_ne!(
            a,
            fingerprint("customers/jroe", "password", &Sensitive::new("other"))
        );
        assert!(!a.contains("Kenton"));
        assert_eq!(fingerprint_field("password"), "passwordFingerprint");
    }

    #[test]
    fn separators_keep_parts_apart() {
        let pw = Sensitive::new("b");
        assert_ne!(
            fingerprint("ns/a", "password", &pw),
            fingerprint("ns/", "apassword", &pw)
        );
    }
}
